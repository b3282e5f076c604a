"""What a data set is to the rest of the package: a spec and its loaded AnnData."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from anndata import AnnData

from ..errors import DatasetError
from .quiet import dependency_warnings_quiet

if TYPE_CHECKING:
    from .validate import ValidationReport

#: The roles a task can ask a data set for, and the spec field holding each one's obs column.
ROLES: dict[str, str] = {
    "label": "label_key",
    "batch": "batch_key",
    "species": "species_key",
    "condition": "condition_key",
}


@dataclass(frozen=True)
class DatasetKeys:
    """The ``obs`` columns that play each role, in scanpy's vocabulary."""

    label_key: str | None = None
    batch_key: str | None = None
    species_key: str | None = None
    condition_key: str | None = None
    control_value: str | None = None

    def key_for(self, role: str) -> str | None:
        """The obs column for ``role`` (one of :data:`ROLES`), or None if unset."""
        return getattr(self, ROLES[role])

    def replace(self, **changes: str | None) -> DatasetKeys:
        """A copy with some keys overridden (``None`` values are ignored)."""
        current = {f.name: getattr(self, f.name) for f in fields(self)}
        current.update({k: v for k, v in changes.items() if v is not None})
        return DatasetKeys(**current)


@dataclass(frozen=True)
class RemoteSource:
    """Where a registered data set is downloaded from, and what a user must know about it.

    ``sha256`` is None where no published checksum is known; the first download then
    records one in the cache's lock file and later loads verify it (see ``download.py``).
    ``counts`` says where the raw integer counts are in the downloaded file: ``"X"``,
    ``"raw.X"`` or ``"layers/<name>"``; loading moves them into ``X``.
    """

    url: str
    filename: str
    sha256: str | None = None
    size_bytes: int | None = None
    counts: str = "X"
    license: str = ""
    citation: str = ""
    homepage: str = ""
    #: A var column holding the ids of the spec's ``gene_id_type``, used as var_names
    #: when the file's index holds something else (e.g. ``"ensembl_id"``).
    gene_column: str | None = None
    #: Keep only cells whose obs column equals a value: ``(column, value)``; e.g. one
    #: tissue of an atlas shipped as a single file.
    subset: tuple[str, str] | None = None


#: Loads a data set's AnnData (raw integer counts in ``X``), given the cache directory.
Loader = Callable[[Path], AnnData]


@dataclass(frozen=True)
class DatasetSpec:
    """How to obtain one data set and what its columns mean.

    ``fingerprint`` identifies the content (a version string and parameters for generated
    sets, a checksum or path/size/mtime for files); cached model outputs are keyed by it.
    ``markers`` are pytest markers every item on this data set gets (``network``, ``slow``).
    """

    name: str
    keys: DatasetKeys
    loader: Loader = field(repr=False, compare=False)
    fingerprint: str
    markers: tuple[str, ...] = ()
    description: str = ""
    #: Species of the cells, as a lower-case common name ("human", "mouse", ...).
    organism: str = "human"
    #: What ``var_names`` hold: ``"symbol"`` (gene symbols) or ``"ensembl"`` (Ensembl ids).
    gene_id_type: str = "symbol"
    #: For a grouped data set (:func:`group_dataset`), the data sets it concatenates, so a
    #: model's output can be computed per member; empty for an ordinary data set.
    members: tuple[DatasetSpec, ...] = field(default=(), repr=False)
    #: Where a registered remote data set comes from (URL, checksum, license, citation);
    #: None for generated and local data sets.
    source: RemoteSource | None = field(default=None, repr=False)

    def load(self, data_dir: Path) -> Dataset:
        """Load the AnnData and wrap it; errors name the data set.

        The dependencies' API-change warnings are ignored while loading (:mod:`.quiet`), so
        that ``filterwarnings = error`` cannot turn them into a failed load.
        """
        try:
            with dependency_warnings_quiet():
                adata = self.loader(data_dir)
        except DatasetError:
            raise
        except Exception as exc:
            raise DatasetError(f"dataset {self.name!r}: loading failed: {type(exc).__name__}: {exc}") from exc
        return Dataset(self, adata)


@dataclass
class Dataset:
    """A loaded data set: its spec and an AnnData with raw counts in ``X``.

    Loading checks what every reader needs (cells, obs keys); ``X`` and the gene ids are
    checked by :meth:`require_expression` for the models and tasks that read them, so an
    embedding-only file (``obsm`` and ``obs``) serves a suite of precomputed models.
    """

    spec: DatasetSpec
    adata: AnnData
    _expression: dict[bool, ValidationReport] = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def fingerprint(self) -> str:
        return self.spec.fingerprint

    @property
    def n_obs(self) -> int:
        return int(self.adata.n_obs)

    def column(self, role: str) -> np.ndarray:
        """The values of the obs column playing ``role`` ("label", "batch", ...).

        Raises :class:`DatasetError` naming the data set, the key and the columns there
        are, when the suite or registry did not set the key or the column is missing.
        """
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}; roles are {sorted(ROLES)}")
        key = self.spec.keys.key_for(role)
        if key is None:
            raise DatasetError(
                f"dataset {self.name!r} has no {ROLES[role]} set; name the obs column "
                f"holding the {role} in the suite file ({ROLES[role]}: <column>)"
            )
        if key not in self.adata.obs.columns:
            raise DatasetError(
                f"dataset {self.name!r}: {ROLES[role]} {key!r} is not an obs column; "
                f"columns are {sorted(map(str, self.adata.obs.columns))}"
            )
        return self.adata.obs[key].to_numpy()

    def require_expression(self, reader: str, genes: bool = True) -> ValidationReport:
        """Check ``X`` (counts) and ``var_names`` (gene ids) once, for ``reader``.

        ``reader`` names who reads them (``"model 'pca'"``, ``"task 'reconstruction'"``);
        a :class:`DatasetError` starts with it, so an embedding-only file given to a model
        that reads expression says which model needs the genes. ``genes=False``: the
        counts only (tasks that compare matrices need no gene ids; models do).
        """
        if genes not in self._expression:
            from .validate import validate_expression

            where = self.spec.description or None
            self._expression[genes] = validate_expression(self.adata, self.spec, where, reader, genes=genes)
        return self._expression[genes]

    def controls(self) -> Dataset:
        """The control cells only (``condition_key == control_value``), as a data set."""
        condition = self.column("condition")
        control = self.spec.keys.control_value
        if control is None:
            raise DatasetError(
                f"dataset {self.name!r} has no control_value set; name the value of "
                f"{self.spec.keys.condition_key!r} that marks control cells"
            )
        mask = condition.astype(str) == str(control)
        if not mask.any():
            raise DatasetError(f"dataset {self.name!r}: no cell has {self.spec.keys.condition_key} == {control!r}")
        return Dataset(self.spec, self.adata[mask].copy())
