"""The app's seeded random generator (`src/core/data/random.ts`), bit for bit: sfc32 (Chris
Doty-Humphrey's "small fast counting" generator) with its 128-bit state filled by splitmix32.

The uint32 stream, `next()`, `int()`, `split()` and `shuffle()` are integer arithmetic and match the
app exactly. `normal()` goes through log and cos, which JavaScript engines and C libraries may round
differently in the last bit of a double; the float32 values drawn from it almost always agree.
"""
from __future__ import annotations

import math
from typing import List, MutableSequence, Sequence

import numpy as np

TWO_POW_32 = 4294967296
MASK = 0xFFFFFFFF
GOLDEN_GAMMA = 0x9E3779B9


def _splitmix32(state: int) -> int:
    z = state & MASK
    z = ((z ^ (z >> 16)) * 0x21F0AAAD) & MASK
    z = ((z ^ (z >> 15)) * 0x735A2D97) & MASK
    return (z ^ (z >> 15)) & MASK


def is_random_state(value: object) -> bool:
    """Whether `value` is a generator state: four integers in [0, 2^32)."""
    return (isinstance(value, (list, tuple)) and len(value) == 4
            and all(isinstance(w, int) and not isinstance(w, bool) and 0 <= w < TWO_POW_32 for w in value))


class SeededRandom:
    """sfc32 seeded like the app's SeededRandom(seed): the same seed gives the same stream."""

    def __init__(self, seed: int):
        if not isinstance(seed, int) or abs(seed) > 2**53 - 1:
            raise ValueError(f"seed must be a safe integer (got {seed!r})")
        low = seed % TWO_POW_32
        high = (seed // TWO_POW_32) % TWO_POW_32
        # a and c depend on the low word, b and d on the high word (as the app).
        self.a = _splitmix32(low + GOLDEN_GAMMA)
        self.b = _splitmix32(high + 2 * GOLDEN_GAMMA)
        self.c = _splitmix32(low + 3 * GOLDEN_GAMMA)
        self.d = _splitmix32(high + 4 * GOLDEN_GAMMA)
        for _ in range(12):  # the first outputs still correlate with the seed words
            self.uint32()

    def get_state(self) -> List[int]:
        """The four state words [a, b, c, d] (what checkpoints store)."""
        return [self.a, self.b, self.c, self.d]

    def set_state(self, state: Sequence[int]) -> None:
        if not is_random_state(state):
            raise ValueError(f"a random-generator state must be four integers in [0, 2^32) (got {state!r})")
        self.a, self.b, self.c, self.d = (int(w) for w in state)

    def uint32(self) -> int:
        """The next raw 32-bit output, an integer in [0, 2^32)."""
        a, b, c, d = self.a, self.b, self.c, self.d
        t = (a + b + d) & MASK
        self.d = (d + 1) & MASK
        self.a = b ^ (b >> 9)
        c3 = (c + (c << 3)) & MASK
        self.b = c3
        rotated = ((c << 21) | (c >> 11)) & MASK
        self.c = (rotated + t) & MASK
        return t

    def next(self) -> float:
        """Uniform in [0, 1), with 32 random bits."""
        return self.uint32() / TWO_POW_32

    def int(self, n: int) -> int:
        """Uniform integer in [0, n) by rejection (exactly uniform), 1 <= n <= 2^32."""
        if not (isinstance(n, int) and 0 < n <= TWO_POW_32):
            raise ValueError(f"int(n) needs an integer n in [1, 2^32] (got {n!r})")
        limit = TWO_POW_32 - (TWO_POW_32 % n)
        value = self.uint32()
        while value >= limit:
            value = self.uint32()
        return value % n

    def uint32s(self, count: int) -> List[int]:
        """The next `count` raw outputs (`uint32()` in a loop, without the call overhead)."""
        a, b, c, d = self.a, self.b, self.c, self.d
        out = []
        for _ in range(count):
            t = (a + b + d) & MASK
            d = (d + 1) & MASK
            a = b ^ (b >> 9)
            b = (c + (c << 3)) & MASK
            c = ((((c << 21) | (c >> 11)) & MASK) + t) & MASK
            out.append(t)
        self.a, self.b, self.c, self.d = a, b, c, d
        return out

    def normals(self, count: int) -> np.ndarray:
        """`count` draws of `normal()` at once, float64 (numpy's log and cos may differ from the math
        module's in the last bit; the float32 values a model uses do not)."""
        words = np.array(self.uint32s(2 * count), dtype=np.float64).reshape(count, 2) / TWO_POW_32
        return np.sqrt(-2 * np.log(1 - words[:, 0])) * np.cos(2 * math.pi * words[:, 1])

    def normal(self) -> float:
        """A standard normal sample (Box-Muller; one of the pair is discarded, as the app does)."""
        u = 1 - self.next()  # (0, 1]: log(0) never happens
        v = self.next()
        return math.sqrt(-2 * math.log(u)) * math.cos(2 * math.pi * v)

    def split(self) -> "SeededRandom":
        """An independent generator seeded from this one's stream (53 bits from two draws)."""
        high = self.uint32() & 0x1FFFFF
        return SeededRandom(high * TWO_POW_32 + self.uint32())

    def shuffle(self, values: MutableSequence) -> MutableSequence:
        """In-place Fisher-Yates shuffle, the app's draw order."""
        for i in range(len(values) - 1, 0, -1):
            j = self.int(i + 1)
            values[i], values[j] = values[j], values[i]
        return values
