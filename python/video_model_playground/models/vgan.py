"""The video GAN of

    C. Vondrick, H. Pirsiavash, A. Torralba, "Generating Videos with Scene Dynamics", NIPS 2016
    (reference code: cvondrick/videogan, main.lua and main_conditional.lua),

as the app's `src/core/models/vgan/{networks,model}.ts` computes it, in PyTorch's channels-first
layout ([B, C, T, H, W]); the public methods take and return the app's [B, T, H, W, C].

With L = log2(frameSize / 4) stride-2 levels and T0 = frames / 2^L, the generator grows
[g0, T0, 4, 4] → [C, frames, S, S] with kernel-4, stride-2, pad-1 transposed convolutions (widths
g_i = generatorWidth · 2^(L−1−i); paper 512 → 256 → 128 → 64), batch norm and ReLU; its heads give
the foreground f (tanh, C channels) and the mask m (sigmoid, one channel). The two-stream model adds
a 2D background b grown the same way and composes m⊙f + (1−m)⊙b; one-stream outputs f; image-to-
video replaces z by a 2D conv encoding of a still. The discriminator mirrors it with 3D convs
(widths d_i = discriminatorWidth · 2^i), LeakyReLU 0.2 and batch norm after the first layer, and a
last layer whose kernel covers its [T0, 4, 4] input (a dense layer to one logit).

Batch norm always uses the batch's statistics (eps 1e-5 in G, 1e-3 in D and the encoder); layers
followed by it have no bias. One training step: an Adam step of D on ½[CE(D(x), 1) + CE(D(G(z)), 0)],
then an Adam step of G on CE(D(G(z)), 1) + maskL1Weight·mean(m) + imageL1Weight·mean|G(x₀)₁ − x₀|
with the same z, through the updated D. z comes from the app's seeded stream (`trainNoise`).
"""
from __future__ import annotations

import math
from typing import Dict, List, Optional

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..optim import TorchAdam
from ..parallel import SINGLE, DataParallel
from ..random import SeededRandom, is_random_state
from .base import CONV2D_DEPTH1, CONV3D, CheckpointTensor, Layout, StateError, VideoModel, counters_from

G_BN_EPSILON = 1e-5
D_BN_EPSILON = 1e-3
LEAK = 0.2


def geometry(config: Dict) -> Dict:
    levels = round(math.log2(config["frameSize"] / 4))
    return {"levels": levels, "t0": config["frames"] // 2 ** levels,
            "g": [config["generatorWidth"] * 2 ** (levels - 1 - i) for i in range(levels)],
            "d": [config["discriminatorWidth"] * 2 ** i for i in range(levels)]}


class BatchNorm(nn.Module):
    """Batch norm with the statistics of the batch at hand (pooled over every process of a
    data-parallel run) and no running averages: y = (x − μ)·γ/√(σ² + ε) + β per channel (dim 1).

    Written out rather than F.batch_norm: in float32 on the CPU, PyTorch's batch-norm backward lost
    three digits of the generator's gradient on a trained VGAN (off by 2.3e-3 of its largest element
    against a float64 run); these two passes over the batch, as the app computes them, stay within
    3e-6."""

    def __init__(self, channels: int, eps: float):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(channels))  # γ (`bn.scale`)
        self.bias = nn.Parameter(torch.zeros(channels))  # β (`bn.shift`)
        self.parallel: DataParallel = SINGLE

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        dims = [0] + list(range(2, x.dim()))
        shape = [1, -1] + [1] * (x.dim() - 2)
        count = x.numel() // x.shape[1] * self.parallel.world
        mean = self.parallel.sum_differentiable(x.sum(dims)) / count
        centred = x - mean.view(shape)
        variance = self.parallel.sum_differentiable(centred.square().sum(dims)) / count
        return centred * (torch.rsqrt(variance + self.eps) * self.weight).view(shape) + self.bias.view(shape)

    def checkpoint_tensors(self, prefix: str) -> List[CheckpointTensor]:
        return [CheckpointTensor(f"{prefix}.scale", self.weight), CheckpointTensor(f"{prefix}.shift", self.bias)]


def project_layout(t0: int, width: int) -> Layout:
    """A dense z → [T0, 4, 4, g] block (tfjs [Z, T0·4·4·g], channels last) ↔ nn.Linear rows in
    channels-first order (g, T0, 4, 4)."""
    def to_torch(w):
        z = w.shape[0]
        return w.reshape(z, t0, 4, 4, width).permute(4, 1, 2, 3, 0).reshape(width * t0 * 16, z)

    def from_torch(w):
        z = w.shape[1]
        return w.reshape(width, t0, 4, 4, z).permute(4, 1, 2, 3, 0).reshape(z, t0 * 16 * width)
    return Layout(to_torch, from_torch)


