"""What a report records about where it ran: versions, device, git commit."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from ..device import cuda_device_count

PACKAGES = (
    "pytest-scbench",
    "pytest",
    "pytest-xdist",
    "numpy",
    "scipy",
    "anndata",
    "scanpy",
    "scikit-learn",
    "scib-metrics",
    "torch",
    "h5torch",
    "igraph",
    "leidenalg",
)


def package_versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


def device_info() -> dict[str, Any]:
    info: dict[str, Any] = {"cuda_devices": cuda_device_count(), "cpu_count": os.cpu_count()}
    if info["cuda_devices"]:
        import torch

        info["cuda_names"] = [torch.cuda.get_device_name(i) for i in range(info["cuda_devices"])]
    return info


def git_info(root: Path) -> dict[str, Any] | None:
    """Commit and dirty flag of the repository at ``root``; None outside git."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return {"commit": commit, "dirty": bool(status.strip())}


def environment(root: Path) -> dict[str, Any]:
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "packages": package_versions(),
        "device": device_info(),
        "git": git_info(root),
    }
