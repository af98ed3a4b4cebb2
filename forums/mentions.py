"""@mentions in posts: who a post names, kept as Mention rows."""

import re

from django.contrib.auth import get_user_model

from forums.models import Mention, Post

# `@hannah.whitlock` (the part of the email before the @) or the whole address when two
# colleagues share it. Not preceded by a word character, so email addresses are not mentions.
MENTION_PATTERN = re.compile(
    r"(?<![\w.@/])@([A-Za-z0-9._+-]+(?:@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)?)"
)
MAX_MENTIONS = 20


def handles_in(body: str) -> list[str]:
    handles: list[str] = []
    for match in MENTION_PATTERN.finditer(body or ""):
        handle = match.group(1).rstrip(".").lower()
        if handle and handle not in handles:
            handles.append(handle)
    return handles[:MAX_MENTIONS]


def people_named(handles: list[str]) -> list:
    """Active people a list of handles names; a local part shared by two people names no one."""
    if not handles:
        return []
    people = get_user_model().objects.filter(is_active=True)
    named = []
    for handle in handles:
        if "@" in handle:
            person = people.filter(email__iexact=handle).first()
        else:
            matches = list(people.filter(email__istartswith=f"{handle}@")[:2])
            person = matches[0] if len(matches) == 1 else None
        if person is not None and person not in named:
            named.append(person)
    return named


def record_mentions(post: Post) -> list:
    """Keep the post's Mention rows in step with its text; answers the newly mentioned."""
    named = [
        person for person in people_named(handles_in(post.body)) if person.pk != post.author_id
    ]
    already = set(Mention.objects.filter(post=post).values_list("person_id", flat=True))
    wanted = {person.pk for person in named}
    Mention.objects.filter(post=post).exclude(person_id__in=wanted).delete()
    new = [person for person in named if person.pk not in already]
    Mention.objects.bulk_create([Mention(post=post, person=person) for person in new])
    return new
