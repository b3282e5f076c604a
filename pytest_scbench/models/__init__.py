"""Models: the adapter protocol and the built-in adapters."""

from .base import OUTPUT_KINDS, ModelAdapter, RunContext

__all__ = ["OUTPUT_KINDS", "ModelAdapter", "RunContext"]
