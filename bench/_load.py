"""Open-loop HTTP load for bench/mixed.py: requests sent at a fixed arrival rate, each timed
from when it was due, so a server that falls behind shows its queue in the figures instead of
slowing the client down (closed-loop clients wait for one answer before the next question,
and hide it).

Nothing here needs Django: a `Plan` holds the staff (session cookie, CSRF secret, networks)
and the addresses they visit, made by the bench from the generated trust. `run_load` sends
what `Plan.next_request` draws, in the mix `MIX`, and returns one `Outcome` per request.
"""

import asyncio
import random
import re
import time
import uuid
from dataclasses import dataclass, field
from urllib.parse import urlencode

import aiohttp

# Shares of the requests sent; thread reads take the rest.
MIX = {"page": 0.40, "search": 0.20, "download": 0.10, "post": 0.05, "thread": 0.25}
# Kinds are dealt from a shuffled deck of this many, so every 20 requests hold the exact mix.
DECK = 20
PAGES = ("home", "network", "browse", "resource")
TIMEOUT_SECONDS = 30
POST_ID = re.compile(r"#post-(\d+)")


@dataclass
class Member:
    """One simulated member of staff: their own session, and the networks they belong to."""

    cookie: str  # "sessionid=...; csrftoken=..."
    secret: str  # the CSRF secret the reply form carries
    networks: list[str]


@dataclass
class Plan:
    members: list[Member]
    resources: list[str]  # paths of resource pages every member may see
    downloads: list[str]  # download paths of files every member may see
    threads: list[int]  # threads every member may read
    hot_threads: list[int]  # threads replies go to (some idle sockets watch them)
    browse_filters: list[str]  # query strings for browse with filters
    searches: list[str]  # query strings for search
    seed: int = 1
    rng: random.Random = field(init=False)
    _posts: int = field(default=0, init=False)
    _deck: list[str] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def _next_kind(self) -> str:
        if not self._deck:
            self._deck = [kind for kind, share in MIX.items() for _ in range(round(share * DECK))]
            self.rng.shuffle(self._deck)
        return self._deck.pop()

    def next_request(self) -> "Request":
        rng = self.rng
        member = self.members[rng.randrange(len(self.members))]
        kind = self._next_kind()
        if kind == "page":
            label = rng.choice(PAGES)
            path = {
                "home": lambda: "/",
                "network": lambda: f"/networks/{rng.choice(member.networks)}/",
                "browse": lambda: f"/resources/?{rng.choice(self.browse_filters)}",
                "resource": lambda: rng.choice(self.resources),
            }[label]()
            return Request(kind, label, path, member)
        if kind == "search":
            return Request(kind, "search", f"/search/?{rng.choice(self.searches)}", member)
        if kind == "download":
            return Request(kind, "download", rng.choice(self.downloads), member)
        if kind == "post":
            self._posts += 1
            thread = self.hot_threads[self._posts % len(self.hot_threads)]
            body = f"Reply {self._posts} from the mixed load: we use **retrieval starters** daily."
            return Request(kind, "post", f"/forums/threads/{thread}/reply/", member, body=body)
        thread = rng.choice(self.threads)
        return Request(kind, "thread", f"/forums/threads/{thread}/", member)


@dataclass
class Request:
    kind: str
    label: str
    path: str
    member: Member
    body: str = ""


@dataclass
class Outcome:
    kind: str
    label: str
    path: str
    due: float  # wall clock, so it compares with times the servers log
    finished: float
    status: int  # 0 when no answer came (timeout, refused, dropped)
    error: str = ""
    post_id: int | None = None
    size: int = 0

    @property
    def ms(self) -> float:
        return (self.finished - self.due) * 1000

    @property
    def failed(self) -> bool:
        # A reply's answer is a redirect to the new post; any other redirect (to the sign-in
        # page, say) means the page was not shown.
        if self.kind == "post":
            return bool(self.error) or not 200 <= self.status < 400
        return bool(self.error) or self.status != 200


def client_session(connections: int = 512) -> aiohttp.ClientSession:
    """One pool for every simulated person: each request names its own session cookie."""
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=connections, limit_per_host=connections),
        cookie_jar=aiohttp.DummyCookieJar(),
        timeout=aiohttp.ClientTimeout(total=TIMEOUT_SECONDS),
    )


async def send(session: aiohttp.ClientSession, base: str, request: Request, due: float) -> Outcome:
    headers = {"Cookie": request.member.cookie}
    status, error, post_id, size = 0, "", None, 0
    try:
        if request.kind == "post":
            form = {
                "csrfmiddlewaretoken": request.member.secret,
                "body": request.body,
                "submission_key": str(uuid.uuid4()),
            }
            headers |= {
                "Origin": base,
                "Referer": base + request.path.removesuffix("reply/"),
                "Content-Type": "application/x-www-form-urlencoded",
            }
            answer = session.post(
                base + request.path, data=urlencode(form), headers=headers, allow_redirects=False
            )
        else:
            answer = session.get(base + request.path, headers=headers, allow_redirects=False)
        async with answer as response:
            size = len(await response.read())
            status = response.status
            found = POST_ID.search(response.headers.get("Location", ""))
            post_id = int(found.group(1)) if found else None
            if request.kind == "post" and status < 400 and post_id is None:
                error = f"no new post in the answer (Location {response.headers.get('Location')})"
    except TimeoutError:
        error = f"no answer in {TIMEOUT_SECONDS} s"
    except aiohttp.ClientError as problem:
        error = f"{type(problem).__name__}: {problem}"[:200]
    return Outcome(
        request.kind, request.label, request.path, due, time.time(), status, error, post_id, size
    )


async def run_load(
    session: aiohttp.ClientSession, base: str, plan: Plan, *, rate: float, seconds: float
) -> list[Outcome]:
    """Send `rate` requests a second for `seconds`, each when it is due whatever happened to
    the ones before, and wait for every answer."""
    loop = asyncio.get_running_loop()
    started_wall, started = time.time() + 0.1, loop.time() + 0.1
    count = max(1, round(rate * seconds))
    pending: list[asyncio.Task[Outcome]] = []
    for number in range(count):
        offset = number / rate
        delay = started + offset - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        request = plan.next_request()
        pending.append(asyncio.create_task(send(session, base, request, started_wall + offset)))
    return list(await asyncio.gather(*pending))
