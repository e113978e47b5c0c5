"""Runs on an imported dataset, as the app builds them (`src/core/data/{npy,frames,clips,video-clips}.ts`):
a `.npy` array of uint8 sequences, read as the app imports it (one segment per sequence), resized to
the model's frame size and channels, cut into clips that never cross a sequence, split into
training and held-out clips, and drawn in a seeded shuffled order that a checkpoint continues
(`data.clip_order`, `position`, `rng`).

Layouts: [T, N, H, W] ('TNHW', the standard `mnist_test_seq.npy`), [N, T, H, W] ('NTHW'), or
[T, H, W] (one sequence); optionally a last axis of 1 or 3 channels. The app's dataset export
writes either layout; `np.load` reads the files as they are.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

import numpy as np

from .moving_mnist import round_half_up
from .random import SeededRandom, is_random_state

DEFAULT_HELD_OUT_FRACTION = 0.1
LUMA = (0.299, 0.587, 0.114)  # ITU-R BT.601


@dataclass
class Segment:
    name: str
    start: int  # index of its first frame in the frame set
    length: int


@dataclass
class FrameSet:
    """uint8 frames [frames, H, W, C] cut into segments (files or sequences)."""
    data: np.ndarray
    segments: List[Segment]

    @property
    def frames(self) -> int:
        return self.data.shape[0]


def read_npy(path: str, layout: str = "TNHW", offset: int = 0, count: Optional[int] = None) -> FrameSet:
    """Sequences [offset, offset + count) of a uint8 video array, one segment per sequence, as the
    app's .npy import builds them."""
    if layout not in ("TNHW", "NTHW"):
        raise ValueError(f"layout must be TNHW or NTHW (got {layout!r})")
    array = np.load(path, mmap_mode="r", allow_pickle=False)
    if array.dtype != np.uint8:
        raise ValueError(f"{path}: the array is {array.dtype}; video arrays must be uint8")
    shape = array.shape
    if 0 in shape:
        raise ValueError(f"{path} is empty: its array has shape {shape}")
    if len(shape) == 3:  # [T, H, W]: one gray sequence
        array = array.reshape(shape[0], 1, shape[1], shape[2], 1)
        layout = "TNHW"
    elif len(shape) == 4:
        array = array.reshape(*shape, 1)
    elif len(shape) != 5 or shape[4] not in (1, 3):
        raise ValueError(f"{path} has shape {shape}; expected [T, H, W], [T, N, H, W] or [N, T, H, W] "
                         "(optionally with a last axis of 1 or 3 channels)")
    shape = array.shape
    sequences = shape[1] if layout == "TNHW" else shape[0]
    count = sequences - offset if count is None else count
    if not (0 <= offset < sequences and 1 <= count <= sequences - offset):
        raise ValueError(f"{path} has {sequences} sequences: offset {offset} and count {count} do not fit")
    chosen = array[:, offset:offset + count] if layout == "TNHW" else array[offset:offset + count]
    videos = np.ascontiguousarray(np.swapaxes(chosen, 0, 1) if layout == "TNHW" else chosen)  # [N, T, H, W, C]
    n, t = videos.shape[:2]
    segments = [Segment(f"sequence {offset + i}", i * t, t) for i in range(n)]
    return FrameSet(videos.reshape(n * t, *videos.shape[2:]), segments)


# --- resizing (the app's FrameResampler) ------------------------------------------------------------------

def _axis_weights(source: int, start: float, span: float, target: int) -> List[Tuple[List[int], np.ndarray]]:
    """Per destination index the source taps and float32 weights: area averaging when shrinking,
    linear interpolation of pixel centres when enlarging."""
    scale = span / target
    clamp = lambda i: min(source - 1, max(0, i))  # noqa: E731
    taps = []
    for i in range(target):
        if scale >= 1:
            a = start + i * scale
            b = a + scale
            ids, ws = [], []
            for j in range(math.floor(a), min(math.ceil(b), source)):
                overlap = min(b, j + 1) - max(a, j)
                if overlap > 1e-9:
                    ids.append(clamp(j))
                    ws.append(overlap)
            total = sum(ws)  # left to right, as the app's reduce
            taps.append((ids, np.array([w / total for w in ws], dtype=np.float32)))
        else:
            centre = start + (i + 0.5) * scale - 0.5
            low = math.floor(centre)
            t = centre - low
            taps.append(([clamp(low), clamp(low + 1)], np.array([1 - t, t], dtype=np.float32)))
    return taps


