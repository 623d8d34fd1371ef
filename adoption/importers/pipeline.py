"""A second thread that writes one chunk while the importer checks the next.

The writer thread runs its statements on the import's own database connection, so they belong
to the import's transaction and all-or-nothing still holds. The checking thread must leave the
connection alone until stop() returns (the payments import looks everything up before it
starts). At most two chunks wait in the queue, so memory stays flat however fast the file is
read.
"""

import queue
import threading

_DONE = object()


class BackgroundWriter:
    def __init__(self, connection, write_chunk):
        """write_chunk(cursor, chunk) -> rows written; runs in the writer thread."""
        self.connection = connection
        self.write_chunk = write_chunk
        self.queue = queue.Queue(maxsize=2)
        self.written = 0
        self.error = None
        connection.inc_thread_sharing()
        self.thread = threading.Thread(target=self._run, name="import-writer", daemon=True)
        self.thread.start()

    def _run(self):
        while (chunk := self.queue.get()) is not _DONE:
            if self.error is not None:
                continue  # Drain the queue so the checking thread is never stuck on put().
            try:
                with self.connection.cursor() as cursor:
                    self.written += self.write_chunk(cursor, chunk)
            except BaseException as error:  # re-raised in the checking thread
                self.error = error

    def submit(self, chunk):
        if self.error is not None:
            self.stop()
        self.queue.put(chunk)

    def stop(self, raise_error=True):
        """Wait for the queued chunks; return the rows written or raise the writer's error."""
        if self.thread.is_alive():
            self.queue.put(_DONE)
            self.thread.join()
            self.connection.dec_thread_sharing()
        if self.error is not None and raise_error:
            raise self.error
        return self.written
