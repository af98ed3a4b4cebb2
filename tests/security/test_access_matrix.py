"""The authorisation matrix: every URL of Staffroom against every role, on one small trust.

Each row names a URL pattern, how to fill in its arguments from the world (tests/security/
world.py), and what each role gets for GET and, for writes, for a POST with a body that would
work for someone allowed. Outcomes:

- "200", "400", "403", "404", "405": that status;
- "login": a redirect to the sign-in page;
- "302": a redirect elsewhere (the write was done);
- "back": a redirect back with a message, the write refused.

Every POST that is refused ("login", "back" or a 4xx) must leave the database exactly as it
was. A URL pattern of ours without a row fails `test_every_url_pattern_has_a_row`.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from wagtail.models import Page

from tests.factories import sign_in_with_identity_provider
from tests.resources import filemakers
from tests.security.world import (
    ADMIN,
    ANONYMOUS,
    CENTRAL,
    DSL,
    LEAD,
    MATRIX_ROLES,
    MEMBER,
    MODERATOR,
    STAFF,
    World,
    build_world,
)

SIGN_IN = "/people/sign-in/"
# The people the private network's things are for: its members and leads, and the central
# team and trust admins, who see every network.
PRIVATE_READERS = (MEMBER, LEAD, CENTRAL, ADMIN)
# Moderators act in every forum; a network's leads in their network's forum.
MODERATORS = (MODERATOR, CENTRAL, ADMIN)
REFUSED = {"login", "back", "400", "403", "404", "405"}
WRITE_STATEMENTS = {"INSERT", "UPDATE", "DELETE", "REPLACE"}
# Sessions (and the messages kept in them) and the sign-in log change on any request that
# signs in or out: they are not the record.
BOOKKEEPING_TABLES = {"django_session", "axes_accesslog"}


def _admin_only_get() -> dict[str, str]:
    # The central team reaches the Wagtail admin, whose permission check sends them back to
    # its home page; everyone else is sent to sign in.
    return only((ADMIN,), "200", "login", central="302")


def signed_in(default: str, **by_role: str) -> dict[str, str]:
    """Everyone signed in gets `default` unless named; signed-out visitors go to sign in."""
    cells = {role: default for role in MATRIX_ROLES}
    cells[ANONYMOUS] = "login"
    cells.update(by_role)
    return cells


def everyone(outcome: str, **by_role: str) -> dict[str, str]:
    cells = {role: outcome for role in MATRIX_ROLES}
    cells.update(by_role)
    return cells


def only(allowed: tuple[str, ...], ok: str, refused: str, **by_role: str) -> dict[str, str]:
    """`ok` for the roles allowed, `refused` for the other signed-in roles."""
    cells = signed_in(refused)
    cells.update({role: ok for role in allowed})
    cells.update(by_role)
    return cells


def private(ok: str, refused: str = "404", **by_role: str) -> dict[str, str]:
    return only(PRIVATE_READERS, ok, refused, **by_role)


@dataclass
class Row:
    name: str
    args: Callable[[World], dict] = lambda world: {}
    get: dict[str, str] | None = None
    post: dict[str, str] | None = None
    body: Callable[[World], dict] = lambda world: {}
    path: Callable[[World], str] | None = None
    notes: list[str] = field(default_factory=list)


def slug(network: str) -> Callable[[World], dict]:
    return lambda world: {"slug": getattr(world, network).slug}


def pk(thing: str, key: str = "pk") -> Callable[[World], dict]:
    return lambda world: {key: getattr(world, thing).pk}


def resource_args(thing: str) -> Callable[[World], dict]:
    return lambda world: {"pk": getattr(world, thing).pk, "slug": getattr(world, thing).slug}


def resource_body(world: World) -> dict:
    return {
        "title": "Referral checklist, revised",
        "summary": "Steps to follow.",
        "network": world.private_network.slug,
        "year_groups": ["y4"],
        "resource_type": "worksheet",
        "scope": "trust",
        "licence": "trust",
    }


ADMIN_ONLY_GET = _admin_only_get()

ROWS = [
    # Config and the trust's pages.
    Row("healthz", get=everyone("200")),
    Row("brand_css", get=everyone("200")),
    Row("wagtail_serve", path=lambda world: "/", get=signed_in("200")),
    Row(
        "wagtailcore_authenticate_with_password",
        path=lambda world: "/_util/authenticate_with_password/999/3/",
        get=signed_in("404"),
    ),
    Row("wagtailcore_login", path=lambda world: "/_util/login/", get=everyone("200")),
    Row("wagtaildocs_serve", path=lambda world: "/documents/999/missing.pdf", get=signed_in("404")),
    Row(
        "wagtaildocs_authenticate_with_password",
        path=lambda world: "/documents/authenticate_with_password/999/",
        get=signed_in("404"),
    ),
    Row("image_rendition", path=lambda world: "/media/images/missing.png", get=signed_in("404")),
    # Admin: a few representative rows for the Wagtail and Django admins.
    Row("wagtailadmin_home", get=only((CENTRAL, ADMIN), "200", "login")),
    Row(
        "wagtailadmin_pages:edit",
        args=lambda world: {"page_id": Page.objects.get(depth=2).pk},
        get=only((CENTRAL, ADMIN), "200", "login"),
    ),
    Row("admin:index", get=everyone("302")),
    # People and sign-in.
    Row("people:sign_in", get=everyone("302", anonymous="200")),
    Row(
        "people:choose_school",
        get=signed_in("200"),
        post=signed_in("302"),
        body=lambda world: {"school": world.people[MEMBER].school_id},
    ),
    Row("people:two_step_code", get=signed_in("302"), post=signed_in("302")),
    Row("people:two_step_set_up", get=signed_in("302"), post=signed_in("302")),
    Row("people:sign_out", get=signed_in("405"), post=everyone("login")),
    Row(
        "people:password_reset",
        get=everyone("200"),
        post=everyone("302"),
        body=lambda world: {"email": "nobody@oakfield.example"},
    ),
    Row("people:password_reset_sent", get=everyone("200")),
    Row(
        "people:password_reset_confirm",
        args=lambda world: {"uidb64": "MQ", "token": "set-password"},
        get=everyone("200"),
    ),
    Row("people:password_reset_complete", get=everyone("200")),
    Row("people:directory", get=signed_in("200")),
    Row("people:my_profile", get=signed_in("302")),
    Row(
        "people:profile_edit",
        get=signed_in("200"),
        post=signed_in("302"),
        body=lambda world: {"display_name": "", "job_title": "Teacher", "phases": ["primary"]},
    ),
    Row("people:profile", args=lambda world: {"pk": world.people[MEMBER].pk}, get=signed_in("200")),
    # Data protection: everyone downloads their own data; trust admins anyone's, and erase.
    Row("people:my_data", get=signed_in("200"), post=signed_in("200")),
    Row("people_staff_data", path=lambda world: "/admin/staff-data/?q=a", get=ADMIN_ONLY_GET),
    Row(
        "people_staff_data_download",
        args=lambda world: {"pk": world.people[MEMBER].pk},
        get=only((ADMIN,), "405", "login", central="302"),
        post=only((ADMIN,), "200", "login", central="back"),
    ),
    Row(
        "people_staff_erase",
        args=lambda world: {"pk": world.people[MEMBER].pk},
        get=ADMIN_ONLY_GET,
        post=only((ADMIN,), "302", "login", central="back"),
        body=lambda world: {"confirmation": world.people[MEMBER].email},
    ),
    Row("openid_connect_login", args=lambda world: {"provider_id": "nowhere"}, get=everyone("404")),
    Row(
        "openid_connect_callback",
        args=lambda world: {"provider_id": "nowhere"},
        get=everyone("404"),
    ),
    Row("socialaccount_login_cancelled", get=everyone("200")),
    Row("socialaccount_login_error", get=everyone("400")),
    Row("socialaccount_signup", get=everyone("400")),
    Row("account_login", get=everyone("login")),
    # Networks.
    Row("networks:index", get=signed_in("200")),
    Row("networks:detail", args=slug("private_network"), get=signed_in("200")),
    Row("networks:members", args=slug("private_network"), get=private("200", "403")),
    Row(
        "networks:join", args=slug("private_network"), get=signed_in("405"), post=signed_in("back")
    ),
    Row(
        "networks:leave",
        args=slug("private_network"),
        get=signed_in("405"),
        post=signed_in("back", member="302", lead="302"),
    ),
    Row(
        "networks:request",
        args=slug("private_network"),
        get=signed_in("405"),
        post=signed_in("302", member="back", lead="back", staff="back"),
        body=lambda world: {"message": "I am my school's DSL."},
    ),
    Row(
        "networks:decide",
        args=lambda world: {"slug": world.private_network.slug, "pk": world.join_request.pk},
        get=signed_in("405"),
        post=only((LEAD, CENTRAL, ADMIN), "302", "back"),
        body=lambda world: {"decision": "approve"},
    ),
    Row(
        "networks:member_add",
        args=slug("private_network"),
        get=signed_in("405"),
        post=only((LEAD, CENTRAL, ADMIN), "302", "back"),
        body=lambda world: {"email": world.people[STAFF].email},
    ),
    Row(
        "networks:member_remove",
        args=lambda world: {
            "slug": world.private_network.slug,
            "person_id": world.people[MEMBER].pk,
        },
        get=signed_in("405"),
        post=only((LEAD, CENTRAL, ADMIN), "302", "back"),
    ),
    Row(
        "networks:lead_promote",
        args=lambda world: {
            "slug": world.private_network.slug,
            "person_id": world.people[MEMBER].pk,
        },
        get=signed_in("405"),
        post=only((LEAD, CENTRAL, ADMIN), "302", "back"),
    ),
    Row(
        "networks:lead_demote",
        args=lambda world: {"slug": world.private_network.slug, "person_id": world.other_lead.pk},
        get=signed_in("405"),
        post=only((LEAD, CENTRAL, ADMIN), "302", "back"),
    ),
    # Resources.
    Row("resources:index", get=signed_in("200")),
    Row("resources:create", get=signed_in("200"), post=private("302", "400"), body=resource_body),
    Row("resources:bookmarks", get=signed_in("200")),
    Row(
        "resources:collections",
        get=signed_in("200"),
        post=signed_in("302"),
        body=lambda world: {"name": "Safeguarding"},
    ),
    Row("resources:collection_detail", args=pk("collection"), get=signed_in("404", member="200")),
    Row("resources:detail", args=resource_args("private_resource"), get=private("200")),
    Row(
        "resources:detail",
        args=resource_args("draft"),
        get=only((MEMBER, LEAD, CENTRAL, ADMIN), "200", "404"),
    ),
    Row(
        "resources:edit",
        args=resource_args("private_resource"),
        get=private("200", member="200", lead="200"),
        post=only((MEMBER, LEAD, CENTRAL, ADMIN), "302", "404"),
        body=resource_body,
    ),
    Row("resources:adapt", args=pk("private_resource"), get=signed_in("405"), post=private("302")),
    Row(
        "resources:endorse",
        args=pk("private_resource"),
        get=signed_in("405"),
        post=only((LEAD, CENTRAL, ADMIN), "302", "404", member="403"),
    ),
    Row(
        "resources:bookmark", args=pk("private_resource"), get=signed_in("405"), post=private("302")
    ),
    Row(
        "resources:collect",
        args=pk("private_resource"),
        get=signed_in("405"),
        post=private("302"),
        body=lambda world: {"new_collection": "Safeguarding"},
    ),
    Row(
        "resources:status",
        args=pk("private_resource"),
        get=signed_in("405"),
        post=private("302"),
        body=lambda world: {"action": "archive"},
    ),
    Row(
        "resources:file_upload",
        args=pk("private_resource"),
        get=only((MEMBER, LEAD, CENTRAL, ADMIN), "200", "404"),
        post=only((MEMBER, LEAD, CENTRAL, ADMIN), "302", "404"),
        body=lambda world: {"file": filemakers.uploaded("pdf", "A new leaflet")},
    ),
    Row(
        "resources:file_version_upload",
        args=lambda world: {"file_pk": world.private_file.file_id},
        get=private("200"),
        post=private("302"),
        body=lambda world: {
            "file": filemakers.uploaded("pdf", "Referral steps, revised"),
            "change_note": "Updated the phone numbers.",
        },
    ),
    Row(
        "resources:file_history",
        args=lambda world: {"file_pk": world.private_file.file_id},
        get=private("200"),
    ),
    Row("resources:file_download", args=pk("private_file", "version_pk"), get=private("200")),
    Row("resources:file_download", args=pk("open_file", "version_pk"), get=signed_in("200")),
    Row("resources:file_preview", args=pk("private_file", "version_pk"), get=private("200")),
    # Signed links are served on the user-content origin only (tests/resources cover it):
    # here, on the site's own origin, nobody gets a file, whatever the token.
    Row("resources:file_content", args=lambda world: {"token": "forged"}, get=everyone("404")),
    # The curriculum map.
    # The private network itself is listed for all (to ask to join), so its map and units
    # answer outsiders 403, as its members page does, and show nothing of them.
    Row("resources:map", args=slug("private_network"), get=private("200", "403")),
    Row("resources:map_csv", args=slug("private_network"), get=private("200", "403")),
    Row(
        "resources:strand_add",
        args=slug("private_network"),
        get=only((LEAD, CENTRAL, ADMIN), "200", "403"),
        post=only((LEAD, CENTRAL, ADMIN), "302", "403"),
        body=lambda world: {"name": "Online safety"},
    ),
    Row(
        "resources:unit_add",
        args=slug("private_network"),
        get=only((LEAD, CENTRAL, ADMIN), "200", "403"),
        post=only((LEAD, CENTRAL, ADMIN), "302", "403"),
        body=lambda world: {
            "strand": world.private_strand.pk,
            "year_group": "y5",
            "title": "Trusted adults",
        },
    ),
    Row(
        "resources:strand_edit",
        args=pk("private_strand"),
        get=only((LEAD, CENTRAL, ADMIN), "200", "403"),
        post=only((LEAD, CENTRAL, ADMIN), "302", "403"),
        body=lambda world: {"name": "Referrals and records"},
    ),
    Row(
        "resources:strand_move",
        args=pk("private_strand"),
        get=signed_in("405"),
        post=only((LEAD, CENTRAL, ADMIN), "302", "403"),
        body=lambda world: {"direction": "down"},
    ),
    Row(
        "resources:strand_delete",
        args=pk("private_strand"),
        get=only((LEAD, CENTRAL, ADMIN), "200", "403"),
        post=only((LEAD, CENTRAL, ADMIN), "302", "403"),
    ),
    Row("resources:unit_detail", args=pk("private_unit"), get=private("200", "403")),
    Row(
        "resources:unit_edit",
        args=pk("private_unit"),
        get=only((LEAD, CENTRAL, ADMIN), "200", "403"),
        post=only((LEAD, CENTRAL, ADMIN), "302", "403"),
        body=lambda world: {
            "strand": world.private_strand.pk,
            "year_group": "y6",
            "title": "Spotting the signs",
        },
    ),
    Row(
        "resources:unit_delete",
        args=pk("private_unit"),
        get=only((LEAD, CENTRAL, ADMIN), "200", "403"),
        post=only((LEAD, CENTRAL, ADMIN), "302", "403"),
    ),
    Row(
        "resources:unit_resources",
        args=pk("private_unit"),
        get=only((LEAD, CENTRAL, ADMIN), "200", "403"),
        post=only((LEAD, CENTRAL, ADMIN), "302", "403"),
        body=lambda world: {"resources": [world.private_resource.pk]},
    ),
    # Forums.
    Row("forums:index", get=signed_in("200")),
    Row(
        "forums:forum",
        args=lambda world: {"slug": world.private_thread.forum.slug},
        get=private("200"),
    ),
    Row(
        "forums:thread_create",
        args=lambda world: {"slug": world.private_thread.forum.slug},
        get=private("200"),
        post=private("302"),
        body=lambda world: {"title": "A new worry", "body": "Who do I tell?"},
    ),
    Row("forums:thread", args=pk("private_thread"), get=private("200")),
    # A post's own address sends readers on to its page of the thread.
    Row("forums:post", args=pk("private_post"), get=private("302")),
    Row(
        "forums:post_create",
        args=pk("private_thread"),
        get=signed_in("405"),
        post=private("302"),
        body=lambda world: {"body": "Log it and tell the DSL."},
    ),
    Row(
        "forums:post_edit",
        args=pk("private_post"),
        get=private("403", member="200"),
        post=private("403", member="302"),
        body=lambda world: {"body": "About a pupil, edited."},
    ),
    Row(
        "forums:post_delete",
        args=pk("private_post"),
        # Leads hide posts in their forum; removing one is for its author and moderators.
        get=private("403", member="200", central="200", admin="200"),
        post=private("403", member="302", central="302", admin="302"),
    ),
    Row(
        "forums:post_react",
        args=pk("private_post"),
        get=signed_in("405"),
        post=private("302"),
        body=lambda world: {"kind": "thanks"},
    ),
    Row("forums:mention_people", get=everyone("200", anonymous="401")),
    Row(
        "forums:post_report",
        args=pk("private_post"),
        get=private("200", member="403"),
        post=private("302", member="403"),
        body=lambda world: {"reason": "other", "details": "Names a pupil."},
    ),
    Row("forums:my_reports", get=signed_in("200")),
    Row("forums:report_sent", args=pk("report"), get=signed_in("404", non_member="200")),
    Row(
        # As a safeguarding lead who moderates nothing: only as identifying a pupil, and the
        # reason must be chosen (a body without it is refused).
        "forums:post_hide",
        args=pk("open_post"),
        get=only((*MODERATORS, LEAD, DSL), "200", "403"),
        post=only((*MODERATORS, LEAD), "302", "403", dsl="400"),
        body=lambda world: {"reason": "Spam."},
    ),
    Row(
        "forums:post_restore",
        args=pk("hidden_post"),
        get=only(MODERATORS, "200", "403"),
        post=only(MODERATORS, "302", "403"),
        body=lambda world: {"reason": "Reviewed."},
    ),
    Row(
        # Hidden because it identified a pupil: only the safeguarding lead may restore it.
        "forums:post_restore",
        args=lambda world: {"pk": world.extra["pupil_post"].pk},
        get=only((DSL,), "200", "403"),
        post=only((DSL,), "302", "403"),
        body=lambda world: {"reason": "Spoke to the author."},
    ),
    Row(
        "forums:report_dismiss",
        args=pk("open_post"),
        get=only((*MODERATORS, LEAD), "200", "403"),
        post=only((*MODERATORS, LEAD), "302", "403"),
        body=lambda world: {"reason": "Not spam."},
    ),
    Row(
        "forums:post_reveal",
        args=pk("anonymous_post"),
        get=only(MODERATORS, "200", "403"),
        post=only(MODERATORS, "200", "403"),
        body=lambda world: {"reason": "A safeguarding concern."},
    ),
    Row(
        "forums:thread_lock",
        args=pk("private_thread"),
        get=signed_in("405"),
        post=only((*MODERATORS, LEAD), "302", "404", member="403"),
        body=lambda world: {"locked": "1"},
    ),
    Row(
        "forums:thread_pin",
        args=pk("private_thread"),
        get=signed_in("405"),
        post=only((*MODERATORS, LEAD), "302", "404", member="403"),
        body=lambda world: {"pinned": "1"},
    ),
    Row(
        "forums:thread_move",
        args=pk("private_thread"),
        get=only((*MODERATORS, LEAD), "200", "404", member="403"),
        post=only(MODERATORS, "302", "404", member="403", lead="400"),
        body=lambda world: {"forum": world.trust_forum.pk},
    ),
    Row("forums:moderation_queue", get=only((*MODERATORS, LEAD), "200", "403")),
    Row("forums:suspensions", get=only(MODERATORS, "200", "403")),
    Row(
        "forums:suspension_lift",
        args=pk("suspension"),
        get=only(MODERATORS, "200", "403"),
        post=only(MODERATORS, "302", "403"),
        body=lambda world: {"reason": "Served."},
    ),
    Row(
        "forums:person_suspend",
        args=lambda world: {"pk": world.people[STAFF].pk},
        get=only(MODERATORS, "200", "403"),
        post=only(MODERATORS, "302", "403"),
        body=lambda world: {"period": "day", "reason": "Spam."},
    ),
    # Safeguarding: concerns reach only the school's lead; staff raise them and see their own.
    Row(
        "safeguarding:concern_new",
        get=signed_in("200"),
        post=signed_in("302"),
        body=lambda world: {
            "school": world.people[STAFF].school_id,
            "what_happened": "A.B. said something worrying.",
            "who_involved": "A.B., Year 3",
        },
    ),
    Row("safeguarding:my_concerns", get=signed_in("200")),
    Row("safeguarding:concerns", get=only((DSL,), "200", "403")),
    Row(
        "safeguarding:concern",
        args=lambda world: {"pk": world.extra["concern"].pk},
        get=only((DSL,), "200", "404"),
        post=only((DSL,), "302", "404"),
        body=lambda world: {"action": "acknowledge"},
    ),
    Row(
        "safeguarding:preserved_post",
        args=lambda world: {"pk": world.extra["preserved"].pk},
        get=only((DSL,), "200", "404"),
    ),
    Row("forums:audit_log", get=only((ADMIN,), "200", "403")),
    Row("forums:audit_export", get=only((ADMIN,), "200", "403")),
    Row("forums:notifications", get=signed_in("200")),
    Row("forums:notification_open", args=pk("notification"), get=signed_in("404", member="302")),
    Row("forums:notifications_mark_all_read", get=signed_in("405"), post=signed_in("302")),
    Row(
        "forums:notification_settings",
        get=signed_in("200"),
        post=signed_in("302"),
        body=lambda world: {"email_mentions": "on"},
    ),
    Row(
        "forums:unsubscribe",
        args=lambda world: {"token": world.unsubscribe},
        get=everyone("200"),
        post=everyone("200"),
    ),
    Row(
        "forums:resource_discussion",
        args=pk("private_resource"),
        get=private("200"),
        post=private("302"),
        body=lambda world: {"discussion-body": "We use this every term."},
    ),
    Row(
        "forums:principle_consultation",
        args=lambda world: {"page_id": world.principle_id},
        get=signed_in("200"),
        post=signed_in("302"),
        body=lambda world: {"discussion-body": "Reading for pleasure matters."},
    ),
    Row("forums:mark_all_read", get=signed_in("405"), post=signed_in("302")),
    Row(
        "forums:forum_mark_read",
        args=lambda world: {"slug": world.private_thread.forum.slug},
        get=signed_in("405"),
        post=private("302"),
    ),
    # Search.
    Row("search:index", get=signed_in("200")),
    Row("search:suggest", get=signed_in("200")),
    Row("search:search", get=signed_in("200")),
]


class Writes:
    """The tables a request writes to, read from the SQL it runs (cheaper and more exact than
    comparing the database before and after)."""

    def __init__(self) -> None:
        self.tables: set[str] = set()

    def __call__(self, execute, sql, params, many, context):
        words = sql.lstrip().split(None, 3)
        if words and words[0].upper() in WRITE_STATEMENTS:
            table = words[2] if words[0].upper() in ("INSERT", "DELETE") else words[1]
            table = table.strip('"`')
            if table not in BOOKKEEPING_TABLES:
                self.tables.add(table)
        return execute(sql, params, many, context)


def url_of(row: Row, world: World) -> str:
    if row.path is not None:
        return row.path(world)
    return reverse(row.name, kwargs=row.args(world) or None)


def outcome_of(response) -> str:
    if response.status_code == 302:
        return "login" if response["Location"].startswith(SIGN_IN) else "302"
    return str(response.status_code)


def check(
    row: Row, world: World, sessions: dict[str, str], method: str, role: str, expected: str
) -> str | None:
    """One cell of the matrix, in a savepoint rolled back after; a mismatch, described."""
    with transaction.atomic():
        client = Client()
        if role in sessions:
            client.cookies[settings.SESSION_COOKIE_NAME] = sessions[role]
        url = url_of(row, world)
        if method == "GET":
            got = outcome_of(client.get(url))
            changed = []
        else:
            writes = Writes()
            with connection.execute_wrapper(writes):
                got = outcome_of(client.post(url, row.body(world)))
            changed = sorted(writes.tables)
        transaction.set_rollback(True)
    if expected == "back":
        if got != "302" or changed:
            return f"{method} {url} as {role}: expected a refusal, got {got}, wrote {changed}"
        return None
    if got != expected:
        return f"{method} {url} as {role}: expected {expected}, got {got}"
    if method == "POST" and expected in REFUSED and changed:
        return f"{method} {url} as {role}: refused with {got} but wrote to {changed}"
    return None


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_world()
        transaction.set_rollback(True)


@pytest.fixture(scope="module")
def sessions(world, django_db_blocker) -> dict[str, str]:
    """Each persona's session, signed in once for the module, as staff usually sign in."""
    found = {}
    with django_db_blocker.unblock():
        for role, person in world.people.items():
            client = Client()
            sign_in_with_identity_provider(client, person)
            found[role] = client.cookies[settings.SESSION_COOKIE_NAME].value
    return found


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row.name)
def test_every_cell_of_the_matrix(db, world, sessions, row):
    mismatches = []
    for method, cells in (("GET", row.get), ("POST", row.post)):
        if cells is None:
            continue
        assert set(cells) == set(MATRIX_ROLES), (
            f"{row.name} {method} must give every role an outcome"
        )
        for role in MATRIX_ROLES:
            mismatch = check(row, world, sessions, method, role, cells[role])
            if mismatch:
                mismatches.append(mismatch)
    assert not mismatches, "\n".join(mismatches)


def _our_patterns(patterns, prefix: str = "", namespace: str | None = None):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            route = prefix + str(pattern.pattern)
            if route in ("admin/", "django-admin/"):
                continue  # represented by a few rows, not their hundreds of patterns
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from _our_patterns(pattern.url_patterns, route, inner)
        elif isinstance(pattern, URLPattern):
            if pattern.name is None:
                yield prefix + str(pattern.pattern).lstrip("^").split("(")[0]
            else:
                yield f"{namespace}:{pattern.name}" if namespace else pattern.name


def test_every_url_pattern_has_a_row():
    rows = {row.name for row in ROWS}
    missing = sorted(set(_our_patterns(get_resolver().url_patterns)) - rows)
    assert not missing, "URL patterns with no row in the access matrix: " + ", ".join(missing)


def test_every_row_names_a_url_pattern_that_exists():
    patterns = set(_our_patterns(get_resolver().url_patterns))
    admin_rows = {
        "wagtailadmin_home",
        "wagtailadmin_pages:edit",
        "admin:index",
        "people_staff_data",
        "people_staff_data_download",
        "people_staff_erase",
    }
    assert {row.name for row in ROWS} - patterns - admin_rows == set()
