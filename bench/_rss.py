"""Peak memory of a process tree, sampled from a process of its own.

    python bench/_rss.py PID [EXCLUDE_PID ...]

Samples every 250 ms until its standard input closes, then prints the peak in MB. It runs
apart so that sampling (walking /proc, reading smaps) takes nothing from the measured
process: a sampler thread inside it would compete for its GIL.

Forked processes share pages, so their RSS would count the shared ones twice: each process
counts with its PSS (shared pages split between the processes sharing them), which sums to
the memory really used.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading

import psutil


def main() -> None:
    root = psutil.Process(int(sys.argv[1]))
    exclude = {os.getpid(), *(int(p) for p in sys.argv[2:])}
    done = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.read(), done.set()), daemon=True).start()
    peak = 0.0
    while not done.wait(0.25):
        total = 0
        with contextlib.suppress(psutil.Error):
            total = root.memory_full_info().pss
            for child in root.children(recursive=True):
                if child.pid in exclude:
                    continue
                with contextlib.suppress(psutil.Error):
                    total += child.memory_full_info().pss
        peak = max(peak, total / 2**20)
    print(f"{peak:.1f}", flush=True)


if __name__ == "__main__":
    main()
