"""Small torch helpers shared by the torch adapters: device choice and checked weight loading.

torch is imported inside the functions, so importing the registry never imports torch.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ModelError
from .base import RunContext

if TYPE_CHECKING:
    import torch


def require_torch(model: str, extra: str = "torch") -> None:
    """A :class:`ModelError` naming the extra to install where torch is not installed.

    torch is an extra (``pytest-scbench[torch]``): scoring precomputed outputs, the controls
    and the baselines needs none, and PyPI's Linux torch is a CUDA build of several GB.
    """
    import importlib.util

    if importlib.util.find_spec("torch") is None:
        raise ModelError(
            f"model {model!r} needs torch, which is not installed here: pip install 'pytest-scbench[{extra}]' "
            "(README, Install: how to get torch's CPU or CUDA build)"
        )


def torch_device(ctx: RunContext, model: str) -> torch.device:
    """The torch device for ``ctx.device``; a clear error where CUDA is asked for and absent."""
    import torch

    if ctx.device.startswith("cuda") and not torch.cuda.is_available():
        raise ModelError(f"model {model!r}: device {ctx.device!r} requested but CUDA is not available")
    return torch.device(ctx.device)


def load_state(net: Any, state: dict[str, Any], path: Path, model: str) -> None:
    """``net.load_state_dict(state)``, with a :class:`ModelError` that names the file and
    every missing, unexpected or wrongly shaped key instead of torch's RuntimeError."""
    own = net.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    shapes = [
        f"{k}: file {tuple(state[k].shape)} vs model {tuple(own[k].shape)}"
        for k in sorted(set(own) & set(state))
        if tuple(state[k].shape) != tuple(own[k].shape)
    ]
    if missing or unexpected or shapes:
        parts = []
        if missing:
            parts.append(f"missing keys {missing[:8]}{' ...' if len(missing) > 8 else ''}")
        if unexpected:
            parts.append(f"unexpected keys {unexpected[:8]}{' ...' if len(unexpected) > 8 else ''}")
        if shapes:
            parts.append(f"shape mismatches {shapes[:8]}")
        raise ModelError(f"model {model!r}: checkpoint {path} does not match its config: " + "; ".join(parts))
    net.load_state_dict(state)


def autocast_fp16(device: torch.device) -> Any:
    """float16 autocast on CUDA, as the scLM authors run inference; nothing on the CPU."""
    import torch

    if device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.float16)
    return contextlib.nullcontext()


@contextlib.contextmanager
def one_cpu_thread(device: torch.device) -> Iterator[None]:
    """On the CPU, run torch on one intra-op thread for the block; elsewhere change nothing.

    torch splits a CPU reduction over its threads and sums the parts in another order on
    another core count; training amplifies those roundings: the offline suite's ``sclm``
    scored a mouse-to-human transfer accuracy of 0.127 with one thread and 0.317 with two
    (``benchmarks/thread_noise.py``). One thread gives the network, and so the gate's
    numbers, of a one-core CI runner on a laptop too. The previous count is restored.
    """
    import torch

    if device.type != "cpu":
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)
