"""Every change to resources, bookmarks and collections. Each function owns its transaction,
so a refusal or a failure leaves nothing half-saved."""

import unicodedata
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from networks.curriculum import KEY_STAGE_OF_YEAR, KeyStage, YearGroup, years_in
from networks.models import Network, Subject
from resources.markdown import render_notes
from resources.models import Collection, FileVersion, Resource, ResourceFile
from resources.permissions import (
    can_edit_resource,
    can_endorse_resource,
    can_share_in,
    can_view_resource,
)

EDITABLE_FIELDS = [
    "title",
    "summary",
    "notes",
    "network",
    "subject",
    "year_groups",
    "resource_type",
    "link_url",
    "shared_focus",
    "send_notes",
    "scope",
    "licence",
]


def _year_groups_checked(year_groups: Iterable[str], key_stages: Iterable[str]) -> list[str]:
    """The year groups to store. Key stages are only a convenience of the form: on their own
    they stand for all their years; beside year groups they must agree with them."""
    years = list(dict.fromkeys(year_groups or []))
    stages = list(dict.fromkeys(key_stages or []))
    if unknown := set(stages) - set(KeyStage.values):
        raise ValidationError({"year_groups": f"Unknown key stage: {', '.join(sorted(unknown))}."})
    if unknown := set(years) - set(YearGroup.values):
        raise ValidationError({"year_groups": f"Unknown year group: {', '.join(sorted(unknown))}."})
    if not stages:
        return years
    if not years:
        return [year for stage in stages for year in years_in(stage)]
    outside = [year for year in years if KEY_STAGE_OF_YEAR[year] not in stages]
    empty = [stage for stage in stages if not set(years_in(stage)) & set(years)]
    if outside or empty:
        problems = [f"{YearGroup(year).label} is not in the key stages chosen" for year in outside]
        problems += [f"no year group chosen is in {KeyStage(stage).label}" for stage in empty]
        raise ValidationError(
            {
                "year_groups": "The year groups and key stages disagree: "
                + "; ".join(problems)
                + ". Choose year groups within the key stages, or clear the key stages."
            }
        )
    return years


def _clean_link(link_url: str) -> str:
    link_url = (link_url or "").strip()
    if link_url and not link_url.lower().startswith(("https://", "http://")):
        # Said plainly, because a javascript: or data: link would run in a colleague's browser.
        raise ValidationError(
            {
                "link_url": "Links must start with https:// or http://; other kinds of link "
                "(such as javascript: or data:) are not allowed."
            }
        )
    return link_url


def _full_clean(resource: Resource) -> None:
    resource.full_clean(exclude=["slug", "author", "school", "adapted_from", "endorsed_by"])


@transaction.atomic
def resource_create(
    *,
    author,
    network: Network,
    title: str,
    year_groups: Iterable[str],
    resource_type: str,
    key_stages: Iterable[str] = (),
    summary: str = "",
    notes: str = "",
    subject: Subject | None = None,
    link_url: str = "",
    tags: Iterable[str] = (),
    principles: Iterable = (),
    shared_focus: bool = False,
    send_notes: str = "",
    scope: str = Resource.Scope.TRUST,
    licence: str = Resource.Licence.TRUST,
    publish: bool = False,
) -> Resource:
    """Share a resource in a network, as a draft or published straight away."""
    if not can_share_in(author, network):
        raise PermissionDenied("Join the network before sharing resources in it.")
    resource = Resource(
        author=author,
        school=getattr(author, "school", None),
        network=network,
        title=(title or "").strip(),
        summary=(summary or "").strip(),
        notes=notes or "",
        subject=subject if subject is not None else network.subject,
        year_groups=_year_groups_checked(year_groups, key_stages),
        resource_type=resource_type,
        link_url=_clean_link(link_url),
        shared_focus=shared_focus,
        send_notes=send_notes or "",
        scope=scope,
        licence=licence,
        status=Resource.Status.PUBLISHED if publish else Resource.Status.DRAFT,
    )
    _full_clean(resource)
    resource.notes_html = render_notes(resource.notes)
    if publish:
        resource.published_at = timezone.now()
    resource.save()
    resource.tags.set(_tag_names(tags))
    resource.principles.set(list(principles))
    return resource


