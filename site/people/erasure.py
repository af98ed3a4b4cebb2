"""Erasing a leaver: what the trust does when a member of staff leaves and asks to be forgotten
(UK GDPR article 17). What happens to each kind of record is listed in people.personal_data.

Their posts, threads and resources stay, because colleagues rely on them: they are shown as by
"Former member of staff" and the resources are held by their networks (the network's leads
curate them, as they can any resource in their network). Their name, email and @mention handle
are taken out of everything else, including other people's posts and notifications, the search
indexes and the caches. The audit log keeps only the account's number.
"""

import html
import re
import secrets
from collections.abc import Iterable

from django.apps import apps
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.db import models, transaction
from django.utils import timezone

from audit.models import AuditEntry
from audit.services import record as audit_record
from people.models import Person, SignInEvent
from people.personal_data import INVENTORY

FORMER_NAME = "Former member of staff"
# What replaces their name or handle inside someone else's sentence.
FORMER_IN_TEXT = "former member of staff"
PLACEHOLDER_DOMAIN = "invalid"
# The apps whose text columns are searched for their name; the audit log is append-only and
# names people by id only, and the sign-in events' emails are replaced on their own.
SCRUBBED_APPS = ("people", "networks", "resources", "forums", "search")
NOT_SCRUBBED = {"search.IndexedRecord"}
RELATED_FOR_SEARCH = {"forums.PostRevision": ("post",), "resources.FileVersion": ("file",)}
# Shorter names than this are not replaced inside other people's text: too likely to be a word.
SHORTEST_REPLACED = 4


class ErasureRefused(Exception):
    """Why this account cannot be erased here, in a sentence for the admin."""


def is_erased(person: Person) -> bool:
    return person.erased_at is not None


def confirmation_matches(person: Person, typed: str) -> bool:
    """The admin confirms by typing the person's email or full name (any case)."""
    typed = " ".join((typed or "").split()).casefold()
    return bool(typed) and typed in {
        person.email.casefold(),
        " ".join(person.get_full_name().split()).casefold(),
    }


def identifiers_of(person: Person) -> list[str]:
    """Every way their name appears in text: full name, display name, email and handle,
    longest first so that an email is replaced before the handle inside it."""
    from forums.mentions import handle_for

    local = person.email.split("@", 1)[0].lower()
    names = {person.get_full_name(), person.display_name, person.email}
    handle = handle_for(person, set())
    if handle:
        names.add(f"@{handle}")
    names.add(f"@{local}")
    found = {name.strip() for name in names if len(name.strip()) >= SHORTEST_REPLACED}
    found |= {html.escape(name) for name in found}
    return sorted(found, key=len, reverse=True)


def _pattern(identifiers: list[str]) -> re.Pattern:
    return re.compile("|".join(re.escape(name) for name in identifiers), re.IGNORECASE)


def _scrub(
    queryset: models.QuerySet, fields: Iterable[str], pattern: re.Pattern, identifiers: list[str]
) -> list:
    """Replace the identifiers in these text fields wherever they occur; answers the rows
    changed."""
    fields = list(fields)
    condition = models.Q(pk__in=[])
    for name in fields:
        for identifier in identifiers:
            condition |= models.Q(**{f"{name}__icontains": identifier})
    changed = []
    for row in queryset.filter(condition).iterator(chunk_size=500):
        for name in fields:
            setattr(row, name, pattern.sub(FORMER_IN_TEXT, getattr(row, name) or ""))
        changed.append(row)
    if changed:
        queryset.model.objects.bulk_update(changed, fields, batch_size=500)
    return changed


def _text_fields(model: type[models.Model]) -> list[str]:
    return [
        field.name
        for field in model._meta.concrete_fields
        if isinstance(field, models.CharField | models.TextField)
        and not isinstance(field, models.EmailField | models.SlugField | models.URLField)
        and not field.choices
        and field.name != "password"
    ]


def _scrub_our_text(
    pattern: re.Pattern, identifiers: list[str], threads: set[int], resources: set[int]
) -> tuple[set[int], set[int]]:
    """Take their name out of every text column of Staffroom's own apps (colleagues' posts,
    revisions, thread titles, notifications, resource notes, reports); answers the threads and
    resources whose search records must be rebuilt."""
    threads, resources = set(threads), set(resources)
    for app in SCRUBBED_APPS:
        for model in apps.get_app_config(app).get_models():
            fields = _text_fields(model)
            if not fields or model._meta.label in NOT_SCRUBBED:
                continue
            rows = model._default_manager.select_related(
                *RELATED_FOR_SEARCH.get(model._meta.label, ())
            )
            for row in _scrub(rows, fields, pattern, identifiers):
                thread_id, resource_id = _search_owners(row)
                threads |= {thread_id} - {None}
                resources |= {resource_id} - {None}
    return threads, resources


