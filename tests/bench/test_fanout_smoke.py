"""The live fan-out benchmark runs end to end: a tiny round on the in-memory layer, a real
uvicorn server and the floor, with nothing lost and the JSON shaped as docs/benchmarks.md
describes. The figures themselves are not asserted: they depend on the machine."""

import sys

import pytest

from tests.bench.running import run_bench


def test_the_fan_out_benchmark_delivers_every_reply_to_every_client() -> None:
    report = run_bench(
        "bench.fanout", "--clients", "5", "--posts", "3", "--interval", "0.2",
        "--layers", "memory", "--idle", "0", "--fast-schema",
        timeout=240,
    )  # fmt: skip

    (run,) = report["runs"]
    assert (run["layer"], run["clients"], run["workers"], run["posts"]) == ("memory", 5, 1, 3)
    assert run["refused_posts"] == []
    assert run["lost"] == 0
    latency = run["save_to_arrival_ms"]
    assert latency["n"] == 5 * 3
    assert 0 < latency["p50_ms"] <= latency["p95_ms"] <= latency["p99_ms"] <= latency["max_ms"]
    assert run["commit_to_doorbell_ms"]["n"] == 3
    assert run["frame_bytes_median"] > 0
    assert run["server_cpu_ms_per_post"] >= 0

    (floor,) = report["floor"]
    assert (floor["clients"], floor["posts"], floor["lost"]) == (5, 3, 0)
    (alone,) = report["channels_alone"]  # the same broadcast through Channels, no Staffroom
    assert (alone["clients"], alone["posts"], alone["lost"]) == (5, 3, 0)
    assert alone["save_to_arrival_ms"]["n"] == 5 * 3
    (ratios,) = report["ratios"]
    assert ratios["clients"] == 5
    assert ratios["memory_p95_over_floor_p95"] > 0
    assert ratios["channels_p95_over_floor_p95"] > 0
    assert ratios["memory_p95_over_channels_p95"] > 0

    assert report["idle"] is None  # skipped (--idle 0): it needs one more server to boot
    assert report["server_tracebacks"] == {
        "server-channels": 0,
        "server-floor": 0,
        "server-memory": 0,
    }
    assert report["meets_goals"]["nothing_lost"] is True
    conditions = report["conditions"]
    assert conditions["machine"]["cores"] >= 1
    assert conditions["machine"]["python"] == sys.version.split()[0]
    assert (conditions["size"], conditions["N"]) == ("small", {"memory": [5]})
    assert report["machine"]["cores"] >= 1

    # What `python -m bench` gathers: the round against its floor, the floor, and Channels
    # alone against the same floor (a reference, with no goal).
    memory, floor_figure, alone_figure = report["figures"]
    assert memory["name"] == "fanout.memory.N5"
    assert memory["floor"] == floor_figure["name"] == "fanout.floor.N5"
    assert memory["p95_ms"] == latency["p95_ms"]
    assert memory["goal"] == "p95 within 3x the floor, nothing lost"
    assert memory["met"] is (latency["p95_ms"] <= 3 * floor["save_to_arrival_ms"]["p95_ms"])
    assert memory["conditions"]["lost"] == 0
    assert alone_figure["name"] == "fanout.channels.N5"
    assert alone_figure["floor"] == "fanout.floor.N5"
    assert "goal" not in alone_figure


@pytest.mark.parametrize(
    ("setting", "agreed"),
    [({"WS_COMPRESSION": "false"}, 0), ({"WS_COMPRESSION": "true"}, 10)],
    ids=["declined as make serve does", "agreed with WS_COMPRESSION=true"],
)
def test_idle_sockets_offer_compression_as_browsers_do(setting: dict, agreed: int) -> None:
    report = run_bench(
        "bench.fanout", "--clients", "2", "--posts", "1", "--interval", "0.2",
        "--layers", "memory", "--no-floor", "--idle", "10", "--idle-compression",
        "--fast-schema",
        timeout=240,
        **setting,
    )  # fmt: skip

    idle = report["idle"]
    assert (idle["sockets"], idle["still_open"], idle["refused_handshakes"]) == (10, 10, 0)
    assert idle["compression_offered"] is True
    assert idle["compression_agreed"] == agreed
    assert idle["rss_after_kib"] > 0
