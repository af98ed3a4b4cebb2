from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from people import admin_views
from people.models import School


class SchoolViewSet(SnippetViewSet):
    model = School
    icon = "home"
    menu_label = "Schools"
    add_to_admin_menu = True
    menu_order = 250
    list_display = ["name", "urn", "phase", "local_authority"]
    list_filter = ["phase", "local_authority"]
    search_fields = ["name", "urn"]
    ordering = ["name"]
    panels = [
        FieldPanel("name"),
        FieldPanel("urn"),
        MultiFieldPanel(
            [
                FieldPanel("phase"),
                FieldRowPanel([FieldPanel("lowest_age"), FieldPanel("highest_age")]),
            ],
            heading="Phase and ages",
        ),
        MultiFieldPanel(
            [
                FieldPanel("headteacher"),
                FieldPanel("local_authority"),
                FieldPanel("address"),
                FieldPanel("postcode"),
                FieldPanel("website"),
            ],
            heading="Contact",
        ),
    ]


register_snippet(SchoolViewSet)


@hooks.register("register_admin_urls")
def register_staff_import_urls() -> list:
    return [
        path("staff-import/", admin_views.staff_import_view, name="people_staff_import"),
        path(
            "staff-import/template.csv",
            admin_views.staff_import_template,
            name="people_staff_import_template",
        ),
        path(
            "authenticator-apps/",
            admin_views.authenticator_apps_view,
            name="people_authenticator_apps",
        ),
        path(
            "sign-in-events/",
            admin_views.sign_in_events_view,
            name="people_sign_in_events",
        ),
        path("staff-data/", admin_views.staff_data_view, name="people_staff_data"),
        path(
            "staff-data/<int:pk>/download/",
            admin_views.staff_data_download,
            name="people_staff_data_download",
        ),
        path(
            "staff-data/<int:pk>/erase/",
            admin_views.staff_erase_view,
            name="people_staff_erase",
        ),
    ]


class StaffImportMenuItem(MenuItem):
    def is_shown(self, request) -> bool:
        return request.user.has_perm(admin_views.STAFF_IMPORT_PERMISSION)


@hooks.register("register_settings_menu_item")
def register_staff_import_menu_item() -> MenuItem:
    return StaffImportMenuItem(
        "Staff import", reverse("people_staff_import"), icon_name="user", order=250
    )


class AuthenticatorAppsMenuItem(MenuItem):
    def is_shown(self, request) -> bool:
        return request.user.has_perm(admin_views.AUTHENTICATOR_RESET_PERMISSION)


@hooks.register("register_settings_menu_item")
def register_authenticator_apps_menu_item() -> MenuItem:
    return AuthenticatorAppsMenuItem(
        "Authenticator apps", reverse("people_authenticator_apps"), icon_name="lock", order=260
    )


class SignInEventsMenuItem(MenuItem):
    def is_shown(self, request) -> bool:
        return request.user.has_perm(admin_views.SIGN_IN_EVENTS_PERMISSION)


@hooks.register("register_settings_menu_item")
def register_sign_in_events_menu_item() -> MenuItem:
    return SignInEventsMenuItem(
        "Sign-in events", reverse("people_sign_in_events"), icon_name="list-ul", order=270
    )


class StaffDataMenuItem(MenuItem):
    def is_shown(self, request) -> bool:
        return request.user.has_perm(admin_views.DATA_PROTECTION_PERMISSION)


@hooks.register("register_settings_menu_item")
def register_staff_data_menu_item() -> MenuItem:
    return StaffDataMenuItem(
        "Staff data", reverse("people_staff_data"), icon_name="user", order=280
    )
