"""``geneformer``: cell embeddings from a Geneformer checkpoint directory (a Hugging Face BERT).

What is read, in the layout the Geneformer authors publish:

- ``config.json`` and ``model.safetensors`` or ``pytorch_model.bin`` in ``path``: a
  ``BertForMaskedLM`` (or ``BertModel``) saved by ``save_pretrained``. ``.bin`` files load
  with ``torch.load(weights_only=True)``. Only the BERT encoder is used; its keys and shapes
  are checked against ``config.json`` and a mismatch is a :class:`ModelError` naming the file.
- the token dictionary (Ensembl id -> token id, with ``<pad>``, ``<mask>`` and, in V2
  models, ``<cls>``/``<eos>``) and the gene median dictionary (Ensembl id -> median of
  normalised non-zero expression): parameters ``token_dictionary`` and
  ``gene_median_dictionary``, by default the only ``*token_dictionary*`` and
  ``*gene_median_dictionary*`` file (``.json`` or ``.pkl``) in ``path``.

Pickles are unsafe to load, so ``.pkl`` dictionaries go through :func:`load_plain_pickle`:
an unpickler that refuses every global except numpy's scalar reconstruction (``numpy``
float64 values are how Geneformer stores medians), then a check that the result is a dict of
str to int/float. A JSON file with the same mapping is accepted everywhere a pickle is.

Rank-value encoding follows Geneformer's ``TranscriptomeTokenizer``: counts are divided by
the cell's total and scaled to 10,000, divided by each gene's median, the expressed genes
(Ensembl ids, ``gene_col`` of ``var`` or the var names, present in both dictionaries) are
ranked by that value, highest first, and the top ``max_length`` are kept (``<cls>`` first and
``<eos>`` last when the vocabulary has them, inside that length). The cell embedding is
taken from hidden layer ``emb_layer``, counted back from the last as Geneformer's
``EmbExtractor`` counts: ``0`` is the last layer, ``-1`` (the default, as upstream) the
second-to-last (upstream offers these two), down to ``-(L - 1)``, the first. With
``num_hidden_layers`` L, ``emb_layer`` e reads transformers' ``hidden_states[L + e]``
(``hidden_states[0]`` is the embedding layer's output, never used). ``emb_mode`` picks the
token(s) of that layer:

- ``cls`` (the default, as Geneformer V2's ``EmbExtractor(emb_mode="cls")``): the hidden
  state of the ``<cls>`` token, which the encoding puts first; a vocabulary without
  ``<cls>`` (a V1 model) is a :class:`ModelError` that says to use ``mean``;
- ``mean`` (upstream's ``emb_mode="cell"``, and the only mode of V1 models): the mean
  over the gene tokens, ``<cls>``, ``<eos>`` and padding excluded.

Needs ``transformers`` (the ``geneformer`` extra).
"""

from __future__ import annotations

import hashlib
import io
import json
import pickle
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from scipy import sparse

from ..datasets.base import Dataset
from ..errors import ModelError
from ..progress import advance
from ..registry import register_model
from .base import ModelAdapter, RunContext
from .precomputed import file_sha256
from .torchutil import autocast_fp16, load_state, require_torch, torch_device

#: Counts per cell after normalisation, before dividing by the gene medians (Geneformer's).
TARGET_SUM = 10_000
WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")
#: How a cell's embedding is read off a layer: the <cls> token's state, or the mean over gene tokens.
EMB_MODES = ("cls", "mean")
#: The only globals a dictionary pickle may name: numpy scalars and their dtypes.
_ALLOWED_GLOBALS = {
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy", "dtype"),
}


class _PlainUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _ALLOWED_GLOBALS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"forbidden global {module}.{name}")


def load_plain_pickle(path: Path) -> Any:
    """Unpickle ``path`` allowing only builtin containers, str, int, float and numpy scalars."""
    return _PlainUnpickler(io.BytesIO(path.read_bytes())).load()


def read_mapping(path: Path, value_type: type, model: str) -> dict[str, Any]:
    """A ``{str: value_type}`` dict from a ``.json`` or (restricted) ``.pkl`` file."""
    try:
        if path.suffix == ".json":
            raw = json.loads(path.read_text())
        else:
            raw = load_plain_pickle(path)
    except (OSError, ValueError, pickle.UnpicklingError, EOFError) as exc:
        raise ModelError(f"model {model!r}: cannot read {path}: {type(exc).__name__}: {exc}") from exc
    if not isinstance(raw, dict):
        raise ModelError(f"model {model!r}: {path} holds a {type(raw).__name__}, not a dict")
    out = {}
    for key, value in raw.items():
        number = value.item() if isinstance(value, np.generic) else value
        ok = isinstance(number, (int, float)) and not isinstance(number, bool)
        if value_type is int:
            ok = ok and float(number).is_integer()
        if not isinstance(key, str) or not ok:
            raise ModelError(f"model {model!r}: {path} must map str to {value_type.__name__}; found {key!r}: {value!r}")
        out[key] = value_type(number)
    return out


