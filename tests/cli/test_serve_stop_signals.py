"""How ``lrs serve`` takes stop signals (lrs.cli.serve): each case runs in a process of its own, since it changes
that process's signal handlers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest


def _python(code: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def test_a_stop_signal_while_the_server_exits_does_not_end_it_by_that_signal() -> None:
    """A second Ctrl-C, or the second of two SIGTERMs, may come as Python exits, once it has put back the default
    handlers: the process then ended by that signal after a clean stop. Here SIGTERM is sent without pause from
    the moment the server has stopped until the process has gone."""
    process = _python(
        """
        import signal
        from lrs.cli.serve import ignore_late_stop_signals
        signal.signal(signal.SIGTERM, lambda *_: None)  # a handler of the serving process, as granian's
        ignore_late_stop_signals()  # what run_server does once granian's serve() has returned
        print("stopped", flush=True)
        """
    )
    assert process.stdout.readline() == "stopped\n", process.stderr.read()
    sent = 0
    while process.poll() is None:
        try:
            os.kill(process.pid, signal.SIGTERM)
            sent += 1
        except ProcessLookupError:
            break
    assert process.wait() == 0, process.stderr.read()
    assert sent > 0


@pytest.mark.parametrize("main_took_a_stop_signal", [True, False])
def test_a_worker_stops_once_its_handlers_are_in_place_if_the_server_is_stopping(
    main_took_a_stop_signal: bool,
) -> None:
    """A signal sent to a worker before it has run at all is forgotten by Python as the fork returns, and under
    load a new worker may not run before both of its stop signals come: it then served on until granian killed
    it. The main process notes its stop signal in memory the workers share; a worker reads it as soon as granian
    has installed its stop handlers. granian's installer is replaced here by one that records its handler's
    calls."""
    process = _python(
        f"""
        import multiprocessing, signal
        from granian import _signals
        from lrs.cli import serve

        calls = []

        def granians_installer():
            for number in (signal.SIGINT, signal.SIGTERM):
                signal.signal(number, lambda number, _frame: calls.append(number))
            return "the worker's stop event"

        _signals.set_sync_signals = granians_installer
        stopping = multiprocessing.RawValue("b", {int(main_took_a_stop_signal)})
        serve._SERVER_STOPPING[:] = [stopping]  # what keep_stop_signals_for_workers makes before the fork
        serve.stop_signals_count_once()  # as the worker starts to load its app
        assert _signals.set_sync_signals() == "the worker's stop event"  # granian, once the app is loaded
        print([int(number) for number in calls], flush=True)
        """
    )
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert out.strip() == (f"[{int(signal.SIGTERM)}]" if main_took_a_stop_signal else "[]")
