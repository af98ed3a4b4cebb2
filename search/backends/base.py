"""The interface every search backend implements, and the contract suite
(tests/search/test_contract.py) holds each of them to."""

from collections.abc import Callable, Iterable
from typing import Protocol

from search.query import Hit, SearchRequest, SearchResults
from search.records import SearchRecord

# None: the central team, who see everything. Otherwise a record matches when its audience
# shares at least one token with the reader's.
Audience = tuple[str, ...] | None


class SearchUnavailable(Exception):
    """The backend cannot answer now (down, timing out, answering errors). The service falls
    back to the database backend and tells the reader; writes queue and replay later."""


class SearchBackend(Protocol):
    name: str

    def search(self, request: SearchRequest, audience: Audience) -> SearchResults:
        """Hits for the request's page, the total, and every facet's counts (each with all
        other filters applied but its own), only from records the audience may see."""
        ...

    def suggest(self, prefix: str, audience: Audience, limit: int = 8) -> list[Hit]:
        """Titles starting with (or containing a word starting with) the prefix, for the
        header's typeahead; best first."""
        ...

    def more_like_this(self, key: str, audience: Audience, limit: int = 5) -> list[Hit]:
        """Resources like the record with this key ("resource:42"), not including it."""
        ...

    def index(self, records: Iterable[SearchRecord]) -> None:
        """Add or replace these records."""
        ...

    def delete(self, keys: Iterable[str]) -> None:
        """Remove the records with these keys; unknown keys are ignored."""
        ...

    def counts(self) -> dict[str, int]:
        """How many records of each kind the index holds."""
        ...

    def rebuild(
        self, records: Iterable[SearchRecord], progress: Callable[[int], None] | None = None
    ) -> int:
        """Replace the whole index with these records without a moment of empty results;
        calls progress(n) with the running total as records go in; answers how many went in."""
        ...
