"""Models: the adapter protocol and the built-in adapters.

Importing this package registers the built-in adapters in ``registry.models``.
"""

from . import geneformer, hvg, mean, pca, precomputed, random, scgpt, sclm  # noqa: F401  (register the built-ins)
from .base import OUTPUT_KINDS, ModelAdapter, RunContext
from .resolve import build_adapter, resolve_adapter

__all__ = ["OUTPUT_KINDS", "ModelAdapter", "RunContext", "build_adapter", "resolve_adapter"]
