"""Search as every view asks for it: the words read, school vocabulary applied, the backend
asked (falling back to the database when Elasticsearch cannot answer), and the answer labelled
for people.

Backends answer raw values (ids and codes); this module turns them into names, in one query
per kind of name, and into the chips, facet groups and links the page shows.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from cms.models import PrinciplePage
from config.pagination import PageLinks
from networks.curriculum import KeyStage, Phase, YearGroup, key_stages_for
from networks.models import Network, Subject
from people.models import School
from resources.models import Resource
from resources.selectors import published_resources_visible_to
from search.backends import database_backend, primary_backend
from search.backends.base import Audience, SearchBackend, SearchUnavailable
from search.forms import encode, search_params
from search.query import (
    FACETS,
    ID_FACETS,
    MAX_PAGE,
    NEWS,
    PAGE,
    PAGE_SIZE,
    PRINCIPLE,
    RESOURCE,
    THREAD,
    Filters,
    Hit,
    SearchRequest,
    SearchResults,
)
from search.records import audience_of
from search.text import MAX_CHARACTERS, MAX_TERMS, ParsedText, parse, words

logger = logging.getLogger(__name__)

FALLBACK_NOTICE = (
    "Search is working in a simpler mode at the moment; results may be ordered differently."
)
UNAVAILABLE_NOTICE = "Search is not available at the moment. Please try again in a few minutes."
TYPEAHEAD_LIMIT = 8
RELATED_LIMIT = 5

KIND_LABELS = {
    RESOURCE: "Resources",
    THREAD: "Forum threads",
    NEWS: "News",
    PRINCIPLE: "Principles",
    PAGE: "Pages",
}
KIND_TAGS = {
    RESOURCE: "Resource",
    THREAD: "Forum thread",
    NEWS: "News",
    PRINCIPLE: "Principle",
    PAGE: "Page",
}
CODE_LABELS: dict[str, dict[str, str]] = {
    "kind": KIND_LABELS,
    "phase": dict(Phase.choices),
    "key_stage": dict(KeyStage.choices),
    "year_group": dict(YearGroup.choices),
    "resource_type": dict(Resource.Type.choices),
}
LEGENDS = {
    "kind": "Show",
    "phase": "Phase",
    "key_stage": "Key stage",
    "year_group": "Year group",
    "subject": "Subject",
    "resource_type": "Type of resource",
    "school": "School",
    "network": "Network",
    "principle": "Trust principle",
}
# How the undo link names what it widens the search to.
EVERY = {"year_group": "every year group", "key_stage": "every key stage", "phase": "every phase"}
SORT_LABELS = {"relevance": "Best match", "newest": "Newest first", "downloads": "Most downloaded"}


@dataclass(frozen=True)
class Result:
    hit: Hit
    kind_label: str
    title_html: SafeString
    snippet: SafeString
    # "Year 4, Year 5", "Mathematics", "Worksheet", "Oakfield Primary": what is known.
    details: tuple[str, ...]
    endorsed: bool
    published_at: datetime | None


@dataclass(frozen=True)
class FacetOption:
    value: str
    label: str
    count: int
    selected: bool
    html_id: str


@dataclass(frozen=True)
class FacetGroup:
    name: str
    legend: str
    options: tuple[FacetOption, ...]


@dataclass(frozen=True)
class Chip:
    label: str
    url: str


@dataclass(frozen=True)
class Understood:
    """Filters read from the words ("Y7 fractions": Year 7), and the way back."""

    message: str
    undo_label: str
    undo_url: str


@dataclass(frozen=True)
class Pagination(PageLinks):
    """The page of results shown, and how many there are."""

    number: int
    num_pages: int


@dataclass
class SearchPage:
    text: str
    # False when there was nothing to search for: the page invites a search instead.
    searched: bool = False
    results: list[Result] = field(default_factory=list)
    total: int = 0
    pagination: Pagination = field(default_factory=lambda: Pagination(1, 1))
    facets: list[FacetGroup] = field(default_factory=list)
    chips: list[Chip] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    understood: Understood | None = None
    sort: str = "relevance"
    sorts: tuple[tuple[str, str], ...] = ()
    filters: Filters = field(default_factory=Filters)
    # Hidden fields of the filter form and of the sort form: the rest of the search.
    filter_form_hidden: list[tuple[str, str]] = field(default_factory=list)
    sort_form_hidden: list[tuple[str, str]] = field(default_factory=list)
    # The filters and order a new search from the page's own box keeps.
    search_form_hidden: list[tuple[str, str]] = field(default_factory=list)
    # The current search's query string without its page, for pagination links.
    query: str = ""
    clear_url: str = ""
    suggestions: list[Chip] = field(default_factory=list)
    backend: str = ""

    @property
    def start(self) -> int:
        """The number of the page's first result, for the ordered list."""
        return (self.pagination.number - 1) * PAGE_SIZE + 1


