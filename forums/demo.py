"""Demo conversations for the fictional trust: trust-wide forums, network forums, a resource
discussion and a principle consultation, spread over the last fortnight.

Deterministic and idempotent: run again, it adds nothing. Posts are written directly (not
through the services) so the demo can backdate them and is not slowed by the posting rate
limit, but each is rendered, revisioned, followed and read-marked exactly as the services do.
"""

import random
from dataclasses import dataclass, field
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone

from cms.models import PrinciplePage
from forums import mentions
from forums.discussions import TITLE_MAX_LENGTH, consultation_forum
from forums.models import Forum, Notification, Post, Reaction, Thread, ThreadFollow, ThreadRead
from forums.selectors import post_address
from forums.services import forum_for_network, render_post_body
from networks.models import Membership, Network
from people import demo as people_demo
from resources.models import Resource

SEED = 2026


@dataclass(frozen=True)
class DemoThread:
    # A trust-wide forum's slug, "network:<network slug>", or "discussion:resource" or
    # "discussion:principle" (the discussion of a demo resource, endorsed if any is, or the
    # consultation on the first principle; the thread takes its title).
    forum: str
    title: str
    # (who, text): who is "teacher", "editor", "admin", "lead" or "member" (someone from the
    # forum's network, or anyone for trust-wide forums).
    posts: list[tuple[str, str]]
    anonymous: bool = False
    pinned: bool = False
    days_ago: int = 3
    reactions: list[str] = field(default_factory=list)


CONVERSATIONS = [
    DemoThread(
        "announcements",
        "Staff conference 2027: save the date",
        [
            ("editor", "Our trust conference returns on **Friday 2 July 2027** at Ashford Hall. "
             "Workshops are led by colleagues from every school; proposals open in January."),
            ("member", "Brilliant. Will there be an Early Years strand this year?"),
            ("editor", "Yes: two Early Years workshops and one on transition into Year 1."),
        ],
        pinned=True,
        days_ago=12,
        reactions=["thanks", "celebrate"],
    ),
    DemoThread(
        "staff-voice",
        "Could report writing move to the spring term?",
        [
            ("member", "Writing every report in the same three weeks as mock exams is hard. "
             "Could the trust stagger report deadlines across schools and terms?"),
            ("member", "Agreed. Even a week's gap between mocks and reports would help."),
            ("member", "In our school we trialled shorter, comment-bank reports last year: "
             "parents said they preferred them."),
        ],
        anonymous=True,
        days_ago=9,
        reactions=["agree", "agree", "helpful"],
    ),
    DemoThread(
        "wellbeing",
        "Making marking manageable",
        [
            ("teacher", "How do you keep marking under control in a full week?"),
            ("member", "Whole-class feedback sheets. One sheet per class, **every** time."),
            ("member", "Live marking during the lesson: I mark while they work and it halves "
             "what goes home."),
            ("teacher", "Thank you both: I'm trying the feedback sheets with Year 4 next week."),
        ],
        days_ago=6,
        reactions=["helpful", "thanks"],
    ),
    DemoThread(
        "shared-focus",
        "Climate and sustainability: ideas for the spring term",
        [
            ("editor", "This year's shared focus is climate and sustainability. What are you "
             "planning for the spring term? Every subject counts."),
            ("member", "Year 8 geography is mapping flood risk in the Medway valley with the "
             "Environment Agency's open data."),
            ("member", "Our Reception class is growing beans and keeping a weather diary."),
        ],
        days_ago=5,
    ),
    DemoThread(
        "network:maths",
        "Fractions from Year 3 to Year 7: one model all the way?",
        [
            ("lead", "Our Year 7 teachers see pupils arrive with three different fraction "
             "models. Could we agree bar models from Year 3 onwards?"),
            ("member", "We use bar models from Year 2 already, so that would suit us."),
            ("member", "Worth adding number lines alongside: they carry on into negative numbers."),
            ("lead", "Good point. I'll draft a one-page progression and share it here."),
        ],
        days_ago=4,
        reactions=["agree", "helpful"],
    ),
    DemoThread(
        "network:english",
        "Phonics catch-up in Year 3",
        [
            ("lead", "Which phonics catch-up programme are you using for Year 3 pupils who "
             "did not pass the screening check?"),
            ("member", "Daily 15-minute keep-up sessions from the same scheme as Key Stage 1; "
             "the continuity matters more than the programme."),
        ],
        days_ago=3,
    ),
    DemoThread(
        "network:early-years",
        "Continuous provision in the outdoor area in winter",
        [
            ("lead", "How are you keeping the outdoor area purposeful when it is dark by four?"),
            ("member", "Torches and shadow puppets! The children love the early darkness."),
            ("member", "We added a mud kitchen under the canopy: it's busy in every weather."),
        ],
        days_ago=2,
        reactions=["celebrate"],
    ),
    DemoThread(
        "network:send-and-inclusion",
        "Adaptive teaching: sharing one-page profiles between schools",
        [
            ("lead", "When pupils move from our primaries to the secondary, one-page profiles "
             "get lost. Could we agree one format and hand them over in June?"),
            ("member", "Yes please. A shared template would also help supply staff."),
        ],
        days_ago=2,
    ),
    DemoThread(
        "wellbeing",
        "Walking group after school on Wednesdays",
        [
            ("member", "A few of us walk the Greensand Way on Wednesdays at 4pm. All welcome, "
             "any pace. @hannah.whitlock, you mentioned you might come?"),
            ("teacher", "I'd love to: see you at the gate next Wednesday."),
            ("member", "Great! Bring a torch, it gets dark quickly now."),
        ],
        days_ago=1,
    ),
    DemoThread(
        "discussion:resource",
        "",
        [
            ("member", "Used this with my Year 5s this week. The worked examples at the start "
             "made all the difference for the ones who were stuck."),
            ("lead", "Thank you for saying so. If you adapted it for your class, do share the "
             "adaptation so other schools can see it."),
        ],
        days_ago=4,
        reactions=["thanks"],
    ),
    DemoThread(
        "discussion:principle",
        "",
        [
            ("member", "This principle reads well. Could it say more about how we involve "
             "support staff, not just teachers?"),
            ("member", "Agreed: our teaching assistants know the pupils best and should be "
             "named here."),
            ("editor", "Thank you both. We will bring this to the trust board in the spring "
             "and reply here with the revised wording."),
        ],
        days_ago=6,
        reactions=["agree"],
    ),
]  # fmt: skip


