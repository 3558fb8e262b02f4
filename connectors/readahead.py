"""Reading ahead: the next pages of a platform's answers fetched by a thread while the caller
stores the current one.

A platform takes about as long to build a page as we take to store it, and the database
driver and the HTTP client both release the GIL while they wait, so overlapping the two
halves a backfill's wall time. Used by every connector's streams and by the bulk reader.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")
_DONE = object()


def prefetched(items: Iterable[T], depth: int = 2, name: str = "cible-readahead") -> Iterator[T]:
    """The same items, in order, up to `depth` of them produced ahead by a thread.

    An error raised while producing is raised here when the caller reaches it. Closing the
    generator early (an exception in the caller, a `break`) stops the thread at its next
    item. The iterable must not share a connection with the caller (give it a client of
    its own).
    """
    waiting: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        waiting.put(item, timeout=0.2)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            waiting.put(_DONE)
        except BaseException as error:  # handed to the consumer, raised there
            waiting.put(error)

    producer = threading.Thread(target=produce, name=name, daemon=True)
    producer.start()
    try:
        while True:
            item = waiting.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        producer.join(timeout=5)
