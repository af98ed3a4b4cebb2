"""The benches' process helpers that read the machine's own counters."""

import time

from bench._procs import machine_busy_seconds


def test_the_machine_busy_time_grows_while_a_core_works() -> None:
    # bench.mixed waits on this for the machine to go quiet between its load steps.
    before = machine_busy_seconds()
    worked_until = time.process_time() + 0.3
    while time.process_time() < worked_until:
        pass
    assert machine_busy_seconds() - before >= 0.25
