"""Sums up what bench/lock_probe/sitecustomize.py wrote for the last ``--holds`` holds that stored a batch (a
batch-100 case of ``bench/run.py`` is 250; a hold that added fewer than ``--min-frames`` frames to the WAL is
not a batch of 100, and is left out):

* which workers held the gate how often (the workers the benchmark's keep-alive connections landed on: the kernel
  spreads connections over the workers' listening sockets by a hash of their addresses, so in some runs every
  connection lands on one worker and the others stay idle);
* the share of the case's wall time the gate was held, and a hold's wall time, CPU (user and kernel) and
  context switches;
* the WAL: frames a batch adds, the most it held, how often it started again from its first frame, and the holds
  in which SQLite's own checkpoint ran inside COMMIT (its frames all copied by the hold's end: the backstop of
  ``wal_autocheckpoint``, which runs under the write lock), against the rest;
* the LRS's own checkpoints after leaving the gate, and the holds they overlapped against the rest.

    .venv/bin/python bench/lock_probe/report.py /tmp/lock-probe [--holds 250] [--json out.json]
"""

from __future__ import annotations

import argparse
import collections
import json
import statistics
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Hold:
    worker: str
    asked: float
    got: float
    done: float
    cpu: float
    user: float
    system: float
    voluntary: int
    involuntary: int
    frames: int
    backfilled: int
    frames_after: int
    backfilled_after: int

    @property
    def wall_ms(self) -> float:
        return (self.done - self.got) * 1000

    @property
    def added(self) -> int:
        """Frames this hold's COMMIT appended (when the WAL did not start again meanwhile)."""
        return self.frames_after - self.frames if self.frames_after >= self.frames else self.frames_after

    @property
    def sqlite_checkpointed(self) -> bool:
        """The hold's own frames were copied before it ended: SQLite's checkpoint ran in its COMMIT."""
        return self.frames_after > self.frames and self.backfilled_after == self.frames_after


def read(directory: Path) -> tuple[list[Hold], list[tuple[float, float, str]]]:
    holds = []
    for path in directory.glob("hold-*.txt"):
        worker = path.stem.removeprefix("hold-")
        for line in path.read_text().splitlines():
            fields = line.split()
            if len(fields) != 12:  # written by an older probe
                raise SystemExit(f"{path}: expected 12 fields a line, found {len(fields)}")
            holds.append(Hold(worker, *map(float, fields[:6]), *map(int, fields[6:])))
    checkpoints = []
    for path in directory.glob("ckpt-*.txt"):
        worker = path.stem.removeprefix("ckpt-")
        for line in path.read_text().splitlines():
            start, end = map(float, line.split())
            checkpoints.append((start, end, worker))
    holds.sort(key=lambda h: h.got)
    return holds, checkpoints


def mean(values: list[float]) -> float:
    return statistics.fmean(values) if values else float("nan")


