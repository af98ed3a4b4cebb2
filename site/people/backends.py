"""Password sign-in, which a trust can keep for named trust admins only; and the backend that
names sessions opened through the trust's identity provider."""

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.db.models import Q
from django.http import HttpRequest

from people.models import Person


def may_use_password(email: str) -> bool:
    if settings.STAFFROOM_LOCAL_SIGN_IN != "admins-only":
        return True
    return email.strip().lower() in settings.STAFFROOM_LOCAL_SIGN_IN_ADMINS


class StaffroomBackend(ModelBackend):
    """Django's permission checks, reading a person's own and their roles' permissions in one
    query rather than two: every page's header asks (its Publish link, the two-step check)."""

    def get_all_permissions(self, user_obj, obj=None) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            permissions = Permission.objects.all()
            if not user_obj.is_superuser:
                permissions = permissions.filter(Q(user=user_obj) | Q(group__user=user_obj))
            user_obj._perm_cache = {
                f"{app_label}.{codename}"
                for app_label, codename in permissions.order_by()
                .values_list("content_type__app_label", "codename")
                .distinct()
            }
        return user_obj._perm_cache


class PasswordBackend(StaffroomBackend):
    """Django's backend, refusing passwords when the trust has switched them off. Here rather
    than in the sign-in form, so Wagtail's and Django's admin sign-in forms obey it too."""

    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password=None, **kwargs
    ) -> Person | None:
        email = username or kwargs.get(Person.USERNAME_FIELD) or ""
        if not may_use_password(email):
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


IDENTITY_PROVIDER_BACKEND = "people.backends.IdentityProviderBackend"


class IdentityProviderBackend(StaffroomBackend):
    """Checks no credentials: it only names the sessions that people.adapters opens after the
    trust's identity provider signed someone in, so that they can be told apart from password
    sessions (people.two_step), and loads their person on later requests."""

    def authenticate(self, request: HttpRequest | None, **credentials) -> None:
        return None
