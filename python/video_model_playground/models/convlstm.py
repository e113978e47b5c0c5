"""The ConvLSTM encoder-forecaster of

    X. Shi, Z. Chen, H. Wang, D.-Y. Yeung, W.-K. Wong, W.-C. Woo, "Convolutional LSTM Network: A
    Machine Learning Approach for Precipitation Nowcasting", NeurIPS 2015,

as the app's `src/core/models/convlstm/model.ts` computes it. Frames are cut into p×p patches that
become p² channels (channel py·p + px). The ConvLSTM cell (eq. 3) with 'same' convolutions (*) and
learnt peephole maps (∘), gates from one convolution of [x, h] with a fused kernel, gate order
i, f, c, o:
    i = σ(W_xi*x + W_hi*h + W_ci∘c + b_i)      f = σ(W_xf*x + W_hf*h + W_cf∘c + b_f)
    c' = f∘c + i∘tanh(W_xc*x + W_hc*h + b_c)   o = σ(W_xo*x + W_ho*h + W_co∘c' + b_o)   h' = o∘tanh(c')
The encoder (stacked layers) reads the input frames; the forecaster, a stack of the same channels
without input, starts from the encoder's last states and unrolls for the future frames; a 1×1
convolution of all its layers' hidden states gives the logits of each future frame's patches.
Loss: Bernoulli cross-entropy softplus(l) − t·l summed over a frame's pixels, averaged over batch
and predicted frames; Adam after a global-norm gradient clip.

Shapes (PyTorch's channels-first): B batch, T frames, H = W frame side, p patch, G = H / p, U a
layer's channels.
"""
from __future__ import annotations

from typing import Dict, List, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import nn

from ..optim import ClippedAdam
from .base import CONV2D, CheckpointTensor, Layout, StateError, VideoModel

# A peephole map [G, G, 3U] (channels last) ↔ [3U, G, G].
CHANNELS_FIRST = Layout(lambda t: t.permute(2, 0, 1), lambda t: t.permute(1, 2, 0))


def channel_stack(config: Dict) -> List[int]:
    """Hidden channels of each layer, bottom first, from e.g. '128-64-64'."""
    return [int(u) for u in config["channels"].split("-")]


