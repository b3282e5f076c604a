"""Data sets: specs, built-in registry entries, loading, validation and h5torch files.

Importing this package registers the built-in data sets:

- offline: ``pbmc68k`` (real cells shipped with scanpy), and the generated sets built from
  it, ``pbmc68k_batches``, ``pbmc68k_species``, ``pbmc68k_perturb`` (each takes
  ``n_cells`` and ``seed``), and ``pbmc68k_cross_species`` (a grouped human + mouse set);
- downloaded on first use (marked ``network`` and ``slow``): Tabula Sapiens v2 per tissue
  (``tsv2_<tissue>``), the spermatogenesis atlas per species
  (``spermatogenesis_<species>``), and the Perturb-seq screens ``adamson2016``,
  ``norman2019``, ``replogle2022_k562_essential`` (see :mod:`.catalog`).

A suite names them as references, ``name?key=value&...`` (:func:`parse_dataset_ref`);
``registry.datasets.get(name)(**params)`` returns the :class:`DatasetSpec`, and
``spec.load(default_data_dir())`` the validated :class:`Dataset`. A user's own file is
``file_dataset(name, path, keys)``; several data sets become one with
``group_dataset(name, members)``.

Third-party packages add data sets through the entry-point group
``pytest_scbench.datasets``: each entry point names a factory ``(**params) -> DatasetSpec``
(for a downloadable file, return :func:`remote_dataset`; for a local file,
:func:`file_dataset`); its name is the registered name.
"""

from . import batches, catalog, pbmc68k, perturb, species  # noqa: F401  (registers built-in data sets)
from .base import ROLES, Dataset, DatasetKeys, DatasetSpec, RemoteSource
from .cache import DATA_DIR_ENV, default_data_dir
from .files import file_dataset, read_data_file
from .group import group_dataset
from .h5t import convert_h5ad_to_h5t, h5t_for, read_h5t, write_h5t
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


def __getattr__(name: str) -> object:
    # the streaming readers need torch: imported on first use, not with the package
    if name in ("H5tBatches", "stream_h5t"):
        from . import h5t_stream

        return getattr(h5t_stream, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