def _tag_names(tags: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(tag.strip()[:100] for tag in tags if tag and tag.strip()))


@transaction.atomic
def resource_update(
    *,
    resource: Resource,
    editor,
    key_stages: Iterable[str] = (),
    tags: Iterable[str] | None = None,
    principles: Iterable | None = None,
    **fields,
) -> Resource:
    """Change a resource's details. Only the fields given change."""
    if not can_edit_resource(editor, resource):
        raise PermissionDenied(
            "Only the author, the network's leads or the central team can edit this."
        )
    if unknown := set(fields) - set(EDITABLE_FIELDS):
        raise TypeError(f"Not editable: {', '.join(sorted(unknown))}")
    if "network" in fields and fields["network"] != resource.network:
        if not can_share_in(editor, fields["network"]):
            raise PermissionDenied("Join the network before moving resources into it.")
    if "subject" in fields and fields["subject"] is None:
        # "The network's subject", as when the resource was shared.
        fields["subject"] = fields.get("network", resource.network).subject
    years = fields.pop("year_groups", resource.year_groups)
    fields["year_groups"] = _year_groups_checked(years, key_stages)
    if "link_url" in fields:
        fields["link_url"] = _clean_link(fields["link_url"])
    if "title" in fields:
        fields["title"] = (fields["title"] or "").strip()
    original = Resource.objects.get(pk=resource.pk)
    for name, value in fields.items():
        setattr(resource, name, value)
    try:
        _full_clean(resource)
    except ValidationError:
        # Put the object back as it was, so a refused change never shows on the page.
        for name in fields:
            setattr(resource, name, getattr(original, name))
        raise
    resource.notes_html = render_notes(resource.notes)
    resource.save()
    if tags is not None:
        resource.tags.set(_tag_names(tags))
    if principles is not None:
        resource.principles.set(list(principles))
    return resource


@transaction.atomic
def resource_publish(*, resource: Resource, person) -> Resource:
    if not can_edit_resource(person, resource):
        raise PermissionDenied(
            "Only the author, the network's leads or the central team can publish this."
        )
    _full_clean(resource)
    resource.status = Resource.Status.PUBLISHED
    resource.published_at = resource.published_at or timezone.now()
    resource.save(update_fields=["status", "published_at", "updated_at"])
    return resource


@transaction.atomic
def resource_archive(*, resource: Resource, person) -> Resource:
    if not can_edit_resource(person, resource):
        raise PermissionDenied(
            "Only the author, the network's leads or the central team can archive this."
        )
    resource.status = Resource.Status.ARCHIVED
    resource.save(update_fields=["status", "updated_at"])
    return resource


@transaction.atomic
def resource_adapt(*, resource: Resource, person) -> Resource:
    """Copy a published resource into the person's school as a new draft that credits its
    source. Files are not copied on disk: the new versions point at the same stored blobs."""
    if not can_view_resource(person, resource) or resource.status != Resource.Status.PUBLISHED:
        raise PermissionDenied("Only published resources you can see can be adapted.")
    adaptation = Resource.objects.create(
        title=resource.title,
        summary=resource.summary,
        notes=resource.notes,
        notes_html=resource.notes_html,
        network=resource.network,
        subject=resource.subject,
        year_groups=list(resource.year_groups),
        resource_type=resource.resource_type,
        link_url=resource.link_url,
        shared_focus=resource.shared_focus,
        send_notes=resource.send_notes,
        scope=resource.scope,
        licence=resource.licence,
        author=person,
        school=getattr(person, "school", None),
        status=Resource.Status.DRAFT,
        adapted_from=resource,
    )
    adaptation.tags.set(list(resource.tags.names()))
    adaptation.principles.set(list(resource.principles.all()))
    source_files = ResourceFile.objects.filter(
        resource=resource, current__isnull=False
    ).select_related("current")
    for source in source_files:
        version = source.current
        copy = ResourceFile.objects.create(resource=adaptation, title=source.title)
        copy.current = FileVersion.objects.create(
            file=copy,
            number=1,
            blob=version.blob.name,
            original_name=version.original_name,
            size=version.size,
            sha256=version.sha256,
            content_type=version.content_type,
            change_note=f"Adapted from version {version.number} of “{resource.title}”.",
            uploaded_by=person,
            extracted_text=version.extracted_text,
            extraction=version.extraction,
            extraction_notice=version.extraction_notice,
        )
        copy.save(update_fields=["current"])
    return adaptation


