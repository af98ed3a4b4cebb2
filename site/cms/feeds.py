"""The news as an Atom feed, for feed readers and the trust's other sites."""

from datetime import datetime, time

from django.contrib.syndication.views import Feed
from django.http import HttpRequest
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed

from cms import selectors
from cms.models import NewsIndexPage, NewsPage, TrustBranding


class NewsFeed(Feed):
    feed_type = Atom1Feed

    def __init__(self, index: NewsIndexPage) -> None:
        super().__init__()
        self.index = index

    def __call__(self, request: HttpRequest, *args, **kwargs):
        self.request = request
        return super().__call__(request, *args, **kwargs)

    def title(self) -> str:
        branding = TrustBranding.load(request_or_site=self.request)
        return f"{self.index.title} – {branding.trust_name}"

    def link(self) -> str:
        return self.index.get_url(self.request)

    def subtitle(self) -> str:
        return "The latest news from across the trust."

    def items(self) -> list[NewsPage]:
        return selectors.news_feed(index=self.index, limit=self.index.feed_length)

    def item_title(self, item: NewsPage) -> str:
        return item.title

    def item_description(self, item: NewsPage) -> str:
        return item.intro

    def item_link(self, item: NewsPage) -> str:
        return item.get_url(self.request)

    def item_pubdate(self, item: NewsPage) -> datetime:
        return timezone.make_aware(datetime.combine(item.date, time(9)))

    def item_updateddate(self, item: NewsPage) -> datetime:
        # Atom needs an updated time for every entry.
        return item.last_published_at or self.item_pubdate(item)

    def item_categories(self, item: NewsPage) -> list[str]:
        return [item.category.name] if item.category else []