@dataclass(frozen=True)
class _State:
    """A search as its address says it: the words, the filters, the order and exactness."""

    text: str
    filters: Filters
    sort: str
    exact: bool

    def url(self, **changes) -> str:
        state = replace(self, **changes)
        pairs = search_params(
            text=state.text, filters=state.filters, sort=state.sort, exact=state.exact
        )
        return f"{reverse('search:index')}?{encode(pairs)}" if pairs else reverse("search:index")

    def without(self, facet: str, value) -> "_State":
        if facet in FACETS:
            return replace(
                self, filters=replace(self.filters, **{facet: self.filters.chosen(facet) - {value}})
            )
        return replace(self, filters=replace(self.filters, **{facet: value}))


def search(
    person,
    *,
    text: str = "",
    filters: Filters | None = None,
    sort: str = "",
    page: int = 1,
    exact: bool = False,
) -> SearchPage:
    """The search page for this person: results they may see, labelled facets, chips and
    notices. `sort` "" means the default (best match with words, newest without)."""
    filters = filters or Filters()
    parsed = parse(text, understand=not exact)
    notices: list[str] = []
    if parsed.shortened:
        notices.append(
            f"Your search was very long, so only its first {MAX_CHARACTERS} characters were used."
            if len(text) > MAX_CHARACTERS
            else f"Only the first {MAX_TERMS} words of your search were used."
        )

    effective = filters
    for facet, value in parsed.vocabulary:
        effective = effective.with_values(facet, [value])
    original = _State(text, filters, sort, exact)
    # The same search with the understood words turned into ticked filters, for the forms:
    # unticking Year 7 must not bring it back from the words.
    if parsed.vocabulary:
        rest = _rebuilt(parsed)
        folded = _State(rest, effective, sort, bool(parse(rest).vocabulary))
    else:
        folded = original

    has_text = bool(parsed.terms or parsed.phrases)
    page_result = SearchPage(
        text=text,
        sort=sort or ("relevance" if has_text else "newest"),
        filters=effective,
        filter_form_hidden=search_params(text=folded.text, sort=sort, exact=folded.exact),
        sort_form_hidden=search_params(
            text=folded.text, filters=folded.filters, exact=folded.exact
        ),
        search_form_hidden=search_params(filters=filters, sort=sort),
        query=encode(search_params(text=text, filters=filters, sort=sort, exact=exact)),
        clear_url=folded.url(filters=Filters()),
    )
    page_result.sorts = tuple(
        (key, label)
        for key, label in SORT_LABELS.items()
        if has_text or key != "relevance" or page_result.sort == "relevance"
    )
    if not has_text and effective.is_empty:
        if text.strip():
            notices.append(
                "Your search had no words we could look for. Try a word or two, like "
                "“fractions” or “phonics”."
            )
        page_result.notices = notices
        return page_result

    request = SearchRequest(
        terms=parsed.terms,
        phrases=parsed.phrases,
        filters=effective,
        sort=page_result.sort,
        page=page,
    )
    audience = audience_of(person)
    results, notice = _answer(request, audience)
    if results is None:
        page_result.notices = [*notices, notice]
        return page_result
    last = min(results.pages, MAX_PAGE)
    if results.total and page > last:
        notices.append(
            "There is only one page of results, so here it is."
            if last == 1
            else f"There are only {last} pages of results, so here is the last one."
        )
        results, notice = _answer(replace(request, page=last), audience)
        if results is None:
            page_result.notices = [*notices, notice]
            return page_result
    if notice:
        notices.append(notice)
    if results.notice and results.notice not in notices:
        notices.append(results.notice)
    if results.pages > MAX_PAGE and results.page >= last:
        notices.append(
            f"Only the first {MAX_PAGE} pages are shown. Add words or filters to narrow the search."
        )

    labels = _labels(results, effective)
    page_result.searched = True
    page_result.backend = results.backend
    page_result.total = results.total
    page_result.pagination = Pagination(min(results.page, last) or 1, max(last, 1))
    page_result.results = [_result(hit, labels) for hit in results.hits]
    page_result.facets = _facet_groups(results, effective, labels)
    page_result.chips = _chips(original, folded, filters, parsed, labels)
    page_result.notices = notices
    if parsed.vocabulary:
        page_result.understood = _understood(parsed, original)
    if not results.total:
        page_result.suggestions = _suggestions(page_result, folded)
    return page_result


