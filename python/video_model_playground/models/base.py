"""What every model shares: how its tensors map to the checkpoint's names and layouts, its state in
the checkpoint format (weights, optimiser slots and counters, live hyperparameters, other state),
and the data it trains on.

Checkpoint tensors keep the app's names and tfjs layouts (docs/checkpoints.md); the modules hold
PyTorch's layouts (nn.Linear [out, in], nn.Conv3d [out, in, kD, kH, kW], …). A `Layout` converts
one tensor both ways; optimiser slots (`optimizer.<slot>.<name>`) convert like their weight.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Dict, List, Tuple

import numpy as np
import torch
from torch import nn

from ..config import ConfigError, live_hyperparameter_fields, field_problem


@dataclass(frozen=True)
class Layout:
    """tfjs layout ↔ PyTorch layout of one tensor."""
    to_torch: Callable[[torch.Tensor], torch.Tensor]
    from_torch: Callable[[torch.Tensor], torch.Tensor]


SAME = Layout(lambda t: t, lambda t: t)
TRANSPOSED = Layout(lambda t: t.t(), lambda t: t.t())  # dense [in, out] ↔ nn.Linear [out, in]
# conv [kD, kH, kW, in, out] ↔ nn.Conv3d [out, in, kD, kH, kW]; the same permutation turns a
# transposed conv [kD, kH, kW, out, in] into nn.ConvTranspose3d [in, out, kD, kH, kW].
CONV3D = Layout(lambda t: t.permute(4, 3, 0, 1, 2), lambda t: t.permute(2, 3, 4, 1, 0))
# A 2D layer stored as a 3D one of kernel depth 1 [1, kH, kW, a, b] ↔ nn.Conv2d / ConvTranspose2d [b, a, kH, kW].
CONV2D_DEPTH1 = Layout(lambda t: t[0].permute(3, 2, 0, 1), lambda t: t.permute(2, 3, 1, 0)[None])
# A 2D conv [kH, kW, in, out] ↔ nn.Conv2d [out, in, kH, kW].
CONV2D = Layout(lambda t: t.permute(3, 2, 0, 1), lambda t: t.permute(2, 3, 1, 0))


@dataclass
class CheckpointTensor:
    name: str  # the app's name, e.g. `encoder.0.w`
    param: torch.Tensor  # the module's parameter (PyTorch layout)
    layout: Layout = SAME
    decay: bool = False  # L2 weight decay applies (LSTM)


class StateError(ValueError):
    """A checkpoint state that does not fit the model, naming the first problem."""


def to_float_tensor(values: np.ndarray, device: torch.device) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(values, dtype=np.float32)).to(device)


class VideoModel(nn.Module):
    """The interface of the package's models (the app's `VideoModel`, training side)."""

    kind: str
    live_hyperparameters: Tuple[str, ...] = ()

    def __init__(self, config: Dict, seed: int):
        super().__init__()
        self.config = dict(config)
        self.seed = seed
        self.hyperparameters = {name: config[name] for name in self.live_hyperparameters}

    # --- data ---

    def data_requirements(self) -> Dict:
        """frames, size (square), channels, range ('unit' [0, 1] or 'symmetric' [-1, 1]), batchSize."""
        raise NotImplementedError

    # --- training ---

    def train_step(self, videos: torch.Tensor, parallel) -> Dict[str, torch.Tensor]:
        """One optimisation step on this process's rows of a batch, videos [b, T, H, W, C] in the
        model's range. Returns the reported losses as this process's shares (see parallel.py)."""
        raise NotImplementedError

    def report(self, losses: Dict[str, float]) -> Dict[str, float]:
        """The metrics reported for a step, from its losses over the whole batch."""
        return losses

    def get_hyperparameters(self) -> Dict[str, float]:
        return dict(self.hyperparameters)

    def set_hyperparameters(self, values: Dict[str, float]) -> None:
        fields = live_hyperparameter_fields(self.kind, list(self.get_hyperparameters()))
        for key, value in values.items():
            if key not in fields:
                raise ConfigError(key, f'Unknown hyperparameter "{key}" (live: {", ".join(fields)})')
            problem = field_problem(fields[key], value)
            if problem:
                raise ConfigError(key, problem)
        self.hyperparameters.update(values)

    # --- checkpoints ---

    def checkpoint_tensors(self) -> List[CheckpointTensor]:
        """Every weight under its checkpoint name, in the app's parameter order."""
        raise NotImplementedError

    def optimizers(self) -> List[Tuple[object, List[CheckpointTensor]]]:
        """Each optimiser with the weights it updates."""
        raise NotImplementedError

    def optimizer_slots(self) -> List[Tuple[str, torch.Tensor, Layout]]:
        """Every optimiser slot as (`optimizer.<slot>.<name>`, tensor, layout)."""
        out = []
        for optimizer, tensors in self.optimizers():
            for slot, values in optimizer.slots().items():
                out += [(f"optimizer.{slot}.{t.name}", value, t.layout) for t, value in zip(tensors, values)]
        return out

    def _apply(self, fn, *args, **kwargs):
        """`.to(device)` and the like convert the optimisers' slots (and other state) too."""
        super()._apply(fn, *args, **kwargs)
        for optimizer, tensors in self.optimizers():
            optimizer.params = [t.param for t in tensors]
            for values in optimizer.slots().values():
                values[:] = [fn(value) for value in values]
        self.convert_state(fn)
        return self

    def convert_state(self, fn) -> None:
        """Applies a tensor conversion to state held outside parameters and slots."""

    def extra_state_tensors(self) -> Dict[str, np.ndarray]:
        """`state.<name>` tensors beyond weights and slots."""
        return {}

    def state_meta(self) -> Dict:
        """model_state metadata: optimiser counters, random streams, live hyperparameters, …"""
        raise NotImplementedError

    def export_state(self) -> Tuple[Dict[str, np.ndarray], Dict]:
        tensors = {}
        entries = [(t.name, t.param, t.layout) for t in self.checkpoint_tensors()] + self.optimizer_slots()
        for name, tensor, layout in entries:
            tensors[name] = layout.from_torch(tensor.detach()).contiguous().cpu().numpy().astype(np.float32)
        tensors.update(self.extra_state_tensors())
        return tensors, self.state_meta()

    def import_state(self, tensors: Dict[str, np.ndarray], meta: Dict) -> None:
        """Checks every tensor and meta field first, then assigns (a bad state changes nothing)."""
        entries = [(t.name, t.param, t.layout) for t in self.checkpoint_tensors()] + self.optimizer_slots()
        expected = {name: tuple(layout.from_torch(tensor).shape) for name, tensor, layout in entries}
        expected.update({name: value.shape for name, value in self.extra_state_tensors().items()})
        for name, shape in expected.items():
            if name not in tensors:
                raise StateError(f'The checkpoint has no tensor "{name}", which this {self.kind} model needs')
            if tensors[name].dtype != np.float32:
                raise StateError(f'Tensor "{name}" is {tensors[name].dtype} in the checkpoint but float32 here')
            if tuple(tensors[name].shape) != tuple(shape):
                raise StateError(f'Tensor "{name}" has shape {list(tensors[name].shape)} in the checkpoint '
                                 f"but {list(shape)} in this {self.kind} model")
        unexpected = sorted(set(tensors) - set(expected))
        if unexpected:
            raise StateError(f'The checkpoint has a tensor "{unexpected[0]}" that this {self.kind} model does not have')
        self.check_meta(meta)
        saved = meta.get("hyperparameters")
        if not isinstance(saved, dict) or sorted(saved) != sorted(self.get_hyperparameters()):
            raise StateError(f"The checkpoint's hyperparameters ({', '.join(sorted(saved or {}))}) are not "
                             f"this model's ({', '.join(sorted(self.get_hyperparameters()))})")
        self.set_hyperparameters(saved)
        with torch.no_grad():
            for name, tensor, layout in entries:
                value = torch.from_numpy(np.ascontiguousarray(tensors[name]))
                tensor.copy_(layout.to_torch(value).to(tensor.device))
        self.load_meta(meta, tensors)

    def check_meta(self, meta: Dict) -> None:
        """Raises a StateError when model_state does not fit (before anything is assigned)."""
        raise NotImplementedError

    def load_meta(self, meta: Dict, tensors: Dict[str, np.ndarray]) -> None:
        """Assigns the checked model_state (counters, streams, extra state tensors)."""
        raise NotImplementedError


def counters_from(record: object, field: str) -> Dict[str, float]:
    """{beta1Power, beta2Power} from model_state, each a number in [0, 1]."""
    if not isinstance(record, dict):
        raise StateError(f'Model state field "{field}" must be an object')
    values = {}
    for key in ("beta1Power", "beta2Power"):
        value = record.get(key)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
            raise StateError(f'Model state field "{key}" must be a number in [0, 1] (got {value!r})')
        values[key] = float(value)
    return values
