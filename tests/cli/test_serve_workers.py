"""How ``lrs serve`` tells granian whether a worker still runs (lrs.cli.serve.worker_running)."""

from __future__ import annotations

import multiprocessing
import os
import time

from lrs.cli.serve import _server_class, worker_running


def _sleep() -> None:
    time.sleep(60)


def _exit_at_once() -> None:
    pass


def test_a_worker_reaped_by_another_thread_is_not_reported_running() -> None:
    """granian's watcher thread may reap a worker before the stop looks at it: Process.is_alive() then says it
    runs, and granian "killed" a worker that had stopped cleanly, with a warning in the operator's log."""
    process = multiprocessing.get_context("fork").Process(target=_exit_at_once)
    process.start()
    os.waitpid(process.pid, 0)  # what the watcher does; this Process object is never told the exit code
    assert process.is_alive()  # the false report granian acted on
    assert not worker_running(process)


def test_a_running_worker_is_reported_running_and_a_stopped_one_not() -> None:
    process = multiprocessing.get_context("fork").Process(target=_sleep)
    process.start()
    try:
        assert worker_running(process)
    finally:
        process.terminate()
        process.join(10)
    assert not worker_running(process)


def _exit_whatever_granian_passes(*_args: object) -> None:
    pass


def test_the_workers_of_the_server_lrs_serve_runs_use_it() -> None:
    server = _server_class()("lrs.app:create_app", workers=1)
    server._sso = None  # the shared socket granian makes as it starts serving; this worker never binds it
    worker = server._spawn_worker(idx=0, target=_exit_whatever_granian_passes, callback_loader=None)
    worker.inner.start()
    os.waitpid(worker.inner.pid, 0)  # reaped by another thread, as granian's watcher does
    assert worker.inner.is_alive()
    assert not worker.is_alive()  # what granian's stop asks before it kills a worker
