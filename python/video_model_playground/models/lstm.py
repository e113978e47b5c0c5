"""The LSTM encoder-decoder of

    N. Srivastava, E. Mansimov, R. Salakhutdinov, "Unsupervised Learning of Video Representations
    using LSTMs", ICML 2015 (reference code: mansimov/unsupervised-videos),

as the app's `src/core/models/lstm/model.ts` computes it. An encoder LSTM reads the input frames
(flattened to P = frameSize² pixels); decoders start from its final state (every layer's h and c):
the reconstruction decoder emits the input frames in reverse order, the future decoder the frames
that follow. A conditional decoder's step t > 0 reads the previous frame (the ground truth in
training: teacher forcing); its first step reads zeros. An unconditioned decoder has no input.

The peephole cell, gates from one fused [x, h]·Wᵀ product, gate order i, f, a (cell input), o:
    i = σ(W_i[x,h] + p_i⊙c + b_i)     f = σ(W_f[x,h] + p_f⊙c + b_f)
    c' = f⊙c + i⊙tanh(W_a[x,h] + b_a)  o = σ(W_o[x,h] + p_o⊙c' + b_o)    h' = o⊙tanh(c')

Loss: Bernoulli cross-entropy softplus(l) − t·l (or half squared error for linear outputs) summed
over a frame's pixels, per frame (averaged over batch and frames), per decoder; `loss` is their
sum. The optimiser differentiates that (`lossReduction` 'mean') or the plain sum over batch, frames
and decoders ('sum', the reference). Shapes: B batch, T frames, P pixels, U hidden units.
"""
from __future__ import annotations

from typing import Dict, List, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import nn

from ..optim import AdamWithL2, SgdMomentum
from .base import CheckpointTensor, StateError, VideoModel, counters_from


class LstmLayer(nn.Module):
    """One peephole LSTM layer; `inputs` = 0 for a layer without input (unconditioned decoder)."""

    def __init__(self, inputs: int, units: int):
        super().__init__()
        self.inputs, self.units = inputs, units
        self.weight = nn.Parameter(torch.zeros(4 * units, inputs + units))  # [4U, I + U], input columns first
        self.peephole = nn.Parameter(torch.zeros(3 * units))  # [3U] cell → i, f, o
        self.bias = nn.Parameter(torch.zeros(4 * units))  # [4U] gates i, f, a, o

    def project(self, xs: Optional[torch.Tensor]) -> torch.Tensor:
        """W_x·x + b: xs [B, T, I] → [B, T, 4U] for every step at once (one large matmul, and one
        for its weight gradient, instead of T small ones), or [B, I] → [B, 4U]; the bias [4U]
        alone without input."""
        return self.bias if xs is None else F.linear(xs, self.weight[:, :self.inputs], self.bias)

    def cell(self, projected: torch.Tensor, h: torch.Tensor, c: torch.Tensor, recurrent: torch.Tensor):
        """One step from the projected input [B, 4U] (or [4U]) and `recurrent` = W_h [4U, U]."""
        z = projected + h @ recurrent.t()  # [B, 4U]
        z_i, z_f, z_a, z_o = z.chunk(4, dim=1)  # each [B, U]
        p_i, p_f, p_o = self.peephole.chunk(3)  # each [U]
        i = torch.sigmoid(z_i + c * p_i)
        f = torch.sigmoid(z_f + c * p_f)
        c = f * c + i * torch.tanh(z_a)  # [B, U]
        o = torch.sigmoid(z_o + c * p_o)
        return o * torch.tanh(c), c  # h', c': [B, U]

    def recurrent(self) -> torch.Tensor:
        return self.weight[:, self.inputs:]  # [4U, U]


