"""The scGPT adapter on a tiny randomly initialised checkpoint in the published layout."""

from __future__ import annotations

import json
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from pytest_scbench import registry
from pytest_scbench.errors import ModelError
from pytest_scbench.models.binning import bin_values, cell_rng
from pytest_scbench.models.scgpt_net import ScGPTModel

ARGS = {
    "embsize": 16,
    "nlayers": 2,
    "nheads": 2,
    "d_hid": 32,
    "n_layers_cls": 3,
    "dropout": 0.2,
    "pad_token": "<pad>",
    "pad_value": -2,
    "mask_value": -1,
    "n_bins": 51,
    "input_emb_style": "continuous",
    "max_seq_len": 1200,
    "fast_transformer": True,
}


def write_checkpoint(root: Path, genes: list[str], args: dict = ARGS, seed: int = 0) -> OrderedDict:
    """args.json, vocab.json and best_model.pt as scGPT publishes them (flash-attention keys,
    classifier and MVC heads included); returns the state_dict in torch's naming."""
    root.mkdir(parents=True, exist_ok=True)
    vocab = {tok: i for i, tok in enumerate(["<pad>", "<cls>", "<eoc>", *genes])}
    (root / "vocab.json").write_text(json.dumps(vocab))
    (root / "args.json").write_text(json.dumps(args))
    torch.manual_seed(seed)
    model = ScGPTModel(
        len(vocab), args["embsize"], args["nheads"], args["d_hid"], args["nlayers"], pad_id=0
    )
    state = model.state_dict()
    published = OrderedDict()
    for key, value in state.items():
        published[key.replace("self_attn.in_proj_", "self_attn.Wqkv.")] = value
    d = args["embsize"]
    published["cls_decoder._decoder.0.weight"] = torch.randn(d, d)
    published["cls_decoder.out_layer.weight"] = torch.randn(1, d)
    published["mvc_decoder.gene2query.weight"] = torch.randn(d, d)
    published["mvc_decoder.W.weight"] = torch.randn(d, d)
    torch.save(published, root / "best_model.pt")
    return state


@pytest.fixture
def checkpoint(tmp_path, pbmc_counts) -> tuple[Path, OrderedDict]:
    root = tmp_path / "scGPT_tiny"
    # a vocabulary that knows 600 of the 765 genes, in another order
    genes = list(pbmc_counts.var_names[:600][::-1])
    return root, write_checkpoint(root, genes)


@pytest.fixture
def pbmc(pbmc_counts, make_dataset):
    """200 cells are plenty to check the model; fewer cells keep the test quick."""
    return make_dataset(pbmc_counts[:200].copy())


def scgpt(**params):
    return registry.models.get("scgpt")(**params)


def reference_embedding(
    state, args, vocab, counts: np.ndarray, genes, cell: int, seed: int
) -> np.ndarray:
    """One cell through torch's own TransformerEncoder (scGPT's non-flash path)."""
    layer = torch.nn.TransformerEncoderLayer(
        args["embsize"], args["nheads"], args["d_hid"], 0.0, batch_first=True
    )
    encoder = torch.nn.TransformerEncoder(layer, args["nlayers"], enable_nested_tensor=False).eval()
    encoder.load_state_dict(
        {
            k.removeprefix("transformer_encoder."): v
            for k, v in state.items()
            if k.startswith("transformer_encoder.")
        }
    )
    ids = np.array([vocab.get(g, -1) for g in genes])
    row = counts[cell, ids >= 0]
    gene_ids = ids[ids >= 0][row > 0]
    values = bin_values(row[row > 0], args["n_bins"], cell_rng(seed, cell))
    g = torch.tensor(np.concatenate([[vocab["<cls>"]], gene_ids]))[None]
    v = torch.tensor(np.concatenate([[args["pad_value"]], values]), dtype=torch.float32)[None]
    emb = torch.nn.functional.embedding(g, state["encoder.embedding.weight"])
    emb = torch.nn.functional.layer_norm(
        emb, (args["embsize"],), state["encoder.enc_norm.weight"], state["encoder.enc_norm.bias"]
    )
    x = v.unsqueeze(-1)
    x = torch.relu(
        x @ state["value_encoder.linear1.weight"].T + state["value_encoder.linear1.bias"]
    )
    x = x @ state["value_encoder.linear2.weight"].T + state["value_encoder.linear2.bias"]
    x = torch.nn.functional.layer_norm(
        x, (args["embsize"],), state["value_encoder.norm.weight"], state["value_encoder.norm.bias"]
    )
    with torch.no_grad():
        out = encoder(emb + x)[0, 0].numpy()
    return out / np.linalg.norm(out)


