"""Times one training step of every model preset in PyTorch, the counterpart of the app's
`npm run bench` step timings (BENCHMARKS.md):

    python -m video_model_playground.bench                       # every preset on CUDA (or the CPU)
    python -m video_model_playground.bench --presets tiny,small --steps 5 --out bench.json

Each preset's default variant with its config, optimiser(s) and loss exactly as training runs them,
in float32 with TF32 off. The batch (and the GAN's noise) is drawn once from the preset's Moving
MNIST stream and not timed; the rCNN's dictionary is K distinct patches of that batch rather than a
k-means fit (a step costs the same either way). After `--warmup` steps, steps are timed one by one
(CUDA events on a GPU) until `--steps` are timed or the preset's `--budget` seconds are spent (at
least 3); the median is reported, with the quartiles and the peak GPU memory. Presets run smallest
first (every model's tiny, then small, …), so a time limit cuts the largest. Prints one JSON row
per preset (also appended to `--out` as it comes: the rows scripts/gpu-bench reads), then a table.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from typing import Dict, List, Optional

import numpy as np
import torch

from .config import catalog, resolve_config
from .data import batch_tensor, build_stream
from .models import create_model
from .models.rcnn import PatchDictionary, extract_patches, frame_stds
from .parallel import SINGLE


def arguments(argv: Optional[List[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m video_model_playground.bench",
                                     description="Time one training step of every model preset in PyTorch.")
    parser.add_argument("--models", default=",".join(catalog()),
                        help="comma-separated model kinds (default: every model of the catalog)")
    parser.add_argument("--presets", help="comma-separated preset ids (default: all on CUDA; all but the "
                                          "paper presets on the CPU)")
    parser.add_argument("--device", help="cuda, cuda:1, cpu (default: CUDA when available)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps first (default 3)")
    parser.add_argument("--steps", type=int, default=10, help="timed steps at most (default 10)")
    parser.add_argument("--budget", type=float, default=8.0, help="seconds of timed steps per preset at most")
    parser.add_argument("--mnist", metavar="DIR", help="folder of the MNIST IDX files")
    parser.add_argument("--out", metavar="FILE", help="also write the rows there, one JSON object a line")
    return parser.parse_args(argv)


def rcnn_dictionary(model, batch: torch.Tensor) -> None:
    """K distinct std-normalised patches of the batch as the dictionary (generation seed 0)."""
    c = model.config
    b, t = batch.shape[:2]
    frames = batch.reshape(b * t, c["frameSize"], c["frameSize"])
    std = frame_stds(frames, t, c["stdScope"])
    patches = extract_patches(frames / std[:, None, None], c["patchSize"], c["patchStride"]).reshape(-1, c["patchSize"] ** 2)
    chosen = torch.randperm(patches.shape[0], generator=torch.Generator().manual_seed(0))[:c["dictionarySize"]]
    model.dictionaries = [PatchDictionary(patches[chosen.to(patches.device)].clone(),
                                          np.zeros(c["dictionarySize"], dtype=np.float32), [])]


def time_preset(kind: str, preset: str, device: torch.device, args: argparse.Namespace) -> Dict:
    entry = catalog()[kind]
    variant = entry["defaultVariant"]
    config = resolve_config(kind, variant, preset)
    model = create_model(kind, config, 0).to(device)
    needs = model.data_requirements()
    stream = build_stream({"source": "moving-mnist", "seed": 42}, needs, args.mnist)
    batch = batch_tensor(stream, needs, slice(None), device)
    extra = {}
    if kind == "rcnn":
        rcnn_dictionary(model, batch)
    if kind == "vgan" and not model.conditional:
        extra["noise"] = model.draw_noise(config["batchSize"])

    def step() -> None:
        model.train_step(batch, SINGLE, **extra)

    cuda = device.type == "cuda"
    warmup = [timed_ms(step, device) for _ in range(args.warmup)]
    if cuda:
        torch.cuda.reset_peak_memory_stats(device)
    times: List[float] = []
    spent = 0.0
    while len(times) < args.steps and (spent < args.budget or len(times) < 3):
        times.append(timed_ms(step, device))
        spent += times[-1] / 1000
    quartiles = np.percentile(times, [25, 75])
    result = {
        "model": kind, "variant": variant, "preset": preset, "backend": "pytorch", "device": str(device),
        "gpu": torch.cuda.get_device_name(device) if cuda else None, "torch": torch.__version__, "tf32": False,
        "batchSize": config["batchSize"], "parameters": sum(p.numel() for p in model.parameters()),
        "warmupMs": warmup, "steps": len(times), "msPerStepMedian": statistics.median(times),
        "msPerStepP25": float(quartiles[0]), "msPerStepP75": float(quartiles[1]),
        "msPerStepMin": min(times), "msPerStepMax": max(times),
        "peakGpuBytes": torch.cuda.max_memory_allocated(device) if cuda else None,
    }
    return result


def timed_ms(step, device: torch.device) -> float:
    """Milliseconds of one call of `step` (CUDA events around it on a GPU)."""
    if device.type != "cuda":
        began = time.perf_counter()
        step()
        return (time.perf_counter() - began) * 1000
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    step()
    end.record()
    end.synchronize()
    return start.elapsed_time(end)


def table(results: List[Dict]) -> str:
    rows = [("model", "variant", "preset", "batch", "parameters", "ms/step (median)", "p25–p75", "steps", "peak MB")]
    for r in results:
        memory = f"{r['peakGpuBytes'] / 2**20:.0f}" if r["peakGpuBytes"] is not None else "–"
        rows.append((r["model"], r["variant"], r["preset"], str(r["batchSize"]), f"{r['parameters']:,}",
                     f"{r['msPerStepMedian']:.2f}", f"{r['msPerStepP25']:.2f}–{r['msPerStepP75']:.2f}",
                     str(r["steps"]), memory))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.rjust(width) if i >= 3 else cell.ljust(width) for i, (cell, width) in
                       enumerate(zip(row, widths))) for row in rows]
    return "\n".join([lines[0], "-" * len(lines[0]), *lines[1:]])


def plan(args: argparse.Namespace, device: torch.device) -> List[tuple]:
    """(model, preset) pairs, smallest presets first: every model's first preset, then its second, …"""
    pairs = []
    for kind in args.models.split(","):
        presets = catalog()[kind]["presets"]
        chosen = args.presets.split(",") if args.presets else [
            p for p in presets if device.type == "cuda" or not p.startswith("paper")]
        pairs += [(presets.index(p), kind, p) for p in presets if p in chosen]
    return [(kind, preset) for _, kind, preset in sorted(pairs, key=lambda item: item[0])]


def main(argv: Optional[List[str]] = None) -> int:
    args = arguments(argv)
    device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = False  # float32, as the app computes
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cudnn.benchmark = True
    started = time.perf_counter()
    results = []
    out = open(args.out, "w", encoding="utf-8") if args.out else None
    try:
        for kind, preset in plan(args, device):
            result = time_preset(kind, preset, device, args)
            if device.type == "cuda":
                torch.cuda.empty_cache()  # the preset's model and batch are gone
            results.append(result)
            print(json.dumps(result), flush=True)
            if out:
                out.write(json.dumps(result) + "\n")
                out.flush()
    finally:
        if out:
            out.close()
    print()
    print(table(results))
    where = results[0]["gpu"] if results and results[0]["gpu"] else device
    print(f"\n{len(results)} presets in {time.perf_counter() - started:.0f} s on {where}, torch {torch.__version__}, "
          "float32 (TF32 off)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
