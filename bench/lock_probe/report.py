"""Sums up what bench/lock_probe/sitecustomize.py wrote: for the last ``--holds`` holds (a batch-100 case of
``bench/run.py`` is 250), which workers held the gate how often, the share of the case's wall time the gate was
held, and the mean hold (wall and thread CPU).

    .venv/bin/python bench/lock_probe/report.py /tmp/lock-probe [--holds 250]
"""

import argparse
import collections
import statistics
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("directory", type=Path)
    parser.add_argument("--holds", type=int, default=250)
    args = parser.parse_args()
    holds = []
    for path in args.directory.glob("hold-*.txt"):
        pid = path.stem.removeprefix("hold-")
        for line in path.read_text().splitlines():
            asked, got, done, cpu = map(float, line.split())
            holds.append((got, done, cpu, asked, pid))
    holds.sort()
    # Holds over half a second are start-up work (migrations, the first credential), not batches.
    case = [h for h in holds if h[1] - h[0] < 0.5][-args.holds:]
    if not case:
        raise SystemExit("no holds recorded")
    wall = case[-1][1] - case[0][0]
    held = sum(done - got for got, done, *_ in case)
    print(f"holds by worker: {dict(collections.Counter(h[4] for h in case))}")
    print(f"wall {wall:.2f} s, gate held {held / wall:.0%} of it")
    print(f"a hold: mean {held / len(case) * 1000:.1f} ms wall, "
          f"median {statistics.median(h[2] for h in case) * 1000:.1f} ms thread CPU")


if __name__ == "__main__":
    main()
