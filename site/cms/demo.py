"""The fictional Weald Valley Learning Trust's pages, for demonstrations and development."""

import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from wagtail.models import Page, Site
from wagtail.rich_text import RichText

from cms.models import (
    HomePage,
    NewsCategory,
    NewsIndexPage,
    NewsPage,
    PrincipleIndexPage,
    PrinciplePage,
    SchoolIndexPage,
    SharedFocusPage,
    TrustBranding,
)
from people.models import School

TRUST_NAME = "Weald Valley Learning Trust"

PRINCIPLES: list[dict[str, Any]] = [
    {
        "title": "Ethical leadership",
        "slug": "ethical-leadership",
        "summary": "Leaders at every level act with integrity, put pupils first and explain "
        "the decisions they make.",
        "body": [
            (
                "paragraph",
                "<p>Leadership in our trust is a service, not a status. Whether "
                "you lead a school, a department or a reading group, we expect you to act in "
                "the interests of the pupils in front of you and to be open about why.</p>",
            ),
            ("heading", "What we mean"),
            (
                "paragraph",
                "<p>We follow the Framework for Ethical Leadership in Education: "
                "selflessness, integrity, objectivity, accountability, openness, honesty and "
                "leadership, shown through trust, wisdom, kindness, justice, service, courage "
                "and optimism.</p>",
            ),
            (
                "quote",
                {
                    "quote": "The right decision is rarely the easiest one, but it is "
                    "always the one we can explain to a parent.",
                    "attribution": "Helen Marsh, Chief Executive Officer",
                },
            ),
        ],
        "examples": [
            (
                "Open budget meetings",
                "",
                "Headteachers share the school's spending "
                "priorities with all staff each spring and invite questions before the budget "
                "is set.",
            ),
            (
                "Exclusions reviewed by peers",
                "secondary",
                "Every suspension is reviewed by a "
                "senior leader from another trust school within a week, so that decisions are "
                "fair and consistent.",
            ),
            (
                "Workload promises",
                "primary",
                "New initiatives are only introduced when "
                "something else is taken away, and staff are told which.",
            ),
        ],
    },
    {
        "title": "Inclusion",
        "slug": "inclusion",
        "summary": "Every pupil belongs, learns alongside their peers and is expected to "
        "achieve, whatever their starting point.",
        "body": [
            (
                "paragraph",
                "<p>Inclusion is not a programme for some pupils: it is how we "
                "teach all of them. Adaptive teaching, early identification of need and strong "
                "relationships with families come first.</p>",
            ),
            ("heading", "Our commitments"),
            (
                "paragraph",
                "<ul><li>Pupils with special educational needs learn in "
                "mainstream classrooms wherever possible.</li><li>Every teacher is a teacher of "
                "pupils with SEND.</li><li>We listen to pupils and families before we plan "
                "support.</li></ul>",
            ),
        ],
        "examples": [
            (
                "Communication-friendly classrooms",
                "primary",
                "Visual timetables, word "
                "banks and calm corners in every EYFS and Key Stage 1 classroom.",
            ),
            (
                "Transition passports",
                "secondary",
                "Year 6 pupils with additional needs "
                "write a one-page profile with their teacher that follows them to Year 7.",
            ),
            (
                "SENCo network",
                "",
                "SENCos from every school meet half-termly to share "
                "strategies and moderate provision maps.",
            ),
        ],
    },
    {
        "title": "Equity",
        "slug": "equity",
        "summary": "We give more to those who need more, so that a pupil's background never "
        "limits what they can achieve.",
        "body": [
            (
                "paragraph",
                "<p>Equal treatment is not enough when pupils start from different "
                "places. We target our best teaching, our time and our money where the gap is "
                "widest.</p>",
            ),
            ("heading", "How we act"),
            (
                "paragraph",
                "<p>Pupil premium funding is spent on quality-first teaching and "
                "tutoring, not on labels. Trips, clubs and music lessons are open to every "
                "pupil, with costs covered where families need it.</p>",
            ),
            (
                "quote",
                {
                    "quote": "Disadvantage is not destiny.",
                    "attribution": "Trust strategy 2025–2028",
                },
            ),
        ],
        "examples": [
            (
                "Breakfast and homework club",
                "primary",
                "Free breakfast and a quiet place to "
                "read before school for any pupil who wants it.",
            ),
            (
                "Cultural capital passport",
                "secondary",
                "Every pupil visits a theatre, a "
                "museum and a university campus before the end of Year 9.",
            ),
            (
                "Tutoring first",
                "",
                "Trust-trained tutors work with small groups in English "
                "and mathematics, prioritising disadvantaged pupils.",
            ),
        ],
    },
]