def summarise(holds: list[Hold], checkpoints: list[tuple[float, float, str]], size: int,
              min_frames: int) -> dict:
    # A hold over half a second is start-up or clean-up work (migrations, the benchmark's own writes after
    # the case), not a batch of the case.
    case = [h for h in holds if h.added >= min_frames and h.wall_ms < 500][-size:]
    if not case:
        raise SystemExit("no batch holds recorded")
    # The case's holds follow each other closely: drop any before or after it, across a pause.
    while len(case) > 1 and case[1].got - case[0].done > 0.5:
        case = case[1:]
    while len(case) > 1 and case[-1].got - case[-2].done > 0.5:
        case = case[:-1]
    start, end = case[0].got, case[-1].done
    by_worker = collections.Counter(h.worker for h in case)
    in_case = [c for c in checkpoints if start <= c[0] <= end]
    overlapping = [h for h in case if any(c[0] < h.done and c[1] > h.got for c in in_case)]
    sqlite_own = [h for h in case if h.sqlite_checkpointed]
    plain = [h for h in case if not h.sqlite_checkpointed and h not in overlapping]
    # SQLite starts the WAL again from its first frame in a writer's BEGIN, so within a hold.
    restarts = sum(1 for h in case if h.frames_after < h.frames)
    return {
        "holds": len(case),
        "holds_by_worker": dict(by_worker.most_common()),
        "workers_writing": sum(1 for n in by_worker.values() if n >= len(case) / 10),
        "case_seconds": round(end - start, 3),
        "gate_held_share": round(sum(h.wall_ms for h in case) / 1000 / (end - start), 3),
        "hold_wall_ms": {"mean": round(mean([h.wall_ms for h in case]), 2),
                         "median": round(statistics.median(h.wall_ms for h in case), 2)},
        "hold_cpu_ms": {"thread": round(mean([h.cpu * 1000 for h in case]), 2),
                        "user": round(mean([h.user * 1000 for h in case]), 2),
                        "kernel": round(mean([h.system * 1000 for h in case]), 2)},
        "hold_context_switches": {"voluntary": round(mean([h.voluntary for h in case]), 1),
                                  "involuntary": round(mean([h.involuntary for h in case]), 1)},
        "wal": {"frames_a_batch": statistics.median(h.added for h in case),
                "most_frames": max(max(h.frames, h.frames_after) for h in case),
                "restarts": restarts},
        "sqlite_checkpoint_in_commit": {
            "holds": len(sqlite_own),
            "wall_ms_mean": round(mean([h.wall_ms for h in sqlite_own]), 2),
            "their_extra_ms": round(sum(h.wall_ms for h in sqlite_own) - len(sqlite_own) * mean(
                [h.wall_ms for h in plain]), 1),
        },
        "lrs_checkpoints": {
            "count": len(in_case),
            "wall_ms_mean": round(mean([(c[1] - c[0]) * 1000 for c in in_case]), 2),
            "holds_overlapping": len(overlapping),
            "overlapping_wall_ms_mean": round(mean([h.wall_ms for h in overlapping if not h.sqlite_checkpointed]), 2),
        },
        "other_holds_wall_ms_mean": round(mean([h.wall_ms for h in plain]), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("directory", type=Path)
    parser.add_argument("--holds", type=int, default=250)
    parser.add_argument("--min-frames", type=int, default=200)
    parser.add_argument("--json", type=Path, help="write the summary here too")
    args = parser.parse_args()
    holds, checkpoints = read(args.directory)
    summary = summarise(holds, checkpoints, args.holds, args.min_frames)
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2) + "\n")
    s = summary
    print(f"holds {s['holds']} by worker {s['holds_by_worker']} ({s['workers_writing']} writing); "
          f"case {s['case_seconds']} s, gate held {s['gate_held_share']:.0%}")
    print(f"a hold: wall mean {s['hold_wall_ms']['mean']} ms, median {s['hold_wall_ms']['median']}; CPU "
          f"{s['hold_cpu_ms']['thread']} ms (user {s['hold_cpu_ms']['user']}, kernel {s['hold_cpu_ms']['kernel']}); "
          f"switches {s['hold_context_switches']['voluntary']} voluntary, "
          f"{s['hold_context_switches']['involuntary']} involuntary")
    w, own, lrs = s["wal"], s["sqlite_checkpoint_in_commit"], s["lrs_checkpoints"]
    print(f"WAL: {w['frames_a_batch']} frames a batch, at most {w['most_frames']}, started again {w['restarts']} "
          f"times; SQLite's checkpoint in COMMIT: {own['holds']} holds, mean {own['wall_ms_mean']} ms "
          f"({own['their_extra_ms']} ms more than as many other holds)")
    print(f"LRS checkpoints: {lrs['count']}, mean {lrs['wall_ms_mean']} ms; holds overlapping one "
          f"{lrs['holds_overlapping']} (mean {lrs['overlapping_wall_ms_mean']} ms), "
          f"the rest mean {s['other_holds_wall_ms_mean']} ms")


if __name__ == "__main__":
    main()
