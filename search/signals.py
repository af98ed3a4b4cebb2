"""Signal receivers that queue search records for re-indexing (connected in SearchConfig.ready).

Signals are the right tool here: indexing is an invalidation hook that the apps below search
must not know about. Each receiver only queues keys; the work happens once, at commit
(search.indexing). Writes that bypass signals (`QuerySet.update`) and change searchable text
call `search.indexing` directly; see resources.extraction.
"""

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save
from wagtail.models import Page
from wagtail.signals import page_published, page_slug_changed, page_unpublished, post_page_move

from cms.models import PrinciplePage
from forums.models import Forum, Post, Thread
from networks.models import Network
from resources.models import FileVersion, Resource, ResourceFile
from search.indexing import page_key, queue_records, record_key
from search.query import RESOURCE, THREAD

# Thread fields whose change alters nothing searchable; saves touching only these are skipped.
THREAD_FIELDS_NOT_SEARCHED = frozenset(
    {"locked", "pinned", "revision", "reply_count", "last_activity_at"}
)


def _resources(ids: Iterable[int]) -> None:
    queue_records(record_key(RESOURCE, pk) for pk in ids)


def _threads(ids: Iterable[int]) -> None:
    queue_records(record_key(THREAD, pk) for pk in ids)


# Resources.


def resource_changed(*, instance: Resource, raw: bool = False, **kwargs) -> None:
    if not raw:
        _resources([instance.pk])


def resource_tags_changed(*, instance, action: str, reverse: bool, pk_set, **kwargs) -> None:
    # Tags are generic (taggit): only resources' tags are searched.
    if action.startswith("post_") and isinstance(instance, Resource):
        _resources([instance.pk])


def tag_renamed(*, instance, raw: bool = False, created: bool = False, **kwargs) -> None:
    if not raw and not created:
        _resources(Resource.objects.filter(tags=instance).values_list("pk", flat=True))


def resource_principles_changed(
    *, instance, action: str, reverse: bool, pk_set: set[int] | None, **kwargs
) -> None:
    if not reverse:
        if action.startswith("post_"):
            _resources([instance.pk])
        return
    # From the principle's side: pk_set names the resources, except when clearing, where
    # they are read before the rows go.
    if action == "pre_clear":
        _resources(instance.resources.values_list("pk", flat=True))
    elif action in ("post_add", "post_remove") and pk_set:
        _resources(pk_set)


def principle_deleting(*, instance: PrinciplePage, **kwargs) -> None:
    # Deleting the page deletes its links to resources without an m2m signal.
    _resources(Resource.objects.filter(principles=instance).values_list("pk", flat=True))


def file_changed(*, instance: ResourceFile, raw: bool = False, **kwargs) -> None:
    if not raw:
        _resources([instance.resource_id])


def file_version_changed(*, instance: FileVersion, raw: bool = False, **kwargs) -> None:
    if raw:
        return
    # While a resource is being deleted its file may already be gone; the file's own and the
    # resource's signals queue it then.
    _resources(
        ResourceFile.objects.filter(pk=instance.file_id).values_list("resource_id", flat=True)
    )


# Networks and forums: who may see a network's resources and threads follows its visibility.


def network_saving(*, instance: Network, raw: bool = False, **kwargs) -> None:
    instance._search_visibility_before = (
        None
        if raw or instance.pk is None
        else Network.objects.filter(pk=instance.pk).values_list("visibility", flat=True).first()
    )


def network_saved(*, instance: Network, created: bool, raw: bool = False, **kwargs) -> None:
    before = getattr(instance, "_search_visibility_before", None)
    if raw or created or before is None or before == instance.visibility:
        return
    _network_content(instance.pk)


def network_deleting(*, instance: Network, **kwargs) -> None:
    # Resources protect their network, and its forum and threads are deleted with it (each
    # thread's own signal queues it); this covers anything left behind.
    _network_content(instance.pk)


def _network_content(network_id: int) -> None:
    _resources(
        Resource.objects.filter(
            network_id=network_id, status=Resource.Status.PUBLISHED
        ).values_list("pk", flat=True)
    )
    _threads(Thread.objects.filter(forum__network_id=network_id).values_list("pk", flat=True))


