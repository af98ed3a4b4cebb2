"""The search page's query string, read leniently and written back canonically.

Anything a person (or a pasted, edited or stale link) puts in the address is read as far as
it makes sense: unknown or malformed values are dropped with a message saying so, and the rest
of the search still runs. Nothing here ever answers 400.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from urllib.parse import urlencode

from django.http import QueryDict

from cms.models import PrinciplePage
from networks.curriculum import KeyStage, Phase, YearGroup
from networks.models import Network, Subject
from people.models import School
from resources.models import Resource
from search.query import FACETS, ID_FACETS, KINDS, MAX_PAGE, SORTS, Filters
from search.text import MAX_CHARACTERS

# More choices than this in one facet is a crafted link, not a person ticking boxes.
MAX_VALUES = 30
# Ids past this are nobody's, and SQLite refuses integers wider than 64 bits.
MAX_ID = 2**63 - 1
TRUE = frozenset({"1", "on", "true", "yes", "y"})
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y", "%d-%m-%Y", "%d.%m.%Y")

CODES: dict[str, frozenset[str]] = {
    "kind": frozenset(KINDS),
    "phase": frozenset(Phase.values),
    "key_stage": frozenset(KeyStage.values),
    "year_group": frozenset(YearGroup.values),
    "resource_type": frozenset(Resource.Type.values),
}
# What each facet is called in a sentence: "“x” is not a key stage we know".
NOUNS = {
    "kind": "kind of result",
    "phase": "phase",
    "key_stage": "key stage",
    "year_group": "year group",
    "subject": "subject",
    "resource_type": "type of resource",
    "school": "school",
    "network": "network",
    "principle": "trust principle",
}


def _known_ids(facet: str, ids: set[int]) -> set[int]:
    """Which of these ids exist: one query."""
    managers = {
        "subject": Subject.objects,
        "school": School.objects,
        "network": Network.objects,
        "principle": PrinciplePage.objects.live(),
    }
    return set(managers[facet].filter(pk__in=ids).values_list("pk", flat=True))


@dataclass(frozen=True)
class SearchInput:
    text: str = ""
    filters: Filters = field(default_factory=Filters)
    # "" when the reader chose none: the selector picks the default for the search.
    sort: str = ""
    page: int = 1
    # Take the words literally: no year group or key stage filters read from them.
    exact: bool = False
    problems: tuple[str, ...] = ()


def _shown(value: str) -> str:
    value = " ".join(value.split())
    return value if len(value) <= 40 else value[:39] + "…"


def _clean(value: str) -> str:
    return value.replace("\x00", "").strip()


def _date(value: str) -> date | None:
    for pattern in DATE_FORMATS:
        try:
            return datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    return None


def read_search(data: QueryDict) -> SearchInput:
    """The search asked for by a query string, and what had to be left out of it."""
    problems: list[str] = []
    text = _clean(data.get("q", ""))
    if len(text) > MAX_CHARACTERS:
        text = text[:MAX_CHARACTERS]
        problems.append(
            f"Your search was very long, so only its first {MAX_CHARACTERS} characters were used."
        )

    chosen: dict[str, frozenset] = {}
    for facet in FACETS:
        values = list(dict.fromkeys(v for v in (_clean(v) for v in data.getlist(facet)) if v))
        if len(values) > MAX_VALUES:
            values = values[:MAX_VALUES]
            problems.append(f"Only the first {MAX_VALUES} {NOUNS[facet]} choices were used.")
        if facet in ID_FACETS:
            ids: set[int] = set()
            for value in values:
                number = int(value) if value.isascii() and value.isdigit() else 0
                if 0 < number <= MAX_ID:
                    ids.add(number)
                else:
                    problems.append(_unknown(value, facet))
            if ids:
                known = _known_ids(facet, ids)
                if missing := ids - known:
                    noun = NOUNS[facet]
                    problems.append(
                        f"We could not find the {noun} you chose, so that filter has been left out."
                        if len(missing) == 1
                        else f"We could not find {len(missing)} of the {noun} filters you "
                        "chose, so they have been left out."
                    )
                ids = known
            chosen[facet] = frozenset(ids)
        else:
            allowed = CODES[facet]
            for value in values:
                if value not in allowed:
                    problems.append(_unknown(value, facet))
            chosen[facet] = frozenset(value for value in values if value in allowed)

    dates: dict[str, date | None] = {}
    for name, which in (("from", "“from”"), ("to", "“to”")):
        value = _clean(data.get(name, ""))
        dates[name] = _date(value) if value else None
        if value and dates[name] is None:
            problems.append(
                f"“{_shown(value)}” is not a date we recognise, so the {which} date has been "
                "left out. Use a date like 31/12/2026."
            )
    published_from, published_to = dates["from"], dates["to"]
    if published_from and published_to and published_from > published_to:
        published_from, published_to = published_to, published_from
        problems.append("The “to” date was before the “from” date, so they have been swapped.")

    sort = _clean(data.get("sort", ""))
    if sort and sort not in SORTS:
        problems.append(
            f"“{_shown(sort)}” is not a way of sorting we know, so the usual order is used."
        )
        sort = ""

    page_value = _clean(data.get("page", ""))
    # A page that is not a number is the first page: links get mangled, people do not care.
    page = int(page_value) if page_value.isascii() and page_value.isdigit() else 1
    page = max(page, 1)
    if page > MAX_PAGE:
        page = MAX_PAGE
        problems.append(
            f"Search shows at most {MAX_PAGE} pages of results. Add words or filters to "
            "narrow it down."
        )

    filters = Filters(
        **chosen,
        endorsed_only=_clean(data.get("endorsed", "")).lower() in TRUE,
        shared_focus=_clean(data.get("shared_focus", "")).lower() in TRUE,
        published_from=published_from,
        published_to=published_to,
    )
    return SearchInput(
        text=text,
        filters=filters,
        sort=sort,
        page=page,
        exact=_clean(data.get("exact", "")).lower() in TRUE,
        problems=tuple(dict.fromkeys(problems)),
    )


def _unknown(value: str, facet: str) -> str:
    return f"“{_shown(value)}” is not a {NOUNS[facet]} we know, so it has been left out."


def search_params(
    *,
    text: str = "",
    filters: Filters | None = None,
    sort: str = "",
    exact: bool = False,
    page: int = 1,
) -> list[tuple[str, str]]:
    """The query string's pairs for a search, always in the same order, so that the same
    search has the same address (shareable, cacheable)."""
    filters = filters or Filters()
    pairs: list[tuple[str, str]] = []
    if text:
        pairs.append(("q", text))
    if exact:
        pairs.append(("exact", "1"))
    for facet in FACETS:
        pairs += [(facet, str(value)) for value in sorted(filters.chosen(facet), key=str)]
    if filters.endorsed_only:
        pairs.append(("endorsed", "1"))
    if filters.shared_focus:
        pairs.append(("shared_focus", "1"))
    if filters.published_from:
        pairs.append(("from", filters.published_from.isoformat()))
    if filters.published_to:
        pairs.append(("to", filters.published_to.isoformat()))
    if sort:
        pairs.append(("sort", sort))
    if page > 1:
        pairs.append(("page", str(page)))
    return pairs


def encode(pairs: Iterable[tuple[str, str]]) -> str:
    return urlencode(list(pairs))
