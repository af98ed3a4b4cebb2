"""@mentions in posts: who a post names, kept as Mention rows, and shown as links to profiles."""

import re
from collections.abc import Callable, Iterable
from html import escape
from html.parser import HTMLParser

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.urls import reverse

from forums.models import Mention, Post
from resources.markdown import render_notes

# `@hannah.whitlock` (the part of the email before the @) or the whole address when two
# colleagues share it. Not preceded by a word character, so email addresses are not mentions.
MENTION_PATTERN = re.compile(
    r"(?<![\w.@/])@([A-Za-z0-9._+-]+(?:@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)?)"
)
MAX_MENTIONS = 20
AUTOCOMPLETE_LIMIT = 8
AUTOCOMPLETE_MIN_LENGTH = 2

# Text inside these is code, already a link, or never shown: never a mention, never a card.
LITERAL_TAGS = frozenset({"code", "pre", "a", "script", "style", "template", "textarea"})


class _PostHtml(HTMLParser):
    """Walks post HTML, passing text outside code and links to `on_text`, which answers the
    HTML to put in its place. Input is our own Markdown or sanitiser output, so tags are
    copied as they came and only text is rewritten (and escaped again)."""

    def __init__(self, on_text: Callable[[str], str]) -> None:
        super().__init__(convert_charrefs=True)
        self.on_text = on_text
        self.literal_depth = 0
        self.hrefs: list[str] = []
        self.out: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.out.append(self.get_starttag_text() or "")
        if tag == "a":
            self.hrefs.extend(value for name, value in attrs if name == "href" and value)
        if tag in LITERAL_TAGS:
            self.literal_depth += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.out.append(self.get_starttag_text() or "")

    def handle_endtag(self, tag: str) -> None:
        self.out.append(f"</{tag}>")
        if tag in LITERAL_TAGS and self.literal_depth:
            self.literal_depth -= 1

    def handle_data(self, data: str) -> None:
        if self.literal_depth:
            self.out.append(escape(data, quote=False))
        else:
            self.out.append(self.on_text(data))


def walk_html(html: str, on_text: Callable[[str], str]) -> tuple[str, list[str]]:
    """The HTML with its plain text (outside code and links) rewritten, and its links' hrefs."""
    walker = _PostHtml(on_text)
    walker.feed(html)
    walker.close()
    return "".join(walker.out), walker.hrefs


def _handle_of(match: re.Match) -> tuple[str, str]:
    """The handle a match names, and the trailing full stops that end the sentence instead."""
    raw = match.group(1)
    handle = raw.rstrip(".")
    return handle.lower(), raw[len(handle) :]


def handles_in(body: str) -> list[str]:
    """The handles the body's Markdown mentions, in order, ignoring any in code or links.
    Read from the sanitised HTML, as the links are, so who is linked is who is recorded."""
    return handles_in_html(render_notes(body))


def people_by_handle(handles: Iterable[str]) -> dict:
    """Active people by the handle naming them, in one query. A local part shared by two
    people names no one (they need the full address)."""
    handles = list(dict.fromkeys(handle.lower() for handle in handles if handle))[:MAX_MENTIONS]
    if not handles:
        return {}
    wanted = Q()
    for handle in handles:
        wanted |= Q(email__iexact=handle) if "@" in handle else Q(email__istartswith=f"{handle}@")
    people = list(get_user_model().objects.filter(wanted, is_active=True))
    named = {}
    for handle in handles:
        if "@" in handle:
            matches = [person for person in people if person.email.lower() == handle]
        else:
            matches = [person for person in people if person.email.lower().startswith(f"{handle}@")]
        if len(matches) == 1:
            named[handle] = matches[0]
    return named


def people_named(handles: list[str]) -> list:
    """Active people a list of handles names; a local part shared by two people names no one."""
    named = people_by_handle(handles)
    people: list = []
    for handle in handles:
        person = named.get(handle.lower())
        if person is not None and person not in people:
            people.append(person)
    return people


def handles_in_html(html: str) -> list[str]:
    handles: list[str] = []

    def collect(text: str) -> str:
        for match in MENTION_PATTERN.finditer(text):
            handle, _ = _handle_of(match)
            if handle and handle not in handles:
                handles.append(handle)
        return ""

    walk_html(html, collect)
    return handles[:MAX_MENTIONS]


def link_mentions(html: str) -> str:
    """Sanitised post HTML with each mention of an active colleague made a link to their
    profile showing their name. Runs after sanitising, so the allow-list stays as it is:
    the only markup added is ours, with the name escaped."""
    named = people_by_handle(handles_in_html(html))
    if not named:
        return html

    def link(text: str) -> str:
        pieces: list[str] = []
        last = 0
        for match in MENTION_PATTERN.finditer(text):
            handle, tail = _handle_of(match)
            person = named.get(handle)
            if person is None:
                continue
            pieces.append(escape(text[last : match.start()], quote=False))
            url = reverse("people:profile", kwargs={"pk": person.pk})
            pieces.append(f'<a href="{url}" class="mention">@{escape(person.name)}</a>{tail}')
            last = match.end()
        pieces.append(escape(text[last:], quote=False))
        return "".join(pieces)

    linked, _ = walk_html(html, link)
    return linked


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


def handle_for(person, shared_local_parts: set[str]) -> str | None:
    """What to type to mention the person: the local part of their email, or the whole
    address when a colleague shares it; None when no handle can name them."""
    email = person.email.lower()
    local = email.split("@", 1)[0]
    handle = email if local in shared_local_parts else local
    match = MENTION_PATTERN.fullmatch(f"@{handle}")
    if match is None or match.group(1) != handle or handle.endswith("."):
        return None
    return handle


def colleagues_matching(query: str) -> list[dict]:
    """Up to eight active colleagues whose name or email matches every word typed, each with
    the handle that names them. Two queries, however many match."""
    words = (query or "").strip().lstrip("@").split()
    if len("".join(words)) < AUTOCOMPLETE_MIN_LENGTH:
        return []
    people = get_user_model().objects.filter(is_active=True).select_related("school")
    for word in words[:5]:
        people = people.filter(
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(display_name__icontains=word)
            | Q(email__istartswith=word)
        )
    found = list(people.order_by("last_name", "first_name", "pk")[:AUTOCOMPLETE_LIMIT])
    if not found:
        return []
    locals_ = {person.email.lower().split("@", 1)[0] for person in found}
    same_local = Q()
    for local in locals_:
        same_local |= Q(email__istartswith=f"{local}@")
    counts: dict[str, int] = {}
    for email in (
        get_user_model().objects.filter(same_local, is_active=True).values_list("email", flat=True)
    ):
        local = email.lower().split("@", 1)[0]
        counts[local] = counts.get(local, 0) + 1
    shared = {local for local, count in counts.items() if count > 1}
    results = []
    for person in found:
        handle = handle_for(person, shared)
        if handle is None:
            continue
        results.append(
            {
                "id": person.pk,
                "name": person.name,
                "handle": handle,
                "school": person.school.name if person.school else "",
                "job_title": person.job_title,
            }
        )
    return results
