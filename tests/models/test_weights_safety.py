"""Weights are data: a checkpoint that would run code when unpickled is refused, unrun."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.needs import TORCH_MISSING

torch = pytest.importorskip("torch", reason=TORCH_MISSING)


from pytest_scbench import registry
from pytest_scbench.errors import ModelError

from .test_adapter_geneformer import N_GENES, write_model


class Planted:
    """Unpickling this object would create ``path``: proof that pickled code ran."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self):
        return (Path.touch, (self.path,))


def test_sclm_refuses_a_checkpoint_with_a_pickled_object(pbmc_counts, make_dataset, ctx, tmp_path: Path) -> None:
    proof = tmp_path / "code-ran"
    torch.save({"format": "x", "state_dict": {}, "config": Planted(proof)}, tmp_path / "sclm.pt")
    model = registry.models.get("sclm")(weights_path=str(tmp_path / "sclm.pt"))
    data = make_dataset(pbmc_counts[:50].copy(), name="pbmc50", label_key="cell_type")
    with pytest.raises(ModelError, match=r"model 'sclm': cannot load .*sclm.pt: UnpicklingError: Weights only load"):
        model.embed(data, ctx)
    assert not proof.exists()


def test_geneformer_refuses_pytorch_bin_weights_with_a_pickled_object(
    pbmc_counts, make_dataset, ctx, tmp_path: Path
) -> None:
    adata = pbmc_counts[:50].copy()
    adata.var["ensembl_id"] = [f"ENSG{i:011d}" for i in range(adata.n_vars)]
    pbmc = make_dataset(adata)
    root = tmp_path / "gf"
    write_model(root, list(adata.var["ensembl_id"])[:N_GENES], v2=False, bin_weights=True)
    proof = tmp_path / "code-ran"
    state = torch.load(root / "pytorch_model.bin", weights_only=True)
    state["extra"] = Planted(proof)
    torch.save(state, root / "pytorch_model.bin")
    model = registry.models.get("geneformer")(path=str(root), gene_col="ensembl_id")
    with pytest.raises(ModelError, match=r"cannot load .*pytorch_model.bin \(weights only\): UnpicklingError"):
        model.embed(pbmc, ctx)
    assert not proof.exists()
