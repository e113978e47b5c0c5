"""The app's run checkpoint (docs/checkpoints.md, `src/core/checkpoint/run-checkpoint.ts`): a
safetensors file whose tensors are the model's state (weights, `optimizer.<slot>.<name>`,
`state.<name>`) and the data stream's integer arrays (`data.<name>`, I32), and whose metadata holds
the run (model, variant, preset, resolved config, data spec, seed), the step, the model's and the
data stream's state, the training curves (`history`) and who wrote it.
"""
from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Dict, List, Optional

import numpy as np

from . import safetensors
from .config import ConfigError, catalog, resolve_config

FORMAT = "video-model-playground.checkpoint"
FORMAT_VERSION = 1
PRODUCER = "video-model-playground pytorch"
DATA_PREFIX = "data."
HISTORY_LIMIT = 2000


class CheckpointError(ValueError):
    """A file that is not a checkpoint this package can continue, naming the problem."""


@dataclass
class HistoryPoint:
    step: int
    wall_ms: float  # milliseconds of training up to this step
    values: Dict[str, float]


class TrainingHistory:
    """The app's bounded record of training metrics: every step until HISTORY_LIMIT points, then
    every 2nd, 4th, … step (it halves itself whenever it fills up)."""

    def __init__(self, points: Optional[List[HistoryPoint]] = None, limit: int = HISTORY_LIMIT):
        self.points: List[HistoryPoint] = []
        self.stride = 1
        self.limit = limit
        for point in points or []:
            self.add(point)

    def add(self, point: HistoryPoint) -> None:
        if point.step % self.stride:
            return
        self.points.append(point)
        while len(self.points) > self.limit:
            self.stride *= 2
            self.points = [p for p in self.points if p.step % self.stride == 0]

    def last_wall_ms(self) -> float:
        return self.points[-1].wall_ms if self.points else 0.0

    def to_json(self) -> Dict:
        """{"names": [...], "points": [[step, wallMs, value per name (null when absent)], ...]},
        values to seven significant digits, as the app writes it."""
        names: List[str] = []
        for point in self.points:
            names += [name for name in point.values if name not in names]
        rows = []
        for point in self.points:
            row = [point.step, int(math.floor(point.wall_ms + 0.5))]
            for name in names:
                value = point.values.get(name)
                row.append(None if value is None or not math.isfinite(value) else float(f"{value:.7g}"))
            rows.append(row)
        return {"names": names, "points": rows}

    @staticmethod
    def from_json(value: object) -> List[HistoryPoint]:
        if not isinstance(value, dict) or not isinstance(value.get("names"), list) \
                or not isinstance(value.get("points"), list):
            raise CheckpointError('Checkpoint metadata "history": must be {"names": [...], "points": [...]}')
        names = value["names"]
        points = []
        for row in value["points"]:
            if not isinstance(row, list) or len(row) != len(names) + 2 or not isinstance(row[0], int):
                raise CheckpointError('Checkpoint metadata "history": a point is not [step, wallMs, values...]')
            values = {name: float(v) for name, v in zip(names, row[2:]) if v is not None}
            points.append(HistoryPoint(row[0], float(row[1]), values))
        return points


@dataclass
class RunCheckpoint:
    model: str
    variant: str
    preset: str
    config: Dict
    data_spec: Dict
    seed: int
    step: int
    tensors: Dict[str, np.ndarray]  # model state tensors (float32)
    model_state: Dict
    data_arrays: Dict[str, np.ndarray]  # int32, without the `data.` prefix
    data_state: Dict
    history: List[HistoryPoint] = field(default_factory=list)
    dataset: Optional[Dict] = None
    created_at: str = ""
    producer: str = PRODUCER


def _json_object(metadata: Dict[str, str], key: str) -> Dict:
    if key not in metadata:
        raise CheckpointError(f'Checkpoint metadata "{key}": missing')
    try:
        value = json.loads(metadata[key])
    except json.JSONDecodeError as error:
        raise CheckpointError(f'Checkpoint metadata "{key}": not valid JSON ({error})') from None
    if not isinstance(value, dict):
        raise CheckpointError(f'Checkpoint metadata "{key}": must be a JSON object')
    return value


def _non_negative_integer(metadata: Dict[str, str], key: str) -> int:
    text = metadata.get(key)
    if text is None or not text.isdigit():
        raise CheckpointError(f'Checkpoint metadata "{key}": must be a non-negative integer (got {text!r})')
    return int(text)