def _rebuilt(parsed: ParsedText) -> str:
    phrases = ['"' + " ".join(phrase) + '"' for phrase in parsed.phrases]
    return " ".join([*parsed.terms, *phrases])


def _answer(request: SearchRequest, audience: Audience) -> tuple[SearchResults | None, str]:
    """The primary backend's answer, or the database's with a notice when it cannot answer."""
    backend = primary_backend()
    try:
        return backend.search(request, audience), ""
    except SearchUnavailable as error:
        fallback = database_backend()
        if backend is fallback:
            logger.warning("The database search backend could not answer: %s", error)
            return None, UNAVAILABLE_NOTICE
        logger.warning(
            "Search backend %s is unavailable (%s); answering from the database.",
            getattr(backend, "name", backend),
            error,
        )
    try:
        return fallback.search(request, audience), FALLBACK_NOTICE
    except SearchUnavailable as error:
        logger.warning("The database search backend could not answer either: %s", error)
        return None, UNAVAILABLE_NOTICE


def _labels(results: SearchResults, filters: Filters) -> dict[str, dict]:
    """Every facet's value → label; the id facets' names read in one query each."""
    labels: dict[str, dict] = {facet: dict(names) for facet, names in CODE_LABELS.items()}
    wanted: dict[str, set[int]] = {facet: set(filters.chosen(facet)) for facet in ID_FACETS}
    for facet in ID_FACETS:
        wanted[facet].update(count.value for count in results.facets.get(facet, ()))
    for hit in results.hits:
        if hit.subject is not None:
            wanted["subject"].add(hit.subject)
        if hit.school is not None:
            wanted["school"].add(hit.school)
    models = {
        "subject": (Subject.objects, "name"),
        "school": (School.objects, "name"),
        "network": (Network.objects, "name"),
        "principle": (PrinciplePage.objects, "title"),
    }
    for facet, (manager, name) in models.items():
        ids = {value for value in wanted[facet] if isinstance(value, int)}
        labels[facet] = dict(manager.filter(pk__in=ids).values_list("pk", name)) if ids else {}
    return labels


def _result(hit: Hit, labels: dict[str, dict]) -> Result:
    details: list[str] = []
    if hit.year_groups:
        years = [year for year in hit.year_groups if year in labels["year_group"]]
        # A long run of years reads better as its key stages.
        if len(years) > 3:
            details.append(", ".join(labels["key_stage"][ks] for ks in key_stages_for(years)))
        elif years:
            details.append(", ".join(labels["year_group"][year] for year in years))
    if hit.subject is not None and hit.subject in labels["subject"]:
        details.append(labels["subject"][hit.subject])
    if hit.resource_type in labels["resource_type"]:
        details.append(labels["resource_type"][hit.resource_type])
    if hit.school is not None and hit.school in labels["school"]:
        details.append(labels["school"][hit.school])
    # Backends escape everything but their own <mark> tags (the contract suite checks it).
    return Result(
        hit=hit,
        kind_label=KIND_TAGS.get(hit.kind, "Page"),
        title_html=mark_safe(hit.title_html or hit.title),  # nosec B308 B703: escaped by backend
        snippet=mark_safe(hit.snippet),  # nosec B308 B703: escaped by the backend
        details=tuple(details),
        endorsed=hit.endorsed,
        published_at=hit.published_at,
    )


def _order(facet: str, values: list) -> list:
    if facet in CODE_LABELS:
        order = {value: index for index, value in enumerate(CODE_LABELS[facet])}
        return sorted(values, key=lambda value: order.get(value, len(order)))
    return values


def _facet_groups(
    results: SearchResults, filters: Filters, labels: dict[str, dict]
) -> list[FacetGroup]:
    groups = []
    for facet in FACETS:
        counts = {count.value: count.count for count in results.facets.get(facet, ())}
        chosen = filters.chosen(facet)
        # A chosen value stays on the list (unticked by its count of 0) so it can be unticked.
        values = [value for value in counts if value in labels[facet]]
        values += [value for value in chosen if value not in counts and value in labels[facet]]
        if facet not in ID_FACETS:
            values = _order(facet, values)
        options = tuple(
            FacetOption(
                value=str(value),
                label=labels[facet][value],
                count=counts.get(value, 0),
                selected=value in chosen,
                html_id=f"facet-{facet}-{value}",
            )
            for value in values
        )
        if options:
            groups.append(FacetGroup(name=facet, legend=LEGENDS[facet], options=options))
    return groups


