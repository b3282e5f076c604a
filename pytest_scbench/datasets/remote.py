"""A data set downloaded on first use: :func:`remote_dataset` builds its spec.

The file is fetched into ``<data_dir>/<name>/raw/data.h5ad`` by :mod:`.download`
(resumed, verified, atomic), read, and brought to the package's contract: counts moved to
``X`` from where the source keeps them, var names taken from a gene-id column where the
index holds something else, optionally one subset of cells kept, a species column added
(the organism) when the keys name one the file lacks, and everything else (layers,
embeddings, graphs) dropped. Items on these data sets are marked ``network`` and ``slow``.

Third-party packages can register their own remote data sets through the entry-point
group ``pytest_scbench.datasets``, pointing at a factory that returns
``remote_dataset(...)``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from anndata import AnnData

from ..errors import DatasetError
from .base import DatasetKeys, DatasetSpec, RemoteSource
from .cache import dataset_dirname, raw_path
from .download import fetch, forget
from .files import read_h5ad
from .specs import make_spec
from .validate import classify_gene_ids

#: Markers every item on a downloaded data set carries.
REMOTE_MARKERS = ("network", "slow")


def prepare(
    adata: AnnData, source: RemoteSource, keys: DatasetKeys, *, name: str, organism: str, gene_id_type: str
) -> AnnData:
    """Bring a downloaded AnnData to the contract (see the module docstring)."""
    where = f"dataset {name!r}"
    if source.counts == "X":
        X, var = adata.X, adata.var
    elif source.counts == "raw.X":
        if adata.raw is None:
            raise DatasetError(f"{where}: the registry says counts are in raw.X, but the file has no raw")
        X, var = adata.raw.X, adata.raw.var
    elif source.counts.startswith("layers/"):
        layer = source.counts.split("/", 1)[1]
        if layer not in adata.layers:
            raise DatasetError(f"{where}: no layer {layer!r} (layers: {sorted(adata.layers)})")
        X, var = adata.layers[layer], adata.var
    else:
        raise DatasetError(f"{where}: unknown counts location {source.counts!r}")
    out = AnnData(X=X, obs=adata.obs.copy(), var=var.copy())
    column = source.gene_column
    if column is not None and classify_gene_ids(out.var_names)[gene_id_type] < 0.5:
        if column not in out.var.columns:
            raise DatasetError(f"{where}: var has no column {column!r} to take {gene_id_type} ids from")
        values = out.var[column].astype(str)
        if gene_id_type == "ensembl":  # drop version suffixes: ENSG00000141510.17 -> ENSG00000141510
            values = values.str.replace(r"^(ENS[A-Z]*G\d{11})\.\d+$", r"\1", regex=True)
        out.var_names = pd.Index(values.to_numpy())
    if source.subset is not None:
        column, value = source.subset
        if column not in out.obs.columns:
            raise DatasetError(f"{where}: obs has no column {column!r} to select {value!r} from")
        mask = (out.obs[column].astype(str) == value).to_numpy()
        if not mask.any():
            raise DatasetError(f"{where}: no cell has {column} == {value!r}")
        out = out[mask].copy()
    if keys.species_key is not None and keys.species_key not in out.obs.columns:
        out.obs[keys.species_key] = pd.Categorical([organism] * out.n_obs)
    return out


def remote_dataset(
    name: str,
    source: RemoteSource,
    keys: DatasetKeys,
    *,
    organism: str,
    gene_id_type: str,
    description: str = "",
) -> DatasetSpec:
    """A spec for a data set downloaded from ``source.url`` into the cache on first use.

    Fingerprint: the published sha256 when known, else the URL (the checksum recorded on
    first download then pins the content, see :mod:`.download`).
    """

    def load(data_dir: Path) -> tuple[AnnData, Path]:
        path = raw_path(data_dir, dataset_dirname(name))
        fetch(source.url, path, dataset=name, data_dir=data_dir, sha256=source.sha256, size=source.size_bytes)
        try:
            adata = read_h5ad(path, dataset=name)
        except DatasetError as exc:
            forget(path, data_dir)  # never keep (or trust the checksum of) an unreadable file
            raise DatasetError(
                f"{exc}; downloaded from {source.url}, deleted so the next run fetches it again"
            ) from exc
        return prepare(adata, source, keys, name=name, organism=organism, gene_id_type=gene_id_type), path

    identity = f"sha256={source.sha256}" if source.sha256 else f"url={source.url}"
    subset = f":{source.subset[0]}={source.subset[1]}" if source.subset else ""
    return make_spec(
        name,
        keys,
        f"remote:{name}:{identity}{subset}",
        load,
        markers=REMOTE_MARKERS,
        description=description,
        organism=organism,
        gene_id_type=gene_id_type,
        source=source,
    )