def decode(data: bytes) -> RunCheckpoint:
    """A checkpoint from its bytes, its metadata checked (its tensors are checked by the model)."""
    try:
        tensors, metadata = safetensors.decode(data)
    except safetensors.SafetensorsError as error:
        raise CheckpointError(str(error)) from None
    if metadata.get("format") != FORMAT:
        raise CheckpointError('This safetensors file is not a Video Model Playground checkpoint (its metadata '
                              f'has no "format": "{FORMAT}")')
    version = _non_negative_integer(metadata, "format_version")
    if version > FORMAT_VERSION:
        raise CheckpointError(f"This checkpoint uses format version {version}, but this package reads version "
                              f"{FORMAT_VERSION}; update the package")
    model = metadata.get("model")
    models = catalog()
    if model not in models:
        raise CheckpointError(f'This checkpoint is for model "{model}", which this package does not have '
                              f"(available: {', '.join(models)})")
    for key, choices in (("variant", models[model]["variants"]), ("preset", models[model]["presets"])):
        if metadata.get(key) not in choices:
            raise CheckpointError(f'Checkpoint metadata "{key}": "{metadata.get(key)}" is not a {model} {key}')
    data_spec = _json_object(metadata, "data_spec")
    if not isinstance(data_spec.get("seed"), int) or data_spec["seed"] < 0:
        raise CheckpointError('Checkpoint metadata "data_spec": seed must be a non-negative integer')
    model_tensors, data_arrays = {}, {}
    for name, array in tensors.items():
        if name.startswith(DATA_PREFIX):
            if array.dtype != np.int32 or array.ndim != 1:
                raise CheckpointError(f'Tensor "{name}" must be a 1-D I32 tensor')
            data_arrays[name[len(DATA_PREFIX):]] = array
        elif array.dtype not in (np.float32, np.int32):
            raise CheckpointError(f'Tensor "{name}" is {array.dtype}; model state tensors are F32 or I32')
        else:
            model_tensors[name] = array
    history = TrainingHistory.from_json(_json_object(metadata, "history")) if "history" in metadata else []
    return RunCheckpoint(
        model=model, variant=metadata["variant"], preset=metadata["preset"],
        config=_json_object(metadata, "config"), data_spec=data_spec,
        seed=_non_negative_integer(metadata, "seed"), step=_non_negative_integer(metadata, "step"),
        tensors=model_tensors, model_state=_json_object(metadata, "model_state"),
        data_arrays=data_arrays, data_state=_json_object(metadata, "data_state"), history=history,
        dataset=_json_object(metadata, "dataset") if "dataset" in metadata else None,
        created_at=metadata.get("created_at", ""), producer=metadata.get("producer", ""))


def read(path: str) -> RunCheckpoint:
    with open(path, "rb") as file:
        return decode(file.read())


def _dumps(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), allow_nan=False)


def encode(checkpoint: RunCheckpoint) -> bytes:
    tensors = dict(checkpoint.tensors)
    for name, values in checkpoint.data_arrays.items():
        tensors[DATA_PREFIX + name] = np.asarray(values, dtype=np.int32)
    metadata = {
        "format": FORMAT, "format_version": str(FORMAT_VERSION),
        "model": checkpoint.model, "variant": checkpoint.variant, "preset": checkpoint.preset,
        "config": _dumps(checkpoint.config), "data_spec": _dumps(checkpoint.data_spec),
        "seed": str(checkpoint.seed), "step": str(checkpoint.step),
        "model_state": _dumps(checkpoint.model_state), "data_state": _dumps(checkpoint.data_state),
        "history": _dumps(TrainingHistory(checkpoint.history).to_json()),
        "created_at": checkpoint.created_at or datetime.now(timezone.utc).isoformat(timespec="milliseconds")
        .replace("+00:00", "Z"),
        "producer": checkpoint.producer,
    }
    if checkpoint.dataset is not None:
        metadata["dataset"] = _dumps(checkpoint.dataset)
    return safetensors.encode(tensors, metadata)


def write(path: str, checkpoint: RunCheckpoint) -> int:
    """Writes atomically (a partial file never has the real name); returns the size in bytes."""
    data = encode(checkpoint)
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    partial = f"{path}.partial"
    with open(partial, "wb") as file:
        file.write(data)
    os.replace(partial, path)
    return len(data)


def run_config(checkpoint: RunCheckpoint) -> Dict:
    """The checkpoint's config, every value checked through the model's schema (ConfigError naming
    the key); keys it lacks (added to the app after it was written) keep their preset values."""
    base = resolve_config(checkpoint.model, checkpoint.variant, checkpoint.preset)
    overrides = {}
    for key, value in checkpoint.config.items():
        if key not in base:
            raise ConfigError(key, f'Unknown config key "{key}"')
        if value != base[key]:
            overrides[key] = value
    return resolve_config(checkpoint.model, checkpoint.variant, checkpoint.preset, overrides)