def _search_owners(row: models.Model) -> tuple[int | None, int | None]:
    """The thread or resource whose search record shows this row's text."""
    label = row._meta.label
    if label == "forums.Thread":
        return row.pk, None
    if label == "forums.Post":
        return row.thread_id, None
    if label == "forums.PostRevision":
        return row.post.thread_id, None
    if label == "resources.Resource":
        return None, row.pk
    if label == "resources.ResourceFile":
        return None, row.resource_id
    if label == "resources.FileVersion":
        return None, row.file.resource_id
    return None, None


def _end_sessions(person: Person) -> int:
    # Database sessions hold the account id inside their signed data: read each live one.
    ended = [
        session.pk
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if str(session.get_decoded().get("_auth_user_id")) == str(person.pk)
    ]
    Session.objects.filter(pk__in=ended).delete()
    return len(ended)


def _delete_owned(person: Person) -> None:
    """Rows that exist only for the person: every holding in the inventory with delete_by."""
    for label, holding in INVENTORY.items():
        if not holding.delete_by:
            continue
        if holding.delete_by in holding.by_email:
            about = {f"{holding.delete_by}__iexact": person.email}
        else:
            about = {holding.delete_by: person.pk}
        apps.get_model(label).objects.filter(**about).delete()


def _reindex(thread_ids: set[int], resource_ids: set[int]) -> None:
    from search.indexing import queue_records, record_key
    from search.query import RESOURCE, THREAD

    queue_records(
        [record_key(THREAD, pk) for pk in thread_ids]
        + [record_key(RESOURCE, pk) for pk in resource_ids]
    )


def _clear_caches() -> None:
    # Nothing says which cached fragments name a person, so every cache is cleared: the site
    # rebuilds them from the erased records on the next requests.
    for alias in caches:
        caches[alias].clear()


def erase_leaver(*, person: Person, by: Person) -> Person:
    """Switch the account off and remove the person's identity from Staffroom, in one
    transaction; the erasure is audited with ids only."""
    from forums.models import Post, Thread
    from resources.models import Resource

    if person.pk == by.pk:
        raise ErasureRefused("You cannot erase your own account; ask another trust admin.")
    if is_erased(person):
        raise ErasureRefused("This account has already been erased.")
    if person.is_superuser and not by.is_superuser:
        raise ErasureRefused("Only a superuser can erase a superuser's account.")
    with transaction.atomic():
        person = Person.objects.select_for_update().get(pk=person.pk)
        identifiers = identifiers_of(person)
        pattern = _pattern(identifiers)
        old_email = person.email

        threads = set(Thread.objects.filter(author=person).values_list("pk", flat=True))
        threads |= set(Post.objects.filter(author=person).values_list("thread_id", flat=True))
        resources = set(Resource.objects.filter(author=person).values_list("pk", flat=True))

        threads, resources = _scrub_our_text(pattern, identifiers, threads, resources)

        person_type = ContentType.objects.get_for_model(Person)
        LogEntry.objects.filter(content_type=person_type, object_id=str(person.pk)).update(
            object_repr=FORMER_NAME
        )
        _scrub(LogEntry.objects.all(), ["object_repr"], pattern, identifiers)
        ModelLogEntry = apps.get_model("wagtailcore.ModelLogEntry")
        ModelLogEntry.objects.filter(content_type=person_type, object_id=str(person.pk)).update(
            label=FORMER_NAME, data={}
        )
        _scrub(ModelLogEntry.objects.all(), ["label"], pattern, identifiers)

        placeholder = f"former-{secrets.token_hex(8)}@{PLACEHOLDER_DOMAIN}"
        SignInEvent.objects.filter(
            models.Q(person=person) | models.Q(email__iexact=old_email)
        ).update(email=placeholder)
        _delete_owned(person)

        person.first_name = "Former"
        person.last_name = "member of staff"
        person.display_name = FORMER_NAME
        person.email = placeholder
        person.job_title = ""
        person.about = ""
        person.phases = []
        person.school = None
        person.is_active = False
        person.is_staff = False
        person.is_superuser = False
        person.last_login = None
        person.erased_at = timezone.now()
        person.set_unusable_password()
        # A full save: the sign-off signal closes their live sockets once committed, and the
        # search signals re-index what they wrote under the new name.
        person.save()
        person.subjects_taught.clear()
        person.groups.clear()
        person.user_permissions.clear()
        _end_sessions(person)

        audit_record(
            action=AuditEntry.Action.PERSON_ERASED,
            actor=by,
            subject_id=person.pk,
            detail={"threads_kept": len(threads), "resources_kept": len(resources)},
        )
        _reindex(threads, resources)
        transaction.on_commit(_clear_caches)
    return person
