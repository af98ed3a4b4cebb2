from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from cms.models import TrustBranding


def _readable_text_on(hex_colour: str) -> str:
    red, green, blue = (int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5))

    def linear(channel: float) -> float:
        return channel / 12.92 if channel <= 0.03928 else ((channel + 0.055) / 1.055) ** 2.4

    luminance = 0.2126 * linear(red) + 0.7152 * linear(green) + 0.0722 * linear(blue)
    return "#000000" if luminance > 0.179 else "#ffffff"


@login_not_required
@require_GET
@cache_control(max_age=300)
def brand_css(request: HttpRequest) -> HttpResponse:
    """The trust's colours as CSS custom properties, so pages need no inline styles."""
    branding = TrustBranding.load(request_or_site=request)
    css = (
        ":root {\n"
        f"  --brand: {branding.primary_colour};\n"
        f"  --brand-contrast: {_readable_text_on(branding.primary_colour)};\n"
        f"  --accent: {branding.accent_colour};\n"
        "}\n"
    )
    return HttpResponse(css, content_type="text/css; charset=utf-8")
