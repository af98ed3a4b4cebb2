"""Password sign-in, which a trust can keep for named trust admins only; and the backend that
names sessions opened through the trust's identity provider."""

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from people.models import Person
from people.roles import load_access


def may_use_password(email: str) -> bool:
    if settings.STAFFROOM_LOCAL_SIGN_IN != "admins-only":
        return True
    return email.strip().lower() in settings.STAFFROOM_LOCAL_SIGN_IN_ADMINS


class StaffroomBackend(ModelBackend):
    """Django's permission checks, reading a person's own and their roles' permissions, and
    their role names, in one query (people.roles.load_access) rather than three: every page's
    header asks (its Publish link, the two-step check)."""

    def get_all_permissions(self, user_obj, obj=None) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            load_access(user_obj)
        return user_obj._perm_cache

    # The signed-in person is loaded once per request, with the unread count that every
    # page's header bell shows in the same query.

    def get_user(self, user_id):
        try:
            person = _people().get(pk=user_id)
        except Person.DoesNotExist:
            return None
        return person if self.user_can_authenticate(person) else None

    async def aget_user(self, user_id):
        try:
            person = await _people().aget(pk=user_id)
        except Person.DoesNotExist:
            return None
        return person if self.user_can_authenticate(person) else None


def _people():
    from forums.notifications import with_unread_count

    return with_unread_count(Person._default_manager.all())


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