@register_model("geneformer")
class Geneformer(ModelAdapter):
    """A Geneformer checkpoint folder (config.json, weights, token and gene median dictionaries).

    Parameters: ``path`` (the folder, required), ``token_dictionary`` and
    ``gene_median_dictionary`` (default: the one matching file in the folder), ``gene_col``
    (the var column of Ensembl ids; default the var names), ``max_length`` (default the
    model's ``max_position_embeddings``), ``emb_layer`` (-1: the second-to-last layer; 0 the
    last), ``emb_mode`` (``cls``, the default as upstream V2, or ``mean`` over gene tokens),
    ``batch_size`` (32). Needs the ``[geneformer]`` extra (transformers)."""

    provides: ClassVar[frozenset[str]] = frozenset({"embedding"})
    device: ClassVar[str] = "cuda"
    batch_size: ClassVar[int] = 32
    defaults: ClassVar[dict[str, Any] | None] = {
        "path": None,
        "token_dictionary": None,
        "gene_median_dictionary": None,
        "gene_col": None,
        "max_length": None,
        "emb_layer": -1,
        "emb_mode": "cls",
        "batch_size": 32,
    }
    default_name: ClassVar[str] = "geneformer"
    path_params: ClassVar[frozenset[str]] = frozenset({"token_dictionary", "gene_median_dictionary"})

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        if not self.params["path"]:
            raise ModelError(f"model {self.name!r}: parameter 'path' (the model directory) is required")
        self.root = Path(str(self.params["path"])).expanduser()
        if self.params["emb_layer"] > 0:
            raise ModelError(
                f"model {self.name!r}: emb_layer counts back from the last layer (0, -1, ...), "
                f"got {self.params['emb_layer']}"
            )
        if self.params["emb_mode"] not in EMB_MODES:
            raise ModelError(
                f"model {self.name!r}: emb_mode must be one of {', '.join(EMB_MODES)} "
                f"(Geneformer's 'cell' is 'mean'), got {self.params['emb_mode']!r}"
            )
        self._loaded: tuple[Any, Any, dict[str, int], dict[str, float]] | None = None

    # -- files ----------------------------------------------------------------------------
    def _find(self, param: str, pattern: str) -> Path:
        given = self.params[param]
        if given:
            path = Path(str(given)).expanduser()
            if not path.is_file():
                raise ModelError(f"model {self.name!r}: {param} {path} does not exist")
            return path
        found = sorted(p for p in self.root.glob(f"*{pattern}*") if p.suffix in (".json", ".pkl"))
        if len(found) != 1:
            raise ModelError(
                f"model {self.name!r}: expected one *{pattern}*.json/.pkl in {self.root}, found "
                f"{[p.name for p in found]}; set parameter {param!r}"
            )
        return found[0]

    def _weights(self) -> Path:
        for name in WEIGHT_FILES:
            if (self.root / name).is_file():
                return self.root / name
        raise ModelError(f"model {self.name!r}: {self.root} has none of {list(WEIGHT_FILES)}")

    def _config_path(self) -> Path:
        path = self.root / "config.json"
        if not path.is_file():
            raise ModelError(f"model {self.name!r}: {path} does not exist")
        return path

    def weights_digest(self) -> str:
        digest = hashlib.sha256()
        for path in (
            self._config_path(),
            self._weights(),
            self._find("token_dictionary", "token_dictionary"),
            self._find("gene_median_dictionary", "gene_median_dictionary"),
        ):
            digest.update(file_sha256(path).encode())
        return digest.hexdigest()

    # -- loading --------------------------------------------------------------------------
    def load(self) -> tuple[Any, Any, dict[str, int], dict[str, float]]:
        """(BertModel, its config, token dictionary, gene medians), read once."""
        if self._loaded is not None:
            return self._loaded
        try:
            from transformers import BertConfig, BertModel
        except ImportError as exc:
            raise ModelError(
                f"model {self.name!r} needs the 'transformers' package (pip install 'pytest-scbench[geneformer]')"
            ) from exc
        tokens = read_mapping(self._find("token_dictionary", "token_dictionary"), int, self.name)
        medians = read_mapping(self._find("gene_median_dictionary", "gene_median_dictionary"), float, self.name)
        if "<pad>" not in tokens:
            raise ModelError(f"model {self.name!r}: the token dictionary has no '<pad>' token")
        config_path = self._config_path()
        try:
            config = BertConfig.from_json_file(str(config_path))
        except (OSError, ValueError) as exc:
            raise ModelError(f"model {self.name!r}: cannot read {config_path}: {exc}") from exc
        if max(tokens.values()) >= config.vocab_size:
            raise ModelError(
                f"model {self.name!r}: token ids reach {max(tokens.values())} but {config_path} "
                f"has vocab_size {config.vocab_size}"
            )
        model = BertModel(config, add_pooling_layer=False)
        weights = self._weights()
        state = self._read_state(weights)
        load_state(model, state, weights, self.name)
        model.eval()
        self._loaded = (model, config, tokens, medians)
        return self._loaded

    def _read_state(self, path: Path) -> dict[str, Any]:
        import torch

        try:
            if path.suffix == ".safetensors":
                from safetensors.torch import load_file

                state = load_file(str(path))
            else:
                state = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as exc:
            raise ModelError(
                f"model {self.name!r}: cannot load {path} (weights only): {type(exc).__name__}: {exc}"
            ) from exc
        if not any(k.startswith("bert.") for k in state):  # saved from a BertModel
            state = {f"bert.{k}": v for k, v in state.items()}
        return {
            k.removeprefix("bert."): v
            for k, v in state.items()
            if k.startswith("bert.")
            and not k.startswith("bert.pooler.")
            and k != "bert.embeddings.position_ids"  # a buffer older transformers saved
        }

    # -- tokenisation and embedding -----------------------------------------------------------
    def tokenize(
        self, dataset: Dataset, tokens: dict[str, int], medians: dict[str, float], max_length: int
    ) -> list[np.ndarray]:
        """Each cell's rank-value token ids (with ``<cls>``/``<eos>`` when the vocabulary has them)."""
        adata = dataset.adata
        col = self.params["gene_col"]
        if col is not None and col not in adata.var.columns:
            raise ModelError(
                f"model {self.name!r}: dataset {dataset.name!r} has no var column {col!r}; "
                f"columns are {sorted(map(str, adata.var.columns))}"
            )
        ids = adata.var[col].astype(str).to_numpy() if col else adata.var_names.astype(str).to_numpy()
        usable = np.asarray([g in tokens and g in medians and medians[g] > 0 for g in ids])
        if not usable.any():
            raise ModelError(
                f"model {self.name!r}: none of dataset {dataset.name!r}'s genes is in the token and "
                f"median dictionaries (first genes: {list(ids[:5])}); Geneformer reads Ensembl ids: set gene_col"
            )
        X = sparse.csr_matrix(adata.X, dtype=np.float64)
        totals = np.asarray(X.sum(axis=1)).ravel()
        cols = np.flatnonzero(usable)
        gene_tokens = np.asarray([tokens[g] for g in ids[cols]], dtype=np.int64)
        gene_medians = np.asarray([medians[g] for g in ids[cols]], dtype=np.float64)
        X = X[:, cols].tocsr()
        cls, eos = tokens.get("<cls>"), tokens.get("<eos>")
        room = max_length - (cls is not None) - (eos is not None)
        cells = []
        for cell in range(X.shape[0]):
            row = X[cell]
            keep = row.data > 0
            scores = row.data[keep] / max(totals[cell], 1.0) * TARGET_SUM / gene_medians[row.indices[keep]]
            order = np.argsort(-scores, kind="stable")[:room]
            seq = gene_tokens[row.indices[keep][order]]
            if cls is not None:
                seq = np.concatenate([[cls], seq])
            if eos is not None:
                seq = np.concatenate([seq, [eos]])
            cells.append(seq.astype(np.int64))
        return cells

    def embed(self, dataset: Dataset, ctx: RunContext) -> np.ndarray:
        require_torch(self.name, "geneformer")
        import torch

        model, config, tokens, medians = self.load()
        device = torch_device(ctx, self.name)
        max_length = int(self.params["max_length"] or config.max_position_embeddings)
        max_length = min(max_length, config.max_position_embeddings)
        cells = self.tokenize(dataset, tokens, medians, max_length)
        use_cls = self.params["emb_mode"] == "cls"
        if use_cls and "<cls>" not in tokens:
            raise ModelError(
                f"model {self.name!r}: emb_mode 'cls' needs a <cls> token, and this token dictionary has none "
                "(a Geneformer V1 model); set emb_mode: mean"
            )
        pad = tokens["<pad>"]
        specials = {v for k, v in tokens.items() if k.startswith("<")}
        layer = config.num_hidden_layers + int(self.params["emb_layer"])
        if layer < 1:
            first = 1 - config.num_hidden_layers
            raise ModelError(
                f"model {self.name!r}: emb_layer {self.params['emb_layer']} is before the first of the model's "
                f"{config.num_hidden_layers} layers; use 0 (the last) down to {first} (the first)"
            )
        batch = self.resolved_batch_size(ctx)
        out = np.zeros((len(cells), config.hidden_size), dtype=np.float32)
        model.to(device)
        for start in range(0, len(cells), batch):
            chunk = cells[start : start + batch]
            length = max(1, max(c.size for c in chunk))
            ids = np.full((len(chunk), length), pad, dtype=np.int64)
            for k, c in enumerate(chunk):
                ids[k, : c.size] = c
            input_ids = torch.from_numpy(ids).to(device)
            attention = input_ids.ne(pad).long()
            with torch.no_grad(), autocast_fp16(device):
                hidden = model(input_ids=input_ids, attention_mask=attention, output_hidden_states=True).hidden_states[
                    layer
                ]
            if use_cls:  # the encoding puts <cls> first in every cell
                pooled = hidden[:, 0, :].float()
            else:
                genes = torch.from_numpy(~np.isin(ids, list(specials))).to(device).unsqueeze(-1).float()
                pooled = (hidden.float() * genes).sum(1) / genes.sum(1).clamp(min=1.0)
            out[start : start + len(chunk)] = pooled.cpu().numpy()
            advance(len(chunk))
        return out
