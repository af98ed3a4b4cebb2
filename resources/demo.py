"""The demo trust's curriculum: about 2,000 resources with real PDF, Word and PowerPoint
files whose text is read back by the same extractor uploads use, and curriculum maps for
Maths and English. Deterministic and idempotent."""

import hashlib
import io
import random
import tempfile
import zipfile
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from networks.curriculum import KEY_STAGE_OF_YEAR, YearGroup, phases_for, year_bits
from networks.models import Membership, Network
from resources.extraction import Limits, outcome_for
from resources.markdown import render_notes
from resources.models import FileVersion, Resource, ResourceFile, Strand, Unit, version_upload_to
from resources.uploads import KINDS

SEED = 2026
YEARS = list(YearGroup.values)

TOPICS: dict[str, list[str]] = {
    "Maths": ["place value", "addition and subtraction", "times tables", "fractions",
              "decimals and percentages", "ratio and proportion", "area and perimeter",
              "angles", "statistics", "algebraic expressions", "linear equations",
              "quadratics", "probability", "trigonometry", "calculus"],
    "English": ["phonics", "story writing", "persuasive writing", "poetry", "grammar",
                "Shakespeare", "non-fiction reading", "spoken language", "Of Mice and Men",
                "unseen poetry", "descriptive writing", "An Inspector Calls"],
    "Science": ["plants", "materials", "forces", "electricity", "the human body", "cells",
                "photosynthesis", "chemical reactions", "energy", "ecosystems", "waves"],
    "History": ["the Romans in Britain", "the Great Fire of London", "Anglo-Saxons",
                "the Norman conquest", "the Tudors", "the Industrial Revolution",
                "the First World War", "the Cold War", "the civil rights movement"],
    "Geography": ["rivers", "weather and climate", "maps and compasses", "volcanoes",
                  "coasts", "population", "the Weald", "urbanisation", "fieldwork"],
    "Computing": ["algorithms", "Scratch", "online safety", "Python", "networks",
                  "binary", "databases", "spreadsheets"],
    "Art": ["colour mixing", "observational drawing", "printmaking", "sculpture",
            "portraits", "textiles"],
    "Music": ["rhythm", "singing", "composition", "the orchestra", "notation", "film music"],
    "PE and wellbeing": ["gymnastics", "invasion games", "athletics", "swimming",
                         "mindfulness", "healthy eating"],
    "MFL": ["greetings in French", "numbers in Spanish", "describing family",
            "the past tense", "school life", "holidays"],
    "RE": ["festivals of light", "sacred texts", "places of worship", "ethics",
           "pilgrimage"],
    "SEND and inclusion": ["visual timetables", "adaptive teaching", "social stories",
                           "sensory breaks", "pre-teaching vocabulary"],
    "Early Years": ["continuous provision", "number sense", "mark making", "oral stories",
                    "outdoor learning"],
    "Climate and sustainability": ["energy audits", "biodiversity", "recycling",
                                   "climate science", "school gardens"],
}  # fmt: skip

FORMATS = ["pdf", "docx", "pptx"]
TYPES_FOR_FORMAT = {
    "pdf": [Resource.Type.WORKSHEET, Resource.Type.KNOWLEDGE_ORGANISER, Resource.Type.ASSESSMENT],
    "docx": [Resource.Type.LESSON_PLAN, Resource.Type.SCHEME_OF_WORK, Resource.Type.WORKSHEET],
    "pptx": [Resource.Type.SLIDE_DECK],
}


def seed_demo_resources(*, count: int | None = None) -> dict[str, int]:
    count = count if count is not None else settings.DEMO_RESOURCE_COUNT
    if Resource.objects.exists():
        return {"resources_created": 0, "units_created": _seed_maps()}
    rng = random.Random(SEED)
    # The core subjects share the most.
    weights = {"Maths": 3, "English": 3, "Science": 2, "Early Years": 2}
    networks = [
        network
        for network in Network.objects.order_by("name")
        for _ in range(weights.get(network.name, 1))
    ]
    members = _members_by_network()
    now = timezone.now()
    plans = []
    for number in range(count):
        network = networks[number % len(networks)]
        authors = members.get(network.pk)
        if not authors:
            continue
        plans.append(_plan(number, network, rng.choice(authors), now, rng))
    with transaction.atomic():
        resources = Resource.objects.bulk_create([plan["resource"] for plan in plans])
        for resource, plan in zip(resources, plans, strict=True):
            plan["resource"] = resource
        _attach_files(plans)
        units = _seed_maps()
    return {"resources_created": len(plans), "units_created": units}


def _members_by_network() -> dict[int, list]:
    members: dict[int, list] = {}
    memberships = Membership.objects.select_related("person", "person__school").order_by("pk")
    for membership in memberships:
        if membership.person.school_id:
            members.setdefault(membership.network_id, []).append(membership.person)
    return members


