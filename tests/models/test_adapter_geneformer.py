"""The Geneformer adapter on tiny randomly initialised BERT checkpoints in the published layout."""

from __future__ import annotations

import json
import os
import pickle
from pathlib import Path

import numpy as np
import pytest

from tests.needs import TORCH_MISSING

torch = pytest.importorskip("torch", reason=TORCH_MISSING)


from pytest_scbench import registry
from pytest_scbench.errors import ModelError
from pytest_scbench.models.geneformer import load_plain_pickle

transformers = pytest.importorskip("transformers")

N_GENES = 500  # of pbmc's 765 genes the dictionaries know


@pytest.fixture
def pbmc(pbmc_counts, make_dataset):
    """200 cells with Ensembl-like ids in var['ensembl_id'] (symbols stay the var names)."""
    adata = pbmc_counts[:200].copy()
    adata.var["ensembl_id"] = [f"ENSG{i:011d}" for i in range(adata.n_vars)]
    return make_dataset(adata)


def write_model(
    root: Path,
    ensembl: list[str],
    *,
    v2: bool,
    max_positions: int = 64,
    fmt: str = "pkl",
    bin_weights: bool = False,
) -> dict:
    """config.json + weights via save_pretrained, and the two dictionaries as pickles or JSON."""
    root.mkdir(parents=True, exist_ok=True)
    specials = ["<pad>", "<mask>"] + (["<cls>", "<eos>"] if v2 else [])
    tokens = {tok: i for i, tok in enumerate(specials + ensembl)}
    medians = {g: np.float64(0.5 + (i % 7)) for i, g in enumerate(ensembl)}
    if fmt == "pkl":
        (root / "token_dictionary_gc104M.pkl").write_bytes(pickle.dumps(tokens))
        (root / "gene_median_dictionary_gc104M.pkl").write_bytes(pickle.dumps(medians))
    else:
        (root / "token_dictionary.json").write_text(json.dumps(tokens))
        (root / "gene_median_dictionary.json").write_text(
            json.dumps({k: float(v) for k, v in medians.items()})
        )
    config = transformers.BertConfig(
        vocab_size=len(tokens),
        hidden_size=16,
        num_hidden_layers=3,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=max_positions,
        pad_token_id=0,
        hidden_act="relu",
        attention_probs_dropout_prob=0.02,
        hidden_dropout_prob=0.02,
    )
    torch.manual_seed(0)
    model = transformers.BertForMaskedLM(config)
    model.save_pretrained(root)
    if bin_weights:  # the older layout: a pickled state_dict, as transformers 4 saved it
        os.remove(root / "model.safetensors")
        torch.save(model.state_dict(), root / "pytorch_model.bin")
    return {"tokens": tokens, "medians": medians, "model": model.eval()}


def geneformer(**params):
    return registry.models.get("geneformer")(**params)


def reference(
    made: dict,
    counts: np.ndarray,
    ensembl: np.ndarray,
    cell: int,
    *,
    v2: bool,
    length: int,
    layer: int,
    mode: str = "mean",
) -> np.ndarray:
    """Rank-value encode one cell by hand and run it through transformers' own model."""
    tokens, medians = made["tokens"], made["medians"]
    row = counts[cell]
    known = [j for j, g in enumerate(ensembl) if g in tokens and row[j] > 0]
    scores = {j: row[j] / row.sum() * 10_000 / medians[ensembl[j]] for j in known}
    ranked = sorted(known, key=lambda j: (-scores[j], j))[: length - (2 if v2 else 0)]
    ids = [tokens[ensembl[j]] for j in ranked]
    if v2:
        ids = [tokens["<cls>"], *ids, tokens["<eos>"]]
    with torch.no_grad():
        out = made["model"].bert(input_ids=torch.tensor([ids]), output_hidden_states=True)
    hidden = out.hidden_states[layer][0].numpy()
    if mode == "cls":
        return hidden[0]
    return hidden[1:-1].mean(0) if v2 else hidden.mean(0)


@pytest.mark.parametrize("v2", [False, True], ids=["v1", "v2-cls"])
def test_geneformer_rank_value_encoding_and_mean_pooling(tmp_path, pbmc, ctx, v2: bool) -> None:
    ensembl = list(pbmc.adata.var["ensembl_id"])
    made = write_model(tmp_path / "gf", ensembl[:N_GENES], v2=v2)
    model = geneformer(path=str(tmp_path / "gf"), gene_col="ensembl_id", emb_mode="mean")
    assert model.device == "cuda" and model.provides == {"embedding"}
    emb = model.embed(pbmc, ctx)
    assert emb.shape == (200, 16) and np.isfinite(emb).all()
    counts = pbmc.adata.X.toarray().astype(float)
    for cell in (0, 57, 199):
        for layer_param, layer in ((-1, 2), (0, 3)):
            got = (
                emb[cell]
                if layer_param == -1
                else geneformer(
                    path=str(tmp_path / "gf"), gene_col="ensembl_id", emb_layer=0, emb_mode="mean"
                ).embed(pbmc, ctx)[cell]
            )
            expected = reference(
                made, counts, np.asarray(ensembl), cell, v2=v2, length=64, layer=layer
            )
            np.testing.assert_allclose(got, expected, atol=1e-5)