class ConvLstmLayer(nn.Module):
    """One ConvLSTM layer on a G×G grid; `inputs` = 0 for a layer without input."""

    def __init__(self, inputs: int, units: int, kernel: int, grid: int):
        super().__init__()
        self.inputs, self.units = inputs, units
        self.weight = nn.Parameter(torch.zeros(4 * units, inputs + units, kernel, kernel))  # gates i, f, c, o
        self.peephole = nn.Parameter(torch.zeros(3 * units, grid, grid))  # W_ci, W_cf, W_co
        self.bias = nn.Parameter(torch.zeros(4 * units))

    def forward(self, x: Optional[torch.Tensor], h: torch.Tensor, c: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        xh = h if x is None else torch.cat([x, h], dim=1)  # [B, I + U, G, G]
        z = F.conv2d(xh, self.weight, self.bias, padding=self.weight.shape[-1] // 2)  # [B, 4U, G, G]
        z_i, z_f, z_c, z_o = z.chunk(4, dim=1)  # each [B, U, G, G]
        p_i, p_f, p_o = self.peephole.chunk(3, dim=0)  # each [U, G, G]
        i = torch.sigmoid(z_i + p_i * c)
        f = torch.sigmoid(z_f + p_f * c)
        c = f * c + i * torch.tanh(z_c)
        o = torch.sigmoid(z_o + p_o * c)
        return o * torch.tanh(c), c  # h', c': [B, U, G, G]


class ConvLstmStack(nn.ModuleList):
    """Stacked layers: layer 0 reads the frame's patches (if any), layer l > 0 layer l − 1's h."""

    def __init__(self, inputs: int, channels: List[int], kernel: int, grid: int):
        super().__init__(ConvLstmLayer(inputs if l == 0 else channels[l - 1], u, kernel, grid)
                         for l, u in enumerate(channels))

    def step(self, x: Optional[torch.Tensor], state: List[Tuple[torch.Tensor, torch.Tensor]]):
        out = []
        for layer, (h, c) in zip(self, state):
            h, c = layer(x, h, c)
            out.append((h, c))
            x = h
        return out

    def checkpoint_tensors(self, prefix: str) -> List[CheckpointTensor]:
        out = []
        for l, layer in enumerate(self):
            out += [CheckpointTensor(f"{prefix}.{l}.w", layer.weight, CONV2D),
                    CheckpointTensor(f"{prefix}.{l}.peephole", layer.peephole, CHANNELS_FIRST),
                    CheckpointTensor(f"{prefix}.{l}.b", layer.bias)]
        return out


class ConvLstmForecaster(VideoModel):
    kind = "convlstm"
    live_hyperparameters = ("learningRate", "gradientClipNorm")

    def __init__(self, config: Dict, seed: int):
        super().__init__(config, seed)
        c = config
        self.grid = c["frameSize"] // c["patchSize"]
        self.depth = c["patchSize"] ** 2
        channels = channel_stack(c)
        self.encoder = ConvLstmStack(self.depth, channels, c["kernelSize"], self.grid)
        self.forecaster = ConvLstmStack(0, channels, c["kernelSize"], self.grid)
        self.readout = nn.Conv2d(sum(channels), self.depth, 1)  # weight [p², ΣU, 1, 1], bias [p²]
        self.initialise(seed)
        self.optimizer = ClippedAdam([t.param for t in self.checkpoint_tensors()])

    def initialise(self, seed: int) -> None:
        """Weights ~ U[±initScale], biases 0, from a torch generator seeded with `seed` (a PyTorch
        run's own draws: not the app's tfjs ones)."""
        generator = torch.Generator().manual_seed(seed)
        scale = self.config["initScale"]
        with torch.no_grad():
            for t in self.checkpoint_tensors():
                if t.name.endswith(".b"):
                    t.param.zero_()
                else:
                    t.param.copy_(torch.rand(t.param.shape, generator=generator) * 2 * scale - scale)

    def data_requirements(self) -> Dict:
        c = self.config
        return {"frames": c["inputFrames"] + c["futureFrames"], "size": c["frameSize"], "channels": 1,
                "range": "unit", "batchSize": c["batchSize"]}

    # --- patches ---

    def patches(self, videos: torch.Tensor) -> torch.Tensor:
        """Videos [B, T, H, W, 1] → the model's frames as patches [B, T, p², G, G]."""
        b = videos.shape[0]
        t = self.data_requirements()["frames"]
        g, p = self.grid, self.config["patchSize"]
        x = videos[:, :t].reshape(b, t, g, p, g, p)  # [B, T, gy, py, gx, px]
        return x.permute(0, 1, 3, 5, 2, 4).reshape(b, t, p * p, g, g)

    def frames(self, patches: torch.Tensor) -> torch.Tensor:
        """Patches [B, T, p², G, G] → frames [B, T, H, W]."""
        b, t = patches.shape[:2]
        g, p = self.grid, self.config["patchSize"]
        x = patches.reshape(b, t, p, p, g, g).permute(0, 1, 4, 2, 5, 3)  # [B, T, gy, py, gx, px]
        return x.reshape(b, t, g * p, g * p)

    # --- forward ---

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        """Input patches [B, Tin, p², G, G] → logits of the future frames' patches [B, Tf, p², G, G]."""
        b = inputs.shape[0]
        state = [(inputs.new_zeros(b, layer.units, self.grid, self.grid),) * 2 for layer in self.encoder]
        for t in range(inputs.shape[1]):
            state = self.encoder.step(inputs[:, t], state)
        logits = []
        for _ in range(self.config["futureFrames"]):
            state = self.forecaster.step(None, state)
            logits.append(self.readout(torch.cat([h for h, _ in state], dim=1)))  # [B, p², G, G]
        return torch.stack(logits, dim=1)

    def predict(self, videos: torch.Tensor) -> torch.Tensor:
        """Future-frame predictions σ(logits) of videos [B, T, H, W, 1]: [B, Tf, H, W]."""
        steps = self.patches(videos)
        return self.frames(torch.sigmoid(self.forward(steps[:, :self.config["inputFrames"]])))

    def loss(self, videos: torch.Tensor, fraction: float = 1.0) -> torch.Tensor:
        """The cross-entropy per predicted frame (this process's share: `fraction` of the batch)."""
        steps = self.patches(videos)
        tin = self.config["inputFrames"]
        logits = self.forward(steps[:, :tin])
        targets = steps[:, tin:]
        total = (F.softplus(logits) - targets * logits).sum()  # Σ over frames and pixels
        return total / (logits.shape[0] * logits.shape[1]) * fraction

    # --- training ---

    def train_step(self, videos: torch.Tensor, parallel) -> Dict[str, torch.Tensor]:
        loss = self.loss(videos, parallel.fraction)
        params = [t.param for t in self.checkpoint_tensors()]
        grads = list(torch.autograd.grad(loss, params))
        parallel.sum_(grads)
        self.optimizer.step(grads, self.hyperparameters["learningRate"], self.hyperparameters["gradientClipNorm"])
        return {"loss": loss.detach()}

    # --- checkpoints ---

    def checkpoint_tensors(self) -> List[CheckpointTensor]:
        return (self.encoder.checkpoint_tensors("encoder") + self.forecaster.checkpoint_tensors("forecaster")
                + [CheckpointTensor("readout.w", self.readout.weight, CONV2D),
                   CheckpointTensor("readout.b", self.readout.bias)])

    def optimizers(self):
        return [(self.optimizer, self.checkpoint_tensors())]

    def state_meta(self) -> Dict:
        return {"optimizer": {"steps": self.optimizer.steps}, "hyperparameters": self.get_hyperparameters()}

    def check_meta(self, meta: Dict) -> None:
        optimizer = meta.get("optimizer")
        steps = optimizer.get("steps") if isinstance(optimizer, dict) else None
        if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
            raise StateError('Model state field "optimizer.steps" must be a non-negative integer')

    def load_meta(self, meta: Dict, tensors) -> None:
        self.optimizer.steps = meta["optimizer"]["steps"]
