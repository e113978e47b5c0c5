"""Moving MNIST exactly as the app generates it (`src/core/data/moving-mnist.ts`): the same data spec
and seed give the same bytes, batch after batch, and a checkpoint's stream state continues it.

Srivastava et al.'s generator: per digit y then x ~ U[0, 1) over the free range (canvas - digit),
theta ~ U[0, 2 pi), velocity step * (sin theta, cos theta); each frame first steps, then clamps a
coordinate <= 0 or >= 1 to the wall and negates that velocity component (or, with the stochastic
bounce, draws a fresh direction that leaves the wall); positions are scaled by the range and
truncated; digits are composited with max (or added and clipped to 255). Digits are drawn without
replacement from a shuffled order, reshuffled after each pass. Optional static texture under the
digits: value noise of three octaves in [16, 144], out = d + (1 - d/255) * texture.

The per-pixel arithmetic follows the app's float64 (and, for the texture, float32) operations in
the same order, and rounds half up as JavaScript's Math.round does.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Dict, List, Optional, Tuple

import numpy as np

from .random import SeededRandom, is_random_state

DEFAULT_DATA_SEED = 42  # Srivastava's reference code seeds its data with 42
EVALUATION_SEED = 20150101  # the held-out set's seed, the same for every run
TEXTURE_MIN = 16
TEXTURE_MAX = 144
COMPOSITING = ("max", "additive")
BOUNCES = ("reflect", "stochastic")
BACKGROUNDS = ("none", "texture")


@dataclass(frozen=True)
class MovingMnistOptions:
    digits: int = 2  # digits per sequence
    canvasSize: int = 64  # square canvas side in px
    digitSize: int = 28  # digit side in px (MNIST digits are resized when different)
    frames: int = 20
    speed: float = 3.6  # px per frame (0.1 of the 36-px range)
    compositing: str = "max"
    bounce: str = "reflect"
    background: str = "none"


OPTION_KEYS = tuple(MovingMnistOptions.__dataclass_fields__)


class DataSpecError(ValueError):
    """A data spec value that does not fit, naming the field (`data.<key>`)."""


def round_half_up(values: np.ndarray) -> np.ndarray:
    """JavaScript's Math.round on float64 values: the nearest integer, ties towards +infinity."""
    floor = np.floor(values)
    return floor + (values - floor >= 0.5)


def _check_integer(key: str, value: object, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value) or not low <= value <= high:
        raise DataSpecError(f"data.{key} must be an integer between {low} and {high} (got {value!r})")


def validate_options(options: MovingMnistOptions) -> None:
    _check_integer("digits", options.digits, 1, 16)
    _check_integer("canvasSize", options.canvasSize, 8, 1024)
    _check_integer("digitSize", options.digitSize, 1, 1024)
    if options.digitSize >= options.canvasSize:
        raise DataSpecError(f"data.digitSize ({options.digitSize}) must be smaller than data.canvasSize "
                            f"({options.canvasSize}) so digits can move")
    _check_integer("frames", options.frames, 1, 1000)
    movement = options.canvasSize - options.digitSize
    if isinstance(options.speed, bool) or not isinstance(options.speed, (int, float)) \
            or not math.isfinite(options.speed) or not 0 <= options.speed <= movement:
        raise DataSpecError(f"data.speed must be between 0 and canvasSize - digitSize = {movement} px/frame "
                            f"(got {options.speed!r})")
    for key, choices in (("compositing", COMPOSITING), ("bounce", BOUNCES), ("background", BACKGROUNDS)):
        if getattr(options, key) not in choices:
            raise DataSpecError(f"data.{key} must be one of {', '.join(choices)} (got {getattr(options, key)!r})")


def default_digit_size(canvas_size: int) -> int:
    """28 px on a 64-px canvas, scaled with the canvas (14 px on 32 px), at least 4."""
    return max(4, int(round_half_up(np.float64(28 * canvas_size / 64))))


