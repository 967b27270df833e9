import gc
import threading
import weakref

import pytest

from smsportal.lib.gcspacing import SPACED_THRESHOLD, collections_spaced


@pytest.fixture(autouse=True)
def default_thresholds():
    saved = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield
    gc.set_threshold(*saved)


def test_raises_the_first_threshold_and_puts_it_back():
    with collections_spaced():
        assert gc.get_threshold() == (SPACED_THRESHOLD, 10, 10)
    assert gc.get_threshold() == (700, 10, 10)


def test_put_back_after_an_error():
    with pytest.raises(RuntimeError), collections_spaced():
        raise RuntimeError("the pump failed")
    assert gc.get_threshold() == (700, 10, 10)


def test_keeps_a_higher_threshold_and_collection_turned_off():
    gc.set_threshold(50_000, 10, 10)
    with collections_spaced():
        assert gc.get_threshold() == (50_000, 10, 10)
    gc.set_threshold(0, 10, 10)  # automatic collection off: stays off
    with collections_spaced():
        assert gc.get_threshold() == (0, 10, 10)
    assert gc.get_threshold() == (0, 10, 10)


def test_the_last_of_several_users_puts_it_back():
    # Two pumps in one worker's thread pool, the first leaving before the second.
    first_in, second_in, first_out = (threading.Event() for _ in range(3))
    seen = {}

    def second():
        first_in.wait()
        with collections_spaced():
            second_in.set()
            first_out.wait()
            seen["after the first left"] = gc.get_threshold()

    thread = threading.Thread(target=second)
    thread.start()
    with collections_spaced():
        first_in.set()
        second_in.wait()
    first_out.set()
    thread.join()
    assert seen["after the first left"] == (SPACED_THRESHOLD, 10, 10)
    assert gc.get_threshold() == (700, 10, 10)


def test_objects_in_cycles_are_still_collected():
    class Node:
        pass

    with collections_spaced():
        node = Node()
        node.self = node
        ref = weakref.ref(node)
        del node
        # Containers kept alive: what counts towards the threshold.
        kept = [[] for _ in range(SPACED_THRESHOLD * 2)]
        assert ref() is None
        assert len(kept) == SPACED_THRESHOLD * 2


def test_as_a_decorator_each_call_is_spaced():
    @collections_spaced()
    def thresholds():
        return gc.get_threshold()

    assert thresholds() == (SPACED_THRESHOLD, 10, 10)
    assert thresholds() == (SPACED_THRESHOLD, 10, 10)  # a fresh context each call
    assert gc.get_threshold() == (700, 10, 10)
