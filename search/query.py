"""What a search asks and what it answers: the same for every backend.

Backends receive a `SearchRequest` (already cleaned: see `search.text`) and the reader's
audience, and answer `SearchResults` with raw facet values; labels are added by
`search.selectors`, which every view calls.
"""

from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime

# What can be found. Resources carry the curriculum fields; the others only kind and text.
RESOURCE = "resource"
THREAD = "thread"
NEWS = "news"
PRINCIPLE = "principle"
PAGE = "page"
KINDS = (RESOURCE, THREAD, NEWS, PRINCIPLE, PAGE)

# Multi-select facets, in the order the sidebar shows them. Within a facet any chosen value
# may match; every facet with a choice must match. Each facet is counted with every other
# filter applied but its own (the post-filter pattern), so its counts say what choosing one
# more of its values would add.
FACETS = (
    "kind",
    "phase",
    "key_stage",
    "year_group",
    "subject",
    "resource_type",
    "school",
    "network",
    "principle",
)
# Facets whose values are database ids (ints); the rest are codes (strings).
ID_FACETS = frozenset({"subject", "school", "network", "principle"})

SORTS = ("relevance", "newest", "downloads")
PAGE_SIZE = 20
# Deep pages cost every backend more and help nobody: the page says to narrow the search.
MAX_PAGE = 50


@dataclass(frozen=True)
class Filters:
    kind: frozenset[str] = frozenset()
    phase: frozenset[str] = frozenset()
    key_stage: frozenset[str] = frozenset()
    year_group: frozenset[str] = frozenset()
    subject: frozenset[int] = frozenset()
    resource_type: frozenset[str] = frozenset()
    school: frozenset[int] = frozenset()
    network: frozenset[int] = frozenset()
    principle: frozenset[int] = frozenset()
    shared_focus: bool = False
    endorsed_only: bool = False
    published_from: date | None = None
    published_to: date | None = None

    def chosen(self, facet: str) -> frozenset:
        return getattr(self, facet)

    def without(self, facet: str) -> "Filters":
        """These filters with the facet's own choice dropped, for counting that facet."""
        return replace(self, **{facet: frozenset()})

    def with_values(self, facet: str, values) -> "Filters":
        return replace(self, **{facet: self.chosen(facet) | frozenset(values)})

    @property
    def is_empty(self) -> bool:
        return all(not getattr(self, f.name) for f in fields(self))


@dataclass(frozen=True)
class SearchRequest:
    # The words to look for, cleaned (no operators, at most MAX_TERMS terms); may be empty,
    # which lists everything the filters allow.
    terms: tuple[str, ...] = ()
    # Quoted phrases the text must contain, cleaned the same way.
    phrases: tuple[tuple[str, ...], ...] = ()
    filters: Filters = field(default_factory=Filters)
    sort: str = "relevance"
    page: int = 1
    page_size: int = PAGE_SIZE

    @property
    def has_text(self) -> bool:
        return bool(self.terms or self.phrases)

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size


@dataclass(frozen=True)
class Hit:
    kind: str
    pk: int
    title: str
    url: str
    # Safe HTML: the matching words in <mark>, everything else escaped by the backend.
    snippet: str
    # The title with its matching words in <mark>, safe HTML; the plain title if none.
    title_html: str
    published_at: datetime | None = None
    endorsed: bool = False
    # Curriculum and place fields for the result card (resources only): raw values.
    year_groups: tuple[str, ...] = ()
    subject: int | None = None
    resource_type: str = ""
    school: int | None = None
    network: int | None = None


@dataclass(frozen=True)
class FacetCount:
    value: str | int
    count: int


@dataclass
class SearchResults:
    hits: list[Hit]
    total: int
    # Per facet, the values with a non-zero count, most first, then by value.
    facets: dict[str, list[FacetCount]]
    page: int = 1
    page_size: int = PAGE_SIZE
    # Shown to the reader, for example "Search is running in its basic mode".
    notice: str = ""
    backend: str = ""

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))