def seed_demo_forums() -> dict[str, int]:
    """Add the demo conversations once; answers how many threads and posts were added."""
    if Thread.objects.filter(title=CONVERSATIONS[0].title).exists():
        return {"threads_created": 0, "posts_created": 0}
    people = _people()
    if people is None:
        return {"threads_created": 0, "posts_created": 0}
    rng = random.Random(SEED)
    now = timezone.now()
    threads = posts = 0
    with transaction.atomic():
        for conversation in CONVERSATIONS:
            place = _place(conversation)
            if place is None:
                continue
            forum, title, link = place
            posts += _write(conversation, forum, people, rng, now, title=title, link=link)
            threads += 1
    return {"threads_created": threads, "posts_created": posts}


def _people() -> dict | None:
    Person = get_user_model()
    named = {
        "teacher": Person.objects.filter(email=people_demo.TEACHER_EMAIL).first(),
        "editor": Person.objects.filter(email=people_demo.EDITOR_EMAIL).first(),
        "admin": Person.objects.filter(email=people_demo.ADMIN_EMAIL).first(),
    }
    if any(person is None for person in named.values()):
        return None
    everyone = list(
        Person.objects.filter(is_active=True).exclude(pk__in=[p.pk for p in named.values()])
    )
    named["everyone"] = everyone[:200]
    return named


