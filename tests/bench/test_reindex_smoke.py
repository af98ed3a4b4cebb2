"""The reindex benchmark runs end to end on a tiny trust: it seeds, rebuilds the database index
of every published resource from the ORM rows and reports the figure the runner gathers. The
figures themselves are not asserted: they depend on the machine."""

from tests.bench.running import run_bench


def test_the_reindex_benchmark_rebuilds_every_published_resource() -> None:
    report = run_bench("bench.reindex", "--size", "tiny", "--repetitions", "2", timeout=400)

    (figure,) = report["figures"]
    assert figure["name"] == "reindex.database"
    assert figure["n"] == 2
    assert figure["conditions"]["records"] == report["reindex"]["records"] > 0
    assert figure["conditions"]["extrapolated"] is True
    assert figure["met"] in (True, False)
    assert report["elasticsearch"] is None
    assert report["conditions"]["size"] == "tiny"
    assert "load_average" in report["machine"]
