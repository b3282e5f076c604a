"""Data sets: specs, built-in registry entries, loading and validation.

Importing this package registers the built-in data sets (``pbmc68k`` and the generated
sets built from it, and the catalog of remote data sets). The names the rest of the
package calls are re-exported here.
"""

from . import batches, catalog, pbmc68k, perturb, species  # noqa: F401  (registers built-in data sets)
from .base import ROLES, Dataset, DatasetKeys, DatasetSpec, RemoteSource
from .cache import DATA_DIR_ENV, default_data_dir
from .files import file_dataset, read_data_file
from .group import group_dataset
from .h5t import H5tBatches, convert_h5ad_to_h5t, h5t_for, read_h5t, stream_h5t, write_h5t
from .refs import format_dataset_ref, parse_dataset_ref
from .remote import remote_dataset
from .validate import DatasetWarning, ValidationReport, validate

__all__ = [
    "DATA_DIR_ENV",
    "ROLES",
    "Dataset",
    "DatasetKeys",
    "DatasetSpec",
    "DatasetWarning",
    "H5tBatches",
    "RemoteSource",
    "ValidationReport",
    "convert_h5ad_to_h5t",
    "default_data_dir",
    "file_dataset",
    "format_dataset_ref",
    "group_dataset",
    "h5t_for",
    "parse_dataset_ref",
    "read_data_file",
    "read_h5t",
    "remote_dataset",
    "stream_h5t",
    "validate",
    "write_h5t",
]
