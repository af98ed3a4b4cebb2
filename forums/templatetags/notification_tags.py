"""The bell in the site header: the signed-in person's unread count."""

from django import template

from forums.notifications import unread_count

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_notification_count(context) -> int:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    # Counted when the person was loaded (people.backends), else once per request.
    counted = getattr(user, "unread_notifications", None)
    if counted is not None:
        return counted
    if not hasattr(request, "_unread_notifications"):
        request._unread_notifications = unread_count(user)
    return request._unread_notifications
