import pytest

from tests.cms import factories as cms
from tests.factories import SchoolFactory


@pytest.fixture
def trust_pages(db) -> dict:
    """A small trust: principles, news in two schools and two categories, schools, focus."""
    oakfield = SchoolFactory(name="Oakfield Primary", slug="oakfield-primary")
    riverside = SchoolFactory(name="Riverside Academy", slug="riverside-academy", phase="secondary")
    events = cms.NewsCategoryFactory(name="Events", slug="events")
    achievements = cms.NewsCategoryFactory(name="Achievements", slug="achievements")
    principle_index = cms.PrincipleIndexPageFactory()
    principles = [
        cms.PrinciplePageFactory(parent=principle_index, title=title)
        for title in ("Ethical leadership", "Inclusion", "Equity")
    ]
    news_index = cms.NewsIndexPageFactory()
    sports_day = cms.NewsPageFactory(
        parent=news_index, title="Oakfield sports day", schools=[oakfield], category=events
    )
    results = cms.NewsPageFactory(
        parent=news_index,
        title="Riverside science results",
        schools=[riverside],
        category=achievements,
    )
    return {
        "oakfield": oakfield,
        "riverside": riverside,
        "events": events,
        "achievements": achievements,
        "principle_index": principle_index,
        "principles": principles,
        "news_index": news_index,
        "sports_day": sports_day,
        "results": results,
        "school_index": cms.SchoolIndexPageFactory(),
        "shared_focus": cms.SharedFocusPageFactory(),
    }
