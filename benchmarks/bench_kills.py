"""Kills at any instant (issue #11), the full harness: every operation SIGKILLed at --kills uniformly
random instants of its measured duration (50 by default), each kill followed by the checks of
tests/kill_harness.py (photos reported imported present once, labels old or new, index agreeing
with the folders or rebuilt, trash intact, no half-written file in a class folder, the feature
cache whole, the current model loading, the undo history naming what happened).

Prints one JSON object: per operation the kills, the failures (each with its seed and instant),
the measured duration, how many stages were reported before the kills, and what the checks found.
Exit code 1 when any check failed.

Run: .venv/bin/python benchmarks/bench_kills.py [--kills 50] [--seed 1] [--operations import,train]
(about 10 minutes for 50 kills of each on two busy cores, 7.5 of them the trainings).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from kill_harness import OPERATIONS, run_operation  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=50, help="kills per operation (default 50)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument(
        "--operations",
        default=",".join(OPERATIONS),
        help=f"comma-separated: {','.join(OPERATIONS)}",
    )
    args = parser.parse_args()
    started = time.monotonic()
    report: dict = {"kills_per_operation": args.kills, "seed": args.seed, "operations": {}}
    with tempfile.TemporaryDirectory(prefix="bench-kills-") as work:
        for offset, name in enumerate(args.operations.split(",")):
            seed = args.seed * 100 + offset
            result = run_operation(
                name,
                Path(work) / name,
                args.kills,
                seed,
                log=lambda text: print(text, file=sys.stderr),
            )
            report["operations"][name] = {"seed": seed, **result.to_json()}
            print(f"{name}: {result.kills} kills, {len(result.failures)} failed, "
                  f"{result.wall_s:.0f} s", file=sys.stderr, flush=True)  # fmt: skip
    results = report["operations"].values()
    report["total_kills"] = sum(r["kills"] for r in results)
    report["total_failures"] = sum(len(r["failures"]) for r in results)
    report["wall_s"] = round(time.monotonic() - started, 1)
    report["command"] = " ".join(["benchmarks/bench_kills.py", *sys.argv[1:]])
    print(json.dumps(report, indent=1))
    return 1 if report["total_failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