def expand_layout(t0: int, width: int) -> Layout:
    """Image-to-video's T0×1×1 transposed conv (tfjs [g0, T0·g0], columns (t, out)) ↔ nn.Linear
    [(out, t), in]."""
    return Layout(lambda w: w.reshape(width, t0, width).permute(2, 1, 0).reshape(width * t0, width),
                  lambda w: w.reshape(width, t0, width).permute(2, 1, 0).reshape(width, t0 * width))


def logit_layout(t0: int, width: int) -> Layout:
    """D's last layer (tfjs [T0·4·4·d, 1], rows channels last) ↔ nn.Linear [1, d·T0·4·4] channels first."""
    return Layout(lambda w: w.reshape(t0, 4, 4, width).permute(3, 0, 1, 2).reshape(1, -1),
                  lambda w: w.reshape(width, t0, 4, 4).permute(1, 2, 3, 0).reshape(-1, 1))


class Generator(nn.Module):
    def __init__(self, config: Dict, geo: Dict):
        super().__init__()
        c, l, t0, g = config["channels"], geo["levels"], geo["t0"], geo["g"]
        self.t0, self.g0 = t0, g[0]
        self.conditional = config["variant"] == "image-to-video"
        self.two_stream = config["variant"] != "one-stream"
        # Image encoder (image-to-video): L 2D convs [C, S, S] → [g0, 4, 4], widths g reversed.
        self.encoder = nn.ModuleList()
        self.encoder_bn = nn.ModuleList()
        if self.conditional:
            inputs = c
            for i in range(l):
                width = g[l - 1 - i]
                self.encoder.append(nn.Conv2d(inputs, width, 4, 2, 1, bias=i == 0))
                if i > 0:
                    self.encoder_bn.append(BatchNorm(width, D_BN_EPSILON))
                inputs = width
            self.project = nn.Linear(g[0], t0 * g[0], bias=False)  # [g0, 4, 4] → [g0, T0, 4, 4]
        else:
            self.project = nn.Linear(config["zDim"], g[0] * t0 * 16, bias=False)  # z → [g0, T0, 4, 4]
        self.project_bn = BatchNorm(g[0], G_BN_EPSILON)
        self.up = nn.ModuleList(nn.ConvTranspose3d(g[i - 1], g[i], 4, 2, 1, bias=False) for i in range(1, l))
        self.up_bn = nn.ModuleList(BatchNorm(g[i], G_BN_EPSILON) for i in range(1, l))
        self.heads = nn.ConvTranspose3d(g[l - 1], c + 1 if self.two_stream else c, 4, 2, 1)  # video (+ mask)
        if self.two_stream:
            self.bg_project = None if self.conditional else nn.Linear(config["zDim"], g[0] * 16, bias=False)
            self.bg_project_bn = None if self.conditional else BatchNorm(g[0], G_BN_EPSILON)
            self.bg_up = nn.ModuleList(nn.ConvTranspose2d(g[i - 1], g[i], 4, 2, 1, bias=False) for i in range(1, l))
            self.bg_up_bn = nn.ModuleList(BatchNorm(g[i], G_BN_EPSILON) for i in range(1, l))
            self.bg_out = nn.ConvTranspose2d(g[l - 1], c, 4, 2, 1)
        self.channels = c

    def encode(self, code: torch.Tensor) -> torch.Tensor:
        """z [B, Z] itself, or a still [B, C, S, S] encoded to [B, g0, 4, 4]."""
        if not self.conditional:
            return code
        x = code
        for i, conv in enumerate(self.encoder):
            x = conv(x)  # [B, width_i, S/2^(i+1), ·]
            x = F.relu(x if i == 0 else self.encoder_bn[i - 1](x))
        return x

    def decode(self, code: torch.Tensor) -> Dict[str, torch.Tensor]:
        b = code.shape[0]
        if self.conditional:  # [B, g0, 4, 4] → [B, g0, T0, 4, 4]
            first = self.project(code.permute(0, 2, 3, 1)).reshape(b, 4, 4, self.g0, self.t0).permute(0, 3, 4, 1, 2)
        else:  # [B, Z] → [B, g0, T0, 4, 4]
            first = self.project(code).reshape(b, self.g0, self.t0, 4, 4)
        x = F.relu(self.project_bn(first))
        for conv, bn in zip(self.up, self.up_bn):
            x = F.relu(bn(conv(x)))  # [B, g_i, 2t, 2h, 2w]
        heads = self.heads(x)  # [B, C (+1), T, S, S]
        if not self.two_stream:
            return {"video": torch.tanh(heads)}
        foreground = torch.tanh(heads[:, :self.channels])  # [B, C, T, S, S]
        mask = torch.sigmoid(heads[:, self.channels:])  # [B, 1, T, S, S]
        if self.conditional:
            still = code  # [B, g0, 4, 4], the encoder's output
        else:
            still = F.relu(self.bg_project_bn(self.bg_project(code).reshape(b, self.g0, 4, 4)))
        for conv, bn in zip(self.bg_up, self.bg_up_bn):
            still = F.relu(bn(conv(still)))  # [B, g_i, 2h, 2w]
        background = torch.tanh(self.bg_out(still))  # [B, C, S, S]
        video = mask * foreground + (1 - mask) * background[:, :, None]  # [B, C, T, S, S]
        return {"video": video, "foreground": foreground, "mask": mask, "background": background}

    def forward(self, code: torch.Tensor) -> Dict[str, torch.Tensor]:
        return self.decode(self.encode(code))

    def checkpoint_tensors(self) -> List[CheckpointTensor]:
        out = []
        for i, conv in enumerate(self.encoder):  # the app creates the encoder first
            out.append(CheckpointTensor(f"g.enc{i}.w", conv.weight, CONV2D_DEPTH1))
            if i == 0:
                out.append(CheckpointTensor("g.enc0.b", conv.bias))
            else:
                out += self.encoder_bn[i - 1].checkpoint_tensors(f"g.enc{i}.bn")
        if self.conditional:
            out.append(CheckpointTensor("g.fg.expand.w", self.project.weight, expand_layout(self.t0, self.g0)))
        else:
            out.append(CheckpointTensor("g.fg.project.w", self.project.weight, project_layout(self.t0, self.g0)))
        out += self.project_bn.checkpoint_tensors("g.fg.project.bn")
        for i, (conv, bn) in enumerate(zip(self.up, self.up_bn), start=1):
            out.append(CheckpointTensor(f"g.fg.up{i}.w", conv.weight, CONV3D))
            out += bn.checkpoint_tensors(f"g.fg.up{i}.bn")
        out += [CheckpointTensor("g.fg.heads.w", self.heads.weight, CONV3D),
                CheckpointTensor("g.fg.heads.b", self.heads.bias)]
        if self.two_stream:
            if not self.conditional:
                out.append(CheckpointTensor("g.bg.project.w", self.bg_project.weight, project_layout(1, self.g0)))
                out += self.bg_project_bn.checkpoint_tensors("g.bg.project.bn")
            for i, (conv, bn) in enumerate(zip(self.bg_up, self.bg_up_bn), start=1):
                out.append(CheckpointTensor(f"g.bg.up{i}.w", conv.weight, CONV2D_DEPTH1))
                out += bn.checkpoint_tensors(f"g.bg.up{i}.bn")
            out += [CheckpointTensor("g.bg.out.w", self.bg_out.weight, CONV2D_DEPTH1),
                    CheckpointTensor("g.bg.out.b", self.bg_out.bias)]
        return out