def test_cls_mode_is_the_default_and_reads_the_cls_token_of_the_layer(tmp_path, pbmc, ctx) -> None:
    """Geneformer V2's EmbExtractor default, emb_mode="cls": the <cls> token's hidden state."""
    ensembl = list(pbmc.adata.var["ensembl_id"])
    made = write_model(tmp_path / "gf", ensembl[:N_GENES], v2=True)
    counts = pbmc.adata.X.toarray().astype(float)
    default = geneformer(path=str(tmp_path / "gf"), gene_col="ensembl_id")
    assert default.params["emb_mode"] == "cls" and default.params["emb_layer"] == -1
    for emb_layer, layer in ((-1, 2), (0, 3), (-2, 1)):  # 3 layers: hidden_states[3 + emb_layer]
        emb = geneformer(path=str(tmp_path / "gf"), gene_col="ensembl_id", emb_layer=emb_layer).embed(pbmc, ctx)
        for cell in (0, 57, 199):
            expected = reference(made, counts, np.asarray(ensembl), cell, v2=True, length=64, layer=layer, mode="cls")
            np.testing.assert_allclose(emb[cell], expected, atol=1e-5)
    mean = geneformer(path=str(tmp_path / "gf"), gene_col="ensembl_id", emb_mode="mean").embed(pbmc, ctx)
    assert not np.allclose(mean, default.embed(pbmc, ctx))


def test_cls_mode_on_a_v1_vocabulary_and_an_unknown_mode_are_model_errors(tmp_path, pbmc, ctx) -> None:
    write_model(tmp_path / "gf", list(pbmc.adata.var["ensembl_id"])[:N_GENES], v2=False)
    with pytest.raises(ModelError, match=r"emb_mode 'cls' needs a <cls> token.*V1 model\); set emb_mode: mean"):
        geneformer(path=str(tmp_path / "gf"), gene_col="ensembl_id").embed(pbmc, ctx)
    with pytest.raises(ModelError, match=r"emb_mode must be one of cls, mean \(Geneformer's 'cell' is 'mean'\)"):
        geneformer(path=str(tmp_path / "gf"), emb_mode="cell")
    with pytest.raises(ModelError, match=r"emb_layer -3 is before the first of the model's 3 layers; use 0 .* -2"):
        geneformer(path=str(tmp_path / "gf"), gene_col="ensembl_id", emb_mode="mean", emb_layer=-3).embed(pbmc, ctx)


def test_json_dictionaries_and_pytorch_bin_weights_load_the_same(tmp_path, pbmc, ctx) -> None:
    ensembl = list(pbmc.adata.var["ensembl_id"])[:N_GENES]
    write_model(tmp_path / "a", ensembl, v2=True)
    write_model(tmp_path / "b", ensembl, v2=True, fmt="json", bin_weights=True)
    a = geneformer(path=str(tmp_path / "a"), gene_col="ensembl_id").embed(pbmc, ctx)
    b = geneformer(path=str(tmp_path / "b"), gene_col="ensembl_id").embed(pbmc, ctx)
    np.testing.assert_allclose(a, b, atol=1e-6)
    short = geneformer(path=str(tmp_path / "a"), gene_col="ensembl_id", max_length=10).embed(
        pbmc, ctx
    )
    assert not np.allclose(short, a)


class Boom:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def test_pickles_are_read_with_a_restricted_unpickler(tmp_path, pbmc, ctx) -> None:
    good = tmp_path / "ok.pkl"
    good.write_bytes(pickle.dumps({"ENSG1": np.float64(1.5), "ENSG2": 2}))
    assert load_plain_pickle(good) == {"ENSG1": 1.5, "ENSG2": 2}
    ensembl = list(pbmc.adata.var["ensembl_id"])[:N_GENES]
    write_model(tmp_path / "gf", ensembl, v2=False)
    (tmp_path / "gf" / "token_dictionary_gc104M.pkl").write_bytes(pickle.dumps({"ENSG1": Boom()}))
    with pytest.raises(
        ModelError,
        match=r"token_dictionary_gc104M.pkl: UnpicklingError: forbidden global posix.system",
    ):
        geneformer(path=str(tmp_path / "gf"), gene_col="ensembl_id").embed(pbmc, ctx)


def test_mismatched_checkpoint_and_missing_genes_are_model_errors(tmp_path, pbmc, ctx) -> None:
    ensembl = list(pbmc.adata.var["ensembl_id"])[:N_GENES]
    write_model(tmp_path / "gf", ensembl, v2=False)
    config = json.loads((tmp_path / "gf" / "config.json").read_text())
    (tmp_path / "gf" / "config.json").write_text(json.dumps({**config, "intermediate_size": 48}))
    with pytest.raises(
        ModelError,
        match=r"model.safetensors does not match its config: shape mismatches \['encoder.layer.0.intermediate.dense.bias: file \(32,\) vs model \(48,\)",
    ):
        geneformer(path=str(tmp_path / "gf"), gene_col="ensembl_id").embed(pbmc, ctx)
    (tmp_path / "gf" / "config.json").write_text(json.dumps(config))
    with pytest.raises(
        ModelError,
        match=r"none of dataset 'pbmc'.s genes is in the token and median dictionaries.*set gene_col",
    ):
        geneformer(path=str(tmp_path / "gf")).embed(pbmc, ctx)
    with pytest.raises(ModelError, match=r"config.json does not exist"):
        geneformer(path=str(tmp_path)).fingerprint()
    (tmp_path / "gf" / "token_dictionary_gc104M.pkl").rename(tmp_path / "tokens.pkl")
    with pytest.raises(
        ModelError,
        match=r"expected one \*token_dictionary\*.json/.pkl in .*set parameter 'token_dictionary'",
    ):
        geneformer(path=str(tmp_path / "gf")).fingerprint()
    moved = geneformer(
        path=str(tmp_path / "gf"),
        gene_col="ensembl_id",
        token_dictionary=str(tmp_path / "tokens.pkl"),
        emb_mode="mean",
    )
    assert moved.embed(pbmc, ctx).shape == (200, 16)
