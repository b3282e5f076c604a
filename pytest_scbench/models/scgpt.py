"""``scgpt``: cell embeddings from a published scGPT checkpoint directory.

The directory is laid out as the scGPT authors publish it (e.g. ``scGPT_human``):

- ``args.json``: the model config; read are ``embsize``, ``nlayers``, ``nheads`` (or
  ``nhead``), ``d_hid``, and optionally ``pad_token`` ("<pad>"), ``pad_value`` (-2),
  ``n_bins`` (51), ``input_emb_style`` ("continuous", the only style published
  checkpoints use and the only one supported here) and ``pre_norm`` (false);
- ``vocab.json``: ``{gene symbol or special token: index}``; ``<pad>``, ``<cls>`` and
  ``<eoc>`` are appended when absent, as scGPT's ``embed_data`` does;
- ``best_model.pt``: the state_dict, read with ``torch.load(weights_only=True)``: no
  pickled object is ever executed. Keys and shapes are checked against ``args.json`` and
  the vocabulary; a mismatch is a :class:`ModelError` naming the file and the keys.

Embedding follows ``scgpt.tasks.cell_emb.get_batch_cell_embeddings``: genes are mapped
through the vocabulary by symbol (``gene_col`` of ``var``, default the var names), a cell
is ``<cls>`` followed by its expressed genes (sampled down to ``max_length`` with a seeded
generator), raw counts are binned per cell into ``n_bins`` (non-zero quantiles, ties spread
from the run's seed), ``<cls>`` carries ``pad_value``; the cell embedding is the ``<cls>``
output, L2-normalised. On CUDA it runs under float16 autocast, as scGPT does.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from scipy import sparse

from ..datasets.base import Dataset
from ..errors import ModelError
from ..progress import advance
from ..registry import register_model
from .base import ModelAdapter, RunContext
from .binning import bin_values, cell_rng
from .precomputed import file_sha256
from .torchutil import autocast_fp16, load_state, require_torch, torch_device

if TYPE_CHECKING:
    from .scgpt_net import ScGPTModel

SPECIAL_TOKENS = ("<pad>", "<cls>", "<eoc>")
FILES = ("args.json", "vocab.json", "best_model.pt")


@register_model("scgpt")
class ScGPT(ModelAdapter):
    """A published scGPT checkpoint folder (args.json, vocab.json, best_model.pt), e.g. scGPT_human.

    Parameters: ``path`` (the folder, required), ``gene_col`` (the var column of gene
    symbols; default the var names), ``max_length`` (1200 tokens: ``<cls>`` and up to 1,199
    expressed genes, sampled with the run's seed), ``batch_size`` (64). The embedding is the
    ``<cls>`` output, L2-normalised. Needs nothing beyond the base install (torch)."""

    provides: ClassVar[frozenset[str]] = frozenset({"embedding"})
    device: ClassVar[str] = "cuda"
    batch_size: ClassVar[int] = 64
    defaults: ClassVar[dict[str, Any] | None] = {
        "path": None,
        "gene_col": None,
        "max_length": 1200,
        "batch_size": 64,
    }
    default_name: ClassVar[str] = "scgpt"

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        if not self.params["path"]:
            raise ModelError(f"model {self.name!r}: parameter 'path' (the checkpoint directory) is required")
        self.require_positive("max_length", "batch_size")
        self.root = Path(str(self.params["path"])).expanduser()
        self._model: tuple[ScGPTModel, dict[str, int], dict[str, Any]] | None = None

    def _file(self, name: str) -> Path:
        path = self.root / name
        if not path.is_file():
            raise ModelError(f"model {self.name!r}: {path} does not exist; an scGPT directory holds {list(FILES)}")
        return path

    def weights_digest(self) -> str:
        digest = hashlib.sha256()
        for name in FILES:
            digest.update(file_sha256(self._file(name)).encode())
        return digest.hexdigest()

    # -- loading ------------------------------------------------------------------------------
    def _read_json(self, path: Path) -> Any:
        try:
            return json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise ModelError(f"model {self.name!r}: cannot read {path}: {exc}") from exc

    def read_args(self) -> dict[str, Any]:
        path = self._file("args.json")
        args = self._read_json(path)
        if "nheads" not in args and "nhead" in args:
            args["nheads"] = args["nhead"]
        missing = [k for k in ("embsize", "nlayers", "nheads", "d_hid") if k not in args]
        if missing:
            raise ModelError(f"model {self.name!r}: {path} lacks {missing}")
        style = args.get("input_emb_style", "continuous")
        if style != "continuous":
            raise ModelError(
                f"model {self.name!r}: {path}: input_emb_style {style!r} is not supported "
                f"(published scGPT checkpoints use 'continuous')"
            )
        args.setdefault("pad_token", "<pad>")
        args.setdefault("pad_value", -2)
        args.setdefault("n_bins", 51)
        args.setdefault("pre_norm", False)
        return args

    def read_vocab(self) -> dict[str, int]:
        path = self._file("vocab.json")
        raw = self._read_json(path)
        if not isinstance(raw, dict) or not all(isinstance(v, int) for v in raw.values()):
            raise ModelError(f"model {self.name!r}: {path} must map tokens to integer indices")
        vocab = {str(k): int(v) for k, v in raw.items()}
        if sorted(vocab.values()) != list(range(len(vocab))):
            raise ModelError(f"model {self.name!r}: {path}: indices are not 0..{len(vocab) - 1}")
        for token in SPECIAL_TOKENS:
            if token not in vocab:
                vocab[token] = len(vocab)
        return vocab

    def load(self) -> tuple[ScGPTModel, dict[str, int], dict[str, Any]]:
        """The model with its weights, the vocabulary and args (read once)."""
        if self._model is not None:
            return self._model
        import torch

        from .scgpt_net import IGNORED_PREFIXES, ScGPTModel, rename_flash_keys

        args, vocab = self.read_args(), self.read_vocab()
        if args["pad_token"] not in vocab:
            raise ModelError(f"model {self.name!r}: pad token {args['pad_token']!r} is not in the vocabulary")
        if args["embsize"] % args["nheads"]:
            raise ModelError(
                f"model {self.name!r}: embsize {args['embsize']} is not divisible by nheads {args['nheads']}"
            )
        model = ScGPTModel(
            ntoken=len(vocab),
            d_model=args["embsize"],
            nhead=args["nheads"],
            d_hid=args["d_hid"],
            nlayers=args["nlayers"],
            pad_id=vocab[args["pad_token"]],
            pre_norm=bool(args["pre_norm"]),
        )
        path = self._file("best_model.pt")
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as exc:
            raise ModelError(
                f"model {self.name!r}: cannot load {path} with weights_only=True: {type(exc).__name__}: {exc}"
            ) from exc
        if isinstance(state, dict):
            for wrapper in ("model_state_dict", "state_dict"):
                if isinstance(state.get(wrapper), dict):
                    state = state[wrapper]
        if not isinstance(state, dict):
            raise ModelError(f"model {self.name!r}: {path} does not hold a state_dict")
        state = {k.removeprefix("module."): v for k, v in rename_flash_keys(dict(state)).items()}
        state = {k: v for k, v in state.items() if not k.startswith(IGNORED_PREFIXES)}
        load_state(model, state, path, self.name)
        model.eval()
        self._model = (model, vocab, args)
        return self._model

    # -- embedding ----------------------------------------------------------------------------
    def embed(self, dataset: Dataset, ctx: RunContext) -> np.ndarray:
        require_torch(self.name)
        import torch

        model, vocab, args = self.load()
        device = torch_device(ctx, self.name)
        adata = dataset.adata
        col = self.params["gene_col"]
        if col is not None and col not in adata.var.columns:
            raise ModelError(
                f"model {self.name!r}: dataset {dataset.name!r} has no var column {col!r}; "
                f"columns are {sorted(map(str, adata.var.columns))}"
            )
        symbols = adata.var[col].astype(str).to_numpy() if col else adata.var_names.astype(str).to_numpy()
        ids = np.asarray([vocab.get(s, -1) for s in symbols], dtype=np.int64)
        if not (ids >= 0).any():
            raise ModelError(
                f"model {self.name!r}: none of dataset {dataset.name!r}'s genes is in "
                f"{self.root / 'vocab.json'} (first genes: {list(symbols[:5])}); "
                f"scGPT vocabularies hold gene symbols: set gene_col"
            )
        X = (
            sparse.csr_matrix(adata.X[:, ids >= 0], dtype=np.float64)
            if sparse.issparse(adata.X)
            else sparse.csr_matrix(np.asarray(adata.X)[:, ids >= 0], dtype=np.float64)
        )
        ids = ids[ids >= 0]
        pad_id, pad_value, n_bins = (
            vocab[args["pad_token"]],
            float(args["pad_value"]),
            int(args["n_bins"]),
        )
        cls_id, limit = vocab["<cls>"], int(self.params["max_length"]) - 1
        batch = self.resolved_batch_size(ctx)
        out = np.zeros((X.shape[0], args["embsize"]), dtype=np.float32)
        model.to(device)
        for start in range(0, X.shape[0], batch):
            stop = min(start + batch, X.shape[0])
            seqs = []
            for cell in range(start, stop):
                row = X[cell]
                keep = row.data > 0
                genes, values = ids[row.indices[keep]], row.data[keep]
                rng = cell_rng(ctx.seed, cell)
                bins = bin_values(values, n_bins, rng).astype(np.float32)
                if genes.size > limit:
                    pick = rng.permutation(genes.size)[:limit]
                    genes, bins = genes[pick], bins[pick]
                seqs.append((np.concatenate([[cls_id], genes]), np.concatenate([[pad_value], bins])))
            length = max(s[0].size for s in seqs)
            g = np.full((len(seqs), length), pad_id, dtype=np.int64)
            v = np.full((len(seqs), length), pad_value, dtype=np.float32)
            for k, (gs, vs) in enumerate(seqs):
                g[k, : gs.size], v[k, : vs.size] = gs, vs
            with torch.no_grad(), autocast_fp16(device):
                hidden = model.encode(torch.from_numpy(g).to(device), torch.from_numpy(v).to(device))
            out[start:stop] = hidden[:, 0].float().cpu().numpy()
            advance(stop - start)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)
