"""The mixed-load benchmark runs end to end at the tiny size for a few seconds: a real uvicorn
server on SQLite and the in-memory layer, every kind of request made and counted, replies
arriving on the sockets watching their threads, no errors, and the JSON shaped for the runner.
The figures themselves are not asserted: they depend on the machine."""

from bench._load import PAGES
from tests.bench.running import run_bench


def test_the_mixed_load_makes_every_kind_of_request_without_errors() -> None:
    report = run_bench(
        "bench.mixed", "--size", "tiny", "--server", "uvicorn", "--database", "sqlite",
        "--layer", "memory", "--workers", "1", "--fast-schema", "--rate", "8", "--seconds", "5",
        "--idle", "12", "--no-ramp",
        timeout=180,
    )  # fmt: skip

    (run,) = report["runs"]
    assert (run["server"], run["workers"], run["idle_sockets"]) == ("uvicorn", 1, 12)
    assert run["sockets_dropped"] == 0
    assert run["server_tracebacks"] == []
    main = run["main"]
    assert main["requests"] == 40
    kinds = main["kinds"]
    # Kinds are dealt 20 at a time in the exact mix.
    counts = {kind: kinds[kind]["n"] for kind in report["conditions"]["mix"]}
    assert counts == {"page": 16, "search": 8, "download": 4, "post": 2, "thread": 10}
    assert sum(kinds[f"page.{label}"]["n"] for label in PAGES if f"page.{label}" in kinds) == 16
    assert main["errors"] == 0, [kinds[kind]["error_examples"] for kind in kinds]
    # Both replies reached every socket watching their thread.
    assert main["delivery"]["n"] > 0
    assert main["delivery"]["missing"] == 0
    assert main["server_cpu_percent_of_one_core"]["total"] >= 0

    # The pages goal covers every page read: pages, searches and threads together.
    assert kinds["pages"]["n"] == 16 + 8 + 10
    names = {figure["name"] for figure in report["figures"]}
    assert {"mixed.page", "mixed.pages", "mixed.delivery", "mixed.errors"} <= names
    pages = next(figure for figure in report["figures"] if figure["name"] == "mixed.pages")
    assert 0 < pages["p50_ms"] <= pages["p95_ms"] <= pages["p99_ms"]
    assert "search" in pages["goal"] and pages["met"] in (True, False)
    conditions = report["conditions"]
    assert (conditions["rate_per_second"], conditions["idle_sockets"]) == (8, 12)
    assert conditions["layer"] == "in-memory"
    assert conditions["database"].startswith("SQLite")
    assert report["machine"]["cores"] >= 1
