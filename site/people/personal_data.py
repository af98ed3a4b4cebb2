"""The inventory of personal data: every model that holds something about a member of staff,
whether a subject access download includes it and what erasing a leaver does with it.

tests/people/test_personal_data.py walks every installed model and fails when one relating
to Person (or holding a typed email or username) is missing here, so a new model cannot be
forgotten. people.subject_access and people.erasure read their lists from this module.
"""

from dataclasses import dataclass, field

from django.apps import apps
from django.db import models
from django.db.models import Q


@dataclass(frozen=True)
class Holding:
    """What one model holds about a person.

    `kind` names the JSON file in the download ("" when it is not downloaded); `by` are the
    fields that point at the person; `by_email` the text fields holding their email or
    username; `leave_out` the fields never downloaded (other people, secrets, internals);
    `delete_by` the field (pointing at them, or one of `by_email`) by which erasing a leaver
    deletes their rows, for every holding whose erasure says "Deleted".
    """

    erasure: str
    kind: str = ""
    by: tuple[str, ...] = ()
    by_email: tuple[str, ...] = ()
    leave_out: tuple[str, ...] = ()
    delete_by: str = ""
    why_not_downloaded: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def downloaded(self) -> bool:
        return bool(self.kind)


_WAGTAIL_CONTENT = "Kept: trust content from the Wagtail admin, shown as Former member of staff."