class LstmStack(nn.ModuleList):
    """Stacked layers: layer 0 reads the frame (if any), layer l > 0 reads layer l − 1's h."""

    def __init__(self, inputs: int, units: int, layers: int):
        super().__init__(LstmLayer(inputs if l == 0 else units, units) for l in range(layers))

    def run(self, xs: Optional[torch.Tensor], steps: int, state):
        """The stack over `steps` steps of known inputs xs [B, steps, I] (None: no input), layer by
        layer; returns the top layer's h [B, steps, U] and the final state."""
        hs, cs = [], []
        for layer, h, c in zip(self, *state):
            projected, recurrent, outputs = layer.project(xs), layer.recurrent(), []
            for t in range(steps):
                h, c = layer.cell(projected if xs is None else projected[:, t], h, c, recurrent)
                outputs.append(h)
            hs.append(h)
            cs.append(c)
            xs = torch.stack(outputs, dim=1)  # [B, steps, U]: the next layer's inputs
        return xs, (hs, cs)

    def step(self, x: Optional[torch.Tensor], state: Tuple[List[torch.Tensor], List[torch.Tensor]]):
        """One step of every layer (decoders that feed back their own output)."""
        hs, cs = [], []
        for layer, h, c in zip(self, *state):
            h, c = layer.cell(layer.project(x), h, c, layer.recurrent())
            hs.append(h)
            cs.append(c)
            x = h
        return hs, cs

    def checkpoint_tensors(self, prefix: str) -> List[CheckpointTensor]:
        out = []
        for l, layer in enumerate(self):
            out += [CheckpointTensor(f"{prefix}.{l}.w", layer.weight, decay=True),
                    CheckpointTensor(f"{prefix}.{l}.peephole", layer.peephole, decay=True),
                    CheckpointTensor(f"{prefix}.{l}.bias", layer.bias)]
        return out


class Decoder(nn.Module):
    """An LSTM stack started from the encoder's state, with a linear readout to pixels."""

    def __init__(self, conditional: bool, pixels: int, units: int, layers: int):
        super().__init__()
        self.conditional = conditional
        self.stack = LstmStack(pixels if conditional else 0, units, layers)
        self.readout = nn.Linear(units, pixels)  # weight [P, U], bias [P]

    def forward(self, state, steps: int, truth: List[torch.Tensor], teacher_forced: bool, output: str) -> torch.Tensor:
        """Logits [B, steps, P]; `truth[k]` is step k's target frame [B, P] (teacher forcing)."""
        if self.conditional and not teacher_forced:  # each step reads the previous step's output
            logits = []
            for t in range(steps):
                if t == 0:
                    x = torch.zeros_like(truth[0])  # [B, P]: the first step has no frame
                else:
                    x = torch.sigmoid(logits[-1]) if output == "sigmoid-bce" else logits[-1]
                state = self.stack.step(x, state)
                logits.append(self.readout(state[0][-1]))  # [B, P]
            return torch.stack(logits, dim=1)  # [B, steps, P]
        xs = None
        if self.conditional:  # step 0 has no frame, step t reads target t − 1
            xs = torch.stack([torch.zeros_like(truth[0])] + truth[:steps - 1], dim=1)  # [B, steps, P]
        top, _ = self.stack.run(xs, steps, state)  # [B, steps, U]
        return self.readout(top)  # [B, steps, P]


