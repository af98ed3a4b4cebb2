"""One small trust for the access matrix: two networks (one open, one private), a persona for
every role, and one of each kind of thing that someone might reach and should not.

Built once per test module; every request runs in a savepoint that is rolled back, so an
allowed write never changes what the next cell sees.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.utils import timezone
from wagtail.models import Site

from cms.models import TrustBranding
from forums import moderation
from forums.discussions import CONSULTATION_FORUM_SLUG
from forums.models import Forum, Notification, Post, Report, Suspension, Thread
from forums.notifications import unsubscribe_token
from networks.models import JoinRequest, Network
from people.models import Person
from people.roles import Role
from resources.files import file_add
from resources.models import Collection, FileVersion, Resource, Strand, Unit
from safeguarding import services as safeguarding
from safeguarding.models import PreservedPost, SafeguardingLead
from tests.cms.factories import PrincipleIndexPageFactory, PrinciplePageFactory
from tests.factories import PersonFactory, moderator, trust_admin
from tests.forums.factories import ForumFactory, PostFactory, ThreadFactory
from tests.networks.factories import JoinRequestFactory, MembershipFactory, NetworkFactory
from tests.resources import filemakers
from tests.resources.factories import CollectionFactory, ResourceFactory

ANONYMOUS = "anonymous"
STAFF = "staff"
MEMBER = "member"
NON_MEMBER = "non_member"
LEAD = "lead"
MODERATOR = "moderator"
CENTRAL = "central"
ADMIN = "admin"
ROLES = (ANONYMOUS, STAFF, MEMBER, NON_MEMBER, LEAD, MODERATOR, CENTRAL, ADMIN)
# The designated safeguarding lead of Sol Staff's school, otherwise plain staff. Not in ROLES,
# which the websocket suite walks (a lead's sockets are a member of staff's); the access
# matrix walks MATRIX_ROLES.
DSL = "dsl"
MATRIX_ROLES = (*ROLES, DSL)


@dataclass
class World:
    people: dict[str, Person]
    open_network: Network
    private_network: Network
    trust_forum: Forum
    anonymous_forum: Forum
    open_thread: Thread
    private_thread: Thread
    open_post: Post
    private_post: Post
    hidden_post: Post
    anonymous_post: Post
    open_resource: Resource
    private_resource: Resource
    draft: Resource
    open_file: FileVersion
    private_file: FileVersion
    private_strand: Strand
    private_unit: Unit
    collection: Collection
    join_request: JoinRequest
    other_lead: Person
    report: Report
    suspension: Suspension
    notification: Notification
    unsubscribe: str
    principle_id: int
    extra: dict = field(default_factory=dict)

    def person(self, role: str) -> Person | None:
        return self.people.get(role)


def build_world() -> World:
    open_network = NetworkFactory(name="Primary mathematics", slug="primary-maths")
    private_network = NetworkFactory(
        name="Designated safeguarding leads", slug="dsl-network", private=True
    )

    member = PersonFactory(first_name="Mina", last_name="Member")
    non_member = PersonFactory(first_name="Nadia", last_name="Outsider")
    lead = PersonFactory(first_name="Leon", last_name="Lead", roles=[Role.NETWORK_LEAD])
    other_lead = PersonFactory(first_name="Lena", last_name="Colead", roles=[Role.NETWORK_LEAD])
    people = {
        STAFF: PersonFactory(first_name="Sol", last_name="Staff"),
        MEMBER: member,
        NON_MEMBER: non_member,
        LEAD: lead,
        MODERATOR: moderator(),
        CENTRAL: PersonFactory(
            first_name="Cara", last_name="Central", school=None, roles=[Role.CENTRAL_TEAM]
        ),
        ADMIN: trust_admin(),
    }
    for network in (open_network, private_network):
        MembershipFactory(network=network, person=member)
        MembershipFactory(network=network, person=lead, lead=True)
        MembershipFactory(network=network, person=other_lead, lead=True)
    MembershipFactory(network=open_network, person=non_member)

    trust_forum = ForumFactory(name="Staff wellbeing", slug="wellbeing")
    anonymous_forum = ForumFactory(
        name="Ask anonymously", slug="ask-anonymously", allows_anonymous_posts=True
    )
    open_forum = ForumFactory(network=open_network)
    private_forum = ForumFactory(network=private_network)

    open_thread = ThreadFactory(forum=open_forum, author=member, title="Times tables check")
    private_thread = ThreadFactory(forum=private_forum, author=member, title="A referral")
    trust_thread = ThreadFactory(forum=trust_forum, author=member, title="Marking load")
    anonymous_thread = ThreadFactory(forum=anonymous_forum, author=member, title="Workload")

    open_post = PostFactory(thread=open_thread, author=member)
    private_post = PostFactory(thread=private_thread, author=member, body="About a pupil.")
    hidden_post = PostFactory(thread=trust_thread, author=member, hidden_at=timezone.now())
    anonymous_post = PostFactory(thread=anonymous_thread, author=member, is_anonymous=True)
    # Replies by someone else, so a report of them is not a report of your own post.
    PostFactory(thread=trust_thread, author=non_member)

    open_resource = ResourceFactory(network=open_network, author=member, title="Column addition")
    private_resource = ResourceFactory(
        network=private_network, author=member, title="Referral checklist"
    )
    draft = ResourceFactory(network=open_network, author=member, title="Unfinished", draft=True)
    open_file = file_add(
        resource=open_resource, uploaded_file=filemakers.uploaded("pdf"), person=member
    )
    private_file = file_add(
        resource=private_resource,
        uploaded_file=filemakers.uploaded("pdf", "Referral steps"),
        person=member,
    )

    private_strand = Strand.objects.create(network=private_network, name="Referrals")
    private_unit = Unit.objects.create(
        strand=private_strand, year_group="y4", title="Spotting the signs"
    )
    private_unit.resources.add(private_resource)

    collection = CollectionFactory(owner=member, name="Year 4 fractions")
    collection.resources.add(open_resource)
    join_request = JoinRequestFactory(network=private_network, person=people[STAFF])
    report = moderation.report_create(post=open_post, reporter=non_member, reason="spam")
    suspension = Suspension.objects.create(
        person=PersonFactory(first_name="Sid", last_name="Suspended"),
        reason="Repeated spam.",
        ends_at=timezone.now() + timedelta(days=1),
        created_by=people[MODERATOR],
    )
    notification = Notification.objects.create(
        recipient=member,
        kind=Notification.Kind.REPLY,
        thread=private_thread,
        text="A new reply in A referral",
        url=private_thread.get_absolute_url(),
    )
    ForumFactory(name="Principles consultation", slug=CONSULTATION_FORUM_SLUG)
    # Safeguarding: the lead of Sol Staff's school, a concern Sol raised, and a post by a
    # colleague at that school hidden because it named a pupil.
    school = people[STAFF].school
    people[DSL] = PersonFactory(first_name="Dana", last_name="Lead", school=school)
    SafeguardingLead.objects.create(
        person=people[DSL], school=school, role=SafeguardingLead.Role.DESIGNATED
    )
    concern, _ = safeguarding.concern_raise(
        reporter=people[STAFF],
        school=school,
        what_happened="J.S. came in with bruises.",
        who_involved="J.S., Year 4",
    )
    colleague = PersonFactory(first_name="Cal", last_name="Colleague", school=school)
    pupil_post = PostFactory(
        thread=ThreadFactory(forum=trust_forum, author=colleague, title="Lunchtimes"),
        author=colleague,
        body="Jay Smith in 4B again.",
    )
    moderation.post_hide(post=pupil_post, moderator=people[MODERATOR], identifies_pupil=True)
    # Made on the first page shown otherwise, which would look like a write to every request.
    TrustBranding.load(request_or_site=Site.objects.get(is_default_site=True))
    PrincipleIndexPageFactory()
    principle = PrinciplePageFactory(
        title="Every child reads", parent=PrincipleIndexPageFactory._meta.model.objects.get()
    )
    return World(
        people=people,
        open_network=open_network,
        private_network=private_network,
        trust_forum=trust_forum,
        anonymous_forum=anonymous_forum,
        open_thread=open_thread,
        private_thread=private_thread,
        open_post=open_post,
        private_post=private_post,
        hidden_post=hidden_post,
        anonymous_post=anonymous_post,
        open_resource=open_resource,
        private_resource=private_resource,
        draft=draft,
        open_file=open_file,
        private_file=private_file,
        private_strand=private_strand,
        private_unit=private_unit,
        collection=collection,
        join_request=join_request,
        other_lead=other_lead,
        report=report,
        suspension=suspension,
        notification=notification,
        unsubscribe=unsubscribe_token(person_id=member.pk, email="digest"),
        principle_id=principle.pk,
        extra={
            "concern": concern,
            "pupil_post": pupil_post,
            "preserved": PreservedPost.objects.get(post=pupil_post),
        },
    )