def _apply_taps(values: np.ndarray, taps, axis: int) -> np.ndarray:
    """Weighted sums along `axis`, accumulated tap by tap in float64 as the app's loops."""
    width = max(len(ids) for ids, _ in taps)
    index = np.zeros((len(taps), width), dtype=np.int64)
    weight = np.zeros((len(taps), width), dtype=np.float64)
    for i, (ids, ws) in enumerate(taps):
        index[i, :len(ids)] = ids
        weight[i, :len(ids)] = ws
    moved = np.moveaxis(values, axis, 0).astype(np.float64)
    total = np.zeros((len(taps),) + moved.shape[1:], dtype=np.float64)
    shape = (len(taps),) + (1,) * (moved.ndim - 1)
    for k in range(width):
        total = total + weight[:, k].reshape(shape) * moved[index[:, k]]
    return np.moveaxis(total, 0, axis)


def resize_frames(data: np.ndarray, width: int, height: int, crop: str) -> np.ndarray:
    """uint8 frames [F, h, w, C] → [F, height, width, C]: centre crop or fit (black bars)."""
    _, sh, sw, _ = data.shape
    if crop == "center":
        scale = max(width / sw, height / sh)
        src_w, src_h = width / scale, height / scale
        src_x, src_y, dst_x, dst_y, dst_w, dst_h = (sw - src_w) / 2, (sh - src_h) / 2, 0, 0, width, height
    elif crop == "fit":
        scale = min(width / sw, height / sh)
        dst_w = max(1, min(width, int(round_half_up(np.float64(sw * scale)))))
        dst_h = max(1, min(height, int(round_half_up(np.float64(sh * scale)))))
        src_x, src_y, src_w, src_h = 0, 0, sw, sh
        dst_x, dst_y = (width - dst_w) // 2, (height - dst_h) // 2
    else:
        raise ValueError(f"crop must be center or fit (got {crop!r})")
    columns = _apply_taps(data, _axis_weights(sw, src_x, src_w, dst_w), axis=2).astype(np.float32)
    rows = _apply_taps(columns, _axis_weights(sh, src_y, src_h, dst_h), axis=1)
    out = np.zeros((data.shape[0], height, width, data.shape[3]), dtype=np.uint8)
    out[:, dst_y:dst_y + dst_h, dst_x:dst_x + dst_w] = np.clip(round_half_up(rows), 0, 255).astype(np.uint8)
    return out


def convert_channels(data: np.ndarray, channels: int) -> np.ndarray:
    """Gray repeated into RGB, or RGB to its BT.601 luma (rounded half up)."""
    if data.shape[-1] == channels:
        return data
    if channels == 3:
        return np.repeat(data, 3, axis=-1)
    rgb = data.astype(np.float64)
    luma = LUMA[0] * rgb[..., 0] + LUMA[1] * rgb[..., 1] + LUMA[2] * rgb[..., 2]
    return round_half_up(luma).astype(np.uint8)[..., None]


def resize_frame_set(frame_set: FrameSet, width: int, height: int, channels: int, crop: str) -> FrameSet:
    data = frame_set.data
    _, h, w, c = data.shape
    if (w, h, c) == (width, height, channels):
        return frame_set
    gray_first = channels == 1 and c == 3  # convert colour on the smaller side of the resize
    if gray_first:
        data = convert_channels(data, 1)
    if (w, h) != (width, height):
        data = resize_frames(data, width, height, crop)
    return FrameSet(convert_channels(data, channels), frame_set.segments)


# --- clips and the split ------------------------------------------------------------------------------

def clip_starts(start: int, span: int, length: int, stride: int) -> List[int]:
    return [start + s for s in range(0, span - length + 1, stride)] if span >= length else []


