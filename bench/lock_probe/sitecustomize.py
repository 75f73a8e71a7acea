"""How busy SQLite's write lock is in a served LRS: a probe loaded into ``lrs serve``'s workers by Python's
``sitecustomize`` hook, for ``bench/run.py`` runs only (never installed, never imported by the LRS). The path
must be absolute: the server runs in a directory of its own.

    rm -f /tmp/lock-probe/*; LRS_LOCK_PROBE=/tmp/lock-probe PYTHONPATH=$PWD/bench/lock_probe \\
        .venv/bin/python bench/run.py --db sqlite --batches 100 --skip-queries --no-profile
    .venv/bin/python bench/lock_probe/report.py /tmp/lock-probe

Each worker appends one line per hold of the writers' gate (lrs.store.db.WriterGate.hold) to
``$LRS_LOCK_PROBE/hold-<pid>.txt``: when it asked, when it got the gate, when it let go (time.perf_counter, the
same clock in every process); the thread CPU time spent holding it, split into user and kernel time; the
voluntary and involuntary context switches meanwhile (a thread that blocks, on I/O or a lock, switches
voluntarily; one the scheduler preempts, involuntarily); and, read from the WAL index (the ``-shm`` file) as the
hold starts and as it ends, the frames in the WAL and how many of them a checkpoint has copied into the
database file. Each checkpoint the LRS takes after leaving the gate (``Database._checkpoint_now_and_then``) is
one line of ``ckpt-<pid>.txt``: its start and end.

The resource counters come from getrusage(RUSAGE_THREAD), which the kernel updates at its clock tick: one
hold's user/kernel split is coarse, their means over a case are not.
"""

import os
import resource
import struct
import time
from contextlib import contextmanager

_DIRECTORY = os.environ.get("LRS_LOCK_PROBE")

#: The WAL index header: mxFrame (frames in the WAL) at byte 16; nBackfill (frames copied into the database
#: file) opens the checkpoint information at byte 96 (SQLite's file format, "The WAL-Index Format").
_MX_FRAME = 16
_BACKFILL = 96


def _wal_frames(database_path: str) -> tuple[int, int]:
    try:
        with open(database_path + "-shm", "rb") as shm:
            header = shm.read(_BACKFILL + 4)
        return struct.unpack_from("=I", header, _MX_FRAME)[0], struct.unpack_from("=I", header, _BACKFILL)[0]
    except (OSError, struct.error):
        return -1, -1


if _DIRECTORY:
    import lrs.store.db as _db

    _hold = _db.WriterGate.hold
    _checkpoint = _db.Database._checkpoint_now_and_then

    @contextmanager
    def _probed_hold(self):  # noqa: ANN001, ANN202
        database = self.path.removesuffix("-writers.lock")
        asked = time.perf_counter()
        with _hold(self):
            got = time.perf_counter()
            cpu = time.thread_time()
            usage = resource.getrusage(resource.RUSAGE_THREAD)
            frames, backfilled = _wal_frames(database)
            try:
                yield
            finally:
                done = time.perf_counter()
                held_cpu = time.thread_time() - cpu
                after = resource.getrusage(resource.RUSAGE_THREAD)
                frames_after, backfilled_after = _wal_frames(database)
                with open(os.path.join(_DIRECTORY, f"hold-{os.getpid()}.txt"), "a") as out:
                    out.write(
                        f"{asked:.6f} {got:.6f} {done:.6f} {held_cpu:.6f} "
                        f"{after.ru_utime - usage.ru_utime:.6f} {after.ru_stime - usage.ru_stime:.6f} "
                        f"{after.ru_nvcsw - usage.ru_nvcsw} {after.ru_nivcsw - usage.ru_nivcsw} "
                        f"{frames} {backfilled} {frames_after} {backfilled_after}\n"
                    )

    def _probed_checkpoint(self, conn):  # noqa: ANN001, ANN202
        before = self._rows_since_checkpoint
        start = time.perf_counter()
        _checkpoint(self, conn)
        end = time.perf_counter()
        if self._rows_since_checkpoint == 0 and (before > 0 or end - start > 0.001):
            with open(os.path.join(_DIRECTORY, f"ckpt-{os.getpid()}.txt"), "a") as out:
                out.write(f"{start:.6f} {end:.6f}\n")

    _db.WriterGate.hold = _probed_hold
    _db.Database._checkpoint_now_and_then = _probed_checkpoint
