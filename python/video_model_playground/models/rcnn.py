"""The video language model of

    M. Ranzato, A. Szlam, J. Bruna, M. Mathieu, R. Collobert, S. Chopra, "Video (language) modeling:
    a baseline for generative models of natural videos", arXiv:1412.6604, 2014,

as the app's `src/core/models/rcnn/{network,patches,dictionary,kmeans,model}.ts` computes it.

Gray frames are divided by their standard deviation (floored at 0.01), cut into P×P patches and
quantized to the nearest of K k-means centroids: a frame becomes a G×G array of codes. At time t
every location's code is embedded (a lookup table, as words in a language model); `convLayers`
k×k 'same' convolutions over the grid of embeddings give the input drive a_t (the neighbourhood the
rCNN sees; the rNN is k = 1), the recurrent state is h_t = f(a_t + U·h_{t−1}) with U a 1×1
convolution, and a 1×1 convolution of h_t gives logits over the K codes of each location at t + 1.
The loss is the cross-entropy in nats per predicted code; Adam after a global-norm gradient clip.

Shapes: B sequences, T frames, G grid side, L = B·G·G locations, E embedding, C channels, K codes,
D = P² values per patch.
"""
from __future__ import annotations

import math
from typing import Dict, List, Optional, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..optim import ClippedAdam
from ..random import SeededRandom
from .base import CONV2D, TRANSPOSED, CheckpointTensor, StateError, VideoModel

STD_FLOOR = 0.01  # below this std a frame is treated as flat
RESEED_AFTER = 10  # k-means: updates without any point after which a centroid is re-seeded
DISTANCE_CHUNK_FLOATS = 2**24  # distances held at once when assigning many patches


def activate(kind: str, x: torch.Tensor) -> torch.Tensor:
    return {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu}[kind](x)


def sweep_sizes(config: Dict) -> List[int]:
    """The dictionary sizes of the PSNR curve, largest first: K, K/4, K/16, … (each ≥ 2, distinct)."""
    sizes = [config["dictionarySize"]]
    for i in range(1, config["sweepSizes"] + 1):
        size = max(2, int(math.floor(config["dictionarySize"] / 4**i + 0.5)))
        if size < sizes[-1]:
            sizes.append(size)
    return sizes


# --- patches -------------------------------------------------------------------------------------------

