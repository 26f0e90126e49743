"""API worker processes, each with its own listening socket on the one port.

    >>> run_workers("cli.serve:compose", host="127.0.0.1", port=8000, workers=2)

uvicorn's ``--workers`` shares one listening socket between the processes, and asyncio
accepts every waiting connection at once: a burst of keep-alive connections lands on
whichever worker woke first, which then serves them all under its one interpreter lock
while the other idles. Here each worker listens on a socket of its own with
``SO_REUSEPORT``, and the kernel spreads new connections over them evenly. The parent
holds the port (bound, not listening), restarts a worker that dies, and stops them all
on SIGTERM or SIGINT; a worker that cannot start stops the lot. Without
``SO_REUSEPORT`` (not Linux), or with one worker, this is uvicorn's own ``run``.

    python -m cli.workers bench._exchange_app:make --port 8000 --workers 2
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import signal
import socket
import sys
import threading
from typing import Any

__all__ = ["run_workers"]

_STARTUP_FAILURE = 3  # uvicorn's exit code for a worker that could not start


def _socket(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


def _worker(app: str, host: str, port: int, options: dict[str, Any]) -> None:
    import uvicorn

    try:
        sock = _socket(host, port)
    except OSError as exc:
        print(f"worker: cannot listen on {host}:{port}: {exc}", file=sys.stderr)
        sys.exit(_STARTUP_FAILURE)
    config = uvicorn.Config(app, factory=True, host=host, port=port, **options)
    uvicorn.Server(config).run(sockets=[sock])


def run_workers(app: str, *, host: str, port: int, workers: int, **options: Any) -> None:
    """Serve the app factory ``app`` ("module:function") from ``workers`` processes.

    ``options`` go to :class:`uvicorn.Config` (``log_level``, ``access_log``, ...)."""
    if workers < 2 or not hasattr(socket, "SO_REUSEPORT"):
        import uvicorn

        uvicorn.run(app, factory=True, host=host, port=port, workers=workers, **options)
        return
    holder = _socket(host, port)  # keeps the port ours between worker restarts
    port = int(holder.getsockname()[1])
    ctx = mp.get_context("spawn")
    stop = threading.Event()

    def start() -> Any:
        proc = ctx.Process(target=_worker, args=(app, host, port, options), daemon=False)
        proc.start()
        return proc

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    procs = [start() for _ in range(workers)]
    try:
        while not stop.wait(0.5):
            for i, proc in enumerate(procs):
                if proc.is_alive():
                    continue
                if proc.exitcode == _STARTUP_FAILURE:
                    print(f"worker {proc.pid} could not start: stopping", file=sys.stderr)
                    stop.set()
                    break
                print(f"worker {proc.pid} exited ({proc.exitcode}): restarting", file=sys.stderr)
                procs[i] = start()
    finally:
        for proc in procs:
            if proc.is_alive():
                proc.terminate()
        for proc in procs:
            proc.join(30)
            if proc.is_alive():
                proc.kill()
        holder.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("app", help="an app factory, module:function")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--log-level", default="warning")
    args = ap.parse_args()
    run_workers(
        args.app,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=args.log_level,
        access_log=False,
    )


if __name__ == "__main__":
    main()
