"""Continue a run from the app (or start one) in PyTorch, on the CPU, one GPU or many:

    python -m video_model_playground.train --resume run.safetensors --steps 10000 --out run-more.safetensors
    torchrun --nproc_per_node 8 -m video_model_playground.train --resume run.safetensors --steps 10000 --out …
    python -m video_model_playground.train --model lstm --preset tiny --steps 500 --out lstm.safetensors

A resumed run takes the steps the app would have taken: the same model, optimiser state and live
hyperparameters, the same data stream from where it stopped (Moving MNIST regenerated from the
MNIST digits, or an imported .npy dataset), the same noise. The checkpoint it writes is the app's
format, with the training curves continued, and opens in the app (Open checkpoint file…).

Under torchrun each step's batch is split over the processes (config.batchSize must divide evenly);
see parallel.py. Only rank 0 logs and writes checkpoints.
"""
from __future__ import annotations

import argparse
import json
import math
import signal
import sys
import time
from typing import Dict, List, Optional, Tuple

import torch

from . import checkpoint as checkpoints
from .checkpoint import CheckpointError, HistoryPoint, RunCheckpoint, TrainingHistory
from .config import ConfigError, model_entry, resolve_config
from .data import DatasetSource, Prefetched, batch_tensor, build_stream
from .models import MODELS, StateError, VideoModel, create_model
from .moving_mnist import DEFAULT_DATA_SEED, DataSpecError
from .parallel import DataParallel, init_from_environment, local_device


