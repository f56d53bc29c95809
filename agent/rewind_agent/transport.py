"""The raw stream file: events are copied into a memory-mapped stage, then placed in the file.

Why a mapping: a byte copied into a shared mapping belongs to the kernel's page cache at once,
so a program killed by SIGKILL still leaves every committed event on disk, and the writer never
waits for a reader. Why a stage that is used over and over rather than mapping the file where
each event goes: every fresh page mapped costs a page fault, and under a virtual machine's
paging (this project's CI, most cloud machines) that fault costs more than copying the page;
the stage's pages are faulted in once. Layout (see PROTOCOL.md, "Framing"):

    offset 0   MAGIC (12 bytes)
    offset 12  u32 little-endian flags (1 = the agent closed the stream, 2 = it holds a WARNING)
    offset 16  u64 little-endian committed length C: stream bytes that are complete events
    offset 24  u64 little-endian consumed length: written by the recorder, what it has read
    offset 32  u64 little-endian placed length P: stream bytes at their place in the file
    offset 40  u32 little-endian stage size S
    offset HEADER      the stage: stream bytes P to C, from its start
    offset HEADER + S  the stream: byte i (i < P) at HEADER + S + i

The committed length is written after each event, so a reader never sees half an event. When
the next event does not fit in the stage, the stage is written to its place (one pwrite), P
moves up, and the stage starts over. Disk use stays bounded on long runs: each time the stage
is placed, the stream bytes the recorder has consumed are given back to the file system (a
hole punched in the file), and a writer with a `max_backlog` waits there while it is that far
ahead of the recorder (only a program recorded faster than the recorder stores it ever waits).
"""

import mmap
import os
import struct
import sys
import time

from . import wire

HEADER = max(4096, mmap.ALLOCATIONGRANULARITY)
STAGE = 1 << 20  # 1 MiB, a multiple of any allocation granularity; also how often the agent
# checks that the recorder is still there
FLAG_CLOSED = 1
FLAG_WARNED = 2
_u64 = struct.Struct("<Q")
_u32 = struct.Struct("<I")


class RawWriter:
    def __init__(self, path, accel=None):
        self.path = path
        self.on_place = None  # called each time the stage is placed
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
        self._region = HEADER + STAGE  # where the stream's byte 0 goes
        os.ftruncate(self._fd, self._region)
        self._hdr = mmap.mmap(self._fd, HEADER, offset=0)
        self._stage = mmap.mmap(self._fd, STAGE, offset=HEADER)
        self._hdr[0:12] = wire.MAGIC
        _u32.pack_into(self._hdr, 40, STAGE)
        self.total = 0  # committed stream bytes
        self.placed = 0  # stream bytes at their place in the file
        self._off = 0  # bytes in the stage: total - placed
        self._commit = _u64.pack_into
        self.closed = False
        self._freed = 0  # stream bytes given back so far
        self._punch_hole = None  # how they are given back, once a reader consumes them
        self.max_backlog = None  # stream bytes the recorder may be behind, if it runs alongside
        # With the C accelerator, its Sink copies into the stage and calls _place when it is full.
        self.sink = accel.Sink(self) if accel is not None else None
        if self.sink is not None:
            self.write = self.sink.write

    def follow(self, max_backlog, on_place):
        """A recorder reads alongside (before the program runs): the writer waits while it is
        max_backlog bytes ahead of it, gives back what it consumed, and calls on_place (which
        raises if it is gone) each time the stage is placed."""
        self.max_backlog = max_backlog
        self.on_place = on_place
        self._punch_hole = _hole_puncher()

    def write(self, data):
        """Append one whole event and commit it."""
        end = self._off + len(data)
        if end > STAGE:
            self._place(self._off)
            end = len(data)
        if end <= STAGE:
            self._stage[self._off:end] = data
            self._off = end
        else:
            self._place_whole(data)
        self.total += len(data)
        self._commit(self._hdr, 16, self.total)

    def _place(self, n):
        """Writes the stage's first n bytes to their place; the stage starts over."""
        if n:
            os.pwrite(self._fd, self._stage[:n], self._region + self.placed)
            self._placed(n)
        self._off = 0

    def _place_whole(self, data):
        """An event larger than the stage goes to its place directly (the stage is empty)."""
        os.pwrite(self._fd, data, self._region + self.placed)
        self._placed(len(data))

    def _placed(self, n):
        # Raised only once the bytes are in place: a reader finds them in the stage until then.
        self.placed += n
        self._commit(self._hdr, 32, self.placed)
        if self.on_place is not None:
            self.on_place()
        if self.max_backlog is not None:
            self._wait_for_reader()
        self._free_consumed()

    def _consumed(self):
        return _u64.unpack_from(self._hdr, 24)[0]

    def _wait_for_reader(self):
        while self.placed - self._consumed() > self.max_backlog:
            if self.on_place is not None:
                self.on_place()  # raises if the recorder is gone
            time.sleep(0.001)

    def _free_consumed(self):
        # Only whole pages of placed bytes the recorder has read.
        upto = min(self._consumed(), self.placed) // PAGE * PAGE
        if upto > self._freed and self._punch_hole is not None and \
                self._punch_hole(self._fd, self._region + self._freed, upto - self._freed):
            self._freed = upto

    def _release_sink(self):
        if self.sink is not None:
            self.total, self._off = self.sink.release()

    def abandon(self):
        """Stop writing and delete the stream: nobody will read it."""
        if not self.closed:
            self.detach()
            try:
                os.unlink(self.path)
            except OSError:
                pass

    def detach(self):
        """In a child the program forked: stop writing and leave the stream, its parent's, as
        it is."""
        if not self.closed:
            self.closed = True
            self._release_sink()
            self._stage.close()
            self._hdr.close()
            os.close(self._fd)

    def mark_warned(self):
        """The stream holds a WARNING: a reader that looks only at the header knows the
        recording misses something without decoding it all."""
        if not self.closed:
            _u32.pack_into(self._hdr, 12, _u32.unpack_from(self._hdr, 12)[0] | FLAG_WARNED)

    def close(self):
        """Place what the stage holds, mark the stream complete and cut the file to its content."""
        if self.closed:
            return
        self.closed = True
        self._release_sink()
        punch, self.on_place, self.max_backlog = self._punch_hole, None, None  # nothing left to wait for
        self._place(self._off)
        _u32.pack_into(self._hdr, 12, _u32.unpack_from(self._hdr, 12)[0] | FLAG_CLOSED)
        self._stage.close()
        self._hdr.close()
        os.ftruncate(self._fd, self._region + self.total)
        if punch is not None:
            punch(self._fd, HEADER, STAGE)  # the stage holds nothing the stream lacks now
        os.close(self._fd)


PAGE = mmap.PAGESIZE


def _hole_puncher():
    """fallocate(PUNCH_HOLE) through ctypes where Linux has it; elsewhere nothing is freed.
    Made before the program runs (ctypes imported in a callback would run inside the program),
    and only where a recorder reads alongside: a few ms of start-up the others do not pay."""
    if not sys.platform.startswith("linux"):
        return lambda fd, offset, length: False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        fallocate = getattr(libc, "fallocate64", None) or libc.fallocate  # 64-bit offsets everywhere
        fallocate.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int64, ctypes.c_int64]
        fallocate.restype = ctypes.c_int
    except (ImportError, OSError, AttributeError):
        return lambda fd, offset, length: False
    FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE = 1, 2

    def punch(fd, offset, length):
        return fallocate(fd, FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE, offset, length) == 0

    return punch

