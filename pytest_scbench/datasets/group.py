"""Grouped data sets: several data sets (e.g. two species) concatenated into one.

:func:`group_dataset` builds a spec whose AnnData is its members' cells, member after
member, in the members' order, with:

- ``obs[species_key]``: each member's organism ("human", "mouse"); when two members
  share an organism, the member's name instead, so the column always tells them apart;
- ``obs["member"]``: the member's name (the lead's per-member outputs map back by it);
- the label column: every member's ``label_key`` column copied under one common name,
  the first member's ``label_key`` (or ``"label"`` when that is unset); likewise the
  batch column when every member has one;
- genes: the first member's organism is the reference; the genes of a member of another
  organism are renamed to the reference's symbols through the shipped one-to-one ortholog
  table (:mod:`.orthologs`), and only genes present in every member are kept (inner join,
  in the reference's order). Genes without a one-to-one ortholog are dropped. Gene ids
  must be symbols where organisms differ (the table has no Ensembl ids).

Cell names are kept when unique across members, otherwise every cell is prefixed with
``<member name>/``. ``spec.members`` holds the member specs.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
from anndata import AnnData

from ..errors import DatasetError
from .base import DatasetKeys, DatasetSpec
from .orthologs import ortholog_map
from .specs import as_counts_matrix, make_spec

VERSION = "1"
MEMBER_KEY = "member"


def _species_values(members: list[DatasetSpec]) -> list[str]:
    organisms = [m.organism for m in members]
    return [m.organism if organisms.count(m.organism) == 1 else m.name for m in members]


def _gene_names(member: DatasetSpec, adata: AnnData, reference: DatasetSpec) -> np.ndarray:
    """The member's var names in the reference organism's symbols ('' = no ortholog)."""
    names = adata.var_names.to_numpy().astype(str)
    if member.organism == reference.organism:
        return names
    if member.gene_id_type != "symbol" or reference.gene_id_type != "symbol":
        raise DatasetError(
            f"grouped dataset: member {member.name!r} ({member.organism}, {member.gene_id_type}) "
            f"and {reference.name!r} ({reference.organism}, {reference.gene_id_type}) need gene "
            "symbols to be mapped through the ortholog table"
        )
    mapping = ortholog_map(member.organism, reference.organism)
    return np.array([mapping.get(n, "") for n in names])


def group_dataset(name: str, members: list[DatasetSpec], species_key: str = "species") -> DatasetSpec:
    """One data set made of ``members``' cells; see the module docstring for the rules."""
    members = list(members)
    if len(members) < 2:
        raise DatasetError(f"grouped dataset {name!r} needs at least two members, got {len(members)}")
    reference = members[0]
    label_key = reference.keys.label_key or ("label" if any(m.keys.label_key for m in members) else None)
    batch_keys = {m.keys.batch_key for m in members}
    batch_key = batch_keys.pop() if len(batch_keys) == 1 else None
    species = _species_values(members)
    keys = DatasetKeys(label_key=label_key, batch_key=batch_key, species_key=species_key)
    digest = hashlib.sha256(
        "|".join([f"group:v{VERSION}", name, species_key, *(m.fingerprint for m in members)]).encode()
    ).hexdigest()[:16]

    def load(data_dir: Path) -> tuple[AnnData, None]:
        parts = [m.loader(data_dir) for m in members]
        genes = [_gene_names(m, a, reference) for m, a in zip(members, parts, strict=True)]
        shared = set(genes[0]).intersection(*map(set, genes[1:])) - {""}
        order = [g for g in dict.fromkeys(genes[0]) if g in shared]
        if not order:
            raise DatasetError(f"grouped dataset {name!r}: its members share no gene")
        matrices, frames = [], []
        for member, adata, names, value in zip(members, parts, genes, species, strict=True):
            position = {g: i for i, g in enumerate(names) if g in shared}
            X = adata.X[:, [position[g] for g in order]]
            matrices.append(sp.csr_matrix(X, dtype=np.float32))
            obs = pd.DataFrame(index=adata.obs_names.astype(str))
            if label_key is not None:
                if member.keys.label_key is None:
                    raise DatasetError(f"grouped dataset {name!r}: member {member.name!r} has no label_key")
                obs[label_key] = adata.obs[member.keys.label_key].astype(str).to_numpy()
            if batch_key is not None:
                obs[batch_key] = adata.obs[batch_key].astype(str).to_numpy()
            obs[species_key] = value
            obs[MEMBER_KEY] = member.name
            frames.append(obs)
        obs = pd.concat(frames)
        if not obs.index.is_unique:
            obs.index = pd.Index([f"{m}/{c}" for m, c in zip(obs[MEMBER_KEY], obs.index, strict=True)])
        for column in obs.columns:
            obs[column] = obs[column].astype("category")
        adata = AnnData(X=sp.vstack(matrices, format="csr"), obs=obs, var=pd.DataFrame(index=pd.Index(order)))
        adata.uns["scbench"] = {"members": [m.name for m in members], "species": species}
        return as_counts_matrix(adata), None

    return make_spec(
        name,
        keys,
        f"{name}:group:{digest}",
        load,
        markers=tuple(dict.fromkeys(mk for m in members for mk in m.markers)),
        description=f"{' + '.join(m.name for m in members)}, genes aligned to {reference.organism}",
        organism=reference.organism,
        gene_id_type=reference.gene_id_type,
        members=tuple(members),
    )