def parse_value(text: str):
    """A command-line value: JSON where it parses (numbers, true/false), else the string."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def key_values(pairs: List[str], flag: str) -> Dict:
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise SystemExit(f"{flag} takes key=value (got {pair!r})")
        out[key] = parse_value(value)
    return out


def arguments(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m video_model_playground.train",
        description="Continue a Video Model Playground run in PyTorch (--resume), or start one (--model).")
    start = parser.add_mutually_exclusive_group(required=True)
    start.add_argument("--resume", metavar="FILE", help="a checkpoint from the app or the CLIs")
    start.add_argument("--model", choices=sorted(MODELS), help="start a new run of this model")
    parser.add_argument("--variant", help="model variant (new runs; default: the catalog's)")
    parser.add_argument("--preset", help="preset (new runs; default: tiny)")
    parser.add_argument("--config", nargs="*", default=[], metavar="KEY=VALUE", help="config overrides (new runs)")
    parser.add_argument("--data", nargs="*", default=[], metavar="KEY=VALUE",
                        help="Moving MNIST options, e.g. digitSize=14 (new runs)")
    parser.add_argument("--data-seed", type=int, default=DEFAULT_DATA_SEED, help="data seed (new runs; default 42)")
    parser.add_argument("--seed", type=int, default=0, help="model seed (new runs; default 0)")
    parser.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE",
                        help="change live hyperparameters, e.g. learningRate=1e-4 (default: the checkpoint's)")
    parser.add_argument("--steps", type=int, required=True, help="training steps to take")
    parser.add_argument("--out", required=True, metavar="FILE", help="checkpoint to write")
    parser.add_argument("--save-every", type=int, default=0, metavar="N", help="also write the checkpoint every N steps")
    parser.add_argument("--log-every", type=int, default=0, metavar="N", help="print losses every N steps (default: 20 lines)")
    parser.add_argument("--device", help="cpu, cuda, cuda:1, … (default: CUDA when available)")
    parser.add_argument("--mnist", metavar="DIR", help="folder of the MNIST IDX files (see mnist.py)")
    parser.add_argument("--npy", metavar="FILE", help="the .npy dataset of a run on an imported dataset")
    parser.add_argument("--npy-layout", choices=["TNHW", "NTHW"], default="TNHW")
    parser.add_argument("--npy-offset", type=int, default=0, help="first sequence imported")
    parser.add_argument("--npy-count", type=int, help="sequences imported (default: all from the offset)")
    parser.add_argument("--crop", choices=["center", "fit"], default="center",
                        help="how the dataset was fitted to the model's frames (its import option)")
    args = parser.parse_args(argv)
    if args.steps < 1:
        parser.error("--steps must be at least 1")
    new_run_options = [args.variant, args.preset, args.config, args.data, args.data_seed != DEFAULT_DATA_SEED,
                       args.seed != 0]
    if args.resume and any(new_run_options):
        parser.error("--resume takes the model, config, data and seeds from the checkpoint; drop --variant, "
                     "--preset, --config, --data and the seeds (--set changes live hyperparameters)")
    return args


def new_run(args: argparse.Namespace) -> RunCheckpoint:
    """An empty checkpoint describing a new run (step 0, no state yet)."""
    config = resolve_config(args.model, args.variant, args.preset, key_values(args.config, "--config"))
    entry = model_entry(args.model)
    spec = {"source": "moving-mnist", **key_values(args.data, "--data"), "seed": args.data_seed}
    return RunCheckpoint(model=args.model, variant=args.variant or entry["defaultVariant"],
                         preset=args.preset or entry["defaultPreset"], config=config, data_spec=spec,
                         seed=args.seed, step=0, tensors={}, model_state={}, data_arrays={}, data_state={})


def format_number(value: float) -> str:
    return f"{value:.3e}" if abs(value) >= 1000 or (abs(value) < 0.01 and value != 0) else f"{value:.4f}"


class Run:
    """A model, its data stream and its bookkeeping, resumed from a checkpoint or new."""

    def __init__(self, run: RunCheckpoint, args: argparse.Namespace, parallel: DataParallel,
                 device: torch.device, log):
        self.run = run
        self.parallel = parallel
        self.device = device
        resumed = bool(run.tensors)
        self.config = checkpoints.run_config(run) if resumed else run.config
        self.model: VideoModel = create_model(run.model, self.config, run.seed).to(device)
        self.needs = self.model.data_requirements()
        dataset = DatasetSource(args.npy, args.npy_layout, args.npy_offset, args.npy_count, args.crop) \
            if args.npy else None
        self.stream = build_stream(run.data_spec, self.needs, args.mnist, dataset, run.dataset)
        self.rows = parallel.rows(self.needs["batchSize"])
        if resumed:
            self.model.import_state(run.tensors, run.model_state)
            self.stream.set_state(run.data_arrays, run.data_state)
        else:
            self.start(log)
        if args.set:
            self.model.set_hyperparameters(key_values(args.set, "--set"))
        if device.type == "cuda":  # draw the next batches while the GPU trains
            self.stream = Prefetched(self.stream)
        self.step = run.step
        self.history = TrainingHistory(run.history)

    def next_batch(self) -> torch.Tensor:
        return batch_tensor(self.stream, self.needs, self.rows, self.device)

    def start(self, log) -> None:
        """What the app does before a new run's first step: the model's preparation on the first
        batches (the stream then rewinds), then one warm-up batch, drawn and not trained on."""
        if hasattr(self.model, "prepare"):
            arrays, meta = self.stream.get_state()
            whole = slice(None)
            self.model.prepare(lambda: batch_tensor(self.stream, self.needs, whole, self.device), log)
            self.stream.set_state(arrays, meta)
            self.parallel.broadcast_([d.centroids for d in self.model.dictionaries])  # one dictionary for all
        self.stream.next_bytes()

    def train_step(self, stop: bool) -> Tuple[Dict[str, float], bool]:
        """One step; returns the losses of the whole batch and whether any process asked to stop
        (every process then stops after this step)."""
        shares = self.model.train_step(self.next_batch(), self.parallel)
        names = list(shares)
        values = torch.stack([shares[name].float() for name in names] + [shares[names[0]].new_tensor(float(stop))])
        self.parallel.sum_([values])
        *totals, stops = values.tolist()
        self.step += 1
        return self.model.report(dict(zip(names, totals))), stops > 0

    def checkpoint(self) -> RunCheckpoint:
        tensors, meta = self.model.export_state()
        arrays, data_state = self.stream.get_state()
        return RunCheckpoint(
            model=self.run.model, variant=self.run.variant, preset=self.run.preset, config=self.config,
            data_spec=self.run.data_spec, seed=self.run.seed, step=self.step, tensors=tensors,
            model_state=meta, data_arrays=arrays, data_state=data_state, history=list(self.history.points),
            dataset=self.run.dataset)


def train_until(run: "Run", target: int, args: argparse.Namespace, save, say, interrupted: List[bool]) -> Optional[bool]:
    """Trains to step `target`; returns whether it stopped early on request (Ctrl-C), or None when a
    loss became NaN or infinite (nothing is saved then)."""
    log_every = args.log_every or max(1, round(args.steps / 20))
    started = time.perf_counter() - run.history.last_wall_ms() / 1000  # the time axis goes on
    window, window_steps = time.perf_counter(), 0
    stopping = False
    while run.step < target and not stopping:
        losses, stopping = run.train_step(bool(interrupted))
        window_steps += 1
        run.history.add(HistoryPoint(run.step, (time.perf_counter() - started) * 1000, losses))
        bad = [name for name, value in losses.items() if not math.isfinite(value)]
        if bad:
            say(f"step {run.step}: {bad[0]} became {losses[bad[0]]}; stopping without writing a checkpoint "
                "(lower the learning rate)")
            return None
        if run.step % log_every == 0 or run.step == target:
            ms = (time.perf_counter() - window) * 1000 / window_steps
            text = "  ".join(f"{name} {format_number(value)}"
                             for name, value in sorted(losses.items(), key=lambda item: item[0] != "loss"))
            say(f"step {run.step:>{len(str(target))}}/{target}  {text}  | {ms:.1f} ms/step")
            window, window_steps = time.perf_counter(), 0
        if args.save_every and run.step % args.save_every == 0 and run.step != target:
            save()
    return stopping


def train(args: argparse.Namespace, log=print) -> int:
    device_type = torch.device(args.device).type if args.device else ("cuda" if torch.cuda.is_available() else "cpu")
    parallel = init_from_environment(device_type)
    device = local_device(args.device)
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = False  # float32 as in the app
        torch.backends.cudnn.allow_tf32 = False
    say = log if parallel.rank == 0 else (lambda *_: None)
    source = checkpoints.read(args.resume) if args.resume else new_run(args)
    run = Run(source, args, parallel, device, say)
    say(f"model: {source.model} · {source.variant} · {source.preset}, seed {source.seed}, "
        f"data seed {source.data_spec.get('seed')}; device {device}"
        + (f" × {parallel.world} processes" if parallel.active else ""))
    if args.resume:
        say(f"resumed from {args.resume} at step {run.step}")
    parameters = sum(p.numel() for p in run.model.parameters())
    say(f"{parameters:,} parameters; training {args.steps} steps")

    def save() -> None:
        if parallel.rank == 0:
            size = checkpoints.write(args.out, run.checkpoint())
            say(f"wrote {args.out} ({size / 2**20:.2f} MB, step {run.step})")

    interrupted = []
    previous_handler = signal.signal(signal.SIGINT, lambda *_: interrupted.append(True))
    target = run.step + args.steps
    try:
        stopping = train_until(run, target, args, save, say, interrupted)
    finally:
        signal.signal(signal.SIGINT, previous_handler)
        if isinstance(run.stream, Prefetched):
            run.stream.close()
    if stopping is None:
        return 1
    if stopping:
        say("Interrupted: writing the checkpoint after this step")
    save()
    return 130 if stopping else 0


def main(argv: Optional[List[str]] = None) -> int:
    args = arguments(argv)
    try:
        return train(args)
    except (ConfigError, DataSpecError) as error:
        print(f"Invalid run: {error}", file=sys.stderr)
    except (CheckpointError, StateError) as error:
        print(f"Cannot resume from {args.resume}: {error}", file=sys.stderr)
    except FileNotFoundError as error:
        print(str(error), file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