def element_loss(output: str, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """softplus(l) − t·l (Bernoulli cross-entropy from logits), or ½(l − t)² for linear outputs."""
    if output == "sigmoid-bce":
        return F.softplus(logits) - targets * logits
    return 0.5 * (logits - targets).square()


class LstmEncoderDecoder(VideoModel):
    kind = "lstm"
    live_hyperparameters = ("learningRate", "momentum", "updateClip", "weightDecay")

    def __init__(self, config: Dict, seed: int):
        super().__init__(config, seed)
        c = config
        self.pixels = c["frameSize"] ** 2
        self.encoder = LstmStack(self.pixels, c["hiddenUnits"], c["layers"])
        self.recon = Decoder(c["conditionalReconstruction"], self.pixels, c["hiddenUnits"], c["layers"]) \
            if c["reconstruct"] else None
        self.future = Decoder(c["conditionalFuture"], self.pixels, c["hiddenUnits"], c["layers"]) \
            if c["predictFuture"] else None
        self.initialise(seed)
        tensors = self.checkpoint_tensors()
        optimiser = AdamWithL2 if c["optimizer"] == "adam" else SgdMomentum
        self.optimizer = optimiser([t.param for t in tensors], [t.decay for t in tensors])

    def initialise(self, seed: int) -> None:
        """Weights ~ U[±initScale] (peepholes ±peepholeInitScale), biases 0, from a torch generator
        seeded with `seed` (a PyTorch run's own draws: not the app's tfjs ones)."""
        generator = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            for t in self.checkpoint_tensors():
                if not t.decay:
                    t.param.zero_()
                    continue
                scale = self.config["peepholeInitScale"] if t.name.endswith("peephole") else self.config["initScale"]
                t.param.copy_(torch.rand(t.param.shape, generator=generator) * 2 * scale - scale)

    def data_requirements(self) -> Dict:
        c = self.config
        frames = c["inputFrames"] + (c["futureFrames"] if c["predictFuture"] else 0)
        return {"frames": frames, "size": c["frameSize"], "channels": 1, "range": "unit", "batchSize": c["batchSize"]}

    # --- forward ---

    def forward(self, frames: torch.Tensor, teacher_forced: bool = True) -> Dict[str, torch.Tensor]:
        """Decoder logits for frames [B, T, P]: `reconstruction` [B, Tin, P] in decoder order (the last
        input frame first), `future` [B, Tf, P]."""
        c = self.config
        b, tin = frames.shape[0], c["inputFrames"]
        zeros = [frames.new_zeros(b, c["hiddenUnits"]) for _ in range(c["layers"])]
        state = (zeros, list(zeros))
        _, state = self.encoder.run(frames[:, :tin], tin, state)
        out = {}
        if self.recon is not None:
            truth = [frames[:, tin - 1 - k] for k in range(tin)]  # decoder step k targets frame Tin−1−k
            out["reconstruction"] = self.recon(state, tin, truth, teacher_forced, c["output"])
        if self.future is not None:
            truth = [frames[:, tin + k] for k in range(c["futureFrames"])]
            out["future"] = self.future(state, c["futureFrames"], truth, teacher_forced, c["output"])
        return out

    def flatten(self, videos: torch.Tensor) -> torch.Tensor:
        """Videos [B, T, H, W, 1] → frames [B, T, P] (the model's T frames)."""
        frames = self.data_requirements()["frames"]
        return videos[:, :frames].reshape(videos.shape[0], frames, self.pixels)

    def loss_terms(self, videos: torch.Tensor, fraction: float = 1.0) -> Dict[str, torch.Tensor]:
        """recon_loss, future_loss, loss (per frame) and the objective, as this process's shares of
        the whole batch (`fraction` of it: 1 in a single process)."""
        c = self.config
        frames = self.flatten(videos)
        logits = self.forward(frames, teacher_forced=True)
        b, tin = frames.shape[0], c["inputFrames"]
        targets = {"reconstruction": frames[:, :tin].flip(1), "future": frames[:, tin:]}
        terms, per_frame, summed = {}, 0, 0
        for name, key in (("recon_loss", "reconstruction"), ("future_loss", "future")):
            if key not in logits:
                continue
            total = element_loss(c["output"], logits[key], targets[key]).sum()  # Σ over B, T, P
            frame_loss = total / (b * logits[key].shape[1]) * fraction  # per frame, paper convention
            terms[name] = frame_loss
            per_frame = per_frame + frame_loss
            summed = summed + total
        terms["loss"] = per_frame
        terms["objective"] = summed if c["lossReduction"] == "sum" else per_frame
        return terms

    # --- training ---

    def train_step(self, videos: torch.Tensor, parallel) -> Dict[str, torch.Tensor]:
        terms = self.loss_terms(videos, parallel.fraction)
        params = [t.param for t in self.checkpoint_tensors()]
        grads = list(torch.autograd.grad(terms.pop("objective"), params))
        parallel.sum_(grads)
        h = self.hyperparameters
        self.optimizer.step(grads, h["learningRate"], h["momentum"], h["updateClip"], h["weightDecay"])
        return {name: value.detach() for name, value in terms.items()}

    # --- checkpoints ---

    def checkpoint_tensors(self) -> List[CheckpointTensor]:
        out = self.encoder.checkpoint_tensors("encoder")
        for name, decoder in (("recon", self.recon), ("future", self.future)):
            if decoder is not None:
                out += decoder.stack.checkpoint_tensors(name)
                out += [CheckpointTensor(f"{name}.readout.w", decoder.readout.weight, decay=True),
                        CheckpointTensor(f"{name}.readout.b", decoder.readout.bias)]
        return out

    def optimizers(self):
        return [(self.optimizer, self.checkpoint_tensors())]

    def state_meta(self) -> Dict:
        return {"optimizer": self.config["optimizer"], "counters": self.optimizer.counters(),
                "hyperparameters": self.get_hyperparameters()}

    def check_meta(self, meta: Dict) -> None:
        if meta.get("optimizer") != self.config["optimizer"]:
            raise StateError(f"The checkpoint's optimiser is {meta.get('optimizer')!r}, this model's "
                             f"{self.config['optimizer']}")
        if self.config["optimizer"] == "adam":
            counters_from(meta.get("counters"), "counters")

    def load_meta(self, meta: Dict, tensors) -> None:
        if self.config["optimizer"] == "adam":
            self.optimizer.set_counters(counters_from(meta["counters"], "counters"))
