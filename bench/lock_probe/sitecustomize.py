"""How busy SQLite's write lock is in a served LRS: a probe loaded into ``lrs serve``'s workers by Python's
``sitecustomize`` hook, for ``bench/run.py`` runs only (never installed, never imported by the LRS). The path
must be absolute: the server runs in a directory of its own.

    rm -f /tmp/lock-probe/*; LRS_LOCK_PROBE=/tmp/lock-probe PYTHONPATH=$PWD/bench/lock_probe \\
        .venv/bin/python bench/run.py --db sqlite --batches 100 --skip-queries --no-profile
    .venv/bin/python bench/lock_probe/report.py /tmp/lock-probe

Each worker appends one line per hold of the writers' gate (lrs.store.db.WriterGate.hold) to
``$LRS_LOCK_PROBE/hold-<pid>.txt``: when it asked, when it got the gate, when it let go (time.perf_counter, the
same clock in every process) and the thread CPU time spent holding it.
"""

import os
import time
from contextlib import contextmanager

_DIRECTORY = os.environ.get("LRS_LOCK_PROBE")

if _DIRECTORY:
    import lrs.store.db as _db

    _hold = _db.WriterGate.hold

    @contextmanager
    def _probed_hold(self):  # noqa: ANN001, ANN202
        asked = time.perf_counter()
        with _hold(self):
            got = time.perf_counter()
            cpu = time.thread_time()
            try:
                yield
            finally:
                done = time.perf_counter()
                held_cpu = time.thread_time() - cpu
                with open(os.path.join(_DIRECTORY, f"hold-{os.getpid()}.txt"), "a") as out:
                    out.write(f"{asked:.6f} {got:.6f} {done:.6f} {held_cpu:.6f}\n")

    _db.WriterGate.hold = _probed_hold
