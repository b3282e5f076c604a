"""``sclm``: a reference single-cell language model, trained from its suite config.

A small transformer over gene tokens and binned expression (:mod:`.sclm_net`), the design
family of scGPT and its peers, trained by masked-expression modelling. It provides cell
embeddings (``<cls>`` state, or mean pooling) and reconstructions of masked expression.

Where it learns from:

- by default, the cells it is asked about (self-supervised, as PCA fits on its data set).
  For ``reconstruct`` it trains on the *masked* matrix, whose hidden entries it never
  sees, so no answer leaks into training;
- ``train_path``: an ``.h5ad`` or ``.h5t`` file streamed through a DataLoader;
- ``weights_path``: a checkpoint saved by ``save_path`` (loaded with
  ``torch.load(weights_only=True)``; no training then).

A data set whose AnnData is backed by an ``.h5ad`` file is streamed from it as well.
Parameters (defaults train in seconds on a CPU): ``d_model`` 32, ``n_layers`` 2,
``n_heads`` 2, ``n_bins`` 11, ``max_genes`` 64, ``epochs`` 2, ``lr`` 3e-3,
``batch_size`` 32, ``mask_ratio`` 0.3, ``dropout`` 0.0, ``pooling`` "cls"|"mean",
``seed`` 0 (added to the run's seed: the seed of weights, sampling and masking), ``train_path``,
``genes_key`` (gene names in an ``.h5t``), ``weights_path``, ``save_path``.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from anndata import AnnData

from ..datasets.base import Dataset
from ..errors import ModelError
from ..filemode import keep_mode
from ..registry import register_model
from .base import ModelAdapter, RunContext
from .cells import CellSource, H5CSRSource, MatrixSource
from .mean import observed_gene_means
from .precomputed import file_sha256
from .torchutil import load_state, one_cpu_thread, require_torch, torch_device

if TYPE_CHECKING:
    from .sclm_net import SCLMConfig, SCLMNet

#: Identifies checkpoints written by :meth:`SCLM.save`.
CHECKPOINT_FORMAT = "pytest_scbench.sclm/1"

_NET_FIELDS = (
    "d_model",
    "n_layers",
    "n_heads",
    "n_bins",
    "max_genes",
    "epochs",
    "lr",
    "batch_size",
    "mask_ratio",
    "dropout",
    "pooling",
    "seed",
)


def source_of(adata: AnnData) -> CellSource:
    """Stream a backed AnnData from its file; wrap an in-memory one."""
    if adata.isbacked and adata.filename is not None:
        return H5CSRSource(adata.filename)
    return MatrixSource(adata.X, adata.var_names)


@register_model("sclm")
class SCLM(ModelAdapter):
    """The reference scLM; see the module docstring for what it learns from."""

    provides: ClassVar[frozenset[str]] = frozenset({"embedding", "reconstruction"})
    device: ClassVar[str] = "cpu"
    batch_size: ClassVar[int] = 64
    defaults: ClassVar[dict[str, Any] | None] = {
        "d_model": 32,
        "n_layers": 2,
        "n_heads": 2,
        "n_bins": 11,
        "max_genes": 64,
        "epochs": 2,
        "lr": 3e-3,
        "batch_size": 32,
        "mask_ratio": 0.3,
        "dropout": 0.0,
        "pooling": "cls",
        "seed": 0,
        "train_path": None,
        "genes_key": None,
        "weights_path": None,
        "save_path": None,
    }
    default_name: ClassVar[str] = "sclm"
    output_params: ClassVar[frozenset[str]] = frozenset({"save_path"})

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self.require_positive("d_model", "n_layers", "n_heads", "max_genes", "epochs", "lr", "batch_size")
        p = self.params
        if p["d_model"] % p["n_heads"]:
            raise ModelError(f"model {self.name!r}: d_model {p['d_model']} is not divisible by n_heads {p['n_heads']}")
        if p["n_bins"] < 3:
            raise ModelError(f"model {self.name!r}: n_bins must be at least 3, got {p['n_bins']}")
        if not 0 < p["mask_ratio"] < 1:
            raise ModelError(f"model {self.name!r}: mask_ratio must be in (0, 1), got {p['mask_ratio']}")
        if p["pooling"] not in ("cls", "mean"):
            raise ModelError(f"model {self.name!r}: pooling must be 'cls' or 'mean', got {p['pooling']!r}")
        #: Trained networks by training data ("weights", "train_path" or a data set id).
        self._trained: dict[str, tuple[SCLMNet, np.ndarray]] = {}
        #: Mean masked-modelling loss per epoch of the last training run.
        self.losses: list[float] = []

    def config(self, ctx: RunContext | None = None) -> SCLMConfig:
        """The network config; its seed is the ``seed`` parameter plus the run's seed, so a
        suite run with several seeds trains several models."""
        from .sclm_net import SCLMConfig

        fields = {k: self.params[k] for k in _NET_FIELDS}
        fields["seed"] = int(fields["seed"]) + (ctx.seed if ctx is not None else 0)
        return SCLMConfig(**fields)

    def weights_digest(self) -> str:
        parts = []
        for key in ("weights_path", "train_path"):
            if self.params[key]:
                path = Path(self.params[key])
                if not path.is_file():
                    raise ModelError(f"model {self.name!r}: {key} {path} does not exist")
                parts.append(f"{key}={file_sha256(path)}")
        return ";".join(parts)

    # -- training and loading ----------------------------------------------------------------
    def _network(self, data_id: str, source: CellSource, ctx: RunContext) -> tuple[SCLMNet, dict[str, int]]:
        """The trained network and its gene vocabulary (name -> token id)."""
        if self.params["weights_path"]:
            key = "weights"
        elif self.params["train_path"]:
            key = "train_path"
        else:
            key = data_id
        key = f"{key}:seed={self.config(ctx).seed}"
        if key not in self._trained:
            self._trained[key] = self._build(key, source, ctx)
        net, genes = self._trained[key]
        return net, {g: i + 2 for i, g in enumerate(genes)}

    def _build(self, key: str, source: CellSource, ctx: RunContext) -> tuple[SCLMNet, np.ndarray]:
        import torch

        from .sclm_net import SCLMNet, TokenDataset, train

        if key.startswith("weights:"):
            return self.load(Path(self.params["weights_path"]))
        if key.startswith("train_path:"):
            source = H5CSRSource(self.params["train_path"], genes_key=self.params["genes_key"])
        genes = np.asarray(source.gene_names).astype(str)
        if len(set(genes)) != len(genes):
            raise ModelError(f"model {self.name!r}: the training genes have duplicate names")
        config = self.config(ctx)
        torch.manual_seed(config.seed)
        net = SCLMNet(len(genes), config)
        gene_map = np.arange(2, len(genes) + 2, dtype=np.int64)
        device = torch_device(ctx, self.name)
        with one_cpu_thread(device):
            self.losses = train(net, TokenDataset(source, gene_map, config), device)
        net.cpu()
        if self.params["save_path"]:
            self.save(net, genes, Path(self.params["save_path"]), config)
        return net, genes

    def save(self, net: SCLMNet, genes: np.ndarray, path: Path, config: SCLMConfig) -> None:
        """Write the weights, config and gene list (plain types: loadable with weights_only).

        Atomically, and only over a file that is itself an sclm checkpoint: a ``save_path``
        naming any other existing file (the suite, a data set) is refused.
        """
        import torch

        if path.exists() and not _is_checkpoint(path):
            raise ModelError(
                f"model {self.name!r}: save_path {path} exists and is not an sclm checkpoint; "
                "it is not overwritten (choose another save_path)"
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        state = {k: v.detach().cpu() for k, v in net.state_dict().items()}
        payload = {
            "format": CHECKPOINT_FORMAT,
            "config": config.as_dict(),
            "genes": [str(g) for g in genes],
            "state_dict": state,
        }
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                torch.save(payload, fh)
            keep_mode(tmp, path)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def load(self, path: Path) -> tuple[SCLMNet, np.ndarray]:
        """Read a checkpoint written by :meth:`save`; its shape must match the parameters."""
        import torch

        from .sclm_net import SCLMNet

        try:
            payload = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as exc:
            raise ModelError(f"model {self.name!r}: cannot load {path}: {type(exc).__name__}: {exc}") from exc
        if not isinstance(payload, dict) or payload.get("format") != CHECKPOINT_FORMAT:
            raise ModelError(f"model {self.name!r}: {path} is not an sclm checkpoint ({CHECKPOINT_FORMAT})")
        config = self.config()
        saved = payload["config"]
        differ = {
            k: (saved.get(k), getattr(config, k)) for k in config.SHAPE_FIELDS if saved.get(k) != getattr(config, k)
        }
        if differ:
            detail = ", ".join(f"{k}: file {a!r} vs params {b!r}" for k, (a, b) in differ.items())
            raise ModelError(f"model {self.name!r}: checkpoint {path} does not match the parameters ({detail})")
        genes = np.asarray(payload["genes"]).astype(str)
        net = SCLMNet(len(genes), config)
        load_state(net, payload["state_dict"], path, self.name)
        net.eval()
        return net, genes

    # -- outputs ------------------------------------------------------------------------------
    def embed(self, dataset: Dataset, ctx: RunContext) -> np.ndarray:
        require_torch(self.name)
        from .sclm_net import embed

        source = source_of(dataset.adata)
        net, vocab = self._network(f"data:{dataset.fingerprint}", source, ctx)
        gene_map = self._gene_map(source.gene_names, vocab, dataset.name)
        device = torch_device(ctx, self.name)
        with one_cpu_thread(device):
            return embed(net, source, gene_map, self.config(ctx), device, self.resolved_batch_size(ctx))

    def reconstruct(self, dataset: Dataset, masked: AnnData, ctx: RunContext) -> np.ndarray:
        require_torch(self.name)
        from .sclm_net import reconstruct

        source = MatrixSource(masked.X, masked.var_names)
        masked_id = f"masked:{dataset.fingerprint}:{_content_id(masked)}"
        net, vocab = self._network(masked_id, source, ctx)
        gene_map = self._gene_map(masked.var_names, vocab, dataset.name)
        device = torch_device(ctx, self.name)
        with one_cpu_thread(device):
            return reconstruct(
                net,
                masked.X,
                gene_map,
                self.config(ctx),
                device,
                self.resolved_batch_size(ctx),
                ctx.seed,
                observed_gene_means(masked.X),
            )

    def _gene_map(self, names: Any, vocab: dict[str, int], dataset: str) -> np.ndarray:
        gene_map = np.asarray([vocab.get(str(g), -1) for g in names], dtype=np.int64)
        if not (gene_map >= 0).any():
            raise ModelError(
                f"model {self.name!r}: none of dataset {dataset!r}'s genes is in the model's "
                f"vocabulary of {len(vocab)} genes (first genes: {list(names[:5])})"
            )
        return gene_map


def _is_checkpoint(path: Path) -> bool:
    """Whether ``path`` is a checkpoint :meth:`SCLM.save` wrote (read with weights_only)."""
    import torch

    if not path.is_file():
        return False
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception:  # any unreadable file is simply not one of ours
        return False
    return isinstance(payload, dict) and payload.get("format") == CHECKPOINT_FORMAT


def _content_id(adata: AnnData) -> str:
    """A cheap content id of a masked matrix (which entries are hidden and their values)."""
    import hashlib

    from scipy import sparse

    X = adata.X
    digest = hashlib.sha256()
    if sparse.issparse(X):
        X = sparse.csr_matrix(X)
        for part in (X.indptr, X.indices, X.data):
            digest.update(np.ascontiguousarray(part).tobytes())
    else:
        digest.update(np.ascontiguousarray(X).tobytes())
    return digest.hexdigest()[:16]
