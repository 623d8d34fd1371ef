"""Rows of a file whose key repeats an earlier row's, found in bounded memory.

A set of every key seen grows with the file (7.4 million references kept 1.1 GB resident).
Here each key is reduced to a 16-byte BLAKE2b digest (a collision between two different keys
is as likely as guessing a 128-bit secret) packed with its row number, and the records are
sorted on disk: runs of RUN records are sorted in memory and written to a temporary file, then
merged. Memory holds one run (about 16 MB) and a 24 KB read buffer per run on disk (30 runs,
under 1 MB, for 7.4 million rows); the disk holds 24 bytes per row.
"""

import hashlib
import heapq
import tempfile

DIGEST = 16
ROW = 8
RECORD = DIGEST + ROW
RUN = 250_000
READ_RECORDS = 1024


class ExternalSort:
    """Sorts fixed-size byte records through a temporary file."""

    def __init__(self, size, run=RUN):
        self.size = size
        self.run = run
        self.pending = []
        self.runs = []  # (offset, records) in the spool
        self.spool = None

    def add(self, record):
        self.pending.append(record)
        if len(self.pending) >= self.run:
            self._flush()

    def _flush(self):
        if not self.pending:
            return
        if self.spool is None:
            self.spool = tempfile.TemporaryFile()  # noqa: SIM115 - closed by close()
        self.pending.sort()
        self.spool.seek(0, 2)
        self.runs.append((self.spool.tell(), len(self.pending)))
        self.spool.write(b"".join(self.pending))
        self.pending = []

    def _read_run(self, offset, count):
        size, done = self.size, 0
        while done < count:
            take = min(READ_RECORDS, count - done)
            self.spool.seek(offset + done * size)
            block = self.spool.read(take * size)
            done += take
            yield from (block[i : i + size] for i in range(0, len(block), size))

    def sorted(self):
        """Every record added, in byte order; then the sort is empty again."""
        if not self.runs:
            records, self.pending = sorted(self.pending), []
            yield from records
            return
        self._flush()
        yield from heapq.merge(*(self._read_run(offset, count) for offset, count in self.runs))
        self.close()

    def close(self):
        if self.spool is not None:
            self.spool.close()
        self.spool, self.runs, self.pending = None, [], []


def _pack(row):
    return row.to_bytes(ROW, "big")


class Duplicates:
    """add(key, row) for each row in turn; repeats() yields (row, first row of its key)."""

    def __init__(self, run=RUN):
        self.keys = ExternalSort(RECORD, run)
        self.run = run
        self.count = 0

    def add(self, key, row):
        digest = hashlib.blake2b(key.encode(), digest_size=DIGEST).digest()
        self.keys.add(digest + _pack(row))

    def repeats(self):
        """(row, first row with the same key) for every repeat, in row order."""
        found = ExternalSort(2 * ROW, self.run)
        digest = first = None
        for record in self.keys.sorted():  # by digest, then row: a key's first row leads
            if record[:DIGEST] != digest:
                digest, first = record[:DIGEST], record[DIGEST:]
                continue
            found.add(record[DIGEST:] + first)
            self.count += 1
        for record in found.sorted():
            yield int.from_bytes(record[:ROW], "big"), int.from_bytes(record[ROW:], "big")
        found.close()

    def close(self):
        self.keys.close()