INVENTORY: dict[str, Holding] = {
    # people
    "people.Person": Holding(
        kind="profile",
        by=("pk",),
        leave_out=("password",),
        erasure="Name becomes “Former member of staff”, email a placeholder, profile cleared, "
        "password unusable, account switched off.",
    ),
    # Cleared through the account's relations, so role changes are audited as ever.
    "people.Person_subjects_taught": Holding(
        kind="subjects_taught", by=("person",), erasure="Cleared from the account."
    ),
    "people.Person_groups": Holding(
        kind="roles", by=("person",), erasure="Cleared from the account (audited)."
    ),
    "people.Person_user_permissions": Holding(
        kind="direct_permissions", by=("person",), erasure="Cleared from the account (audited)."
    ),
    "people.SignInEvent": Holding(
        kind="sign_in_events",
        by=("person",),
        by_email=("email",),
        erasure="Kept for the sign-in audit; the typed email becomes the placeholder.",
    ),
    # sign-in machinery
    "sessions.Session": Holding(
        erasure="Their sessions are deleted (signed out everywhere).",
        why_not_downloaded="Session keys are secrets; a session holds only the account id.",
    ),
    "account.EmailAddress": Holding(
        kind="email_addresses", by=("user",), leave_out=(), delete_by="user", erasure="Deleted."
    ),
    "account.EmailConfirmation": Holding(
        erasure="Deleted with the email address.",
        why_not_downloaded="One-time confirmation keys: secrets.",
    ),
    "socialaccount.SocialAccount": Holding(
        kind="identity_provider_accounts",
        by=("user",),
        leave_out=("extra_data",),
        delete_by="user",
        erasure="Deleted.",
    ),
    "socialaccount.SocialToken": Holding(
        erasure="Deleted with the identity provider account.",
        why_not_downloaded="Access tokens: secrets.",
    ),
    "otp_totp.TOTPDevice": Holding(
        kind="authenticator_apps",
        by=("user",),
        leave_out=("key", "throttling_failure_count", "throttling_failure_timestamp"),
        delete_by="user",
        erasure="Deleted.",
    ),
    "axes.AccessAttempt": Holding(
        kind="failed_sign_ins",
        by_email=("username",),
        leave_out=("post_data", "get_data", "http_accept"),
        delete_by="username",
        erasure="Deleted.",
    ),
    "axes.AccessFailureLog": Holding(
        kind="failed_sign_in_log",
        by_email=("username",),
        leave_out=("http_accept",),
        delete_by="username",
        erasure="Deleted.",
    ),
    "axes.AccessLog": Holding(
        kind="sign_in_log",
        by_email=("username",),
        leave_out=("http_accept",),
        delete_by="username",
        erasure="Deleted.",
    ),
    "admin.LogEntry": Holding(
        kind="django_admin_actions",
        by=("user",),
        # What they changed may be a colleague's account: the name stays out.
        leave_out=("change_message", "object_repr"),
        erasure="Their own actions kept; entries about their account say “Former member of "
        "staff” instead of their name.",
    ),
    "audit.AuditEntry": Holding(
        kind="audit_entries",
        by=("actor", "subject"),
        erasure="Kept: entries refer to people by id only, a pseudonymous id once the name "
        "and email are gone. The erasure itself is recorded.",
    ),
    "config.CompletedSubmission": Holding(
        kind="completed_forms",
        by=("person",),
        delete_by="person",
        erasure="Deleted: only stops a form being sent twice.",
    ),
    "django_tasks_database.DBTaskResult": Holding(
        erasure="Kept: background jobs carry ids, never names or emails.",
        why_not_downloaded="Internal job records holding ids only.",
    ),
    # networks
    "networks.Network": Holding(
        erasure="Kept: its members are the membership rows below, which are deleted.",
        why_not_downloaded="Its members are the membership rows.",
    ),
    "networks.Membership": Holding(
        kind="memberships", by=("person",), delete_by="person", erasure="Deleted."
    ),
    "networks.JoinRequest": Holding(
        kind="join_requests",
        by=("person",),
        leave_out=("decided_by",),
        delete_by="person",
        erasure="Deleted; requests they decided keep their id.",
    ),
    # resources
    "resources.Resource": Holding(
        kind="resources",
        by=("author",),
        leave_out=("endorsed_by", "notes_html", "download_count"),
        erasure="Kept and held by their network, shown as shared by “Former member of staff”; "
        "ones they endorsed keep the endorsement.",
    ),
    "resources.ResourceFile": Holding(
        erasure="Kept with the resource.",
        why_not_downloaded="Downloaded through file_versions.",
    ),
    "resources.FileVersion": Holding(
        kind="file_versions",
        by=("uploaded_by",),
        leave_out=("extracted_text",),
        erasure="Kept with the resource.",
    ),
    "resources.Bookmark": Holding(
        kind="bookmarks", by=("person",), delete_by="person", erasure="Deleted."
    ),
    "resources.Collection": Holding(
        kind="collections", by=("owner",), delete_by="owner", erasure="Deleted."
    ),
    "resources.Collection_resources": Holding(
        erasure="Deleted with the collection.",
        why_not_downloaded="Listed inside collections.",
    ),
    # forums
    "forums.Thread": Holding(
        kind="threads",
        by=("author",),
        erasure="Kept, shown as started by “Former member of staff”.",
    ),
    "forums.Post": Holding(
        kind="posts",
        by=("author",),
        leave_out=("body_html",),
        erasure="Kept, shown as by “Former member of staff”. Their name, email and handle are "
        "replaced in other people's posts too.",
    ),
    "forums.PostRevision": Holding(
        kind="post_revisions",
        by=("post__author",),
        erasure="Kept with the post; their name is replaced in other people's revisions.",
    ),
    "forums.ThreadFollow": Holding(
        kind="follows", by=("person",), delete_by="person", erasure="Deleted."
    ),
    "forums.ThreadRead": Holding(
        kind="reads", by=("person",), delete_by="person", erasure="Deleted."
    ),
    "forums.Reaction": Holding(
        kind="reactions", by=("person",), delete_by="person", erasure="Deleted."
    ),
    "forums.Mention": Holding(
        kind="mentions",
        by=("person",),
        delete_by="person",
        erasure="Deleted; the mention's text in the post is replaced.",
    ),
    "forums.Notification": Holding(
        kind="notifications",
        by=("recipient",),
        leave_out=("actor",),
        delete_by="recipient",
        erasure="Deleted; their name is replaced in other people's notifications.",
    ),
    "forums.NotificationPreferences": Holding(
        kind="notification_preferences", by=("person",), delete_by="person", erasure="Deleted."
    ),
    "forums.Report": Holding(
        kind="reports_made",
        by=("reporter",),
        leave_out=("decided_by",),
        erasure="Kept for safeguarding: moderators' record of what was reported.",
    ),
    "forums.Suspension": Holding(
        kind="suspensions",
        by=("person",),
        leave_out=("created_by",),
        erasure="Kept for safeguarding, against the pseudonymous id.",
    ),
    # safeguarding: records the trust must keep, read only by its safeguarding leads
    "safeguarding.SafeguardingLead": Holding(
        kind="safeguarding_roles",
        by=("person",),
        delete_by="person",
        erasure="Deleted: concerns stop going to them.",
    ),
    "safeguarding.Concern": Holding(
        kind="safeguarding_concerns_raised",
        by=("reporter",),
        # What the reporter sees on their own list: the words are about a child and stay
        # with the leads (a safeguarding record, not disclosed where it could cause harm).
        leave_out=("what_happened", "who_involved", "post", "acknowledged_by", "closed_by"),
        erasure="Kept: a safeguarding record, against the pseudonymous id.",
    ),
    "safeguarding.ConcernNote": Holding(
        erasure="Kept: a safeguarding record, against the pseudonymous id.",
        why_not_downloaded="The leads' notes on a concern: a safeguarding record about a child.",
    ),
    "safeguarding.PreservedPost": Holding(
        erasure="Kept for the safeguarding leads: the words of a post hidden because it "
        "identified a pupil.",
        why_not_downloaded="Words hidden because they identify a pupil; the post itself is in "
        "posts.json.",
    ),
    # search: derived from the records above
    "search.IndexedRecord": Holding(
        erasure="Everything they wrote is re-indexed, so the author name changes.",
        why_not_downloaded="A copy of their threads and resources for searching.",
    ),
    "search.PendingIndexUpdate": Holding(
        erasure="Keys only.", why_not_downloaded="Record keys waiting to be indexed."
    ),
    # Wagtail
    "wagtailusers.UserProfile": Holding(
        kind="wagtail_preferences",
        by=("user",),
        leave_out=("avatar",),
        delete_by="user",
        erasure="Deleted.",
    ),
    "wagtailadmin.EditingSession": Holding(
        delete_by="user", erasure="Deleted.", why_not_downloaded="Transient."
    ),
    "wagtailadmin.FormState": Holding(
        delete_by="user", erasure="Deleted.", why_not_downloaded="Transient."
    ),
    "wagtailcore.APIToken": Holding(
        delete_by="user", erasure="Deleted.", why_not_downloaded="Secrets."
    ),
    "wagtailcore.PageSubscription": Holding(
        kind="page_subscriptions", by=("user",), delete_by="user", erasure="Deleted."
    ),
    "wagtailcore.Comment": Holding(
        kind="page_comments", by=("user",), leave_out=("resolved_by",), erasure=_WAGTAIL_CONTENT
    ),
    "wagtailcore.CommentReply": Holding(
        kind="page_comment_replies", by=("user",), erasure=_WAGTAIL_CONTENT
    ),
    "wagtailcore.Revision": Holding(
        kind="page_revisions",
        by=("user",),
        leave_out=("content",),
        erasure=_WAGTAIL_CONTENT,
    ),
    "wagtailcore.PageLogEntry": Holding(
        kind="page_history", by=("user",), leave_out=("data",), erasure=_WAGTAIL_CONTENT
    ),
    "wagtailcore.ModelLogEntry": Holding(
        kind="admin_history",
        by=("user",),
        leave_out=("data", "label"),
        erasure="Their own actions kept; entries about their account lose their name.",
    ),
    "wagtailcore.Page": Holding(
        kind="pages_owned", by=("owner",), leave_out=("locked_by",), erasure=_WAGTAIL_CONTENT
    ),
    "wagtailcore.WorkflowState": Holding(erasure=_WAGTAIL_CONTENT, why_not_downloaded="Ids."),
    "wagtailcore.TaskState": Holding(erasure=_WAGTAIL_CONTENT, why_not_downloaded="Ids."),
    "wagtailcore.UploadedFile": Holding(
        delete_by="uploaded_by_user", erasure="Deleted.", why_not_downloaded="Transient."
    ),
    "wagtaildocs.Document": Holding(
        kind="documents_uploaded", by=("uploaded_by_user",), erasure=_WAGTAIL_CONTENT
    ),
    "wagtailimages.Image": Holding(
        kind="images_uploaded", by=("uploaded_by_user",), erasure=_WAGTAIL_CONTENT
    ),
}

# Models that inherit a Person relation from a parent model listed above (Wagtail pages).
INHERITED_FROM = {"wagtailcore.Page"}


def holding_for(model: type[models.Model]) -> Holding | None:
    if model._meta.label in INVENTORY:
        return INVENTORY[model._meta.label]
    for parent in model._meta.get_parent_list():
        if parent._meta.label in INHERITED_FROM:
            return INVENTORY[parent._meta.label]
    return None


def downloaded_holdings() -> list[tuple[type[models.Model], Holding]]:
    return [
        (apps.get_model(label), holding)
        for label, holding in INVENTORY.items()
        if holding.downloaded
    ]


def rows_about(model: type[models.Model], holding: Holding, person) -> models.QuerySet:
    """The rows of one model that are about the person, as the download counts them."""
    condition = Q(pk__in=[])
    for name in holding.by:
        condition |= Q(**{name: person.pk})
    for name in holding.by_email:
        condition |= Q(**{f"{name}__iexact": person.email})
    return model._default_manager.filter(condition).order_by("pk")