def _chips(
    original: _State,
    folded: _State,
    explicit: Filters,
    parsed: ParsedText,
    labels: dict[str, dict],
) -> list[Chip]:
    chips = []
    for facet in FACETS:
        for value in sorted(explicit.chosen(facet), key=str):
            label = labels[facet].get(value, str(value))
            chips.append(Chip(label, original.without(facet, value).url()))
    for facet, value in parsed.vocabulary:
        if value in explicit.chosen(facet):
            continue
        chips.append(Chip(labels[facet][value], folded.without(facet, value).url()))
    if explicit.endorsed_only:
        chips.append(Chip("Recommended only", original.without("endorsed_only", False).url()))
    if explicit.shared_focus:
        chips.append(
            Chip("Supports the shared focus", original.without("shared_focus", False).url())
        )
    if explicit.published_from:
        chips.append(
            Chip(
                f"From {_day(explicit.published_from)}",
                original.without("published_from", None).url(),
            )
        )
    if explicit.published_to:
        chips.append(
            Chip(
                f"Until {_day(explicit.published_to)}",
                original.without("published_to", None).url(),
            )
        )
    return chips


def _day(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _and(labels: list[str]) -> str:
    return labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} and {labels[-1]}"


def _understood(parsed: ParsedText, original: _State) -> Understood:
    named = [CODE_LABELS[facet][value] for facet, value in parsed.vocabulary]
    facets = {facet for facet, _ in parsed.vocabulary}
    quoted = f"“{original.text.strip()}”"
    if len(facets) == 1:
        undo = f"Search {EVERY[facets.pop()]} for {quoted}"
    else:
        undo = f"Search for {quoted} without them"
    return Understood(
        message=f"Showing {_and(named)} only.",
        undo_label=undo,
        undo_url=original.url(exact=True),
    )


def _suggestions(found: SearchPage, folded: _State) -> list[Chip]:
    """Ways out of an empty result: wider searches, as links."""
    suggestions = []
    if found.understood:
        suggestions.append(Chip(found.understood.undo_label, found.understood.undo_url))
    if found.chips:
        text = f" for “{folded.text}”" if folded.text else ""
        suggestions.append(Chip(f"Search everything{text} with no filters", found.clear_url))
    return suggestions


# Typeahead and related resources


def typeahead(person, prefix: str) -> list[dict[str, str]]:
    """Up to eight titles for the header's search box, each with its address and kind."""
    cleaned = " ".join(words(prefix.replace("\x00", "")[:100]))
    if len(cleaned) < 2:
        return []
    audience = audience_of(person)
    hits = _ask(lambda backend: backend.suggest(cleaned, audience, TYPEAHEAD_LIMIT))
    return [
        {"title": hit.title, "url": hit.url, "kind": KIND_TAGS.get(hit.kind, "Page")}
        for hit in hits[:TYPEAHEAD_LIMIT]
    ]


def related_resources(
    person, resource: Resource, *, leave_out: Iterable[int] = ()
) -> list[Resource]:
    """Up to five published resources like this one that the person may see, in the order
    the backend ranks them, leaving out those the page already links (its source and
    adaptations): one backend call and one query, however many there are."""
    if resource.status != Resource.Status.PUBLISHED:
        return []
    skipped = {resource.pk, *leave_out}
    audience = audience_of(person)
    hits = _ask(
        lambda backend: backend.more_like_this(
            f"{RESOURCE}:{resource.pk}", audience, RELATED_LIMIT + len(skipped)
        )
    )
    wanted = [hit.pk for hit in hits if hit.kind == RESOURCE and hit.pk not in skipped]
    if not wanted:
        return []
    # The index may lag a change of permission by a moment; the database has the last word.
    visible = {
        found.pk: found
        for found in published_resources_visible_to(person)
        .filter(pk__in=wanted)
        .select_related("school")
        .defer("notes", "notes_html", "send_notes")
    }
    return [visible[pk] for pk in wanted if pk in visible][:RELATED_LIMIT]


def _ask(question) -> list[Hit]:
    """A list answer from the primary backend, else the database's, else nothing: the
    typeahead and the related panel are extras that must never break a page."""
    backends: list[SearchBackend] = [primary_backend()]
    if backends[0] is not database_backend():
        backends.append(database_backend())
    for backend in backends:
        try:
            return list(question(backend))
        except SearchUnavailable as error:
            logger.warning("Search backend %s could not answer: %s", backend.name, error)
    return []
