"""What every bench reports: percentiles of its samples, the machine it ran on, and `figures`,
the list `python -m bench` gathers into one document.

A figure is one measured thing with its percentiles and, where the same run measured one, the
name of its floor (the least the same work could cost here) or its peer (another product doing
the same job); the runner divides by them. Every bench prints one JSON document holding
"figures" beside whatever detail it keeps of its own.
"""

import os
import platform
import statistics
import sys
from pathlib import Path


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile: `share` 0.95 gives p95."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


def summary(values: list[float]) -> dict:
    """p50, p95, p99, mean and max in milliseconds (values are milliseconds), and n."""
    if not values:
        return {"n": 0}
    return {
        "p50_ms": round(percentile(values, 0.50), 2),
        "p95_ms": round(percentile(values, 0.95), 2),
        "p99_ms": round(percentile(values, 0.99), 2),
        "mean_ms": round(statistics.fmean(values), 2),
        "max_ms": round(max(values), 2),
        "n": len(values),
    }


def figure(
    name: str,
    values: list[float] | None = None,
    *,
    stats: dict | None = None,
    floor: str = "",
    peer: str = "",
    goal: str = "",
    met: bool | None = None,
    **conditions,
) -> dict:
    """One figure for the runner: from raw milliseconds, or from a summary already made."""
    made = {"name": name, **(stats if stats is not None else summary(values or []))}
    if floor:
        made["floor"] = floor
    if peer:
        made["peer"] = peer
    return _with_goal(made, goal, met, conditions)


def _with_goal(made: dict, goal: str, met: bool | None, conditions: dict) -> dict:
    if goal:
        made["goal"] = goal
        made["met"] = met
    if conditions:
        made["conditions"] = conditions
    return made


def processor() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def machine() -> dict:
    """The machine and the software versions every bench shares."""
    import django

    made = {
        "cores": os.cpu_count(),
        "processor": processor(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "django": django.get_version(),
    }
    try:
        made["load_average"] = [round(load, 2) for load in os.getloadavg()]
    except OSError:
        pass
    return made


def value_figure(
    name: str, value: float, unit: str, *, goal: str = "", met: bool | None = None, **conditions
) -> dict:
    """A figure that is one value rather than a spread of latencies (memory per connection,
    documents per second); the runner divides `value` by its floor's or peer's."""
    made: dict = {"name": name, "value": value, "unit": unit}
    return _with_goal(made, goal, met, conditions)
