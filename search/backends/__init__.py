"""The configured search backends: Elasticsearch when ELASTICSEARCH_URL is set, else the
database backend, which is always kept up to date too (it answers while Elasticsearch is down)."""

from functools import cache

from django.conf import settings

from search.backends.base import SearchBackend


@cache
def database_backend() -> SearchBackend:
    from search.backends.database import DatabaseBackend

    return DatabaseBackend()


@cache
def elasticsearch_backend() -> SearchBackend | None:
    if not settings.ELASTICSEARCH_URL:
        return None
    from search.backends.elasticsearch import ElasticsearchBackend

    return ElasticsearchBackend(settings.ELASTICSEARCH_URL)


def primary_backend() -> SearchBackend:
    """The backend searches go to first."""
    return elasticsearch_backend() or database_backend()
