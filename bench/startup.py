"""What a process costs before its first record: whole ``tongban`` commands timed from the
outside, against a bare interpreter started in the same run.

    .venv/bin/python bench/startup.py            # median of five runs each
    .venv/bin/python bench/startup.py --importtime

Prints, in seconds (medians): ``python_s`` (``python -c pass``, the baseline),
``help_s`` (``tongban --help``), ``sources_s`` (``tongban sources``), ``startup_s`` (a
``tongban sync`` of a source with nothing to read: an empty file drop), ``gate_import_s``
(``import expectations``, what the first validated batch adds to a sync) and
``api_app_s`` (building the app every exchange API process serves, console mounted),
then ``startup_vs_python``. With ``--importtime``, the ten packages that cost the empty
sync most, from ``python -X importtime``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TONGBAN = str(Path(sys.executable).parent / "tongban")


def timed(command: list[str], env: dict[str, str], cwd: Path) -> float:
    t0 = time.perf_counter()
    subprocess.run(command, env=env, cwd=cwd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def import_costs(command: list[str], env: dict[str, str], cwd: Path) -> Counter[str]:
    """Self import time by top-level package, from ``-X importtime``."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *command], env=env, cwd=cwd, check=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    costs: Counter[str] = Counter()
    for line in done.stderr.splitlines():
        if line.startswith("import time:") and "self [us]" not in line:
            own, _, name = line.split(":", 1)[1].split("|")
            costs[name.strip().split(".")[0]] += int(own)
    return costs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--importtime", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tongban-startup-") as work:
        cwd = Path(work)
        (cwd / "drop").mkdir()
        env = {**os.environ, "TONGBAN_DATA_DIR": str(cwd / "data"),
               "TONGBAN_RENSHE_DROP_DIR": str(cwd / "drop")}  # fmt: skip
        timed([TONGBAN, "init"], env, cwd)
        compose = "from cli.serve import compose; compose()"
        commands = {
            "python_s": [sys.executable, "-c", "pass"],
            "help_s": [TONGBAN, "--help"],
            "sources_s": [TONGBAN, "sources"],
            "startup_s": [TONGBAN, "sync", "renshe_insurance"],
            "gate_import_s": [sys.executable, "-c", "import expectations"],
            "api_app_s": [sys.executable, "-c", compose],
        }
        runs: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(max(1, args.repeat)):  # interleaved: each sees the machine alike
            for name, command in commands.items():
                runs[name].append(timed(command, env, cwd))
        medians = {name: statistics.median(times) for name, times in runs.items()}
        for name, value in medians.items():
            print(f"{name}: {value:.2f}")
        print(f"startup_vs_python: {medians['startup_s'] / medians['python_s']:.1f}")
        if args.importtime:
            costs = import_costs([TONGBAN, "sync", "renshe_insurance"], env, cwd)
            print(f"# self import time of `tongban sync` (empty source) by package, of"
                  f" {sum(costs.values()) / 1e6:.2f} s in all")  # fmt: skip
            for package, micros in costs.most_common(10):
                print(f"#   {package}: {micros / 1e6:.2f} s")


if __name__ == "__main__":
    main()
