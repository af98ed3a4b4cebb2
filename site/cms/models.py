from django.core.validators import RegexValidator
from django.db import models
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting

hex_colour = RegexValidator(r"^#[0-9a-fA-F]{6}$", "Give a colour as # and six hex digits.")


@register_setting(icon="site")
class TrustBranding(BaseGenericSetting):
    """The trust's name, logo and colours: each trust sees its own brand."""

    trust_name = models.CharField(max_length=120, default="Our Trust")
    short_name = models.CharField(
        max_length=40, blank=True, help_text="Shown on small screens, for example ‘OLT’."
    )
    logo = models.ForeignKey(
        "wagtailimages.Image", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    primary_colour = models.CharField(
        max_length=7,
        default="#1d4f6e",
        validators=[hex_colour],
        help_text="The header and buttons; keep it dark enough for white text.",
    )
    accent_colour = models.CharField(max_length=7, default="#f2b134", validators=[hex_colour])

    panels = [
        FieldPanel("trust_name"),
        FieldPanel("short_name"),
        FieldPanel("logo"),
        FieldPanel("primary_colour"),
        FieldPanel("accent_colour"),
    ]

    class Meta:
        verbose_name = "trust branding"

    def __str__(self) -> str:
        return self.trust_name
