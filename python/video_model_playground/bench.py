"""Times one training step of every model preset in PyTorch, the counterpart of the app's
`npm run bench` step timings (BENCHMARKS.md):

    python -m video_model_playground.bench                       # every preset on CUDA (or the CPU)
    python -m video_model_playground.bench --presets tiny,small --steps 5 --out bench.json

Each preset's default variant with its config, optimiser(s) and loss exactly as training runs them,
in float32 with TF32 off. The batch (and the GAN's noise) is drawn once from the preset's Moving
MNIST stream and not timed; the rCNN's dictionary is K distinct patches of that batch rather than a
k-means fit (a step costs the same either way). After `--warmup` steps, steps are timed one by one
(CUDA events on a GPU) until `--steps` are timed or the preset's `--budget` seconds are spent (at
least 3); the median is reported, with the spread and the peak GPU memory. Prints one JSON line
per preset, then a table.
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
    parser.add_argument("--models", default="lstm,vgan,rcnn", help="comma-separated model kinds")
    parser.add_argument("--presets", help="comma-separated preset ids (default: all on CUDA; all but the "
                                          "paper presets on the CPU)")
    parser.add_argument("--device", help="cuda, cuda:1, cpu (default: CUDA when available)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps first (default 3)")
    parser.add_argument("--steps", type=int, default=10, help="timed steps at most (default 10)")
    parser.add_argument("--budget", type=float, default=8.0, help="seconds of timed steps per preset at most")
    parser.add_argument("--mnist", metavar="DIR", help="folder of the MNIST IDX files")
    parser.add_argument("--out", metavar="FILE", help="also write the results as a JSON array")
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

    for _ in range(args.warmup):
        step()
    cuda = device.type == "cuda"
    if cuda:
        torch.cuda.synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
    times: List[float] = []
    spent = 0.0
    while len(times) < args.steps and (spent < args.budget or len(times) < 3):
        if cuda:
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            step()
            end.record()
            end.synchronize()
            ms = start.elapsed_time(end)
        else:
            began = time.perf_counter()
            step()
            ms = (time.perf_counter() - began) * 1000
        times.append(ms)
        spent += ms / 1000
    result = {
        "model": kind, "variant": variant, "preset": preset, "device": str(device),
        "gpu": torch.cuda.get_device_name(device) if cuda else None, "torch": torch.__version__,
        "batch": config["batchSize"], "parameters": sum(p.numel() for p in model.parameters()),
        "steps": len(times), "ms_median": statistics.median(times), "ms_min": min(times), "ms_max": max(times),
        "peak_memory_mb": torch.cuda.max_memory_allocated(device) / 2**20 if cuda else None,
        "tf32": False,
    }
    del model, batch
    if cuda:
        torch.cuda.empty_cache()
    return result


def table(results: List[Dict]) -> str:
    rows = [("model", "variant", "preset", "batch", "parameters", "ms/step (median)", "min–max", "steps", "peak MB")]
    for r in results:
        memory = f"{r['peak_memory_mb']:.0f}" if r["peak_memory_mb"] is not None else "–"
        rows.append((r["model"], r["variant"], r["preset"], str(r["batch"]), f"{r['parameters']:,}",
                     f"{r['ms_median']:.2f}", f"{r['ms_min']:.2f}–{r['ms_max']:.2f}", str(r["steps"]), memory))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.rjust(width) if i >= 3 else cell.ljust(width) for i, (cell, width) in
                       enumerate(zip(row, widths))) for row in rows]
    return "\n".join([lines[0], "-" * len(lines[0]), *lines[1:]])


def main(argv: Optional[List[str]] = None) -> int:
    args = arguments(argv)
    device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = False  # float32, as the app computes
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cudnn.benchmark = True
    started = time.perf_counter()
    results = []
    for kind in args.models.split(","):
        presets = args.presets.split(",") if args.presets else [
            p for p in catalog()[kind]["presets"] if device.type == "cuda" or not p.startswith("paper")]
        for preset in presets:
            if preset not in catalog()[kind]["presets"]:
                continue
            result = time_preset(kind, preset, device, args)
            results.append(result)
            print(json.dumps(result), flush=True)
    print()
    print(table(results))
    print(f"\n{len(results)} presets in {time.perf_counter() - started:.0f} s on "
          f"{results[0]['gpu'] or 'the CPU' if results else device}, torch {torch.__version__}, float32 (TF32 off)")
    if args.out:
        with open(args.out, "w", encoding="utf-8") as file:
            json.dump(results, file, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