def _place(conversation: DemoThread) -> tuple[Forum, str, dict] | None:
    """Where the conversation goes: its forum, its title and what its thread discusses."""
    if conversation.forum == "discussion:resource":
        resource = (
            Resource.objects.filter(
                status=Resource.Status.PUBLISHED,
                scope=Resource.Scope.TRUST,
                network__visibility=Network.Visibility.OPEN,
            )
            .select_related("network")
            .order_by(F("endorsed_at").desc(nulls_last=True), "pk")
            .first()
        )
        if resource is None or Thread.objects.filter(resource=resource).exists():
            return None
        forum = forum_for_network(network=resource.network)
        return forum, resource.title[:TITLE_MAX_LENGTH], {"resource": resource}
    if conversation.forum == "discussion:principle":
        page = PrinciplePage.objects.live().order_by("path").first()
        forum = consultation_forum()
        if page is None or forum is None or Thread.objects.filter(page=page).exists():
            return None
        return forum, page.title[:TITLE_MAX_LENGTH], {"page": page}
    forum = _forum(conversation.forum)
    return None if forum is None else (forum, conversation.title, {})


def _forum(key: str) -> Forum | None:
    if key.startswith("network:"):
        network = Network.objects.filter(slug=key.removeprefix("network:")).first()
        return forum_for_network(network=network) if network else None
    return Forum.objects.filter(slug=key).first()


def _voices(forum: Forum, people: dict) -> tuple[list, list]:
    """(leads, members) who may write in the forum."""
    if forum.network_id is None:
        return [people["editor"]], people["everyone"]
    memberships = Membership.objects.filter(network_id=forum.network_id).select_related("person")
    leads = [m.person for m in memberships if m.role == Membership.Role.LEAD]
    members = [m.person for m in memberships if m.role == Membership.Role.MEMBER]
    return leads or [people["editor"]], members or people["everyone"]


def _write(
    conversation: DemoThread, forum: Forum, people: dict, rng, now, *, title: str, link: dict
) -> int:
    leads, members = _voices(forum, people)
    lead = rng.choice(leads)
    speakers = rng.sample(members, k=min(len(members), len(conversation.posts)))
    start = now - timedelta(days=conversation.days_ago, hours=rng.randint(1, 8))

    def author_for(who: str, index: int):
        if who in ("teacher", "editor", "admin"):
            return people[who]
        if who == "lead":
            return lead
        return speakers[index % len(speakers)]

    first_author = author_for(conversation.posts[0][0], 0)
    thread = Thread.objects.create(
        forum=forum,
        title=title,
        **link,
        author=first_author,
        created_at=start,
        last_activity_at=start,
        pinned=conversation.pinned,
        is_anonymous=conversation.anonymous,
    )
    made: list[Post] = []
    when = start
    for index, (who, text) in enumerate(conversation.posts):
        author = author_for(who, index)
        post = Post.objects.create(
            thread=thread,
            author=author,
            body=text,
            body_html=render_post_body(text),
            is_anonymous=conversation.anonymous,
            created_at=when,
            revision=index + 1,
        )
        made.append(post)
        ThreadFollow.objects.get_or_create(person=author, thread=thread)
        ThreadRead.objects.update_or_create(
            person=author, thread=thread, defaults={"last_read_post_id": post.pk}
        )
        for person in mentions.record_mentions(post):
            ThreadFollow.objects.get_or_create(person=person, thread=thread)
            Notification.objects.create(
                recipient=person,
                kind=Notification.Kind.MENTION,
                actor=None if post.is_anonymous else author,
                thread=thread,
                post=post,
                text=f"{'Someone' if post.is_anonymous else author.name} mentioned you "
                f"in “{thread.title}”",
                url=post_address(post),
                created_at=when,
            )
        when += timedelta(minutes=rng.randint(12, 300))
    Thread.objects.filter(pk=thread.pk).update(
        last_activity_at=made[-1].created_at,
        reply_count=len(made) - 1,
        revision=Post.objects.filter(thread=thread).aggregate(top=Max("revision"))["top"],
    )
    reactors = [p for p in members if p.pk != made[0].author_id][:20]
    Reaction.objects.bulk_create(
        [
            Reaction(post=made[0], person=person, kind=kind)
            for kind in set(conversation.reactions)
            for person in rng.sample(reactors, k=min(len(reactors), rng.randint(2, 7)))
        ],
        ignore_conflicts=True,
    )
    return len(made)
