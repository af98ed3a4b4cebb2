"""Decoupled hooks of people: closing a person's live sockets when they sign out or their
account is switched off, and auditing sign-ins and changes to what an account may do."""

import logging
from functools import partial

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from audit.models import AuditEntry
from audit.services import Change
from audit.services import record as audit_record
from audit.services import record_many as audit_record_many

logger = logging.getLogger(__name__)

SESSION_ENDED = {"type": "session.ended"}


def live_sockets_group(pk: int) -> str:
    """The channel-layer group every live socket of a person joins (forums.consumers), apart
    from the bell's group: sockets that cannot take bell updates must not hear them."""
    return f"signed-in.{pk}"


def close_live_sockets(sender, request, user, **kwargs) -> None:
    """Signing out closes the person's open websockets, so no page goes on updating."""
    if user is not None and user.pk is not None:
        _end_live_sockets(user.pk)


def close_live_sockets_when_switched_off(sender, instance, created, update_fields=None, **kw):
    """Switching an account off closes its open websockets too, once the change is saved."""
    if created or instance.is_active:
        return
    if update_fields is not None and "is_active" not in update_fields:
        return
    transaction.on_commit(partial(_end_live_sockets, instance.pk))


def _end_live_sockets(pk: int) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(live_sockets_group(pk), dict(SESSION_ENDED))
    except Exception:  # the layer is down: the sockets lose it too, and close on their own
        logger.warning("Could not close the live sockets of person %s", pk)


# The audit log: sign-ins, lockouts, and every change to what an account may do, from any
# place it is made (the Wagtail admin, the shell, a data migration). Staff import writes its
# role changes in bulk, without these signals, and audits them itself (people.staff_import).

ACCESS_FLAGS = {"is_staff": "Wagtail admin access", "is_superuser": "Superuser"}


def _person_with_email(email: str):
    from people.models import Person

    if not email or not isinstance(email, str):
        return None
    return Person.objects.filter(email__iexact=email.strip()).first()


def audit_signed_in(sender, request, user, **kwargs) -> None:
    # login() names the backend on the user, as the session does.
    from people.backends import IDENTITY_PROVIDER_BACKEND

    backend = getattr(user, "backend", "")
    how = "identity provider" if backend == IDENTITY_PROVIDER_BACKEND else "password"
    audit_record(
        action=AuditEntry.Action.SIGN_IN,
        actor=user,
        subject=user,
        request=request,
        detail={"how": how},
    )


def audit_sign_in_failed(sender, credentials, request=None, **kwargs) -> None:
    # The address typed is not kept: only the id of the account it names, if any.
    person = _person_with_email(credentials.get("username") or credentials.get("email"))
    locked = bool(getattr(request, "axes_locked_out", False))
    audit_record(
        action=AuditEntry.Action.SIGN_IN_FAILED,
        subject=person,
        request=request,
        detail={"blocked": locked} if locked else {},
    )


def audit_locked_out(sender, request, username, ip_address, **kwargs) -> None:
    person = _person_with_email(username)
    entry = audit_record(
        action=AuditEntry.Action.LOCKED_OUT,
        subject=person,
        request=request,
    )
    logger.warning(
        "Sign-in locked for account %s from %s after too many failed attempts",
        entry.subject_id or "(no such account)",
        entry.address or ip_address or "-",
    )


def remember_access_flags(sender, instance, update_fields=None, **kwargs) -> None:
    watched = {"is_active", *ACCESS_FLAGS}
    if instance.pk is None or (update_fields is not None and not watched & set(update_fields)):
        instance._audit_flags_before = None
        return
    instance._audit_flags_before = (
        type(instance).objects.filter(pk=instance.pk).values("is_active", *ACCESS_FLAGS).first()
    )


def audit_access_flags(sender, instance, created, **kwargs) -> None:
    before = getattr(instance, "_audit_flags_before", None)
    instance._audit_flags_before = None
    if before is None and not created:
        return
    before = before or {"is_active": True, "is_staff": False, "is_superuser": False}
    if before["is_active"] != instance.is_active:
        audit_record(
            action=AuditEntry.Action.ACCOUNT_REACTIVATED
            if instance.is_active
            else AuditEntry.Action.ACCOUNT_DEACTIVATED,
            subject=instance,
        )
    for flag, role in ACCESS_FLAGS.items():
        now = getattr(instance, flag)
        if before[flag] != now:
            audit_record(
                action=AuditEntry.Action.ROLE_GRANTED if now else AuditEntry.Action.ROLE_REMOVED,
                subject=instance,
                detail={"role": role},
            )


def _audit_links_changed(
    *, field: str, action: str, instance, reverse: bool, pk_set, granted: str, removed: str
) -> None:
    """One entry per person and group (or permission) linked or unlinked, from either side."""
    if action == "pre_clear":
        # The links are gone by post_clear: note them now.
        manager = instance.user_set if reverse else getattr(instance, field)
        instance._audit_cleared = set(manager.values_list("pk", flat=True))
        return
    if action == "post_clear":
        pk_set, kind = getattr(instance, "_audit_cleared", set()), removed
        instance._audit_cleared = set()
    elif action in {"post_add", "post_remove"}:
        kind = granted if action == "post_add" else removed
    else:
        return
    if not pk_set:
        return
    if reverse:
        names = {instance.pk: _link_name(field, instance)}
        pairs = [(pk, instance.pk) for pk in sorted(pk_set)]
    else:
        model = instance._meta.get_field(field).related_model
        others = model.objects.filter(pk__in=pk_set)
        if field == "user_permissions":
            others = others.select_related("content_type")
        names = {other.pk: _link_name(field, other) for other in others}
        pairs = [(instance.pk, pk) for pk in sorted(pk_set)]
    key = "role" if field == "groups" else "permission"
    # One INSERT for the lot: adding 300 people to a group must not take 300 round trips.
    audit_record_many(
        changes=[
            Change(action=kind, subject_id=person_id, detail={key: names.get(other_id, "")})
            for person_id, other_id in pairs
        ]
    )


def _link_name(field: str, other) -> str:
    if field == "groups":
        return other.name
    return f"{other.content_type.app_label}.{other.codename}"


def audit_roles_changed(sender, instance, action, reverse, model, pk_set, **kwargs) -> None:
    _audit_links_changed(
        field="groups",
        action=action,
        instance=instance,
        reverse=reverse,
        pk_set=pk_set,
        granted=AuditEntry.Action.ROLE_GRANTED,
        removed=AuditEntry.Action.ROLE_REMOVED,
    )


def audit_permissions_changed(sender, instance, action, reverse, model, pk_set, **kwargs) -> None:
    _audit_links_changed(
        field="user_permissions",
        action=action,
        instance=instance,
        reverse=reverse,
        pk_set=pk_set,
        granted=AuditEntry.Action.PERMISSION_GRANTED,
        removed=AuditEntry.Action.PERMISSION_REMOVED,
    )


def audit_person_deleted(sender, instance, **kwargs) -> None:
    audit_record(action=AuditEntry.Action.PERSON_DELETED, subject_id=instance.pk)
