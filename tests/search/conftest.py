"""A small believable trust to search, shared by the search suites."""

import datetime
from dataclasses import dataclass, field

import pytest
from django.utils import timezone

from cms.models import NewsPage, PrinciplePage
from forums.models import Thread
from networks.models import Network
from people.models import Person, School
from resources.models import Resource
from search.records import STAFF, SearchRecord, all_records
from tests.cms.factories import (
    NewsIndexPageFactory,
    NewsPageFactory,
    PrincipleIndexPageFactory,
    PrinciplePageFactory,
)
from tests.factories import PersonFactory
from tests.forums.factories import ForumFactory, PostFactory, ThreadFactory
from tests.networks.factories import MembershipFactory, NetworkFactory
from tests.resources.factories import ResourceFactory
from tests.search.elasticsearch_fixtures import (  # noqa: F401  (fixtures for every search suite)
    elasticsearch_backend,
    elasticsearch_server,
)


def staff_resource(pk: int, title: str, **fields) -> SearchRecord:
    """A resource's record that every member of staff may see (other fields as given)."""
    fields.setdefault("audience", (STAFF,))
    return SearchRecord(kind="resource", pk=pk, title=title, url=f"/r/{pk}/", **fields)


def days_ago(days: int) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=days)


@dataclass
class Trust:
    oakfield: School
    riverside: School
    maths: Network
    science: Network
    english: Network
    inclusion: Network  # private
    continuum: PrinciplePage
    news: NewsPage
    resources: dict[str, Resource]
    threads: dict[str, Thread]
    member: Person  # of the private inclusion network
    author: Person  # wrote the network-only resource
    records: list[SearchRecord] = field(default_factory=list)

    def records_now(self) -> list[SearchRecord]:
        self.records = list(all_records())
        return self.records


@pytest.fixture
def trust(db, primary_teacher, secondary_maths_lead, central_team_editor) -> Trust:
    oakfield = primary_teacher.school
    riverside = secondary_maths_lead.school
    maths = NetworkFactory(name="Primary maths", subject="Mathematics")
    science = NetworkFactory(name="Science", subject="Science")
    english = NetworkFactory(name="English and phonics", subject="English")
    inclusion = NetworkFactory(name="Inclusion leads", subject="SEND", private=True)
    member = PersonFactory(first_name="Grace", last_name="Mensah", school=oakfield)
    MembershipFactory(network=inclusion, person=member)
    author = PersonFactory(first_name="Owen", last_name="Hughes", school=oakfield)
    continuum = PrinciplePageFactory(
        parent=PrincipleIndexPageFactory(),
        title="The curriculum is one continuum",
        summary="Pupils build on what they learnt in the phase before.",
    )
    news = NewsPageFactory(
        parent=NewsIndexPageFactory(),
        title="Year 6 transition day",
        intro="Year 6 pupils visit their secondary schools in July.",
    )

    def resource(**fields) -> Resource:
        fields.setdefault("author", primary_teacher)
        fields.setdefault("school", fields["author"].school)
        principles = fields.pop("principles", [])
        tags = fields.pop("tags", [])
        made = ResourceFactory(**fields)
        made.principles.set(principles)
        made.tags.set(tags)
        return made

    resources = {
        "fractions": resource(
            title="Fractions of amounts",
            summary="Finding unit and non-unit fractions of amounts, with worked examples.",
            network=maths,
            year_groups=["y4"],
            resource_type=Resource.Type.WORKSHEET,
            endorsed_at=days_ago(10),
            endorsed_by=secondary_maths_lead,
            download_count=40,
            published_at=days_ago(60),
            principles=[continuum],
        ),
        "fraction_wall": resource(
            title="Equivalent fraction wall",
            summary="A slide deck for comparing fractions on a fraction wall.",
            network=maths,
            year_groups=["y3", "y4"],
            resource_type=Resource.Type.SLIDE_DECK,
            download_count=5,
            published_at=days_ago(20),
        ),
        "division": resource(
            title="Long division practice",
            summary="Short and long division with remainders.",
            notes="Pupils who are secure can move on to dividing fractions by whole numbers.",
            network=maths,
            year_groups=["y6"],
            resource_type=Resource.Type.WORKSHEET,
            download_count=12,
            published_at=days_ago(5),
        ),
        "sats": resource(
            title="SATs reasoning revision",
            summary="Mathematics reasoning questions in the style of the papers.",
            network=maths,
            year_groups=["y6"],
            resource_type=Resource.Type.ASSESSMENT,
            download_count=80,
            published_at=days_ago(200),
            principles=[continuum],
        ),
        "algebra": resource(
            title="Maths algebra starters",
            summary="Ten-minute starters on expressions and equations.",
            author=secondary_maths_lead,
            network=maths,
            year_groups=["y8", "y9"],
            resource_type=Resource.Type.WORKSHEET,
            download_count=12,
            published_at=days_ago(30),
        ),
        "photosynthesis": resource(
            title="Photosynthesis knowledge organiser",
            summary="Leaves, light and the word equation for photosynthesis.",
            author=secondary_maths_lead,
            network=science,
            year_groups=["y7"],
            resource_type=Resource.Type.KNOWLEDGE_ORGANISER,
            shared_focus=True,
            download_count=3,
            published_at=days_ago(400),
            tags=["plants", "biology"],
        ),
        "persuasive": resource(
            title='<script>alert("x")</script> Persuasive writing',
            summary="Letters that persuade: <b>bold</b> claims & evidence.",
            notes="Persuasive <img src=x onerror=alert(1)> techniques for pupils.",
            network=english,
            year_groups=["y5"],
            resource_type=Resource.Type.LESSON_PLAN,
            published_at=days_ago(90),
        ),
        "toolkit": resource(
            title="Special educational needs toolkit",
            summary="Adapting lessons so that every pupil can take part.",
            network=english,
            year_groups=["y1", "y2"],
            resource_type=Resource.Type.SCHEME_OF_WORK,
            published_at=days_ago(15),
        ),
        "private_phonics": resource(
            title="Phonics catch-up for SEND pupils",
            author=member,
            summary="Small-group phonics sessions for pupils with speech and language needs.",
            network=inclusion,
            year_groups=["reception", "y1"],
            resource_type=Resource.Type.LESSON_PLAN,
            published_at=days_ago(8),
        ),
        "network_only": resource(
            title="Times tables intervention plan",
            summary="Our intervention for times tables, shared with network members only.",
            author=author,
            network=maths,
            network_only=True,
            year_groups=["y5"],
            resource_type=Resource.Type.LESSON_PLAN,
            published_at=days_ago(3),
        ),
        "draft": resource(
            title="Fractions draft never published",
            network=maths,
            draft=True,
        ),
    }
    open_forum = ForumFactory(name="Staff voice", slug="staff-voice")
    moderation = ThreadFactory(forum=open_forum, title="Writing moderation dates")
    PostFactory(thread=moderation, body="Moderation for key stage 2 writing is on 4 March.")
    PostFactory(thread=moderation, body="Thanks, we will bring three books per pupil.")
    private_forum = ForumFactory(network=inclusion)
    private = ThreadFactory(forum=private_forum, title="Phonics screening access arrangements")
    PostFactory(thread=private, body="Which phonics screening adaptations do you use?")
    made = Trust(
        oakfield=oakfield,
        riverside=riverside,
        maths=maths,
        science=science,
        english=english,
        inclusion=inclusion,
        continuum=continuum,
        news=news,
        resources=resources,
        threads={"moderation": moderation, "private": private},
        member=member,
        author=author,
    )
    made.records_now()
    return made
