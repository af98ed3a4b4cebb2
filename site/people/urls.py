from collections.abc import Callable

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import path, reverse_lazy

from people import views
from people.forms import StaffPasswordResetForm
from people.two_step import two_step_exempt

app_name = "people"


def public(view: Callable) -> Callable:
    return login_not_required(view)


urlpatterns = [
    path("sign-in/", public(views.SignInView.as_view()), name="sign_in"),
    path("sign-in/home-school/", views.choose_school, name="choose_school"),
    path("sign-in/code/", views.two_step_code, name="two_step_code"),
    path("sign-in/authenticator-app/", views.two_step_set_up, name="two_step_set_up"),
    path("sign-out/", two_step_exempt(auth_views.LogoutView.as_view()), name="sign_out"),
    path(
        "password-reset/",
        public(
            views.StaffPasswordResetView.as_view(
                template_name="people/password_reset.html",
                form_class=StaffPasswordResetForm,
                email_template_name="people/email/password_reset.txt",
                subject_template_name="people/email/password_reset_subject.txt",
                success_url=reverse_lazy("people:password_reset_sent"),
            )
        ),
        name="password_reset",
    ),
    path(
        "password-reset/sent/",
        public(
            auth_views.PasswordResetDoneView.as_view(
                template_name="people/password_reset_sent.html"
            )
        ),
        name="password_reset_sent",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        public(
            auth_views.PasswordResetConfirmView.as_view(
                template_name="people/password_reset_confirm.html",
                success_url=reverse_lazy("people:password_reset_complete"),
                post_reset_login=False,
            )
        ),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done/",
        public(
            auth_views.PasswordResetCompleteView.as_view(
                template_name="people/password_reset_complete.html"
            )
        ),
        name="password_reset_complete",
    ),
    path("", views.directory, name="directory"),
    path("me/", views.my_profile, name="my_profile"),
    path("me/edit/", views.profile_edit, name="profile_edit"),
    path("me/data/", views.my_data, name="my_data"),
    path("<int:pk>/", views.profile, name="profile"),
]