@transaction.atomic
def resource_endorse(*, resource: Resource, person) -> Resource:
    """Recommend a published resource on behalf of its network."""
    from resources.signals import resource_endorsed

    if not can_endorse_resource(person, resource):
        raise PermissionDenied("Only the network's leads can recommend its published resources.")
    already = Resource.objects.filter(pk=resource.pk, endorsed_at__isnull=False).exists()
    resource.endorsed_by = person
    resource.endorsed_at = timezone.now()
    resource.save(update_fields=["endorsed_by", "endorsed_at", "updated_at"])
    if not already:  # a second click is not a second recommendation
        transaction.on_commit(
            lambda: resource_endorsed.send(sender=Resource, resource=resource, endorser=person)
        )
    return resource


@transaction.atomic
def resource_unendorse(*, resource: Resource, person) -> Resource:
    if not can_endorse_resource(person, resource):
        raise PermissionDenied("Only the network's leads can withdraw a recommendation.")
    resource.endorsed_by = None
    resource.endorsed_at = None
    resource.save(update_fields=["endorsed_by", "endorsed_at", "updated_at"])
    return resource


def bookmark_toggle(*, person, resource: Resource) -> bool:
    """Bookmark the resource, or remove the bookmark. Answers whether it is now bookmarked."""
    if not can_view_resource(person, resource):
        raise PermissionDenied("You cannot bookmark a resource you cannot see.")
    with transaction.atomic():
        deleted, _ = person.bookmarks.filter(resource=resource).delete()
        if deleted:
            return False
        try:
            with transaction.atomic():
                person.bookmarks.create(resource=resource)
        except IntegrityError:
            pass  # a double click got there first; it is bookmarked either way
        return True


def _collection_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError({"name": "Give the collection a name."})
    if len(name) > 120:
        raise ValidationError({"name": "Keep the name to 120 characters or fewer."})
    if any(unicodedata.category(character) == "Cc" for character in name):
        # The new-collection box posts straight here, not through a form field that would
        # refuse them; PostgreSQL cannot store a NUL at all.
        raise ValidationError({"name": "Collection names cannot hold control characters."})
    return name


@transaction.atomic
def collection_create(*, owner, name: str) -> Collection:
    name = _collection_name(name)
    if Collection.objects.filter(owner=owner, name__iexact=name).exists():
        raise ValidationError({"name": f"You already have a collection called “{name}”."})
    return Collection.objects.create(owner=owner, name=name)


def _check_owner(collection: Collection, person) -> None:
    if collection.owner_id != getattr(person, "pk", None):
        raise PermissionDenied("Only the owner of a collection can change it.")


@transaction.atomic
def collection_add(*, collection: Collection, person, resource: Resource) -> Collection:
    _check_owner(collection, person)
    if not can_view_resource(person, resource):
        raise PermissionDenied("You cannot collect a resource you cannot see.")
    collection.resources.add(resource)
    return collection


@transaction.atomic
def collection_remove(*, collection: Collection, person, resource: Resource) -> Collection:
    _check_owner(collection, person)
    collection.resources.remove(resource)
    return collection
