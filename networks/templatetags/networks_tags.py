"""Panels the networks app gives to pages of the apps below it (the home page)."""

from django import template
from django.db.models import F

from networks import selectors

register = template.Library()


@register.inclusion_tag("networks/_my_networks.html", takes_context=True)
def my_networks(context: template.Context) -> dict:
    person = context["request"].user
    if not getattr(person, "is_authenticated", False):
        return {"networks": []}
    # The role comes from the same membership row the selector filters on.
    networks = selectors.my_networks(person).annotate(my_role=F("memberships__role"))
    return {"networks": list(networks)}