CATEGORIES = [
    ("Events", "events"),
    ("Achievements", "achievements"),
    ("Trust updates", "trust-updates"),
]

NEWS: list[tuple[str, str, int, str, str]] = [
    # title, category slug, days ago, school phase ("" for trust-wide), intro
    (
        "Year 6 choir wins county festival",
        "achievements",
        4,
        "primary",
        "Forty pupils sang their way to first place at the Kent Schools Music Festival.",
    ),
    (
        "Climate action week: what every school did",
        "events",
        10,
        "",
        "Litter picks, energy audits and a trust-wide assembly launched our shared focus.",
    ),
    (
        "New trust-wide reading spine published",
        "trust-updates",
        17,
        "primary",
        "Every primary school now shares one reading spine from Reception to Year 6.",
    ),
    (
        "GCSE science results up for the third year",
        "achievements",
        26,
        "secondary",
        "More pupils than ever achieved a grade 5 or above in combined science.",
    ),
    (
        "Inset day: inclusion in every classroom",
        "events",
        34,
        "",
        "All staff spent the September inset day on adaptive teaching and early help.",
    ),
    (
        "Welcome to our new headteacher",
        "trust-updates",
        43,
        "primary",
        "We are delighted to welcome a new headteacher from the start of the autumn term.",
    ),
    (
        "Eco-council plants 500 trees",
        "achievements",
        55,
        "primary",
        "Pupils from three schools planted a new hedgerow with the Woodland Trust.",
    ),
    (
        "Parent survey: what you told us",
        "trust-updates",
        64,
        "",
        "Nine in ten parents would recommend their child's school; here is what we will improve.",
    ),
    (
        "Sixth form open evening",
        "events",
        76,
        "secondary",
        "Year 11 pupils and their families are invited to meet our sixth form team.",
    ),
    (
        "Early career teachers celebrate their first year",
        "achievements",
        89,
        "",
        "Twenty-two early career teachers completed their first year with the trust.",
    ),
    (
        "Summer reading challenge launches",
        "events",
        103,
        "primary",
        "Libraries across the Weald join our schools to keep pupils reading all summer.",
    ),
    (
        "Trust annual report 2025/26",
        "trust-updates",
        120,
        "",
        "Our annual report sets out outcomes, finances and priorities for next year.",
    ),
]


