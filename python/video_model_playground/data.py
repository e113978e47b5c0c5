"""A run's training stream from its data spec, as the app builds it (`src/core/data/run-data.ts`):
seeded Moving MNIST from the MNIST training digits, or clips of an imported `.npy` dataset. Each
stream gives uint8 batches and the state a checkpoint stores.
"""
from __future__ import annotations

import queue
import threading
from dataclasses import dataclass
from typing import Dict, Optional, Union

import numpy as np
import torch

from .mnist import load_mnist
from .moving_mnist import (DEFAULT_DATA_SEED, DataSpecError, MovingMnistStream, float_levels, options_for,
                           to_float_frames)
from .video_data import DEFAULT_HELD_OUT_FRACTION, VideoClipStream, read_npy, resize_frame_set, split_clips

Stream = Union[MovingMnistStream, VideoClipStream, "Prefetched"]


@dataclass
class DatasetSource:
    """Where a run on an imported dataset finds its frames: the .npy file it was imported from (or
    that the app exported), read as the app's import reads it."""
    path: str
    layout: str = "TNHW"
    offset: int = 0
    count: Optional[int] = None
    crop: str = "center"


def build_stream(spec: Dict, needs: Dict, mnist_dir: Optional[str] = None,
                 dataset: Optional[DatasetSource] = None, fingerprint: Optional[Dict] = None) -> Stream:
    """The training stream of data spec `spec` for a model with data requirements `needs`. A run on
    an imported dataset needs `dataset`; `fingerprint` (the checkpoint's `dataset` metadata) is
    checked against it."""
    seed = spec.get("seed", DEFAULT_DATA_SEED)
    source = spec.get("source", "moving-mnist")
    if source == "moving-mnist":
        options = options_for(spec, needs["frames"], needs["size"])
        return MovingMnistStream(load_mnist(mnist_dir).train, options, needs["batchSize"], seed)
    if source != "video":
        raise DataSpecError(f'data.source must be "moving-mnist" or "video" (got {source!r})')
    if dataset is None:
        raise DataSpecError("This run trained on an imported dataset: pass its .npy file with --npy "
                            "(export it from the app's Data view if you imported videos)")
    frames = read_npy(dataset.path, dataset.layout, dataset.offset, dataset.count)
    _, height, width, channels = frames.data.shape
    if fingerprint is not None:
        found = {"frames": frames.frames, "width": width, "height": height, "channels": channels}
        different = [f"{key} {found[key]} (the run's dataset: {fingerprint.get(key)})"
                     for key in found if fingerprint.get(key) != found[key]]
        if different:
            raise DataSpecError(f"{dataset.path} is not the dataset the run trained on "
                                f"(\"{fingerprint.get('name')}\"): {', '.join(different)}")
    length = needs["frames"]
    split = split_clips(frames.segments, length, spec.get("clipStride", length),
                        spec.get("heldOutFraction", DEFAULT_HELD_OUT_FRACTION), dataset.path)
    resized = resize_frame_set(frames, needs["size"], needs["size"], needs["channels"], dataset.crop)
    return VideoClipStream(resized, split.train, length, needs["batchSize"], seed)


class Prefetched:
    """A stream whose batches are drawn ahead in a thread (while a GPU trains on the current one);
    `get_state()` is the state after the batches handed out so far, as the stream's own would be."""

    def __init__(self, stream: Stream, depth: int = 2):
        self.stream = stream
        self.state = stream.get_state()
        self.ready: "queue.Queue" = queue.Queue(depth)
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._draw, daemon=True)
        self.thread.start()

    def _draw(self) -> None:
        while not self.stopped.is_set():
            try:
                item = (self.stream.next_bytes(), self.stream.get_state())
            except Exception as error:  # handed to the consumer, which raises it
                item = (error, None)
            while not self.stopped.is_set():
                try:
                    self.ready.put(item, timeout=0.1)
                    break
                except queue.Full:
                    continue
            if item[1] is None:
                return

    def next_bytes(self) -> np.ndarray:
        data, state = self.ready.get()
        if state is None:
            raise data
        self.state = state
        return data

    def get_state(self):
        return self.state

    def close(self) -> None:
        self.stopped.set()
        self.thread.join()


def batch_tensor(stream: Stream, needs: Dict, rows: slice, device: torch.device) -> torch.Tensor:
    """The stream's next batch, this process's `rows` of it, as float [b, T, H, W, C] in the model's
    range on `device`."""
    data = stream.next_bytes()[rows]
    if data.ndim == 4:  # Moving MNIST: gray [B, T, H, W]
        values = to_float_frames(data, needs["range"], needs["channels"])
    else:  # clips [B, T, H, W, C], already with the model's channels
        values = float_levels(needs["range"])[data]
    return torch.from_numpy(np.ascontiguousarray(values)).to(device)