def options_for(spec: Dict[str, object], frames: int, canvas_size: int) -> MovingMnistOptions:
    """The generator options of a Moving MNIST data spec for a model of `frames` frames of
    `canvas_size` px (the app's `movingMnistOptionsFor`)."""
    if spec.get("frames") is not None and spec["frames"] != frames:
        raise DataSpecError(f"data.frames is {spec['frames']} but the model's config needs {frames}")
    if spec.get("canvasSize") is not None and spec["canvasSize"] != canvas_size:
        raise DataSpecError(f"data.canvasSize is {spec['canvasSize']} but the model's config needs {canvas_size}")
    values: Dict[str, object] = {"digitSize": default_digit_size(canvas_size)}
    for key, value in spec.items():
        if key in ("source", "seed"):
            continue
        if key not in OPTION_KEYS:
            raise DataSpecError(f'Unknown Moving MNIST option "{key}"')
        if value is not None:
            values[key] = value
    values.update(frames=frames, canvasSize=canvas_size)
    options = replace(MovingMnistOptions(), **values)
    validate_options(options)
    return options


@dataclass
class _ResizeAxis:
    low: np.ndarray
    high: np.ndarray
    weight: np.ndarray  # of `high`


def _resize_axis(source: int, target: int) -> _ResizeAxis:
    scale = source / target
    centres = np.minimum(np.maximum((np.arange(target, dtype=np.float64) + 0.5) * scale - 0.5, 0), source - 1)
    low = np.floor(centres).astype(np.int64)
    return _ResizeAxis(low, np.minimum(low + 1, source - 1), centres - low)


def _resize_digits(pixels: np.ndarray, rows: _ResizeAxis, cols: _ResizeAxis) -> np.ndarray:
    """Bilinear resize with half-pixel centres, the app's arithmetic per pixel: [..., r, c] uint8 →
    [..., s, s] uint8."""
    p = pixels.astype(np.float64)
    top, bottom = p[..., rows.low, :], p[..., rows.high, :]
    wx = cols.weight
    upper = top[..., cols.low] + (top[..., cols.high] - top[..., cols.low]) * wx
    lower = bottom[..., cols.low] + (bottom[..., cols.high] - bottom[..., cols.low]) * wx
    return round_half_up(upper + (lower - upper) * rows.weight[:, None]).astype(np.uint8)


def _trajectory(rng: SeededRandom, frames: int, step: float, bounce: str) -> Tuple[List[float], List[float]]:
    """One digit's positions (y, x per frame, in range units), the app's draw order: y, x, theta."""
    y = rng.next()
    x = rng.next()
    theta = rng.next() * 2 * math.pi
    vy = math.sin(theta) * step
    vx = math.cos(theta) * step
    ys, xs = [], []
    for _ in range(frames):
        y += vy
        x += vx
        wall_x = wall_y = 0
        if x <= 0:
            x, wall_x = 0.0, -1
        elif x >= 1:
            x, wall_x = 1.0, 1
        if y <= 0:
            y, wall_y = 0.0, -1
        elif y >= 1:
            y, wall_y = 1.0, 1
        if wall_x or wall_y:
            if bounce == "reflect":
                if wall_x:
                    vx = -vx
                if wall_y:
                    vy = -vy
            else:
                fresh = rng.next() * 2 * math.pi
                vy = math.sin(fresh) * step
                vx = math.cos(fresh) * step
                if wall_x:
                    vx = -wall_x * abs(vx)
                if wall_y:
                    vy = -wall_y * abs(vy)
        ys.append(y)
        xs.append(x)
    return ys, xs


def fill_texture(rng: SeededRandom, size: int) -> np.ndarray:
    """A smooth random gray-level image [size, size] float32 in [16, 144]: value noise of three
    octaves, accumulated in float32 as the app's Float32Array is."""
    out = np.zeros((size, size), dtype=np.float32)
    for cell, weight in ((max(2, size / 2), 0.5), (max(2, size / 4), 0.3), (max(2, size / 8), 0.2)):
        points = math.ceil(size / cell) + 1
        grid = np.array([rng.next() for _ in range(points * points)], dtype=np.float64).reshape(points, points)
        coords = np.arange(size, dtype=np.float64)
        g = np.floor(coords / cell).astype(np.int64)
        frac = (coords - g * cell) / cell
        t = frac * frac * (3 - 2 * frac)
        gy, gx = g[:, None], g[None, :]
        ty, tx = t[:, None], t[None, :]
        top = grid[gy, gx] * (1 - tx) + grid[gy, gx + 1] * tx
        bottom = grid[gy + 1, gx] * (1 - tx) + grid[gy + 1, gx + 1] * tx
        out = (out.astype(np.float64) + weight * (top * (1 - ty) + bottom * ty)).astype(np.float32)
    return (TEXTURE_MIN + (TEXTURE_MAX - TEXTURE_MIN) * out.astype(np.float64)).astype(np.float32)


