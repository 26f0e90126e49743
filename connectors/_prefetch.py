"""Fetch pages ahead in a background thread: waiting on the network overlaps with the
work on the previous page (the socket read releases the GIL)."""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Generator, Iterator
from typing import Any

from connectors.base import Page

__all__ = ["prefetch"]

_DONE = object()


def prefetch(pages: Iterator[Page], depth: int = 2) -> Generator[Page, None, None]:
    """Iterate ``pages`` in a background thread, at most ``depth`` pages ahead."""
    if depth <= 0:
        yield from pages
        return
    slots: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for page in pages:
                while not stop.is_set():
                    try:
                        slots.put(page, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            slots.put(_DONE)
        except BaseException as exc:  # handed to the consumer, raised there
            slots.put(exc)

    worker = threading.Thread(target=produce, name="tongban-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            item = slots.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while worker.is_alive():
            with contextlib.suppress(queue.Empty):
                slots.get_nowait()
            worker.join(timeout=0.05)
