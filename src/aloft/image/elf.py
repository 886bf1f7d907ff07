"""Just enough ELF reading to pick shared libraries and check architectures without running code.

The base image keeps only the libraries Python and its extension modules link (DT_NEEDED, plus
the PT_INTERP loader); multi-arch tests check each binary's e_machine.
"""

from __future__ import annotations

import dataclasses
import struct
from pathlib import Path

MAGIC = b"\x7fELF"
MACHINES = {3: "386", 40: "arm", 62: "amd64", 183: "arm64", 243: "riscv64"}
_PT_LOAD, _PT_DYNAMIC, _PT_INTERP = 1, 2, 3
_DT_NEEDED, _DT_STRTAB = 1, 5


@dataclasses.dataclass(frozen=True)
class ElfInfo:
    machine: str
    interpreter: str
    needed: tuple[str, ...]


def is_elf(data: bytes) -> bool:
    return data[:4] == MAGIC


def read_elf(data: bytes) -> ElfInfo:
    if not is_elf(data):
        raise ValueError("not an ELF file")
    is64 = data[4] == 2
    end = "<" if data[5] == 1 else ">"
    (machine,) = struct.unpack_from(end + "H", data, 18)
    if is64:
        (phoff,) = struct.unpack_from(end + "Q", data, 32)
        phentsize, phnum = struct.unpack_from(end + "HH", data, 54)
        ph_fmt, dyn_fmt = end + "IIQQQQQQ", end + "qQ"
    else:
        (phoff,) = struct.unpack_from(end + "I", data, 28)
        phentsize, phnum = struct.unpack_from(end + "HH", data, 42)
        ph_fmt, dyn_fmt = end + "IIIIIIII", end + "iI"
    loads: list[tuple[int, int, int]] = []
    interpreter = ""
    dynamic: tuple[int, int] | None = None
    for i in range(phnum):
        fields = struct.unpack_from(ph_fmt, data, phoff + i * phentsize)
        if is64:
            p_type, _flags, offset, vaddr, _paddr, filesz = fields[:6]
        else:
            p_type, offset, vaddr, _paddr, filesz = fields[:5]
        if p_type == _PT_LOAD:
            loads.append((vaddr, offset, filesz))
        elif p_type == _PT_INTERP:
            interpreter = data[offset : offset + filesz].rstrip(b"\0").decode()
        elif p_type == _PT_DYNAMIC:
            dynamic = (offset, filesz)
    needed: list[int] = []
    strtab = 0
    if dynamic is not None:
        size = struct.calcsize(dyn_fmt)
        offset, filesz = dynamic
        for pos in range(offset, offset + filesz, size):
            tag, value = struct.unpack_from(dyn_fmt, data, pos)
            if tag == 0:
                break
            if tag == _DT_NEEDED:
                needed.append(value)
            elif tag == _DT_STRTAB:
                strtab = _file_offset(loads, value)
    names = tuple(_cstring(data, strtab + n) for n in needed)
    return ElfInfo(MACHINES.get(machine, str(machine)), interpreter, names)


def machine_of(path: Path) -> str | None:
    with path.open("rb") as fh:
        head = fh.read(20)
    if not is_elf(head):
        return None
    end = "<" if head[5] == 1 else ">"
    (machine,) = struct.unpack_from(end + "H", head, 18)
    return MACHINES.get(machine, str(machine))


def _file_offset(loads: list[tuple[int, int, int]], vaddr: int) -> int:
    for start, offset, size in loads:
        if start <= vaddr < start + size:
            return vaddr - start + offset
    return vaddr


def _cstring(data: bytes, offset: int) -> str:
    end = data.index(b"\0", offset)
    return data[offset:end].decode()