@dataclass
class GeneratorState:
    """Everything that decides later batches besides the options and the digits (for checkpoints)."""
    order: np.ndarray  # [count] a permutation of the digit indices
    cursor: int  # digits of `order` already used in this pass
    orderRng: List[int]
    motionRng: List[int]
    textureRng: List[int]


class MovingMnistGenerator:
    """Sequences [N, T, H, W] uint8 from `digits` [count, rows, cols]; the app's MovingMnistGenerator."""

    def __init__(self, digits: np.ndarray, options: MovingMnistOptions, seed: int):
        validate_options(options)
        if digits.ndim != 3 or digits.shape[0] < 1:
            raise ValueError(f"Moving MNIST needs a non-empty digit set (got shape {digits.shape})")
        self.digits = digits
        self.options = options
        self.range = options.canvasSize - options.digitSize
        self.step = options.speed / self.range
        root = SeededRandom(seed)
        self.order_rng = root.split()
        self.motion_rng = root.split()
        self.texture_rng = root.split()
        order = list(range(digits.shape[0]))
        self.order_rng.shuffle(order)
        self.order = order
        self.order_array: Optional[np.ndarray] = None  # a copy of `order` until it is reshuffled
        self.cursor = 0
        size = options.digitSize
        self.resize: Optional[Tuple[_ResizeAxis, _ResizeAxis]] = None
        if (size, size) != digits.shape[1:]:
            self.resize = (_resize_axis(digits.shape[1], size), _resize_axis(digits.shape[2], size))

    def get_state(self) -> GeneratorState:
        """The state now (its digit order is shared with later states until the next reshuffle:
        treat it as read-only)."""
        if self.order_array is None:
            self.order_array = np.array(self.order, dtype=np.int64)
        return GeneratorState(self.order_array, self.cursor, self.order_rng.get_state(),
                              self.motion_rng.get_state(), self.texture_rng.get_state())

    def set_state(self, state: GeneratorState) -> None:
        """Continues from `get_state()`'s output; checks all of it first (a bad state changes nothing)."""
        count = len(self.order)
        order = np.asarray(state.order)
        if order.shape != (count,):
            raise ValueError(f"the data stream's digit order must hold {count} indices, one per digit image "
                             f"(got {order.size})")
        if not np.array_equal(np.sort(order), np.arange(count)):
            raise ValueError(f"the data stream's digit order is not a permutation of 0..{count - 1}")
        if not (isinstance(state.cursor, int) and 0 <= state.cursor <= count):
            raise ValueError(f"the data stream's cursor must be an integer in [0, {count}] (got {state.cursor!r})")
        for name in ("orderRng", "motionRng", "textureRng"):
            if not is_random_state(getattr(state, name)):
                raise ValueError(f"the data stream's {name} state is not four uint32 words")
        self.order = [int(i) for i in order]
        self.order_array = None
        self.cursor = state.cursor
        self.order_rng.set_state(state.orderRng)
        self.motion_rng.set_state(state.motionRng)
        self.texture_rng.set_state(state.textureRng)

    def _next_digit(self) -> int:
        if self.cursor == len(self.order):
            self.cursor = 0
            self.order_rng.shuffle(self.order)
            self.order_array = None
        index = self.order[self.cursor]
        self.cursor += 1
        return index

    def next_batch(self, n: int) -> np.ndarray:
        """The next `n` sequences, [N, T, H, W] uint8. The digit order, the motion and the textures
        are separate streams, so all draws come first (in the app's order within each stream) and
        the digits are then drawn into every frame at once."""
        o = self.options
        size, frames = o.digitSize, o.frames
        digit_indices = np.empty((n, o.digits), dtype=np.int64)
        ys = np.empty((n, o.digits, frames))
        xs = np.empty((n, o.digits, frames))
        for s in range(n):
            for k in range(o.digits):
                digit_indices[s, k] = self._next_digit()
                ys[s, k], xs[s, k] = _trajectory(self.motion_rng, frames, self.step, o.bounce)
        tops = np.trunc(self.range * ys).astype(np.int64)  # truncation, as the reference's astype
        lefts = np.trunc(self.range * xs).astype(np.int64)
        sprites = self.digits[digit_indices]  # [N, D, r, c]
        if self.resize:
            sprites = _resize_digits(sprites, *self.resize)
        # Each digit slot drawn on its own canvas, then composited: max, or the sum clipped to 255
        # (the app's per-digit min(d + sprite, 255) in sequence is the same, all values being ≥ 0).
        layers = np.zeros((o.digits, n, frames, o.canvasSize, o.canvasSize), dtype=np.uint8)
        room = o.canvasSize - size + 1
        sequence, frame = np.arange(n)[:, None], np.arange(frames)[None, :]
        for k in range(o.digits):
            # Every digit-sized window of every frame as a view: windows[s, t, top, left] is a box.
            windows = np.lib.stride_tricks.as_strided(
                layers[k], shape=(n, frames, room, room, size, size), strides=layers.strides[1:] + layers.strides[3:])
            windows[sequence, frame, tops[:, k], lefts[:, k]] = sprites[:, k, None]
        if o.compositing == "additive":
            data = np.minimum(layers.sum(0, dtype=np.int32), 255).astype(np.uint8)
        else:
            data = layers.max(0)
        if o.background == "texture":
            for s in range(n):
                texture = fill_texture(self.texture_rng, o.canvasSize).astype(np.float64)
                d = data[s].astype(np.float64)
                data[s] = round_half_up(d + (1 - d / 255) * texture).astype(np.uint8)
        return data