@dataclass
class ClipSplit:
    train: List[int]
    held_out: List[int]


def split_clips(segments: List[Segment], length: int, stride: int, fraction: float, what: str) -> ClipSplit:
    """Training and held-out clip starts that never share a frame (the app's `splitClips`)."""
    def by_segments(held: int) -> ClipSplit:
        cut = len(segments) - held
        return ClipSplit([s for seg in segments[:cut] for s in clip_starts(seg.start, seg.length, length, stride)],
                         [s for seg in segments[cut:] for s in clip_starts(seg.start, seg.length, length, length)])

    def by_time() -> ClipSplit:
        train, held_out = [], []
        for seg in segments:
            if seg.length < 2 * length:
                train += clip_starts(seg.start, seg.length, length, stride)
                continue
            hold = max(math.ceil(seg.length * fraction), length)
            span = seg.length - hold
            train += clip_starts(seg.start, span, length, stride)
            held_out += clip_starts(seg.start + span, hold, length, length)
        return ClipSplit(train, held_out)

    usable = lambda split: bool(split.train) and bool(split.held_out)  # noqa: E731
    held_segments = int(round_half_up(np.float64(len(segments) * fraction)))
    if held_segments >= 1 and usable(by_segments(held_segments)):
        return by_segments(held_segments)
    if usable(by_time()):
        return by_time()
    if len(segments) >= 2 and held_segments < 1 and usable(by_segments(1)):
        return by_segments(1)
    total = sum(seg.length for seg in segments)
    raise ValueError(f"{what} is too short for one training and one held-out clip of {length} frames "
                     f"({len(segments)} parts, {total} frames)")


class VideoClipStream:
    """Training clips in a seeded shuffled order, reshuffled after each pass (the app's
    VideoClipStream); its state is `data.clip_order` with `position` and `rng`."""

    def __init__(self, frame_set: FrameSet, starts: List[int], length: int, batch_size: int, seed: int):
        if not starts:
            raise ValueError("a clip stream needs at least one clip")
        self.frame_set = frame_set
        self.starts = starts
        self.length = length
        self.batch_size = batch_size
        self.rng = SeededRandom(seed)
        self.order = self.rng.shuffle(list(range(len(starts))))
        self.position = 0

    def next_starts(self, count: int) -> List[int]:
        picked = []
        while len(picked) < count:
            if self.position == len(self.order):
                self.rng.shuffle(self.order)
                self.position = 0
            picked.append(self.starts[self.order[self.position]])
            self.position += 1
        return picked

    def clips(self, starts: List[int]) -> np.ndarray:
        """uint8 clips [N, T, H, W, C]."""
        return np.stack([self.frame_set.data[s:s + self.length] for s in starts])

    def next_bytes(self) -> np.ndarray:
        return self.clips(self.next_starts(self.batch_size))

    def get_state(self) -> Tuple[Dict[str, np.ndarray], Dict[str, object]]:
        return ({"clip_order": np.array(self.order, dtype=np.int32)},
                {"position": self.position, "rng": self.rng.get_state()})

    def set_state(self, arrays: Dict[str, np.ndarray], meta: Dict[str, object]) -> None:
        count = len(self.starts)
        extra = sorted(set(arrays) - {"clip_order"})
        if extra:
            raise ValueError(f"unknown data arrays: {', '.join(extra)}")
        order = arrays.get("clip_order")
        if order is None or order.shape != (count,):
            raise ValueError(f"the clip order must hold {count} indices, one per training clip")
        if not np.array_equal(np.sort(order), np.arange(count)):
            raise ValueError(f"the clip order is not a permutation of 0..{count - 1}")
        position, rng = meta.get("position"), meta.get("rng")
        if not (isinstance(position, int) and 0 <= position <= count):
            raise ValueError(f"the clip position must be an integer in [0, {count}]")
        if not is_random_state(rng):
            raise ValueError("the clip shuffling stream is not four uint32 words")
        self.order = [int(i) for i in order]
        self.position = position
        self.rng.set_state(rng)
