"""A member of staff with one (or more) of everything the personal-data inventory lists, and
colleagues who mention them: shared by the subject access and erasure tests."""

import uuid
from dataclasses import dataclass, field

from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.models import AuditEntry
from audit.services import record as audit_record
from config.models import CompletedSubmission
from forums.models import (
    Mention,
    Notification,
    NotificationPreferences,
    Post,
    PostRevision,
    Reaction,
    Report,
    Suspension,
    Thread,
    ThreadFollow,
    ThreadRead,
)
from forums.services import render_post_body
from networks.models import Network
from people.models import Person, SignInEvent
from resources.files import file_add, file_version_add
from resources.models import FileVersion, Resource
from safeguarding.models import Concern, SafeguardingLead
from tests.factories import PersonFactory
from tests.forums.factories import ForumFactory, PostFactory, ThreadFactory
from tests.networks.factories import JoinRequestFactory, MembershipFactory, NetworkFactory
from tests.resources import filemakers
from tests.resources.factories import BookmarkFactory, CollectionFactory, ResourceFactory
from tests.safeguarding.factories import SafeguardingLeadFactory

FIRST = "Zephyrine"
LAST = "Quillfeather"
FULL_NAME = f"{FIRST} {LAST}"
EMAIL = "zephyrine.quillfeather@oakfield.example"
HANDLE = "@zephyrine.quillfeather"


@dataclass
class Leaver:
    person: Person
    colleague: Person
    network: Network
    thread: Thread
    resource: Resource
    versions: list[FileVersion] = field(default_factory=list)
    colleague_post: Post | None = None
    anonymous_post: Post | None = None


def build_leaver() -> Leaver:
    person = PersonFactory(
        email=EMAIL,
        first_name=FIRST,
        last_name=LAST,
        display_name=f"Ms {LAST}",
        job_title="Head of Year 4",
        about=f"I am {FULL_NAME}, ask me about fractions.",
        phases=["primary"],
        subjects=["Mathematics"],
    )
    colleague = PersonFactory(first_name="Sam", last_name="Okafor")
    network = NetworkFactory(name="Primary maths")
    MembershipFactory(network=network, person=person)
    MembershipFactory(network=network, person=colleague, lead=True)
    JoinRequestFactory(person=person)
    forum = ForumFactory(network=network)

    thread = ThreadFactory(forum=forum, author=person, title="Fractions walls")
    own = PostFactory(thread=thread, author=person, body="Here is my fractions wall.")
    PostRevision.objects.create(post=own, body="First draft of my fractions wall.")
    anonymous_thread = ThreadFactory(forum=forum, author=colleague, is_anonymous=True)
    anonymous_post = PostFactory(thread=anonymous_thread, author=colleague, is_anonymous=True)
    reply = PostFactory(
        thread=anonymous_thread,
        author=person,
        body="Anonymous or not, agreed.",
        quoted=anonymous_post,
    )
    PostFactory(thread=thread, author=person, is_anonymous=True)
    body = f"Thanks {HANDLE} and {FULL_NAME} ({EMAIL}), Ms {LAST} is brilliant."
    colleague_post = PostFactory(
        thread=thread, author=colleague, body=body, body_html=render_post_body(body)
    )
    PostRevision.objects.create(post=colleague_post, body=f"Thanks {FULL_NAME}")
    Mention.objects.create(post=colleague_post, person=person)
    Reaction.objects.create(post=colleague_post, person=person, kind=Reaction.Kind.THANKS)
    ThreadFollow.objects.create(person=person, thread=anonymous_thread)
    ThreadRead.objects.create(person=person, thread=thread, last_read_post_id=colleague_post.pk)
    Notification.objects.create(
        recipient=person,
        kind=Notification.Kind.REPLY,
        actor=colleague,
        thread=anonymous_thread,
        post=anonymous_post,
        text="Someone replied in a thread you follow",
        url=anonymous_thread.get_absolute_url(),
    )
    Notification.objects.create(
        recipient=colleague,
        kind=Notification.Kind.REPLY,
        actor=person,
        thread=thread,
        post=reply,
        text=f"{FULL_NAME} replied to “Fractions walls”",
        url=thread.get_absolute_url(),
    )
    NotificationPreferences.objects.create(person=person)
    report = Report.objects.create(
        post=anonymous_post, reporter=person, reason=Report.Reason.OTHER, details="Off topic."
    )
    # Someone reports the leaver: never in their download.
    Report.objects.create(
        post=own, reporter=colleague, reason=Report.Reason.SPAM, details=f"{FULL_NAME} again."
    )
    Suspension.objects.create(
        person=person, reason="Cooling off.", created_by=colleague, ends_at=timezone.now()
    )

    resource = ResourceFactory(network=network, author=person, title="Fraction wall templates")
    first = file_add(
        resource=resource, uploaded_file=filemakers.uploaded("pdf", "Fraction wall"), person=person
    )
    second = file_version_add(
        resource_file=first.file,
        uploaded_file=filemakers.uploaded("pdf", "Fraction wall, corrected"),
        person=person,
        change_note="Corrected the halves.",
    )
    adapted = ResourceFactory(
        network=network, author=colleague, notes=f"Adapted from {FULL_NAME}'s fraction wall."
    )
    BookmarkFactory(person=person, resource=adapted)
    colleague.about = f"I job-share Year 4 with Ms {LAST}."
    colleague.save(update_fields=["about"])
    CollectionFactory(owner=person).resources.add(resource)

    SignInEvent.objects.create(
        outcome=SignInEvent.Outcome.SIGNED_IN, provider="microsoft", email=EMAIL, person=person
    )
    SignInEvent.objects.create(
        outcome=SignInEvent.Outcome.REFUSED, provider="microsoft", email=EMAIL.upper()
    )
    AccessAttempt.objects.create(
        username=EMAIL, ip_address="192.0.2.1", user_agent="test", failures_since_start=2
    )
    AccessFailureLog.objects.create(username=EMAIL, ip_address="192.0.2.1", user_agent="test")
    AccessLog.objects.create(username=EMAIL, ip_address="192.0.2.1", user_agent="test")
    EmailAddress.objects.create(user=person, email=EMAIL, verified=True, primary=True)
    SocialAccount.objects.create(
        user=person, provider="microsoft", uid=str(uuid.uuid4()), extra_data={"mail": EMAIL}
    )
    TOTPDevice.objects.create(user=person, name="Phone")
    LogEntry.objects.create(
        user_id=colleague.pk,
        content_type_id=ContentType.objects.get_for_model(Person).pk,
        object_id=str(person.pk),
        object_repr=str(person),
        action_flag=CHANGE,
        change_message="Changed job title.",
    )
    CompletedSubmission.objects.create(
        person=person, purpose=f"reply:{thread.pk}", key=uuid.uuid4(), fingerprint="x" * 64
    )
    # A deputy lead who also raised a concern (kept, as a safeguarding record, on erasure).
    SafeguardingLeadFactory(person=person, role=SafeguardingLead.Role.DEPUTY)
    Concern.objects.create(
        reporter=person,
        school=person.school,
        what_happened="A pupil in 4B said something worrying at lunch.",
        who_involved="J.B. (Year 4)",
    )
    audit_record(action=AuditEntry.Action.REPORT_MADE, actor=person, report=report)
    audit_record(action=AuditEntry.Action.REVEAL_AUTHOR, actor=colleague, subject=person)
    return Leaver(
        person=person,
        colleague=colleague,
        network=network,
        thread=thread,
        resource=resource,
        versions=[first, second],
        colleague_post=colleague_post,
        anonymous_post=anonymous_post,
    )