def test_scgpt_embeds_with_the_published_checkpoint_layout(checkpoint, pbmc, ctx) -> None:
    root, state = checkpoint
    model = scgpt(path=str(root))
    assert model.device == "cuda" and model.provides == {"embedding"}
    emb = model.embed(pbmc, ctx)
    assert emb.shape == (200, 16) and np.isfinite(emb).all()
    np.testing.assert_allclose(np.linalg.norm(emb, axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(emb, scgpt(path=str(root)).embed(pbmc, ctx))
    vocab = json.loads((root / "vocab.json").read_text())
    counts = pbmc.adata.X.toarray().astype(float)
    for cell in (0, 123, 199):
        expected = reference_embedding(
            state, ARGS, vocab, counts, list(pbmc.adata.var_names), cell, ctx.seed
        )
        np.testing.assert_allclose(emb[cell], expected, atol=2e-5)


def test_scgpt_maps_genes_by_symbol_column_and_caps_length(
    checkpoint, pbmc, make_dataset, ctx
) -> None:
    root, _ = checkpoint
    adata = pbmc.adata.copy()
    adata.var["feature_name"] = adata.var_names.to_numpy()
    adata.var_names = [f"ENSG{i:011d}" for i in range(adata.n_vars)]
    data = make_dataset(adata)
    with pytest.raises(
        ModelError, match=r"none of dataset 'pbmc'.s genes is in .*vocab.json.*set gene_col"
    ):
        scgpt(path=str(root)).embed(data, ctx)
    by_symbol = scgpt(path=str(root), gene_col="feature_name").embed(data, ctx)
    np.testing.assert_allclose(by_symbol, scgpt(path=str(root)).embed(pbmc, ctx), atol=1e-6)
    short = scgpt(path=str(root), gene_col="feature_name", max_length=20).embed(data, ctx)
    assert short.shape == (200, 16) and not np.allclose(short, by_symbol)


def test_a_checkpoint_that_does_not_match_its_config_names_file_and_keys(
    checkpoint, pbmc, ctx
) -> None:
    root, _ = checkpoint
    (root / "args.json").write_text(json.dumps({**ARGS, "embsize": 32, "nlayers": 3}))
    with pytest.raises(ModelError) as info:
        scgpt(path=str(root)).embed(pbmc, ctx)
    message = str(info.value)
    assert "best_model.pt does not match its config" in message
    assert "missing keys ['transformer_encoder.layers.2." in message
    assert "encoder.embedding.weight: file (603, 16) vs model (603, 32)" in message


def test_unsafe_or_missing_files_are_model_errors(checkpoint, pbmc, ctx, tmp_path) -> None:
    root, _ = checkpoint
    torch.save({"state": pd.DataFrame({"a": [1]})}, root / "best_model.pt")  # needs full unpickling
    with pytest.raises(ModelError, match=r"cannot load .*best_model.pt with weights_only=True"):
        scgpt(path=str(root)).embed(pbmc, ctx)
    with pytest.raises(
        ModelError, match=r"empty/args.json does not exist; an scGPT directory holds"
    ):
        scgpt(path=str(tmp_path / "empty")).fingerprint()
    with pytest.raises(ModelError, match="parameter 'path'"):
        scgpt()
