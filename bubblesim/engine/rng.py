"""The one place where a seed becomes random streams.

Paths are grouped in fixed blocks of :data:`BLOCK_SIZE`. Each block and each named stream
(a shock kind, or a parameter) gets its own generator from
``SeedSequence([seed, block, stream_id])``, never ``seed + i``. Streams are tied to blocks of
paths, not to workers or chunks, so any chunking or number of workers gives the same numbers,
and a scenario that adds a distribution does not shift the other streams (common random numbers
across scenarios).
"""

from __future__ import annotations

import zlib

import numpy as np

__all__ = ["BLOCK_SIZE", "stream", "blocks"]

#: Paths per random-number block. Changing it changes every result: it is part of the method.
BLOCK_SIZE = 4096


def stream_id(name: str) -> int:
    """A stable 32-bit identifier of a stream name."""
    return zlib.crc32(name.encode("utf-8"))


def stream(seed: int, block: int, name: str) -> np.random.Generator:
    """The generator of stream ``name`` for block ``block`` of a run seeded with ``seed``."""
    return np.random.default_rng(np.random.SeedSequence([int(seed), int(block), stream_id(name)]))


def blocks(n_paths: int) -> list[tuple[int, int]]:
    """Split ``n_paths`` into ``(block_index, size)`` pairs of :data:`BLOCK_SIZE` (last one shorter)."""
    out = []
    start = 0
    block = 0
    while start < n_paths:
        size = min(BLOCK_SIZE, n_paths - start)
        out.append((block, size))
        start += size
        block += 1
    return out
