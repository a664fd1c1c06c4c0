"""Address mapping: byte address -> (channel, bank group, bank, row, column), vectorised over a trace.

A mapping is a list of address bits per field, least significant first, as in DRAMSys's
address-mapping files. Named mappings are built from a memspec's organisation:

- ``rbc``: row | bank | column (the row is the most significant field); consecutive 64 B
  requests walk along a row, then to the next bank.
- ``brc``: bank | row | column; one bank holds a contiguous slice of the address space.
- ``bg_interleave``: row | bank | column | bank group, with the bank-group bits just above
  one request, so consecutive requests rotate over bank groups (DDR4/HBM2, tCCD_S instead of tCCD_L).

In all of them the channel bits sit just above one request, so streams interleave channels.
Address bits above the device's capacity are ignored (the address wraps).

Example:
    >>> from archgym.simulators.dram.memspec import load_memspec
    >>> m = AddressMapping.named("rbc", load_memspec("ddr3"))
    >>> [int(x[0]) for x in m.decode(np.array([8192 * 3 + 64]))]  # channel, group, bank, row, column
    [0, 0, 3, 0, 8]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from archgym.simulators.dram.memspec import MemSpec

FIELDS = ("channel", "bankgroup", "bank", "row", "column")
NAMED = ("rbc", "brc", "bg_interleave")


class MappingError(ValueError):
    """A mapping that does not fit the memspec (wrong bit counts, overlapping bits)."""


def _log2(x: int) -> int:
    return int(x).bit_length() - 1


@dataclass(frozen=True)
class AddressMapping:
    """Bit positions of each field; ``byte_bits`` low bits address bytes within one bus beat."""

    name: str
    bits: Mapping[str, tuple[int, ...]]
    byte_bits: int

    @classmethod
    def named(cls, name: str, spec: MemSpec) -> AddressMapping:
        """One of :data:`NAMED` for this memspec."""
        if name not in NAMED:
            raise MappingError(
                f"unknown address mapping {name!r}; legal names are {list(NAMED)} or a dict of bit lists"
            )
        byte = _log2(spec.bus_bytes)
        n = {
            "channel": _log2(spec.channels),
            "bankgroup": _log2(spec.bank_groups),
            "bank": _log2(spec.banks_per_group),
            "row": _log2(spec.rows),
            "column": _log2(spec.columns),
        }
        # column bits that stay inside one request (its bursts), so a request never straddles fields
        col_low = min(n["column"], _log2(max(1, spec.request_bytes // spec.bus_bytes)))
        if name == "rbc":
            order = [
                ("column", col_low),
                ("channel", n["channel"]),
                ("column", n["column"] - col_low),
                ("bankgroup", n["bankgroup"]),
                ("bank", n["bank"]),
                ("row", n["row"]),
            ]
        elif name == "brc":
            order = [
                ("column", col_low),
                ("channel", n["channel"]),
                ("column", n["column"] - col_low),
                ("row", n["row"]),
                ("bankgroup", n["bankgroup"]),
                ("bank", n["bank"]),
            ]
        else:
            order = [
                ("column", col_low),
                ("channel", n["channel"]),
                ("bankgroup", n["bankgroup"]),
                ("column", n["column"] - col_low),
                ("bank", n["bank"]),
                ("row", n["row"]),
            ]
        bits: dict[str, list[int]] = {f: [] for f in FIELDS}
        pos = byte
        for field, count in order:
            bits[field].extend(range(pos, pos + count))
            pos += count
        return cls(name, {k: tuple(v) for k, v in bits.items()}, byte)

    @classmethod
    def of(cls, mapping: str | Mapping[str, Any], spec: MemSpec) -> AddressMapping:
        """A named mapping, a dict of bit lists, or a memspec's ``{"name", "bits"}`` mapping."""
        if isinstance(mapping, str):
            return cls.named(mapping, spec)
        if "bits" in mapping:
            return cls.from_bits(mapping["bits"], spec, name=str(mapping.get("name", "custom")))
        return cls.from_bits(mapping, spec)

    @classmethod
    def from_bits(
        cls, bits: Mapping[str, Sequence[int]], spec: MemSpec, name: str = "custom"
    ) -> AddressMapping:
        """A user's mapping: ``{"row": [..], "bank": [..], "column": [..], ...}`` bit positions, LSB first.

        Each field needs exactly log2(size) bits; ``channel``/``bankgroup`` may be omitted when
        the memspec has one. Column bits count bus beats (the ``byte_bits`` below them are implied).
        """
        need = {
            "channel": spec.channels,
            "bankgroup": spec.bank_groups,
            "bank": spec.banks_per_group,
            "row": spec.rows,
            "column": spec.columns,
        }
        unknown = sorted(set(bits) - set(FIELDS))
        if unknown:
            raise MappingError(
                f"address mapping: unknown field(s) {unknown}; legal fields are {list(FIELDS)}"
            )
        out: dict[str, tuple[int, ...]] = {}
        seen: set[int] = set()
        byte = _log2(spec.bus_bytes)
        for field in FIELDS:
            want = _log2(need[field])
            got = tuple(int(b) for b in bits.get(field, ()))
            if len(got) != want:
                raise MappingError(
                    f"address mapping: field {field!r} needs {want} bit(s) for {need[field]} "
                    f"{field}s in this memspec, got {len(got)}"
                )
            for b in got:
                if b < byte or b > 62:
                    raise MappingError(
                        f"address mapping: field {field!r} bit {b} must be in [{byte}, 62] "
                        f"(bits below {byte} address bytes within a bus beat)"
                    )
                if b in seen:
                    raise MappingError(
                        f"address mapping: bit {b} is used twice (again in {field!r})"
                    )
                seen.add(b)
            out[field] = got
        return cls(name, out, byte)

    def decode(self, addresses: np.ndarray) -> tuple[np.ndarray, ...]:
        """(channel, bankgroup, bank, row, column) arrays for byte addresses."""
        addr = np.asarray(addresses, dtype=np.uint64)
        out = []
        for field in FIELDS:
            value = np.zeros(addr.shape, dtype=np.int64)
            for i, bit in enumerate(self.bits[field]):
                value |= ((addr >> np.uint64(bit)) & np.uint64(1)).astype(np.int64) << i
            out.append(value)
        return tuple(out)

    def global_bank(self, addresses: np.ndarray, spec: MemSpec) -> tuple[np.ndarray, np.ndarray]:
        """The controller's global bank index and the row, per address."""
        ch, bg, ba, row, _ = self.decode(addresses)
        bank = (ch * spec.bank_groups + bg) * spec.banks_per_group + ba
        return bank.astype(np.int32), row
