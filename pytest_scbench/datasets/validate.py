"""Checks every loaded data set passes before a model or task sees it.

Fatal problems raise :class:`~pytest_scbench.errors.DatasetError` naming the data set,
the file and the problem: a missing obs column a key names, a control value that no cell
has, negative counts, a non-numeric or non-2-D matrix, duplicate cell names, gene names
that are not gene identifiers (``0``, ``1``, ... after a careless export) or that are of
the other id type than the spec says. Suspicious but usable data gives a
:class:`DatasetWarning`: non-integer counts (normalised data where counts belong), empty
cells, duplicate gene names, a few unrecognised gene names. The returned
:class:`ValidationReport` holds what was found, so callers and tests can inspect it.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp
from anndata import AnnData

from ..errors import DatasetError

if TYPE_CHECKING:
    from .base import DatasetSpec

#: Ensembl gene ids, any species (ENSG, ENSMUSG, ENSMMUG, ...), optionally versioned.
ENSEMBL_RE = re.compile(r"^ENS[A-Z]*G\d{11}(\.\d+)?$")
#: Gene symbols: letters and digits with the punctuation HGNC/MGI symbols use, at least
#: one letter (so bare integers, the mark of a lost var index, are not symbols).
SYMBOL_RE = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9][A-Za-z0-9._\-/@:()']*$")

GENE_ID_TYPES = ("symbol", "ensembl")


class DatasetWarning(UserWarning):
    """A data set is usable but suspicious (non-integer counts, empty cells, ...)."""


@dataclass
class ValidationReport:
    """What validation found; fatal problems never get here (they raise)."""

    n_obs: int
    n_vars: int
    gene_id_type: str
    non_integer: bool = False
    n_empty_cells: int = 0
    duplicate_genes: list[str] = field(default_factory=list)
    unrecognised_genes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def classify_gene_ids(names: np.ndarray | list[str]) -> dict[str, float]:
    """Fractions of ``names`` that look like Ensembl ids, symbols, or neither."""
    values = [str(n) for n in names]
    if not values:
        return {"ensembl": 0.0, "symbol": 0.0, "unrecognised": 0.0}
    ens = sum(bool(ENSEMBL_RE.match(v)) for v in values)
    sym = sum(bool(SYMBOL_RE.match(v)) and not ENSEMBL_RE.match(v) for v in values)
    n = len(values)
    return {"ensembl": ens / n, "symbol": sym / n, "unrecognised": (n - ens - sym) / n}


def detect_gene_id_type(names: np.ndarray | list[str]) -> str:
    """``"ensembl"`` when most names are Ensembl ids, else ``"symbol"``."""
    fractions = classify_gene_ids(names)
    return "ensembl" if fractions["ensembl"] > 0.5 else "symbol"


def validate(adata: AnnData, spec: DatasetSpec, path: Path | str | None = None) -> ValidationReport:
    """Check ``adata`` against ``spec``; raise on fatal problems, warn on suspicious ones.

    Both halves: :func:`validate_cells` (obs) and :func:`validate_expression` (X and
    var names). ``path`` is the file the data came from, named in every message.
    """
    validate_cells(adata, spec, path)
    return validate_expression(adata, spec, path)


def _where(spec: DatasetSpec, path: Path | str | None) -> str:
    return f"dataset {spec.name!r}" + (f" ({path})" if path is not None else "")


def validate_cells(adata: AnnData, spec: DatasetSpec, path: Path | str | None = None) -> None:
    """What every data set must pass, whatever reads it: cells, unique cell names, obs keys.

    This is all an embedding-only file (``obsm`` and ``obs``, no genes) has to pass: the
    expression checks run only for a model or task that reads ``X``
    (:meth:`~.base.Dataset.require_expression`).
    """
    where = _where(spec, path)

    def fail(problem: str) -> DatasetError:
        return DatasetError(f"{where}: {problem}")

    if adata.n_obs == 0:
        raise fail(f"has no cells (shape {adata.n_obs} x {adata.n_vars})")
    _check_keys(adata, spec, fail)
    if not adata.obs_names.is_unique:
        dup = adata.obs_names[adata.obs_names.duplicated()].unique()[:5].tolist()
        raise fail(f"obs_names (cell names) are not unique, e.g. {dup}")


def validate_expression(
    adata: AnnData,
    spec: DatasetSpec,
    path: Path | str | None = None,
    reader: str | None = None,
    genes: bool = True,
) -> ValidationReport:
    """Check the expression half: counts in ``X`` and gene identifiers in ``var_names``.

    ``reader`` names who needs them (``"model 'pca'"``, ``"task 'reconstruction'"``);
    every fatal message names it, so a suite that adds an expression model to an
    embedding-only file learns which entry needs the genes. ``genes=False`` checks the
    counts only (a task that compares matrices gene by gene needs no gene ids).
    """
    where = _where(spec, path)
    needed = "" if reader is None else f"; {reader} reads X and var_names"

    def fail(problem: str) -> DatasetError:
        return DatasetError(f"{where}: {problem}{needed}")

    report = ValidationReport(int(adata.n_obs), int(adata.n_vars), spec.gene_id_type)
    if adata.n_obs == 0 or adata.n_vars == 0 or adata.X is None:
        raise fail(
            f"has no cells or no genes (shape {adata.n_obs} x {adata.n_vars}"
            f"{', no X' if adata.X is None else ''}): an embedding-only file serves models "
            "that read obsm (precomputed) only"
        )
    _check_counts(adata, report, fail)
    if genes:
        _check_genes(adata, spec, report, fail)
    for message in report.warnings:
        warnings.warn(f"{_where(spec, path)}: {message}", DatasetWarning, stacklevel=2)
    return report


def _check_keys(adata: AnnData, spec: DatasetSpec, fail) -> None:
    from .base import ROLES

    columns = sorted(map(str, adata.obs.columns))
    for role, attr in ROLES.items():
        key = getattr(spec.keys, attr)
        if key is not None and key not in adata.obs.columns:
            raise fail(f"{attr} {key!r} ({role}) is not an obs column; columns are {columns}")
    control = spec.keys.control_value
    cond = spec.keys.condition_key
    if control is not None and cond is not None:
        values = adata.obs[cond].astype(str)
        if not (values == str(control)).any():
            seen = sorted(values.unique())[:10]
            raise fail(f"no cell has {cond} == {control!r} (control_value); values are e.g. {seen}")


def _check_counts(adata: AnnData, report: ValidationReport, fail) -> None:
    X = adata.X
    if X is None:
        raise fail("has no X matrix")
    if sp.issparse(X):
        values = np.asarray(X.data)
    elif isinstance(X, np.ndarray):
        values = X.reshape(-1)
    else:
        raise fail(f"X is a {type(X).__name__}; expected a numpy array or scipy sparse matrix")
    if X.ndim != 2:
        raise fail(f"X has {X.ndim} dimensions; expected cells x genes")
    if not np.issubdtype(values.dtype, np.number) or np.issubdtype(values.dtype, np.complexfloating):
        raise fail(f"X has dtype {values.dtype}; expected numbers (counts)")
    if values.size:
        if not np.isfinite(values).all():
            raise fail("X contains NaN or infinite values")
        if values.min() < 0:
            raise fail(
                f"X has negative values (min {values.min():g}); X must hold raw counts, "
                "not scaled or log-normalised data"
            )
        if np.issubdtype(values.dtype, np.floating) and not np.array_equal(values, np.round(values)):
            report.non_integer = True
            report.warnings.append(
                "X holds non-integer values; models and tasks expect raw integer counts (normalised data in X?)"
            )
    totals = np.asarray(X.sum(axis=1)).reshape(-1)
    report.n_empty_cells = int((totals == 0).sum())
    if report.n_empty_cells == adata.n_obs:
        raise fail(
            f"X holds no counts at all (every entry of its {adata.n_obs} x {adata.n_vars} values is 0); "
            "the counts are elsewhere (raw.X, a layer?) or the file was written empty"
        )
    if report.n_empty_cells:
        report.warnings.append(f"{report.n_empty_cells} of {adata.n_obs} cells have no counts")


def _check_genes(adata: AnnData, spec: DatasetSpec, report: ValidationReport, fail) -> None:
    names = adata.var_names.astype(str)
    if spec.gene_id_type not in GENE_ID_TYPES:
        raise fail(f"gene_id_type {spec.gene_id_type!r} is not one of {list(GENE_ID_TYPES)}")
    fractions = classify_gene_ids(names)
    if fractions["unrecognised"] > 0.5:
        examples = [n for n in names[:200] if not (ENSEMBL_RE.match(n) or SYMBOL_RE.match(n))][:5]
        raise fail(
            f"{fractions['unrecognised']:.0%} of var_names are neither gene symbols nor "
            f"Ensembl ids (e.g. {examples}); var_names must be gene identifiers"
        )
    expected = spec.gene_id_type
    if fractions[expected] < 0.5:
        other = "ensembl" if expected == "symbol" else "symbol"
        raise fail(
            f"gene_id_type is {expected!r} but {fractions[other]:.0%} of var_names look like "
            f"{'Ensembl ids' if other == 'ensembl' else 'gene symbols'} "
            f"(e.g. {list(names[:3])}); set gene_id_type: {other}"
        )
    pattern = ENSEMBL_RE if expected == "ensembl" else SYMBOL_RE
    report.unrecognised_genes = [n for n in names if not pattern.match(n)]
    if report.unrecognised_genes:
        report.warnings.append(
            f"{len(report.unrecognised_genes)} var_names are not {expected} ids, e.g. {report.unrecognised_genes[:5]}"
        )
    dup = names[names.duplicated()].unique()
    report.duplicate_genes = dup.tolist()
    if len(dup):
        report.warnings.append(f"{len(dup)} gene names occur more than once, e.g. {dup[:5].tolist()}")