class Discriminator(nn.Module):
    def __init__(self, config: Dict, geo: Dict):
        super().__init__()
        l, d = geo["levels"], geo["d"]
        self.t0, self.width = geo["t0"], d[l - 1]
        inputs = config["channels"]
        self.convs = nn.ModuleList()
        for i in range(l):
            self.convs.append(nn.Conv3d(inputs, d[i], 4, 2, 1, bias=i == 0))
            inputs = d[i]
        self.bns = nn.ModuleList(BatchNorm(d[i], D_BN_EPSILON) for i in range(1, l))
        self.out = nn.Linear(d[l - 1] * self.t0 * 16, 1)  # the [T0, 4, 4] 'valid' conv to one logit

    def forward(self, videos: torch.Tensor) -> torch.Tensor:
        """Real/fake logits [B] of videos [B, C, T, S, S]."""
        x = videos
        for i, conv in enumerate(self.convs):
            x = conv(x)  # [B, d_i, T/2^(i+1), S/2^(i+1), ·]
            x = F.leaky_relu(x if i == 0 else self.bns[i - 1](x), LEAK)
        return self.out(x.flatten(1)).squeeze(1)  # [B]

    def checkpoint_tensors(self) -> List[CheckpointTensor]:
        out = []
        for i, conv in enumerate(self.convs):
            out.append(CheckpointTensor(f"d.conv{i}.w", conv.weight, CONV3D))
            if i == 0:
                out.append(CheckpointTensor("d.conv0.b", conv.bias))
            else:
                out += self.bns[i - 1].checkpoint_tensors(f"d.conv{i}.bn")
        out += [CheckpointTensor("d.out.w", self.out.weight, logit_layout(self.t0, self.width)),
                CheckpointTensor("d.out.b", self.out.bias)]
        return out


