"""Where the trust's sections live in the page tree, for the main navigation."""

from wagtail.models import Page


def section_url(section: str) -> str | None:
    """The URL of the first live page of a section ("news", "principles"), if there is one."""
    page_types = {"news": "newsindexpage", "principles": "principleindexpage"}
    model = page_types.get(section)
    if model is None:
        return None
    page = (
        Page.objects.live().filter(content_type__app_label="cms", content_type__model=model).first()
    )
    return page.url if page else None
