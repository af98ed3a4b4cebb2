"""Page links for lists paged without Django's Paginator (search results, a thread's posts)."""


class PageLinks:
    """What components/pagination.html reads from a Django page. Subclasses hold `number` and
    `num_pages`."""

    number: int
    num_pages: int

    @property
    def paginator(self) -> "PageLinks":
        return self

    @property
    def has_other_pages(self) -> bool:
        return self.num_pages > 1

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1
