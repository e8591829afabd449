"""`pick_window` on its own: which rows a move into a full gap relabels, and between which keys."""

from kanban.models import ORDER_GAP
from kanban.services import Window, _room_needed, pick_window


def test_a_tight_pair_with_room_around_relabels_just_the_pair():
    keys = [0, ORDER_GAP, ORDER_GAP + 1, 3 * ORDER_GAP, 4 * ORDER_GAP]

    window = pick_window(keys, position=2)

    assert window == Window(start=1, size=2, lo=0, hi=3 * ORDER_GAP, place=1)
    assert window.step >= _room_needed(2)


def test_the_window_doubles_until_its_bounds_leave_room():
    keys = list(range(100, 116)) + [10 * ORDER_GAP]  # 16 keys one apart, then room above

    window = pick_window(keys, position=8)

    # k = 1, 2, 4 leave too little room between keys one apart; k = 8 reaches the room above.
    assert (window.start, window.size, window.place) == (0, 16, 8)
    assert (window.lo, window.hi) == (100 - ORDER_GAP * 17, 10 * ORDER_GAP)


def test_at_the_start_of_a_column_the_window_extends_below_it():
    keys = [0, 1, 2 * ORDER_GAP]

    window = pick_window(keys, position=1)

    assert window == Window(start=0, size=2, lo=0 - 3 * ORDER_GAP, hi=2 * ORDER_GAP, place=1)


def test_at_the_end_of_a_column_the_window_extends_above_it():
    keys = [0, 2 * ORDER_GAP, 2 * ORDER_GAP + 1]

    window = pick_window(keys, position=2)

    assert window == Window(start=1, size=2, lo=0, hi=2 * ORDER_GAP + 1 + 3 * ORDER_GAP, place=1)


def test_a_column_packed_end_to_end_is_relabelled_whole():
    keys = list(range(10))

    window = pick_window(keys, position=5)

    assert (window.start, window.size, window.place) == (0, 10, 5)
    assert window.step >= _room_needed(10)


def test_spreading_keeps_the_order_and_leaves_the_room_needed():
    keys = [5, 6, 7, 8]
    window = pick_window(keys, position=2)
    spread = [window.lo + window.step * rank for rank in range(1, window.size + 2)]

    assert spread == sorted(spread) and window.lo < spread[0] and spread[-1] < window.hi
    assert min(b - a for a, b in zip(spread, spread[1:], strict=False)) >= _room_needed(window.size)
