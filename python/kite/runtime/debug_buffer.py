"""kl.device_print and kl.device_assert on Vulkan: the SPIR-V emitter turns
them into records written to a debug buffer that is the kernel's last launch
argument (backends/spirv/emitter/DebugBuffer.cpp has the layout); after the
launch, the records are printed as CUDA's printf would
(``pid (X, Y, Z) thread T: <prefix>v0 v1 ...``) and the first failed assert
raises ``kite.KernelRuntimeError`` at the user's line.

The buffer holds ``CAPACITY_WORDS`` words of records (1 MiB); records that
do not fit are dropped, and the report says how many words were."""
from __future__ import annotations

import struct
import sys
from typing import Mapping, Optional

import numpy as np

from ..errors import KernelRuntimeError

HEADER_WORDS = 5  # word 4: a failed memory check (runtime/memory_checks.py)
CAPACITY_WORDS = (1 << 18) - HEADER_WORDS
_WORDS = {"i1": 1, "i32": 1, "f32": 1, "i64": 2, "f64": 2, "u32": 1, "u64": 2, "x32": 1,
          "x64": 2}


class Record:
    """One print or assert op of a kernel, as the emitter lists it."""

    def __init__(self, text: str):
        kind, self.text, types, self.file, line = text.split("\x1f")
        # "memcheck": an out-of-bounds access (runtime/memory_checks.py),
        # reported in the header, not as a record; "size=K": launch
        # argument K holds the size of the allocation it must stay in.
        self.is_memory_check = kind == "memcheck"
        # "limit": a loop the driver stopped (the emitter's loop check).
        self.is_driver_limit = kind == "limit"
        self.is_assert = kind in ("assert", "limit")
        self.size_argument = int(types[5:]) if types.startswith("size=") else -1
        self.types = types.split(",") if types and not self.is_memory_check else []
        self.line = int(line) if line.isdigit() else 0
        self.words = 5 + sum(_WORDS[t] for t in self.types)


def _value(kind: str, words: np.ndarray) -> str:
    if kind == "f32":
        return "%f" % words[:1].view(np.float32)[0]
    if kind == "f64":
        return "%f" % words[:2].view(np.float64)[0]
    if kind == "i64":
        return str(int(words[:2].view(np.int64)[0]))
    if kind in ("u64", "x64"):
        value = int(words[:2].view(np.uint64)[0])
        return hex(value) if kind == "x64" else str(value)
    if kind in ("u32", "x32"):
        return hex(int(words[0])) if kind == "x32" else str(int(words[0]))
    return str(int(words[:1].view(np.int32)[0]))


class DebugBuffer:
    """One kernel's debug buffer on a Vulkan device, reused by its launches
    (a Vulkan launch returns when the kernel is done)."""

    def __init__(self, device, records: list):
        self.device = device
        self.records = [Record(text) for text in records]
        # Not through device.allocate: no checked kernel may reach it.
        self.buffer = device._device.allocate((HEADER_WORDS + CAPACITY_WORDS) * 4)
        self.address = int(self.buffer.address)
        self._header = np.zeros(HEADER_WORDS, np.uint32)
        self._header[1] = CAPACITY_WORDS

    def append_address(self, args: bytes) -> bytes:
        """The packed arguments with the buffer's address after them (at an
        8-byte offset), the cursor reset for this launch."""
        self.device.upload(self.buffer, self._header)
        return args + b"\0" * (-len(args) % 8) + struct.pack("<Q", self.address)

    def report(self, arguments: Mapping[int, int] = {}) -> None:
        """Prints the launch's print records; raises for a failed memory check
        or else its first failed assert. ``arguments``: the launch's hidden
        arguments of memory checks, by launch argument index."""
        header = self.device.download(self.buffer, (HEADER_WORDS,), np.uint32)
        used, count, sticky = int(header[0]), int(header[2]), int(header[3])
        memory = self._memory_check(int(header[4]), arguments)
        if not used:
            if memory:
                raise memory
            return
        # Records up to the end of the last one written (one that did not fit
        # leaves a gap, which holds no record).
        words = self.device.download(self.buffer, (HEADER_WORDS + count,),
                                     np.uint32)[HEADER_WORDS:]
        lines, failed, at = [], None, 0
        while at + 5 <= count:
            index = int(words[at])
            if index >= len(self.records):
                break
            record = self.records[index]
            if at + record.words > count:
                break
            pid = tuple(int(w) for w in words[at + 1:at + 4])
            thread = int(words[at + 4])
            where = f"pid ({pid[0]}, {pid[1]}, {pid[2]}) thread {thread}"
            if record.is_assert:
                failed = failed or (record, where)
            else:
                values, offset = [], at + 5
                for kind in record.types:
                    values.append(_value(kind, words[offset:offset + _WORDS[kind]]))
                    offset += _WORDS[kind]
                lines.append(f"{where}: {record.text}{' '.join(values)}")
            at += record.words
        if lines:
            sys.stdout.write("\n".join(lines) + "\n")
            sys.stdout.flush()
        if used > count:
            sys.stderr.write(f"kite: the debug buffer ({CAPACITY_WORDS * 4} bytes) overflowed: "
                             f"{used - count} words of device_print/device_assert records "
                             "were dropped\n")
        if memory:  # before a device_assert: the memory it read may be wrong
            raise memory
        if not failed and 0 < sticky <= len(self.records):
            # The failed assert's record did not fit: its op is known.
            failed = (self.records[sticky - 1], "a program (its record did not fit)")
        if failed:
            record, where = failed
            if record.is_memory_check:
                message = f"{record.text} ({where})"
            elif record.is_driver_limit:
                message = f"in {where}: {record.text}"
            else:
                message = f"device_assert failed in {where}: {record.text}"
            raise KernelRuntimeError(message, record.file or None, record.line or None)

    def _memory_check(self, word: int,
                      arguments: Mapping[int, int]) -> Optional[KernelRuntimeError]:
        """The error of the failed memory check whose op index + 1 is ``word``."""
        if not 0 < word <= len(self.records):
            return None
        record = self.records[word - 1]
        size = arguments.get(record.size_argument)
        what = f" (tensor of {size} bytes)" if size is not None else ""
        return KernelRuntimeError(f"{record.text}{what}", record.file or None,
                                  record.line or None)
