"""An Elasticsearch-compatible server for the tests that need one, and clients that record.

With ELASTICSEARCH_URL set, tests run against that (real) server. Otherwise an `osmem-server`
(an in-memory emulator of the same REST API, installed from PyPI by the dev extra) is started
once per session on a free 127.0.0.1 port and stopped at the end. Outside CI a missing
osmem-server skips these tests; with CI=true it fails the run.

The emulator differs from Elasticsearch in ways the fixtures work around:
- it refuses the 8.x client's `compatible-with` media types (406), so its client uses a node
  that sends plain `application/json`;
- its `possessive_english` stemmer indexes nothing (and every match query then matches every
  document), so its indices leave that filter out;
- it ignores `synonym`, `synonym_graph` and `pattern_replace` filters when indexing and
  searching (its _analyze API applies them, its engine does not), so its backend expands
  synonyms in the query instead. The exact index body is asserted in test_elasticsearch.py
  and runs for real wherever ELASTICSEARCH_URL is set.
"""

import copy
import itertools
import json
import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import pytest
from elastic_transport import ApiResponseMeta, BaseNode, HttpHeaders, Urllib3HttpNode
from elasticsearch import Elasticsearch

from search.backends.elasticsearch import ElasticsearchBackend
from search.documents import index_body
from tests.services import free_port, missing

COMPATIBLE = re.compile(r"application/vnd\.elasticsearch\+([\w-]+);\s*compatible-with=\d+")


class PlainJsonNode(Urllib3HttpNode):
    """Sends `application/json` (and `x-ndjson`) where the client asks for its compatible-with
    media types, which osmem-server answers with 406. Test-only."""

    def perform_request(self, method: str, target: str, body=None, headers=None, **kwargs):
        if headers is not None:
            headers = headers.copy()
            for name in ("accept", "content-type"):
                if name in headers:
                    headers[name] = COMPATIBLE.sub(r"application/\1", headers[name])
        return super().perform_request(method, target, body=body, headers=headers, **kwargs)


EMULATOR_MISSING_FILTERS = ("staffroom_possessive", "staffroom_synonyms")


def emulator_index_body() -> dict[str, Any]:
    """The production index body without the filters osmem-server mishandles or ignores."""
    body = copy.deepcopy(index_body())
    analysis = body["settings"]["analysis"]
    for name in EMULATOR_MISSING_FILTERS:
        del analysis["filter"][name]
    for analyser in analysis["analyzer"].values():
        analyser["filter"] = [f for f in analyser["filter"] if f not in EMULATOR_MISSING_FILTERS]
    return body


# A recording client: a real Elasticsearch client whose node records what would be sent.


class Answer(NamedTuple):
    # What a node answers the transport: the same shape as elastic_transport's own.
    meta: ApiResponseMeta
    body: bytes


@dataclass
class SentRequest:
    method: str
    path: str
    body: Any

    @property
    def target(self) -> str:
        return self.path


@dataclass
class Recorder:
    requests: list[SentRequest] = field(default_factory=list)
    # Answers by "METHOD /path" prefix, else an empty search answer or `{}`; a list answers
    # in turn, its last item from then on.
    answers: dict[str, Any] = field(default_factory=dict)

    def answer(self, method: str, path: str) -> tuple[int, Any]:
        for prefix, answer in self.answers.items():
            if f"{method} {path}".startswith(prefix):
                if isinstance(answer, list):
                    answer = answer.pop(0) if len(answer) > 1 else answer[0]
                return answer if isinstance(answer, tuple) else (200, answer)
        if path.endswith("/_search"):
            return 200, {"hits": {"total": {"value": 0, "relation": "eq"}, "hits": []}}
        return 200, {}

    def paths(self) -> list[str]:
        return [f"{request.method} {request.path}" for request in self.requests]


def recording_client(recorder: Recorder) -> Elasticsearch:
    class RecordingNode(BaseNode):
        def perform_request(self, method, target, body=None, headers=None, **kwargs):
            recorder.requests.append(SentRequest(method, target, _decoded(body)))
            status, answer = recorder.answer(method, target)
            meta = ApiResponseMeta(
                status=status,
                http_version="1.1",
                headers=HttpHeaders(
                    {"content-type": "application/json", "x-elastic-product": "Elasticsearch"}
                ),
                duration=0.0,
                node=self.config,
            )
            return Answer(meta, json.dumps(answer).encode())

    return Elasticsearch("http://recorder.invalid:9200", node_class=RecordingNode, max_retries=0)


def _decoded(body: bytes | None) -> Any:
    if not body:
        return None
    text = body.decode()
    try:
        return json.loads(text)
    except ValueError:
        # Bulk bodies are one JSON document per line.
        return [json.loads(line) for line in text.splitlines() if line]


# A real or emulated server for the session.


@dataclass
class SearchServer:
    url: str
    emulator: bool

    def client(self, **options: Any) -> Elasticsearch:
        if self.emulator:
            options["node_class"] = PlainJsonNode
        return Elasticsearch(self.url, request_timeout=10, max_retries=0, **options)

    def backend(self, alias: str) -> ElasticsearchBackend:
        return ElasticsearchBackend(
            client=self.client(),
            alias=alias,
            index_body=emulator_index_body() if self.emulator else None,
            expand_synonyms=self.emulator,
        )


@pytest.fixture(scope="session")
def elasticsearch_server() -> Iterator[SearchServer]:
    url = os.environ.get("ELASTICSEARCH_URL")
    if url:
        yield SearchServer(url=url, emulator=False)
        return
    try:
        from osmem_server import OsmemError, OsmemServer, resolve_binary

        binary = resolve_binary()
    except (ImportError, RuntimeError):
        binary = ""
    if not os.path.isfile(binary):
        missing("osmem-server", "pip install -e '.[dev]'")
    try:
        server = OsmemServer.start(addr=f"127.0.0.1:{free_port()}", japanese=False, binary=binary)
    except (OsmemError, OSError) as error:
        pytest.fail(f"osmem-server did not start: {error}")
    try:
        yield SearchServer(url=server.url, emulator=True)
    finally:
        server.close()


_aliases = itertools.count(1)


@pytest.fixture
def elasticsearch_backend(elasticsearch_server: SearchServer) -> Iterator[ElasticsearchBackend]:
    """A backend on an empty index of its own (a fresh alias per test), dropped afterwards."""
    alias = f"test-{uuid.uuid4().hex[:8]}-{next(_aliases)}-records"
    backend = elasticsearch_server.backend(alias)
    backend.index([])
    try:
        yield backend
    finally:
        backend.drop()
