"""Data parallelism over processes started by `torchrun` (torch.distributed), with the semantics of a
single process: each step's batch (config.batchSize, the run's hyperparameter) is split evenly
across the processes; every loss a model reports and differentiates is its share of the whole
batch's value (a batch mean times this process's fraction of the batch), so that summing over
processes gives exactly what one process computes on the whole batch. Gradients are summed with
one all-reduce per step, and batch norm pools its statistics over the whole batch.

The models' optimisers and the GAN's two-step update are the app's own (see optim.py), so the
gradients are reduced explicitly rather than through the DistributedDataParallel wrapper.
"""
from __future__ import annotations

import atexit
import os
from typing import List, Optional, Sequence

import torch
import torch.distributed as dist


class DataParallel:
    """This process's place in the group (rank 0 of 1 when not started by torchrun)."""

    def __init__(self, rank: int = 0, world: int = 1):
        self.rank = rank
        self.world = world

    @property
    def active(self) -> bool:
        return self.world > 1

    def rows(self, batch: int) -> slice:
        """This process's rows of a batch of `batch` examples."""
        if batch % self.world:
            raise ValueError(f"the batch size {batch} does not split evenly over {self.world} processes; "
                             "choose a process count that divides it")
        share = batch // self.world
        return slice(self.rank * share, (self.rank + 1) * share)

    @property
    def fraction(self) -> float:
        """This process's fraction of every batch."""
        return 1.0 / self.world

    def sum_(self, tensors: Sequence[torch.Tensor]) -> None:
        """Sums tensors over the processes, in place (one flattened all-reduce)."""
        if not self.active or not tensors:
            return
        flat = torch.cat([t.reshape(-1) for t in tensors])
        dist.all_reduce(flat)
        offset = 0
        for t in tensors:
            t.copy_(flat[offset:offset + t.numel()].view_as(t))
            offset += t.numel()

    def broadcast_(self, tensors: Sequence[torch.Tensor]) -> None:
        """Rank 0's values of `tensors` on every process, in place."""
        if self.active:
            for t in tensors:
                dist.broadcast(t, 0)

    def sum_differentiable(self, x: torch.Tensor) -> torch.Tensor:
        """The sum of `x` over the processes, differentiable (batch-norm statistics)."""
        return _AllReduceSum.apply(x) if self.active else x


class _AllReduceSum(torch.autograd.Function):
    """y = sum over processes of x; every process's loss uses y, so dL/dx sums dL/dy over processes."""

    @staticmethod
    def forward(ctx, x):  # noqa: D401
        y = x.clone()
        dist.all_reduce(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        g = grad.clone()
        dist.all_reduce(g)
        return g


SINGLE = DataParallel()


def init_from_environment(device_type: str) -> DataParallel:
    """The group torchrun describes in the environment (RANK, WORLD_SIZE), or a single process.
    NCCL on CUDA, gloo on the CPU."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return SINGLE
    if not dist.is_initialized():
        if device_type == "cuda":  # NCCL works on the current device: this process's GPU
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")) % torch.cuda.device_count())
        dist.init_process_group("nccl" if device_type == "cuda" else "gloo")
        # Closed before the interpreter exits: a group left open can abort the process at exit
        # ("terminate called without an active exception" from its threads).
        atexit.register(dist.destroy_process_group)
    return DataParallel(dist.get_rank(), dist.get_world_size())


def grads_of(loss: torch.Tensor, params: List[torch.nn.Parameter]) -> List[torch.Tensor]:
    """d loss / d params (zeros for a parameter the loss does not reach)."""
    grads = torch.autograd.grad(loss, params, allow_unused=True)
    return [torch.zeros_like(p) if g is None else g for p, g in zip(params, grads)]


def local_device(requested: Optional[str]) -> torch.device:
    """`requested`, or CUDA (this process's GPU under torchrun) when available, else the CPU."""
    if requested:
        return torch.device(requested)
    if torch.cuda.is_available():
        return torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")) % torch.cuda.device_count())
    return torch.device("cpu")
