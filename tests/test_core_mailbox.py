"""The one-slot mailbox: newest wins, drops are counted, take() wakes on put and on close."""

import threading

from desktop_app.core.mailbox import Mailbox


def test_newest_item_replaces_an_untaken_one_and_counts_the_drop():
    box = Mailbox()
    assert box.put(1) is False
    assert box.put(2) is True
    assert box.put(3) is True
    assert box.take(timeout=0) == 3
    assert box.dropped == 2
    assert box.put_count == 3


def test_take_empties_the_slot_and_times_out_when_nothing_arrives():
    box = Mailbox()
    box.put("frame")
    assert box.take(timeout=0) == "frame"
    assert box.take(timeout=0.01) is None
    box.put("next")
    assert box.dropped == 0


def test_take_wakes_when_another_thread_puts():
    box = Mailbox()
    got = []
    consumer = threading.Thread(target=lambda: got.append(box.take(timeout=10)))
    consumer.start()
    box.put("hello")
    consumer.join(timeout=10)
    assert got == ["hello"]


def test_close_wakes_a_waiting_consumer_with_none():
    box = Mailbox()
    got = []
    consumer = threading.Thread(target=lambda: got.append(box.take(timeout=10)))
    consumer.start()
    box.close()
    consumer.join(timeout=10)
    assert not consumer.is_alive()
    assert got == [None]
    assert box.closed


def test_a_fast_producer_never_builds_a_backlog():
    box = Mailbox()
    for frame in range(1000):
        box.put(frame)
    assert box.take(timeout=0) == 999
    assert box.take(timeout=0) is None
    assert box.dropped == 999


def test_clear_forgets_without_counting_a_drop():
    box = Mailbox()
    box.put(1)
    box.clear()
    assert box.take(timeout=0) is None
    box.put(2)
    assert box.dropped == 0
