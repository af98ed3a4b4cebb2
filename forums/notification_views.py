from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from forums import notifications
from forums.notification_forms import NotificationPreferencesForm

PAGE_SIZE = 30
EMAIL_NAMES = {
    "mentions": "emails when someone mentions you",
    "digest": "the daily digest of threads you follow",
}


def notification_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(notifications.inbox(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "forums/notifications/list.html", {"page": page})


def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark the notification read and go to what it is about (only ever its own stored,
    same-site address: never an open redirect)."""
    notification = notifications.notification_for(request.user, pk)
    if notification is None:
        raise Http404("There is no notification of yours at this address.")
    notifications.notification_mark_read(notification=notification)
    url = notification.url
    if not url.startswith("/") or not url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect("forums:notifications")
    return redirect(url)


@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    marked = notifications.notifications_mark_all_read(person=request.user)
    if marked:
        messages.success(request, "All your notifications are marked as read.")
    return redirect("forums:notifications")


def preferences(request: HttpRequest) -> HttpResponse:
    current = notifications.preferences_for(request.user)
    form = NotificationPreferencesForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        notifications.preferences_update(
            person=request.user,
            email_mentions=form.cleaned_data["email_mentions"],
            email_digest=form.cleaned_data["email_digest"],
        )
        messages.success(request, "Your email choices are saved.")
        return redirect("forums:notification_settings")
    return render(request, "forums/notifications/settings.html", {"form": form})


# Mail clients post here without a CSRF token (RFC 8058 one-click); the signed token is the
# proof that the request comes from the email.
@login_not_required
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    target = notifications.unsubscribe_target(token)
    if target is None:
        return render(request, "forums/notifications/unsubscribe_invalid.html", status=400)
    person_id, email = target
    context = {"email_name": EMAIL_NAMES[email], "token": token}
    if request.method == "POST":
        if not notifications.unsubscribe(person_id=person_id, email=email):
            return render(request, "forums/notifications/unsubscribe_invalid.html", status=400)
        return render(request, "forums/notifications/unsubscribed.html", context)
    return render(request, "forums/notifications/unsubscribe.html", context)
