"""Which device a model runs on, and why an item is skipped when that device is missing."""

from __future__ import annotations

import re
from functools import lru_cache

DEVICE_CHOICES = ("auto", "cpu", "cuda", "cuda:N")
_DEVICE_RE = re.compile(r"^(auto|cpu|cuda(:\d+)?)$")


def valid_device_option(value: str) -> bool:
    """True for ``auto``, ``cpu``, ``cuda`` and ``cuda:N``."""
    return bool(_DEVICE_RE.match(value))


@lru_cache(maxsize=1)
def cuda_device_count() -> int:
    """Number of CUDA devices torch can use here (0 when torch has no CUDA)."""
    try:
        import torch
    except ImportError:
        return 0
    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def wanted_device(option: str, model_needs_cuda: bool) -> str:
    """The device an item would use: the option, or under ``auto`` what the model needs."""
    if option == "auto":
        return "cuda" if model_needs_cuda else "cpu"
    return option


def unavailable_reason(device: str, option: str) -> str | None:
    """Why ``device`` cannot be used on this machine, or None when it can."""
    if device == "cpu":
        return None
    count = cuda_device_count()
    if count == 0:
        how = "the model needs CUDA" if option == "auto" else f"--scbench-device {option} was given"
        return f"{how} but no CUDA device is available on this machine (use --scbench-device cpu to run it on the CPU)"
    index = int(device.split(":")[1]) if ":" in device else 0
    if index >= count:
        return f"--scbench-device {device} was given but this machine has {count} CUDA device(s)"
    return None


def fixture_device(option: str) -> str:
    """The device for hand-written tests: the option, or under ``auto`` CUDA when present."""
    if option == "auto":
        return "cuda" if cuda_device_count() > 0 else "cpu"
    return option