def _paragraphs(raw: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    return [(kind, RichText(value) if kind == "paragraph" else value) for kind, value in raw]


def _child(parent: Page, model: type[Page], slug: str, **fields: Any) -> tuple[Page, bool]:
    """The live child of `parent` with this slug, created and published if missing."""
    existing = model.objects.child_of(parent).filter(slug=slug).first()
    if existing is not None:
        return existing, False
    page = model(slug=slug, **fields)
    parent.add_child(instance=page)
    page.save_revision(log_action=False).publish(log_action=False)
    return page, True


def _school_for(phase: str, index: int) -> School | None:
    schools = list(School.objects.filter(phase=phase).order_by("name")) if phase else []
    return schools[index % len(schools)] if schools else None


@transaction.atomic
def seed_demo_pages() -> dict[str, int]:
    """Build the trust's pages once; running again finds them and changes nothing."""
    site = Site.objects.get(is_default_site=True)
    home = site.root_page.specific
    if not isinstance(home, HomePage):
        raise RuntimeError("The default site's root is not a HomePage: run migrate first.")
    if home.title != TRUST_NAME:
        home.title = TRUST_NAME
        home.intro = (
            "<p>Welcome to Staffroom, the shared staff room of the Weald Valley Learning "
            "Trust: four schools, one curriculum from Reception to sixth form, and the "
            "principles we hold in common.</p>"
        )
        home.save_revision(log_action=False).publish(log_action=False)

    branding = TrustBranding.load(request_or_site=site)
    if branding.trust_name != TRUST_NAME:
        branding.trust_name = TRUST_NAME
        branding.short_name = "WVLT"
        branding.save()

    created = 0
    principle_index, new = _child(
        home,
        PrincipleIndexPage,
        "principles",
        title="Our principles",
        intro="<p>Three principles guide every decision we make, in every school.</p>",
    )
    created += new
    for number, principle in enumerate(PRINCIPLES):
        examples = [
            (
                "example",
                {
                    "title": title,
                    "school": _school_for(phase, number),
                    "description": description,
                },
            )
            for title, phase, description in principle["examples"]
        ]
        _, new = _child(
            principle_index,
            PrinciplePage,
            principle["slug"],
            title=principle["title"],
            summary=principle["summary"],
            body=_paragraphs(principle["body"]),
            examples=examples,
        )
        created += new

    categories = {
        slug: NewsCategory.objects.get_or_create(slug=slug, defaults={"name": name})[0]
        for name, slug in CATEGORIES
    }
    news_index, new = _child(
        home,
        NewsIndexPage,
        "news",
        title="News",
        intro="<p>News from across the trust and its schools.</p>",
    )
    created += new
    today = timezone.localdate()
    for number, (title, category, days_ago, phase, intro) in enumerate(NEWS):
        school = _school_for(phase, number)
        slug = slugify(title)
        if NewsPage.objects.child_of(news_index).filter(slug=slug).exists():
            continue
        news = NewsPage(
            slug=slug,
            title=title,
            date=today - datetime.timedelta(days=days_ago),
            category=categories[category],
            intro=intro,
            body=[
                ("paragraph", RichText(f"<p>{intro}</p>")),
                (
                    "paragraph",
                    RichText(
                        "<p>Staff can find out more from their school office or the "
                        "central team.</p>"
                    ),
                ),
            ],
        )
        news_index.add_child(instance=news)
        if school is not None:
            news.schools.set([school])
        news.save_revision(log_action=False).publish(log_action=False)
        created += 1

    _, new = _child(
        home,
        SchoolIndexPage,
        "schools",
        title="Our schools",
        intro="<p>The schools of the Weald Valley Learning Trust.</p>",
    )
    created += new
    _, new = _child(
        home,
        SharedFocusPage,
        "shared-focus-2026-27",
        title="Climate and sustainability",
        academic_year="2026/27",
        summary="This year every school in the trust teaches, talks about and lives "
        "sustainability, from the EYFS garden to the sixth form's energy audit.",
        body=_paragraphs(
            [
                (
                    "paragraph",
                    "<p>Our pupils will inherit the consequences of the climate "
                    "crisis. This year each school will weave climate and sustainability through "
                    "its curriculum and make one visible change to how it runs.</p>",
                ),
                ("heading", "What we will do together"),
                (
                    "paragraph",
                    "<ul><li>Map where climate is taught from Reception to Year "
                    "13 and close the gaps.</li><li>Every school appoints a sustainability lead "
                    "and a pupil eco-council.</li><li>Cut each school's energy use by a tenth."
                    "</li></ul>",
                ),
            ]
        ),
    )
    created += new
    return {"pages_created": created}