def forum_changed(*, instance: Forum, created: bool, raw: bool = False, **kwargs) -> None:
    if not raw and not created:
        _threads(instance.threads.values_list("pk", flat=True))


# Threads and posts: a thread's record holds its visible posts.


def thread_saved(
    *, instance: Thread, raw: bool = False, update_fields: frozenset[str] | None = None, **kwargs
) -> None:
    if raw or (update_fields and update_fields <= THREAD_FIELDS_NOT_SEARCHED):
        return
    _threads([instance.pk])


def thread_deleted(*, instance: Thread, **kwargs) -> None:
    _threads([instance.pk])


def post_changed(*, instance: Post, raw: bool = False, **kwargs) -> None:
    # Edits, hiding, restoring and soft deletion all change the thread's searchable text.
    if not raw:
        _threads([instance.thread_id])


# People: records show their author's name.

NAME_FIELDS = frozenset({"first_name", "last_name", "display_name"})


def person_saving(*, instance, raw: bool = False, update_fields=None, **kwargs) -> None:
    # Signing in saves the person too (last_login): no query unless a name may change.
    instance._search_name_before = (
        None
        if raw or instance.pk is None or (update_fields and not update_fields & NAME_FIELDS)
        else type(instance).objects.filter(pk=instance.pk).values_list(*sorted(NAME_FIELDS)).first()
    )


def person_saved(
    *, instance, created: bool, raw: bool = False, update_fields=None, **kwargs
) -> None:
    before = getattr(instance, "_search_name_before", None)
    if raw or created or before is None or (update_fields and not update_fields & NAME_FIELDS):
        return
    if before == tuple(getattr(instance, name) for name in sorted(NAME_FIELDS)):
        return
    _resources(
        Resource.objects.filter(author=instance, status=Resource.Status.PUBLISHED).values_list(
            "pk", flat=True
        )
    )
    _threads(Thread.objects.filter(author=instance).values_list("pk", flat=True))


# Wagtail pages.


def page_changed(*, instance: Page, **kwargs) -> None:
    queue_records([page_key(instance)])


def page_deleted(*, instance, **kwargs) -> None:
    if isinstance(instance, Page):
        queue_records([page_key(instance)])


def page_and_descendants_changed(*, instance: Page, **kwargs) -> None:
    # Moving a page or changing its slug changes the address of everything below it.
    pages = Page.objects.descendant_of(instance, inclusive=True).live()
    queue_records(page_key(page) for page in pages.only("pk", "content_type_id"))


def connect() -> None:
    from taggit.models import Tag

    def on(signal, receiver, sender=None) -> None:
        name = getattr(sender, "__name__", "any")
        signal.connect(receiver, sender=sender, dispatch_uid=f"search:{receiver.__name__}:{name}")

    on(post_save, resource_changed, Resource)
    on(post_delete, resource_changed, Resource)
    on(m2m_changed, resource_tags_changed, Resource.tags.through)
    on(post_save, tag_renamed, Tag)
    on(m2m_changed, resource_principles_changed, Resource.principles.through)
    on(pre_delete, principle_deleting, PrinciplePage)
    on(post_save, file_changed, ResourceFile)
    on(post_delete, file_changed, ResourceFile)
    on(post_save, file_version_changed, FileVersion)
    on(post_delete, file_version_changed, FileVersion)
    on(pre_save, network_saving, Network)
    on(post_save, network_saved, Network)
    on(pre_delete, network_deleting, Network)
    on(post_save, forum_changed, Forum)
    on(post_save, thread_saved, Thread)
    on(post_delete, thread_deleted, Thread)
    on(post_save, post_changed, Post)
    on(pre_save, person_saving, get_user_model())
    on(post_save, person_saved, get_user_model())
    on(post_delete, post_changed, Post)
    on(page_published, page_changed)
    on(page_unpublished, page_changed)
    on(post_delete, page_deleted)
    on(post_page_move, page_and_descendants_changed)
    on(page_slug_changed, page_and_descendants_changed)