def sigmoid_cross_entropy(logits: torch.Tensor, label: float) -> torch.Tensor:
    """Stable mean sigmoid cross-entropy of logits [B] against a constant label."""
    return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, label))


def accuracy(logits: torch.Tensor, label: int) -> torch.Tensor:
    return ((logits > 0) if label == 1 else (logits <= 0)).float().mean()


def channels_first(videos: torch.Tensor) -> torch.Tensor:
    """[B, T, H, W, C] → [B, C, T, H, W]."""
    return videos.permute(0, 4, 1, 2, 3)


def channels_last(videos: torch.Tensor) -> torch.Tensor:
    """[B, C, T, H, W] → [B, T, H, W, C]."""
    return videos.permute(0, 2, 3, 4, 1)


class VideoGan(VideoModel):
    kind = "vgan"
    live_hyperparameters = ("dLearningRate", "gLearningRate", "dBeta1", "gBeta1", "maskL1Weight", "imageL1Weight")

    def __init__(self, config: Dict, seed: int):
        super().__init__(config, seed)
        self.geometry = geometry(config)
        self.conditional = config["variant"] == "image-to-video"
        if config["variant"] == "one-stream":
            del self.hyperparameters["maskL1Weight"]
        if not self.conditional:
            del self.hyperparameters["imageL1Weight"]
        self.g = Generator(config, self.geometry)
        self.d = Discriminator(config, self.geometry)
        self.initialise(seed)
        self.g_optimizer = TorchAdam([t.param for t in self.g.checkpoint_tensors()])
        self.d_optimizer = TorchAdam([t.param for t in self.d.checkpoint_tensors()])
        # The app's noise streams: training z, the evaluation seed, the fixed codes of the samples.
        root = SeededRandom(seed)
        self.train_noise = root.split()
        self.eval_seed = root.uint32()
        fixed = root.split()
        self.fixed_z = np.array([[fixed.normal() for _ in range(config["zDim"])]
                                 for _ in range(config["batchSize"])], dtype=np.float32)

    def initialise(self, seed: int) -> None:
        """Weights ~ N(0, initStd²), biases 0, BN scales ~ N(1, 0.02²), from a torch generator seeded
        with `seed` (a PyTorch run's own draws: not the app's tfjs ones)."""
        generator = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            for t in self.g.checkpoint_tensors() + self.d.checkpoint_tensors():
                if t.name.endswith(".scale"):
                    t.param.copy_(1 + 0.02 * torch.randn(t.param.shape, generator=generator))
                elif t.name.endswith((".b", ".shift")):
                    t.param.zero_()
                else:
                    t.param.copy_(self.config["initStd"] * torch.randn(t.param.shape, generator=generator))

    def set_parallel(self, parallel: DataParallel) -> None:
        for module in self.modules():
            if isinstance(module, BatchNorm):
                module.parallel = parallel

    def data_requirements(self) -> Dict:
        c = self.config
        return {"frames": c["frames"], "size": c["frameSize"], "channels": c["channels"], "range": "symmetric",
                "batchSize": c["batchSize"]}

    # --- inputs ---

    def draw_noise(self, rows: int) -> np.ndarray:
        """z [rows, Z] from the training-noise stream (the app's draw order, row by row)."""
        return self.train_noise.normals(rows * self.config["zDim"]).astype(np.float32).reshape(rows, -1)

    def generate(self, code: torch.Tensor) -> Dict[str, torch.Tensor]:
        """G's outputs for z [B, Z] or stills [B, S, S, C], in the app's layout: video and foreground
        [B, T, S, S, C], mask [B, T, S, S, 1], background [B, S, S, C]."""
        out = self.g(code.permute(0, 3, 1, 2) if self.conditional else code)
        result = {name: channels_last(value) for name, value in out.items() if name != "background"}
        if "background" in out:
            result["background"] = out["background"].permute(0, 2, 3, 1)
        return result

    def discriminate(self, videos: torch.Tensor) -> torch.Tensor:
        """D's logits [B] of videos [B, T, S, S, C]."""
        return self.d(channels_first(videos))

    # --- training ---

    def train_step(self, videos: torch.Tensor, parallel: DataParallel,
                   noise: Optional[np.ndarray] = None) -> Dict[str, torch.Tensor]:
        """D step then G step on this process's rows `videos` [b, T, S, S, C]; z is drawn for the
        whole batch (or given as `noise`) and this process takes its rows of it."""
        self.set_parallel(parallel)
        f = parallel.fraction
        real = channels_first(videos)
        if self.conditional:
            code = real[:, :, 0]  # the first frames [b, C, S, S]
        else:
            z = self.draw_noise(self.config["batchSize"]) if noise is None else noise
            code = torch.from_numpy(z[parallel.rows(z.shape[0])]).to(videos.device)
        h = self.hyperparameters
        # D: ½[CE(D(x), real) + CE(D(G(z)), fake)], G untouched.
        with torch.no_grad():
            fake = self.g(code)["video"]
        real_logits, fake_logits = self.d(real), self.d(fake)
        d_loss = 0.5 * (sigmoid_cross_entropy(real_logits, 1.0) + sigmoid_cross_entropy(fake_logits, 0.0)) * f
        d_params = [t.param for t in self.d.checkpoint_tensors()]
        d_grads = list(torch.autograd.grad(d_loss, d_params))
        parallel.sum_(d_grads)
        self.d_optimizer.step(d_grads, h["dLearningRate"], h["dBeta1"])
        terms = {"d_loss": d_loss.detach(), "d_real_accuracy": accuracy(real_logits, 1) * f,
                 "d_fake_accuracy": accuracy(fake_logits, 0) * f}
        # G: the non-saturating CE(D(G(z)), real) + the weighted L1 terms, through the updated D.
        out = self.g(code)
        g_loss = sigmoid_cross_entropy(self.d(out["video"]), 1.0) * f
        objective = g_loss
        terms["g_loss"] = g_loss.detach()
        if "mask" in out:
            mask_l1 = out["mask"].mean() * f
            objective = objective + mask_l1 * h["maskL1Weight"]
            terms["mask_l1"] = mask_l1.detach()
        if self.conditional:
            image_l1 = (out["video"][:, :, 0] - code).abs().mean() * f
            objective = objective + image_l1 * h["imageL1Weight"]
            terms["image_l1"] = image_l1.detach()
        g_params = [t.param for t in self.g.checkpoint_tensors()]
        g_grads = list(torch.autograd.grad(objective, g_params))
        parallel.sum_(g_grads)
        self.g_optimizer.step(g_grads, h["gLearningRate"], h["gBeta1"])
        return terms

    # --- checkpoints ---

    def checkpoint_tensors(self) -> List[CheckpointTensor]:
        return self.g.checkpoint_tensors() + self.d.checkpoint_tensors()

    def optimizers(self):
        return [(self.g_optimizer, self.g.checkpoint_tensors()), (self.d_optimizer, self.d.checkpoint_tensors())]

    def extra_state_tensors(self) -> Dict[str, np.ndarray]:
        return {"state.fixed_z": self.fixed_z}

    def state_meta(self) -> Dict:
        return {"optimizers": {"generator": self.g_optimizer.counters(),
                               "discriminator": self.d_optimizer.counters()},
                "trainNoise": self.train_noise.get_state(), "evalSeed": self.eval_seed,
                "hyperparameters": self.get_hyperparameters()}

    def check_meta(self, meta: Dict) -> None:
        optimizers = meta.get("optimizers")
        if not isinstance(optimizers, dict):
            raise StateError('Model state field "optimizers" must be an object')
        counters_from(optimizers.get("generator"), "generator")
        counters_from(optimizers.get("discriminator"), "discriminator")
        if not is_random_state(meta.get("trainNoise")):
            raise StateError('Model state field "trainNoise" must be four integers in [0, 2^32)')
        seed = meta.get("evalSeed")
        if not isinstance(seed, int) or not 0 <= seed < 2**32:
            raise StateError('Model state field "evalSeed" must be an integer in [0, 2^32)')

    def load_meta(self, meta: Dict, tensors) -> None:
        self.g_optimizer.set_counters(counters_from(meta["optimizers"]["generator"], "generator"))
        self.d_optimizer.set_counters(counters_from(meta["optimizers"]["discriminator"], "discriminator"))
        self.train_noise.set_state(meta["trainNoise"])
        self.eval_seed = meta["evalSeed"]
        self.fixed_z = np.array(tensors["state.fixed_z"], dtype=np.float32)
