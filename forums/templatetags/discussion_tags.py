"""The discussion panel that resource and principle pages show. Forums provides it, so the
pages below forums need not import forums code (see DESIGN.md, "Layout")."""

from django import template

from forums import discussions
from forums.discussion_views import discussion_form

register = template.Library()


@register.inclusion_tag("forums/_discussion_panel.html", takes_context=True)
def discussion_panel(context, resource=None, page=None) -> dict:
    """`{% discussion_panel resource=resource %}` or `{% discussion_panel page=page %}`."""
    request = context.get("request")
    subject = resource if resource is not None else page
    if request is None or subject is None or subject.pk is None:
        return {"panel": None}  # e.g. the admin's preview of a page not yet saved
    if resource is not None:
        panel = discussions.resource_panel(request.user, resource)
    else:
        panel = discussions.principle_panel(request.user, page)
    return {
        "panel": panel,
        "form": discussion_form(panel=panel) if panel.can_post else None,
        "csrf_token": context.get("csrf_token"),
        "request": request,
    }