def _years_for(network: Network, rng: random.Random) -> list[str]:
    allowed = [year for year in YEARS if phases_for([year])[0] in network.phases] or YEARS
    start = rng.randrange(len(allowed))
    return allowed[start : start + rng.choice([1, 1, 2])]


def _plan(number: int, network: Network, author, now, rng: random.Random) -> dict:
    years = _years_for(network, rng)
    # The topic lists run roughly from the youngest pupils to the oldest: pick near the
    # year's place in the continuum, so calculus is not set for Year 2.
    topics = TOPICS.get(network.name, ["teaching ideas"])
    place = YEARS.index(years[0]) / (len(YEARS) - 1)
    nearest = round(place * (len(topics) - 1)) + rng.choice([-1, 0, 0, 1])
    topic = topics[min(max(nearest, 0), len(topics) - 1)]
    file_format = FORMATS[number % len(FORMATS)]
    resource_type = rng.choice(TYPES_FOR_FORMAT[file_format])
    year_label = (
        YearGroup(years[0]).label
        if len(years) == 1
        else (f"{YearGroup(years[0]).label} and {YearGroup(years[-1]).label}")
    )
    title = f"{topic[0].upper()}{topic[1:]}: {resource_type.label.lower()} for {year_label}"
    published = now - timedelta(days=rng.randrange(540), minutes=number)
    notes = (
        f"Used at {author.school.name} with {year_label}. "
        f"Start with a **five-minute retrieval quiz**, then model the first example.\n\n"
        f"- Adapt the vocabulary list for pupils with EAL\n- The extension task stretches "
        f"pupils working at greater depth"
    )
    endorsed = rng.random() < 0.08
    resource = Resource(
        title=title[:200],
        summary=f"{_a(resource_type.label)} on {topic} for {year_label}, "
        f"shared by the {network.name} network.",
        notes=notes,
        notes_html=render_notes(notes),
        network=network,
        subject_id=network.subject_id,
        year_groups=years,
        year_bits=year_bits(years),
        resource_type=resource_type,
        shared_focus=network.name == "Climate and sustainability" or rng.random() < 0.03,
        send_notes="Provide the printed version with enlarged text on request."
        if rng.random() < 0.2
        else "",
        scope=Resource.Scope.TRUST,
        author=author,
        school=author.school,
        status=Resource.Status.PUBLISHED,
        published_at=published,
        created_at=published,
        endorsed_at=published + timedelta(days=3) if endorsed else None,
        download_count=rng.randrange(0, 400),
        slug=f"demo-{number}",
    )
    return {"resource": resource, "format": file_format, "topic": topic, "years": years}


def _a(noun: str) -> str:
    return f"{'An' if noun[0].lower() in 'aeiou' else 'A'} {noun.lower()}"


def _document_text(resource: Resource, topic: str) -> list[str]:
    stages = sorted({KEY_STAGE_OF_YEAR[year] for year in resource.year_groups})
    return [
        resource.title,
        resource.summary,
        f"Key stage: {', '.join(stage.upper() for stage in stages)}. Topic: {topic}.",
        "Learning objectives: recall the key vocabulary, explain the main idea in your own "
        "words, and apply it to a new problem.",
        f"Shared by {resource.author.name} of {resource.school.name}.",
    ]


def _pdf_bytes(lines: list[str]) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    for line in lines:
        text = line.encode("latin-1", "replace").decode("latin-1")
        pdf.multi_cell(0, 8, text, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


_DOCX_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/word/document.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
    ),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
        '2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>'
    ),
}


def _docx_bytes(lines: list[str]) -> bytes:
    # A minimal WordprocessingML package, written directly: python-docx's full template
    # takes fifty times as long to save, and 700 of them slowed `make run` down.
    from xml.sax.saxutils import escape

    paragraphs = "".join(
        f'<w:p><w:r><w:t xml:space="preserve">{escape(line)}</w:t></w:r></w:p>' for line in lines
    )
    document = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        f"<w:body>{paragraphs}</w:body></w:document>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        for name, xml in _DOCX_PARTS.items():
            package.writestr(name, xml)
        package.writestr("word/document.xml", document)
    return out.getvalue()


class _SlideDeck:
    """One python-pptx deck reused for every file: loading its template is the slow part."""

    def __init__(self) -> None:
        from pptx import Presentation

        self.deck = Presentation()
        self.title = self.deck.slides.add_slide(self.deck.slide_layouts[0])
        self.body = self.deck.slides.add_slide(self.deck.slide_layouts[1])
        self.body.shapes.title.text = "What we are learning"

    def __call__(self, lines: list[str]) -> bytes:
        self.title.shapes.title.text = lines[0]
        self.title.placeholders[1].text = lines[1]
        self.body.placeholders[1].text = "\n".join(lines[2:])
        out = io.BytesIO()
        self.deck.save(out)
        return out.getvalue()


