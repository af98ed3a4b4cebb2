"""Panels the resources app gives to pages of the apps below it (a network's home page),
so those apps need not import resources."""

from django import template

from resources import selectors

register = template.Library()


@register.inclusion_tag("resources/_network_panels.html", takes_context=True)
def network_resources(context: template.Context, network, limit: int = 6) -> dict:
    person = context["request"].user
    listed = selectors.published_resources_visible_to(person).filter(network=network)
    listed = listed.select_related("author", "school", "subject").order_by("-published_at", "-pk")
    return {
        "network": network,
        "latest": list(listed[:limit]),
        "endorsed": list(listed.filter(endorsed_at__isnull=False).order_by("-endorsed_at")[:limit]),
    }
