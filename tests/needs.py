"""Skips for tests that need an optional dependency, each with the reason a reader needs.

torch (with h5torch, which imports it) is the ``[torch]`` extra: an environment built with
``pip install -e ".[test]"`` alone has none, and CI's newest-Python job is such an
environment (PyPI's torch for it is a CUDA build of several GB; see README "Install" and
``.ci/run``). A test that needs torch skips there, saying so, instead of failing or being
left out unseen.
"""

from __future__ import annotations

import importlib.util

import pytest

#: Why a torch test did not run.
TORCH_MISSING = 'torch is not installed (the [torch] extra: pip install -e ".[torch,test]")'

HAS_TORCH = importlib.util.find_spec("torch") is not None and importlib.util.find_spec("h5torch") is not None

#: Marks a test (or, as ``pytestmark``, a module) that runs torch, h5torch or a torch adapter.
needs_torch = pytest.mark.skipif(not HAS_TORCH, reason=TORCH_MISSING)


def import_torch_or_skip() -> None:
    """At the top of a test module that imports torch or h5torch: skip the whole module without them."""
    pytest.importorskip("torch", reason=TORCH_MISSING)
    pytest.importorskip("h5torch", reason=TORCH_MISSING)