def _attach_files(plans: list[dict]) -> None:
    limits = Limits.from_settings()
    makers = {"pdf": _pdf_bytes, "docx": _docx_bytes, "pptx": _SlideDeck()}
    files = ResourceFile.objects.bulk_create(
        [ResourceFile(resource=plan["resource"], title="") for plan in plans]
    )
    versions = []
    with tempfile.TemporaryDirectory(prefix="staffroom-demo-") as scratch:
        for resource_file, plan in zip(files, plans, strict=True):
            resource, file_format = plan["resource"], plan["format"]
            content = makers[file_format](_document_text(resource, plan["topic"]))
            name = f"{resource.slug}.{file_format}"
            version = FileVersion(
                file=resource_file,
                number=1,
                original_name=f"{resource.title[:80]}.{file_format}".replace(":", ""),
                size=len(content),
                sha256=hashlib.sha256(content).hexdigest(),
                content_type=KINDS[file_format].content_type,
                uploaded_by=resource.author,
                uploaded_at=resource.published_at,
            )
            version.blob.name = default_storage.save(
                version_upload_to(version, name), ContentFile(content)
            )
            # Read the text back exactly as an upload's would be (in this process: the
            # files are our own).
            path = Path(scratch) / name
            path.write_bytes(content)
            outcome = outcome_for(str(path), file_format, limits, in_child=False)
            path.unlink()
            version.extraction = outcome.status
            version.extracted_text = outcome.text
            version.extraction_notice = outcome.notice
            versions.append(version)
    versions = FileVersion.objects.bulk_create(versions)
    for resource_file, version in zip(files, versions, strict=True):
        resource_file.current = version
    ResourceFile.objects.bulk_update(files, ["current"])


MAPS: dict[str, dict[str, list[tuple[str, str]]]] = {
    "Maths": {
        "Number and place value": [("reception", "Numbers to 10"), ("y1", "Numbers to 100"),
                                   ("y3", "Numbers to 1,000"), ("y5", "Numbers to a million"),
                                   ("y7", "Place value and standard form")],
        "Fractions": [("y1", "Halves and quarters"), ("y2", "Unit fractions"),
                      ("y3", "Equivalent fractions"), ("y4", "Adding fractions"),
                      ("y6", "Fractions, decimals and percentages"),
                      ("y7", "Fraction arithmetic"), ("y9", "Algebraic fractions")],
        "Geometry": [("reception", "Shapes around us"), ("y2", "2D and 3D shapes"),
                     ("y4", "Angles and symmetry"), ("y6", "Coordinates"),
                     ("y8", "Constructions"), ("y10", "Trigonometry"), ("y12", "Vectors")],
        "Algebra": [("y6", "Formulae and sequences"), ("y7", "Expressions"),
                    ("y8", "Linear equations"), ("y10", "Quadratics"),
                    ("y12", "Differentiation")],
    },
    "English": {
        "Reading": [("reception", "Phonics phase 2"), ("y1", "Phonics screening"),
                    ("y3", "Reading for meaning"), ("y6", "Inference"),
                    ("y8", "Reading a whole novel"), ("y10", "An Inspector Calls"),
                    ("y12", "Critical reading")],
        "Writing": [("reception", "Mark making"), ("y2", "Sentences and stories"),
                    ("y4", "Paragraphs"), ("y6", "Writing for an audience"),
                    ("y7", "Descriptive writing"), ("y11", "Persuasive writing")],
        "Spoken language": [("nursery", "Talking together"), ("y3", "Performing poetry"),
                            ("y9", "Debating"), ("y11", "Spoken language endorsement")],
    },
}  # fmt: skip


def _seed_maps() -> int:
    created = 0
    for network_name, strands in MAPS.items():
        network = Network.objects.filter(name=network_name).first()
        if network is None or network.strands.exists():
            continue
        resources = list(
            Resource.objects.filter(network=network, status=Resource.Status.PUBLISHED).only(
                "pk", "title", "year_groups"
            )
        )
        for position, (strand_name, units) in enumerate(strands.items()):
            strand = Strand.objects.create(network=network, name=strand_name, position=position)
            for unit_position, (year, title) in enumerate(units):
                unit = Unit.objects.create(
                    strand=strand, year_group=year, title=title, position=unit_position
                )
                created += 1
                words = {word.lower() for word in title.split() if len(word) > 3}
                matching = [
                    r.pk
                    for r in resources
                    if year in r.year_groups and words & set(r.title.lower().split())
                ] or [r.pk for r in resources if year in r.year_groups][:2]
                # Leave some cells without resources, so the map shows its gaps.
                if unit_position % 4 != 3:
                    unit.resources.set(matching[:4])
    return created
