"""Sign-in through the trust's identity providers, mounted at `accounts/`.

Only allauth's OpenID Connect sign-in and callback are served (wrapped, so a provider that is
down gets a clear page rather than a 500), under the names allauth reverses. Its own password
sign-in, sign-up and account pages are not: people sign in at people:sign_in.
"""

from allauth.socialaccount import app_settings
from django.contrib.auth.decorators import login_not_required
from django.urls import path
from django.views.generic import RedirectView

from people import views

prefix = app_settings.OPENID_CONNECT_URL_PREFIX

urlpatterns = [
    path(
        f"{prefix}/<str:provider_id>/login/",
        views.identity_provider_sign_in,
        name="openid_connect_login",
    ),
    path(
        f"{prefix}/<str:provider_id>/login/callback/",
        views.identity_provider_callback,
        name="openid_connect_callback",
    ),
    path(
        "3rdparty/login/cancelled/",
        views.identity_provider_failed,
        name="socialaccount_login_cancelled",
    ),
    path("3rdparty/login/error/", views.identity_provider_failed, name="socialaccount_login_error"),
    path("3rdparty/signup/", views.identity_provider_failed, name="socialaccount_signup"),
    # allauth links here in a few places; there is one sign-in page.
    path(
        "login/",
        login_not_required(RedirectView.as_view(pattern_name="people:sign_in", query_string=True)),
        name="account_login",
    ),
]
