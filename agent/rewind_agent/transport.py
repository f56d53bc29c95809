"""The raw stream file: events are copied into memory-mapped windows of one file.

Why mmap: a byte copied into a shared mapping belongs to the kernel's page cache at once, so a
program killed by SIGKILL still leaves every committed event on disk, and the writer never
waits for a reader. Layout (see PROTOCOL.md, "Framing"):

    offset 0   MAGIC (12 bytes)
    offset 12  u32 little-endian flags (1 = the agent closed the stream, 2 = it holds a WARNING)
    offset 16  u64 little-endian committed length: stream bytes that are complete events
    offset 24  u64 little-endian consumed length: written by the recorder, what it has read
    offset HEADER  the stream: concatenated msgpack events

The committed length is written after each event, so a reader never sees half an event.
Disk use stays bounded on long runs: each time a window is mapped, the stream bytes the
recorder has consumed are given back to the file system (a hole punched in the file), and a
writer with a `max_backlog` waits there while it is that far ahead of the recorder (only a
program recorded faster than the recorder stores it ever waits).
"""

import mmap
import os
import struct
import sys
import time

from . import wire

HEADER = max(4096, mmap.ALLOCATIONGRANULARITY)
WINDOW = 1 << 20  # 1 MiB, a multiple of any allocation granularity; also how often the
# agent checks that the recorder is still there
FLAG_CLOSED = 1
FLAG_WARNED = 2
_u64 = struct.Struct("<Q")
_u32 = struct.Struct("<I")


class RawWriter:
    def __init__(self, path, on_window=None, accel=None):
        self.path = path
        self.on_window = on_window  # called each time a new window is mapped
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
        os.ftruncate(self._fd, HEADER)
        self._hdr = mmap.mmap(self._fd, HEADER, offset=0)
        self._hdr[0:12] = wire.MAGIC
        self.total = 0  # committed stream bytes
        self._base = 0  # stream offset of the current window
        self._off = 0  # write offset inside the current window
        self._win = None
        self._open_window(0)
        self._commit = _u64.pack_into
        self.closed = False
        self._freed = 0  # stream bytes given back so far
        self.max_backlog = None  # stream bytes the recorder may be behind, if it runs alongside
        # With the C accelerator, its Sink copies into the windows this class maps.
        self.sink = accel.Sink(self) if accel is not None else None
        if self.sink is not None:
            self.write = self.sink.write

    def _open_window(self, base):
        if self._win is not None:
            self._win.close()
            if self.max_backlog is not None:
                self._wait_for_reader(base)
            self._free_consumed(base)
            if self.on_window is not None:
                self.on_window()
        os.ftruncate(self._fd, HEADER + base + WINDOW)
        self._win = mmap.mmap(self._fd, WINDOW, offset=HEADER + base)
        self._base = base
        self._off = 0

    def _consumed(self):
        return _u64.unpack_from(self._hdr, 24)[0]

    def _wait_for_reader(self, base):
        while base - self._consumed() > self.max_backlog:
            if self.on_window is not None:
                self.on_window()  # raises if the recorder is gone
            time.sleep(0.001)

    def _free_consumed(self, base):
        # Only whole pages the recorder has read and no mapping still covers.
        upto = min(self._consumed(), base) // PAGE * PAGE
        if upto > self._freed and _punch_hole(self._fd, HEADER + self._freed, upto - self._freed):
            self._freed = upto

    def write(self, data):
        """Append one whole event and commit it."""
        off = self._off
        end = off + len(data)
        if end <= WINDOW:
            self._win[off:end] = data
            self._off = end
        else:
            self._spill(data)
        self.total += len(data)
        self._commit(self._hdr, 16, self.total)

    def _spill(self, data):
        view = memoryview(data)
        while len(view):
            room = WINDOW - self._off
            if room == 0:
                self._open_window(self._base + WINDOW)
                room = WINDOW
            n = min(room, len(view))
            self._win[self._off:self._off + n] = view[:n]
            self._off += n
            view = view[n:]

    def _release_sink(self):
        if self.sink is not None:
            self.total = self.sink.total
            self.sink.release()

    def abandon(self):
        """Stop writing and delete the stream: nobody will read it."""
        if not self.closed:
            self.closed = True
            self._release_sink()
            self._win.close()
            self._hdr.close()
            os.close(self._fd)
            try:
                os.unlink(self.path)
            except OSError:
                pass

    def mark_warned(self):
        """The stream holds a WARNING: a reader that looks only at the header knows the
        recording misses something without decoding it all."""
        if not self.closed:
            _u32.pack_into(self._hdr, 12, _u32.unpack_from(self._hdr, 12)[0] | FLAG_WARNED)

    def close(self):
        """Mark the stream complete and cut the file to its content."""
        if self.closed:
            return
        self.closed = True
        self._release_sink()
        _u32.pack_into(self._hdr, 12, _u32.unpack_from(self._hdr, 12)[0] | FLAG_CLOSED)
        self._win.close()
        self._hdr.close()
        os.ftruncate(self._fd, HEADER + self.total)
        os.close(self._fd)


PAGE = mmap.PAGESIZE


def _hole_puncher():
    """fallocate(PUNCH_HOLE) through ctypes where Linux has it; elsewhere nothing is freed."""
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


# Chosen once, before the program runs: importing ctypes later would happen inside a callback.
_punch_hole = _hole_puncher()
