"""Data sets: specs, built-in registry entries, loading and validation."""

from .base import ROLES, Dataset, DatasetKeys, DatasetSpec

__all__ = ["ROLES", "Dataset", "DatasetKeys", "DatasetSpec"]
