"""The read-ahead thread every connector's streams use."""

import threading

import pytest

from connectors.readahead import prefetched


def test_items_come_in_order_and_errors_where_they_happened():
    def pages():
        yield 1
        yield 2
        raise ValueError("page 3 failed")

    got = []
    with pytest.raises(ValueError, match="page 3 failed"):
        for item in prefetched(pages(), depth=1):
            got.append(item)
    assert got == [1, 2]
    assert list(prefetched(iter(range(50)), depth=3)) == list(range(50))


def test_closing_early_stops_the_thread():
    produced = []

    def endless():
        n = 0
        while True:
            produced.append(n)
            yield n
            n += 1

    reader = prefetched(endless(), depth=2, name="test-readahead")
    assert next(reader) == 0
    reader.close()
    assert not any(t.name == "test-readahead" for t in threading.enumerate())
    assert len(produced) <= 5