def evaluation_videos(test_digits: np.ndarray, options: MovingMnistOptions, count: int) -> np.ndarray:
    """The fixed held-out set: `count` sequences of test digits from the fixed evaluation seed."""
    return MovingMnistGenerator(test_digits, options, EVALUATION_SEED).next_batch(count)


def float_levels(value_range: str) -> np.ndarray:
    """The float32 value of each byte level 0…255 in [0, 1] ('unit') or [-1, 1] ('symmetric'),
    computed as the app does (in float64, then rounded to float32)."""
    levels = np.arange(256, dtype=np.float64)
    return (levels / 255 if value_range == "unit" else levels / 127.5 - 1).astype(np.float32)


def to_float_frames(data: np.ndarray, value_range: str, channels: int = 1) -> np.ndarray:
    """Gray uint8 [..., H, W] → float32 [..., H, W, C], gray repeated into RGB when `channels` is 3
    (the app's `bytesToTensor`)."""
    values = float_levels(value_range)[data][..., None]
    return np.repeat(values, channels, axis=-1) if channels > 1 else values


class MovingMnistStream:
    """A run's training stream: batches of `batch_size` sequences from the training digits, with the
    checkpoint state the app stores (`data.digit_order` and `cursor`, `orderRng`, `motionRng`,
    `textureRng`)."""

    def __init__(self, train_digits: np.ndarray, options: MovingMnistOptions, batch_size: int, seed: int):
        self.generator = MovingMnistGenerator(train_digits, options, seed)
        self.batch_size = batch_size

    def next_bytes(self) -> np.ndarray:
        """The next batch as uint8 [B, T, H, W]."""
        return self.generator.next_batch(self.batch_size)

    def get_state(self) -> Tuple[Dict[str, np.ndarray], Dict[str, object]]:
        state = self.generator.get_state()
        arrays = {"digit_order": state.order.astype(np.int32)}
        meta = {"cursor": state.cursor, "orderRng": state.orderRng, "motionRng": state.motionRng,
                "textureRng": state.textureRng}
        return arrays, meta

    def set_state(self, arrays: Dict[str, np.ndarray], meta: Dict[str, object]) -> None:
        extra = sorted(set(arrays) - {"digit_order"})
        if "digit_order" not in arrays:
            raise ValueError("the digit order is missing")
        if extra:
            raise ValueError(f"unknown data arrays: {', '.join(extra)}")
        self.generator.set_state(GeneratorState(arrays["digit_order"].astype(np.int64), meta.get("cursor"),
                                                meta.get("orderRng"), meta.get("motionRng"),
                                                meta.get("textureRng")))