def frame_stds(frames: torch.Tensor, clip_frames: int, scope: str) -> torch.Tensor:
    """The std each frame [M, H, W] is divided by, [M]: its own ('frame') or its clip's ('video')."""
    rows = frames.reshape(frames.shape[0] if scope == "frame" else frames.shape[0] // clip_frames, -1)
    mean = rows.mean(1, keepdim=True)
    std = (rows - mean).square().mean(1).sqrt().clamp(min=STD_FLOOR)
    return std if scope == "frame" else std.repeat_interleave(clip_frames)


def extract_patches(frames: torch.Tensor, patch: int, stride: int) -> torch.Tensor:
    """Frames [M, H, W] → patches [M, G, G, D], D in (dy, dx) order."""
    windows = frames.unfold(1, patch, stride).unfold(2, patch, stride)  # [M, G, G, P, P]
    return windows.reshape(*windows.shape[:3], patch * patch)


def assemble_patches(patches: torch.Tensor, size: int, patch: int, stride: int) -> torch.Tensor:
    """Patches [M, G, G, D] → frames [M, H, W], overlapping pixels averaged."""
    m, g = patches.shape[:2]
    columns = patches.reshape(m, g * g, patch * patch).transpose(1, 2)  # [M, D, G·G]
    summed = F.fold(columns, (size, size), patch, stride=stride)
    coverage = F.fold(torch.ones_like(columns[:1]), (size, size), patch, stride=stride)
    return (summed / coverage)[:, 0]


class PatchDictionary:
    """K centroids [K, D] of std-normalised patches, with their fitting counts and k-means curve."""

    def __init__(self, centroids: torch.Tensor, counts: np.ndarray, history: List[float]):
        self.centroids = centroids
        self.norms = centroids.square().sum(1)  # [K]
        self.counts = counts
        self.history = history

    @property
    def size(self) -> int:
        return self.centroids.shape[0]

    def nearest(self, x: torch.Tensor) -> torch.Tensor:
        """Nearest centroid of each row x [n, D] (‖c‖² − 2x·c smallest) → [n] int64, in chunks."""
        rows = max(1, DISTANCE_CHUNK_FLOATS // self.size)
        parts = [torch.argmin(self.norms[None] - 2 * (chunk @ self.centroids.t()), dim=1)
                 for chunk in x.split(rows)]
        return torch.cat(parts)

    def encode(self, frames: torch.Tensor, clip_frames: int, config: Dict) -> Tuple[torch.Tensor, torch.Tensor]:
        """Frames [M, H, W] → codes [M, G, G] and the stds they were divided by [M]."""
        std = frame_stds(frames, clip_frames, config["stdScope"])
        patches = extract_patches(frames / std[:, None, None], config["patchSize"], config["patchStride"])
        m, g, _, d = patches.shape
        return self.nearest(patches.reshape(-1, d)).reshape(m, g, g), std

    def quantize(self, frames: torch.Tensor, clip_frames: int, config: Dict) -> torch.Tensor:
        """Frames [M, H, W] → their reconstruction through the dictionary, in [0, 1]."""
        codes, std = self.encode(frames, clip_frames, config)
        m, g = codes.shape[:2]
        patches = self.centroids[codes.reshape(-1)].reshape(m, g, g, -1)
        normalised = assemble_patches(patches, config["frameSize"], config["patchSize"], config["patchStride"])
        return (normalised * std[:, None, None]).clamp(0, 1)


def psnr(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Per image of [N, H, W]: 10·log10(1 / mean squared error), the error floored at 1e-10."""
    mse = (a - b).square().mean((1, 2)).clamp(min=1e-10)
    return torch.log(1 / mse) * (10 / math.log(10))


# --- k-means (the app's kmeans.ts) --------------------------------------------------------------------

def fit_kmeans(points: torch.Tensor, k: int, init: str, iterations: int, batch_size: int,
               seed: int) -> Tuple[torch.Tensor, np.ndarray, List[float], float]:
    """Seeded mini-batch k-means (Sculley 2010) of points [M, D]: k-means++ or random-sample init,
    each centroid the running mean of the points assigned to it, an empty centroid re-seeded every
    RESEED_AFTER updates at the batch point worst fitted. Returns centroids [K, D], the counts of
    points per centroid, the mean squared distance per update and over the whole set at the end."""
    m = points.shape[0]
    rng = SeededRandom(seed)
    norms = points.square().sum(1)
    if init == "kmeans++":
        chosen = [rng.int(m)]
        nearest = (norms - 2 * (points @ points[chosen[0]]) + norms[chosen[0]]).clamp(min=0)
        for _ in range(1, k):
            u = rng.next()
            cdf = torch.cumsum(nearest, 0)
            pick = min(int(torch.searchsorted(cdf, cdf[-1:] * u, right=True)), m - 1)
            chosen.append(pick)
            distance = (norms - 2 * (points @ points[pick]) + norms[pick]).clamp(min=0)
            nearest = torch.minimum(nearest, distance)
    else:
        pool = list(range(m))
        for i in range(k):  # partial Fisher-Yates
            j = i + rng.int(m - i)
            pool[i], pool[j] = pool[j], pool[i]
        chosen = pool[:k]
    centroids = points[torch.tensor(chosen, device=points.device)].clone()
    totals = torch.zeros(k, device=points.device)
    recent = torch.zeros(k, device=points.device)
    history = []
    batch_size = min(batch_size, m)
    for it in range(iterations):
        rows = torch.tensor([rng.int(m) for _ in range(batch_size)], device=points.device)
        batch = points[rows]
        partial = centroids.square().sum(1)[None] - 2 * (batch @ centroids.t())  # [b, K]
        index = partial.argmin(1)
        distance = (partial.gather(1, index[:, None])[:, 0] + norms[rows]).clamp(min=0)
        sums = torch.zeros_like(centroids).index_add_(0, index, batch)
        counts = torch.zeros(k, device=points.device).index_add_(0, index, torch.ones_like(distance))
        totals = totals + counts
        centroids = centroids + (sums - centroids * counts[:, None]) / totals.clamp(min=1)[:, None]
        recent = recent + counts
        if (it + 1) % RESEED_AFTER == 0 and it + 1 < iterations:
            empty = (recent == 0).nonzero()[:, 0].tolist()
            if empty:
                distances = distance.tolist()
                worst = sorted(range(batch_size), key=lambda i: (-distances[i], i))
                for c, i in zip(empty, worst):
                    centroids[c] = batch[i]
                    totals[c] = 0
            recent = torch.zeros_like(recent)
        history.append(float(distance.mean()))
    final_norms = centroids.square().sum(1)
    counts = torch.zeros(k, device=points.device)
    distance_sum = 0.0
    for chunk, chunk_norms in zip(points.split(max(1, DISTANCE_CHUNK_FLOATS // k)),
                                  norms.split(max(1, DISTANCE_CHUNK_FLOATS // k))):
        partial = final_norms[None] - 2 * (chunk @ centroids.t())
        index = partial.argmin(1)
        counts.index_add_(0, index, torch.ones(index.shape[0], device=points.device))
        distance_sum += float((partial.gather(1, index[:, None])[:, 0] + chunk_norms).clamp(min=0).sum())
    return centroids, counts.cpu().numpy().astype(np.float32), history, distance_sum / m


# --- the network ----------------------------------------------------------------------------------------

class RecurrentConvNet(nn.Module):
    def __init__(self, config: Dict):
        super().__init__()
        k, e, c, s = config["dictionarySize"], config["embeddingDim"], config["hiddenChannels"], config["kernelSize"]
        self.activation = config["activation"]
        self.embedding = nn.Embedding(k, e)  # [K, E]
        self.convs = nn.ModuleList(nn.Conv2d(e if i == 0 else c, c, s, padding=(s - 1) // 2)
                                   for i in range(config["convLayers"]))
        self.recurrent = nn.Linear(c, c, bias=False)  # the 1×1 recurrent convolution U
        self.output = nn.Linear(c, k)  # the 1×1 convolution to the K logits

    def input_drive(self, codes: torch.Tensor) -> torch.Tensor:
        """Frames of codes [F, G, G] → the input drive [F·G·G, C] (the last convolution linear)."""
        x = self.embedding(codes).permute(0, 3, 1, 2)  # [F, E, G, G]
        for i, conv in enumerate(self.convs):
            x = conv(x)  # [F, C, G, G]
            if i < len(self.convs) - 1:
                x = activate(self.activation, x)
        return x.permute(0, 2, 3, 1).reshape(-1, x.shape[1])  # rows f·G·G + y·G + x

    def step(self, drive: torch.Tensor, state: Optional[torch.Tensor]) -> torch.Tensor:
        """h_t = f(a_t + U·h_{t−1}): [L, C]."""
        return activate(self.activation, drive if state is None else drive + self.recurrent(state))

    def unroll(self, codes: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Teacher-forced over time-major codes [T, B, G, G]: the states after frames 1 … T−1
        [(T−1)·L, C] and the codes they predict [(T−1)·L]."""
        t, b, g = codes.shape[:3]
        drives = self.input_drive(codes[:-1].reshape((t - 1) * b, g, g)).reshape(t - 1, b * g * g, -1)
        states, h = [], None
        for drive in drives:
            h = self.step(drive, h)
            states.append(h)
        return torch.cat(states), codes[1:].reshape(-1)

    def logits(self, states: torch.Tensor) -> torch.Tensor:
        return self.output(states)  # [L, K]


class VideoLanguageModel(VideoModel):
    kind = "rcnn"
    live_hyperparameters = ("learningRate", "gradientClipNorm", "temperature")

    def __init__(self, config: Dict, seed: int):
        super().__init__(config, seed)
        self.net = RecurrentConvNet(config)
        self.initialise(seed)
        self.optimizer = ClippedAdam([t.param for t in self.checkpoint_tensors()])
        root = SeededRandom(seed)
        self.eval_seed = root.uint32()
        self.sample_seed = root.uint32()
        self.dictionaries: List[PatchDictionary] = []
        self.sweep: List[Dict] = []

    def initialise(self, seed: int) -> None:
        """Embedding ~ U(±0.05), other weights Glorot-uniform, biases 0, from a torch generator seeded
        with `seed` (a PyTorch run's own draws: not the app's tfjs ones)."""
        generator = torch.Generator().manual_seed(seed)
        c, k, s = self.config["hiddenChannels"], self.config["dictionarySize"], self.config["kernelSize"]
        uniform = lambda shape, bound: torch.rand(shape, generator=generator) * 2 * bound - bound  # noqa: E731
        glorot = lambda fan_in, fan_out: math.sqrt(6 / (fan_in + fan_out))  # noqa: E731
        with torch.no_grad():
            self.net.embedding.weight.copy_(uniform(self.net.embedding.weight.shape, 0.05))
            for conv in self.net.convs:
                conv.weight.copy_(uniform(conv.weight.shape, glorot(s * s * conv.in_channels, s * s * c)))
                conv.bias.zero_()
            self.net.recurrent.weight.copy_(uniform((c, c), glorot(c, c)))
            self.net.output.weight.copy_(uniform((k, c), glorot(c, k)))
            self.net.output.bias.zero_()

    def data_requirements(self) -> Dict:
        c = self.config
        return {"frames": c["frames"], "size": c["frameSize"], "channels": 1, "range": "unit", "batchSize": c["batchSize"]}

    # --- the dictionary ---

    @property
    def dictionary(self) -> PatchDictionary:
        if not self.dictionaries:
            raise RuntimeError("The rCNN has no patch dictionary yet: call prepare() first")
        return self.dictionaries[0]

    def prepare(self, next_batch, log=print) -> None:
        """Fits the dictionaries from the first batches of the training stream (`next_batch()` gives
        videos [B, T, H, W, 1] float in [0, 1] on the model's device) and scores each size's
        quantization PSNR on one further batch, as the app's `buildDictionaries`."""
        c = self.config
        parts, drawn = [], 0
        while drawn < c["kmeansPatches"]:
            videos = next_batch()
            b, t = videos.shape[:2]
            frames = videos.reshape(b * t, c["frameSize"], c["frameSize"])
            std = frame_stds(frames, t, c["stdScope"])
            rows = extract_patches(frames / std[:, None, None], c["patchSize"], c["patchStride"])
            parts.append(rows.reshape(-1, c["patchSize"] ** 2))
            drawn += parts[-1].shape[0]
        points = torch.cat(parts)[:c["kmeansPatches"]]
        validation = next_batch()
        b, t = validation.shape[:2]
        held_out = validation.reshape(b * t, c["frameSize"], c["frameSize"])
        dictionaries, sweep = [], []
        for i, size in enumerate(sweep_sizes(c)):
            log(f"Patch dictionary: k-means, K = {size} on {points.shape[0]} patches")
            centroids, counts, history, mean_distance = fit_kmeans(
                points, size, c["kmeansInit"], c["kmeansIterations"], c["kmeansBatchSize"], self.seed + i)
            dictionary = PatchDictionary(centroids, counts, history)
            dictionaries.append(dictionary)
            quality = float(psnr(dictionary.quantize(held_out, t, c), held_out).mean())
            sweep.append({"size": size, "psnr": quality, "meanDistance": mean_distance})
        self.dictionaries, self.sweep = dictionaries, sweep

    def encode(self, videos: torch.Tensor) -> torch.Tensor:
        """Videos [B, T, H, W, 1] → time-major codes [T, B, G, G]."""
        b, t = videos.shape[:2]
        size = self.config["frameSize"]
        codes, _ = self.dictionary.encode(videos.reshape(b * t, size, size), t, self.config)
        return codes.reshape(b, t, *codes.shape[1:]).transpose(0, 1)

    # --- training ---

    def loss(self, codes: torch.Tensor) -> torch.Tensor:
        """Mean cross-entropy in nats per predicted code of time-major codes [T, B, G, G]."""
        states, targets = self.net.unroll(codes)
        return F.cross_entropy(self.net.logits(states), targets)

    def train_step(self, videos: torch.Tensor, parallel) -> Dict[str, torch.Tensor]:
        with torch.no_grad():
            codes = self.encode(videos)
        loss = self.loss(codes) * parallel.fraction
        params = [t.param for t in self.checkpoint_tensors()]
        grads = list(torch.autograd.grad(loss, params))
        parallel.sum_(grads)
        self.optimizer.step(grads, self.hyperparameters["learningRate"], self.hyperparameters["gradientClipNorm"])
        return {"loss": loss.detach()}

    def report(self, losses: Dict[str, float]) -> Dict[str, float]:
        return {**losses, "perplexity": math.exp(losses["loss"])}

    # --- checkpoints ---

    def checkpoint_tensors(self) -> List[CheckpointTensor]:
        out = [CheckpointTensor("embedding", self.net.embedding.weight)]
        for i, conv in enumerate(self.net.convs):
            out += [CheckpointTensor(f"conv{i}.w", conv.weight, CONV2D), CheckpointTensor(f"conv{i}.b", conv.bias)]
        return out + [CheckpointTensor("recurrent.w", self.net.recurrent.weight, TRANSPOSED),
                      CheckpointTensor("output.w", self.net.output.weight),
                      CheckpointTensor("output.b", self.net.output.bias)]

    def optimizers(self):
        return [(self.optimizer, self.checkpoint_tensors())]

    def convert_state(self, fn) -> None:
        self.dictionaries = [PatchDictionary(fn(d.centroids), d.counts, d.history) for d in self.dictionaries]

    def extra_state_tensors(self) -> Dict[str, np.ndarray]:
        dims = self.config["patchSize"] ** 2
        if not self.dictionaries:  # shapes only (what a checkpoint must hold)
            return {name: np.zeros(shape, dtype=np.float32) for size_index, size in enumerate(sweep_sizes(self.config))
                    for name, shape in ((f"state.dictionary.{size_index}.centroids", (size, dims)),
                                        (f"state.dictionary.{size_index}.counts", (size,)))}
        out = {}
        for i, d in enumerate(self.dictionaries):
            out[f"state.dictionary.{i}.centroids"] = d.centroids.detach().cpu().numpy().astype(np.float32)
            out[f"state.dictionary.{i}.counts"] = np.asarray(d.counts, dtype=np.float32)
        return out

    def state_meta(self) -> Dict:
        return {"optimizer": {"steps": self.optimizer.steps}, "evalSeed": self.eval_seed,
                "sampleSeed": self.sample_seed,
                "dictionaries": [{"history": list(d.history)} for d in self.dictionaries],
                "sweep": [dict(point) for point in self.sweep], "hyperparameters": self.get_hyperparameters()}

    def check_meta(self, meta: Dict) -> None:
        optimizer = meta.get("optimizer")
        steps = optimizer.get("steps") if isinstance(optimizer, dict) else None
        if not isinstance(steps, int) or steps < 0:
            raise StateError('Model state field "optimizer.steps" must be a non-negative integer')
        for key in ("evalSeed", "sampleSeed"):
            if not isinstance(meta.get(key), int) or not 0 <= meta[key] < 2**32:
                raise StateError(f'Model state field "{key}" must be an integer in [0, 2^32)')
        count = len(sweep_sizes(self.config))
        dictionaries, sweep = meta.get("dictionaries"), meta.get("sweep")
        if not isinstance(dictionaries, list) or len(dictionaries) != count or not all(
                isinstance(d, dict) and isinstance(d.get("history"), list) for d in dictionaries):
            raise StateError(f'Model state field "dictionaries" must list {count} k-means curves')
        if not isinstance(sweep, list) or len(sweep) != count or not all(
                isinstance(p, dict) and all(isinstance(p.get(key), (int, float)) for key in ("size", "psnr", "meanDistance"))
                for p in sweep):
            raise StateError(f'Model state field "sweep" must hold {count} points of {{size, psnr, meanDistance}}')

    def load_meta(self, meta: Dict, tensors) -> None:
        device = self.net.output.weight.device
        self.optimizer.steps = meta["optimizer"]["steps"]
        self.eval_seed, self.sample_seed = meta["evalSeed"], meta["sampleSeed"]
        self.dictionaries = [
            PatchDictionary(torch.from_numpy(np.array(tensors[f"state.dictionary.{i}.centroids"])).to(device),
                            np.array(tensors[f"state.dictionary.{i}.counts"], dtype=np.float32),
                            list(d["history"]))
            for i, d in enumerate(meta["dictionaries"])]
        self.sweep = [{"size": p["size"], "psnr": p["psnr"], "meanDistance": p["meanDistance"]} for p in meta["sweep"]]
