"""The in-file duplicate check: exact, in row order, in memory that does not grow with the file."""

import random
import tracemalloc

from adoption.importers.duplicates import Duplicates


def expected_repeats(keys):
    first, repeats = {}, []
    for row, key in enumerate(keys, start=2):
        if key in first:
            repeats.append((row, first[key]))
        else:
            first[key] = row
    return repeats


def test_it_finds_every_repeat_with_its_first_row_in_row_order():
    rng = random.Random(20)
    keys = [f"{rng.randint(1, 3)}\x00VTP-{rng.randint(0, 60)}" for _ in range(500)]
    duplicates = Duplicates(run=7)  # many runs on disk, merged
    for row, key in enumerate(keys, start=2):
        duplicates.add(key, row)

    assert list(duplicates.repeats()) == expected_repeats(keys)
    assert duplicates.count == len(expected_repeats(keys))


def test_a_file_without_repeats_has_none():
    duplicates = Duplicates(run=10)
    for row in range(2, 100):
        duplicates.add(f"1\x00R{row}", row)

    assert list(duplicates.repeats()) == []


def test_memory_stays_flat_however_many_rows():
    def peak(rows):
        duplicates = Duplicates(run=5_000)
        tracemalloc.start()
        for row in range(2, rows + 2):
            duplicates.add(f"7\x00REF-{row}", row)
        assert list(duplicates.repeats()) == []
        size = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        duplicates.close()
        return size

    # One run of 5,000 keys in memory, the rest on disk with a small buffer per run: the 200,000
    # keys themselves would take over 12 MB in a set.
    assert peak(200_000) < 2_500_000
    assert peak(200_000) < 4 * peak(20_000)
