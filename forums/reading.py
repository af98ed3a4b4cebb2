"""Reading state in bulk: "Mark all as read" for one forum or every forum a person can read."""

from django.db import transaction
from django.db.models import Max

from forums.models import Forum, Post, ThreadRead
from forums.selectors import readable_forums

BATCH_SIZE = 500


@transaction.atomic
def threads_mark_all_read(*, person, forum: Forum | None = None) -> int:
    """Move the person's read markers to the last visible post of every thread in the forum
    (or in every forum they can read). A handful of queries however many threads there are;
    markers never move backwards. Returns how many threads changed."""
    if not getattr(person, "is_authenticated", False) or not person.is_active:
        return 0
    forums = readable_forums(person)
    if forum is not None:
        forums = forums.filter(pk=forum.pk)
    last_posts = dict(
        Post.objects.filter(
            thread__forum__in=forums, deleted_at__isnull=True, hidden_at__isnull=True
        )
        .values("thread_id")
        .annotate(last=Max("pk"))
        .values_list("thread_id", "last")
    )
    if not last_posts:
        return 0
    markers = {
        marker.thread_id: marker
        for marker in ThreadRead.objects.filter(person=person, thread__forum__in=forums)
    }
    behind = []
    for thread_id, marker in markers.items():
        if marker.last_read_post_id < last_posts.get(thread_id, 0):
            marker.last_read_post_id = last_posts[thread_id]
            behind.append(marker)
    ThreadRead.objects.bulk_update(behind, ["last_read_post_id"], batch_size=BATCH_SIZE)
    new = [
        ThreadRead(person=person, thread_id=thread_id, last_read_post_id=last)
        for thread_id, last in last_posts.items()
        if thread_id not in markers
    ]
    # Another tab may add a marker meanwhile; it then stays as that tab set it.
    ThreadRead.objects.bulk_create(new, batch_size=BATCH_SIZE, ignore_conflicts=True)
    return len(behind) + len(new)
