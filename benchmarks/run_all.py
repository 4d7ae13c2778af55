"""Run every benchmark, one after the other, and print one JSON object per benchmark on stdout.

    make bench                      # all of them (several minutes; needs ../shared)
    .venv/bin/python benchmarks/run_all.py import live   # a selection, by name

Benchmarks are not tests: they assert nothing, they measure against a reference taken in the
same run, because this machine is shared and noisy.
"""

import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = {
    "import": ["bench_import.py"],
    "train": ["bench_train.py"],
    "train_gui": ["bench_train_gui.py", "--epochs", "10"],
    "live": ["bench_live.py"],
    "label_check": ["bench_label_check.py"],
    "finetune_split": ["bench_finetune_split.py"],
    "startup": ["bench_startup.py", "--repeat", "3"],
}


def main(names: list[str]) -> int:
    unknown = [name for name in names if name not in BENCHMARKS]
    if unknown:
        print(
            f"unknown benchmark {unknown[0]!r}; choose from {', '.join(BENCHMARKS)}",
            file=sys.stderr,
        )
        return 2
    failed = 0
    for name in names or list(BENCHMARKS):
        print(f"running {name}…", file=sys.stderr, flush=True)
        start = time.perf_counter()
        result = subprocess.run(
            [sys.executable, str(HERE / BENCHMARKS[name][0]), *BENCHMARKS[name][1:]],
            stdout=subprocess.PIPE,
            text=True,
        )
        lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
        record = json.loads(lines[-1]) if lines else {"error": f"exit {result.returncode}, no JSON"}
        failed += result.returncode != 0
        print(
            json.dumps(
                {"benchmark": name, "wall_s": round(time.perf_counter() - start, 1), **record}
            )
        )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
