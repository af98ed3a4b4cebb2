from django import template
from wagtail.models import Page

from cms.navigation import Crumb, breadcrumbs

register = template.Library()


@register.simple_tag
def page_breadcrumbs(page: Page) -> list[Crumb]:
    return breadcrumbs(page)
