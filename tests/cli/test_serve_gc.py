"""A serving worker's garbage collector after its app is built (lrs.cli.serve.settle_garbage_collector)."""

from __future__ import annotations

import gc

from lrs.cli.serve import WORKER_GC_THRESHOLD, settle_garbage_collector


def test_the_worker_freezes_what_start_up_made_and_collects_less_often() -> None:
    threshold = gc.get_threshold()
    try:
        settle_garbage_collector()
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() == (WORKER_GC_THRESHOLD, *threshold[1:])
        assert gc.isenabled()  # cycles are still collected
        cycle: list[object] = []
        cycle.append(cycle)
        del cycle
        assert gc.collect() >= 1
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)
