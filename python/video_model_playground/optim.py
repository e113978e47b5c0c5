"""The app's optimisers, update for update, in float32 (the arithmetic of each model's tfjs code):

- `AdamWithL2`  (LSTM, optimizer 'adam'): the gradient's non-finite elements zeroed, weight decay added
  to the gradient of decayed weights, m and v updated, bias-corrected m̂ / (√v̂ + ε) · lr, clipped
  element-wise to ±updateClip, subtracted; β1 = `momentum` (changeable), counters β1^t, β2^t.
- `SgdMomentum` (LSTM, optimizer 'sgd-momentum', the reference's update): v ← clip(μ·v − lr·g, ±c);
  w ← w + v (non-finite gradient elements zeroed and decay added first, as for Adam).
- `TorchAdam`   (VGAN, one per network): Torch's optim.adam, w ← w − lr·√(1−β2^t)/(1−β1^t) · m/(√v+ε).
- `ClippedAdam` (rCNN): the whole gradient rescaled to a global L2 norm of at most `clipNorm`,
  then the same update with β1 0.9 and a step counter t.

Each holds its slots in the parameters' (PyTorch) layout; checkpoints convert them like the weights.
"""
from __future__ import annotations

import math
from typing import Dict, List, Sequence

import torch

BETA2 = 0.999
EPSILON = 1e-8


def _zeros(params: Sequence[torch.Tensor]) -> List[torch.Tensor]:
    return [torch.zeros_like(p) for p in params]


def _finite(grad: torch.Tensor) -> torch.Tensor:
    return torch.where(torch.isfinite(grad), grad, torch.zeros_like(grad))


class AdamWithL2:
    slot_names = ("m", "v")

    def __init__(self, params: Sequence[torch.Tensor], decay: Sequence[bool]):
        self.params = list(params)
        self.decay = list(decay)
        self.m = _zeros(params)
        self.v = _zeros(params)
        self.beta1_power = 1.0
        self.beta2_power = 1.0

    def slots(self) -> Dict[str, List[torch.Tensor]]:
        return {"m": self.m, "v": self.v}

    def counters(self) -> Dict[str, float]:
        return {"beta1Power": self.beta1_power, "beta2Power": self.beta2_power}

    def set_counters(self, values: Dict[str, float]) -> None:
        self.beta1_power, self.beta2_power = float(values["beta1Power"]), float(values["beta2Power"])

    @torch.no_grad()
    def step(self, grads: Sequence[torch.Tensor], lr: float, beta1: float, update_clip: float,
             weight_decay: float) -> None:
        self.beta1_power *= beta1
        self.beta2_power *= BETA2
        correction1 = max(1 - self.beta1_power, 1e-12)
        correction2 = 1 - self.beta2_power
        for w, g, m, v, decay in zip(self.params, grads, self.m, self.v, self.decay):
            g = _finite(g)
            if decay and weight_decay > 0:
                g = g.add(w.mul(weight_decay))
            m.copy_(m.mul(beta1).add(g.mul(1 - beta1)))
            v.copy_(v.mul(BETA2).add(g.square().mul(1 - BETA2)))
            update = m.div(correction1).div(v.div(correction2).sqrt().add(EPSILON)).mul(lr)
            if update_clip > 0:
                update = update.clamp(-update_clip, update_clip)
            w.sub_(update)


class SgdMomentum:
    slot_names = ("velocity",)

    def __init__(self, params: Sequence[torch.Tensor], decay: Sequence[bool]):
        self.params = list(params)
        self.decay = list(decay)
        self.velocity = _zeros(params)

    def slots(self) -> Dict[str, List[torch.Tensor]]:
        return {"velocity": self.velocity}

    def counters(self) -> Dict[str, float]:
        return {}

    def set_counters(self, values: Dict[str, float]) -> None:
        pass

    @torch.no_grad()
    def step(self, grads: Sequence[torch.Tensor], lr: float, momentum: float, update_clip: float,
             weight_decay: float) -> None:
        for w, g, velocity, decay in zip(self.params, grads, self.velocity, self.decay):
            g = _finite(g)
            if decay and weight_decay > 0:
                g = g.add(w.mul(weight_decay))
            update = velocity.mul(momentum).sub(g.mul(lr))
            if update_clip > 0:
                update = update.clamp(-update_clip, update_clip)
            velocity.copy_(update)
            w.add_(update)


class TorchAdam:
    slot_names = ("m", "v")

    def __init__(self, params: Sequence[torch.Tensor]):
        self.params = list(params)
        self.m = _zeros(params)
        self.v = _zeros(params)
        self.beta1_power = 1.0
        self.beta2_power = 1.0

    def slots(self) -> Dict[str, List[torch.Tensor]]:
        return {"m": self.m, "v": self.v}

    def counters(self) -> Dict[str, float]:
        return {"beta1Power": self.beta1_power, "beta2Power": self.beta2_power}

    def set_counters(self, values: Dict[str, float]) -> None:
        self.beta1_power, self.beta2_power = float(values["beta1Power"]), float(values["beta2Power"])

    @torch.no_grad()
    def step(self, grads: Sequence[torch.Tensor], lr: float, beta1: float) -> None:
        self.beta1_power *= beta1
        self.beta2_power *= BETA2
        step_size = lr * math.sqrt(1 - self.beta2_power) / max(1 - self.beta1_power, 1e-12)
        for w, g, m, v in zip(self.params, grads, self.m, self.v):
            m.copy_(m.mul(beta1).add(g.mul(1 - beta1)))
            v.copy_(v.mul(BETA2).add(g.square().mul(1 - BETA2)))
            w.sub_(m.div(v.sqrt().add(EPSILON)).mul(step_size))


class ClippedAdam:
    slot_names = ("m", "v")
    beta1 = 0.9

    def __init__(self, params: Sequence[torch.Tensor]):
        self.params = list(params)
        self.m = _zeros(params)
        self.v = _zeros(params)
        self.steps = 0

    def slots(self) -> Dict[str, List[torch.Tensor]]:
        return {"m": self.m, "v": self.v}

    @torch.no_grad()
    def step(self, grads: Sequence[torch.Tensor], lr: float, clip_norm: float) -> None:
        t = self.steps + 1
        step_size = lr * math.sqrt(1 - BETA2 ** t) / (1 - self.beta1 ** t)
        if clip_norm > 0:
            norm = torch.sqrt(torch.stack([g.square().sum() for g in grads]).sum())
            scale = torch.clamp(clip_norm / norm.add(1e-12), max=1.0)
            grads = [g.mul(scale) for g in grads]
        for w, g, m, v in zip(self.params, grads, self.m, self.v):
            m.copy_(m.mul(self.beta1).add(g.mul(1 - self.beta1)))
            v.copy_(v.mul(BETA2).add(g.square().mul(1 - BETA2)))
            w.sub_(m.div(v.sqrt().add(EPSILON)).mul(step_size))
        self.steps = t
