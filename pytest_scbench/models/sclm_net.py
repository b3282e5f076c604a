"""The torch side of ``sclm``: network, cell tokenisation, training and inference.

A cell becomes a sequence ``<cls>, (gene_1, bin_1), ..., (gene_L, bin_L)``: each token is
the sum of a gene-id embedding and a value embedding of the gene's expression bin (per-cell
quantile bins, :mod:`.binning`, as scGPT bins). Up to half of the ``max_genes`` tokens are
a seeded sample of the cell's expressed genes and the rest a seeded sample of its silent
ones (either half takes the other's unused room), so the model learns both. Training is
masked-expression modelling: ``mask_ratio`` of a cell's gene tokens have their value
replaced by ``<mask>`` and the network predicts their bins (cross-entropy), once from each
token's own state and once from the ``<cls>`` state and the gene's identity only. Entries of the
input equal to ``MASK_VALUE`` (-1) are unobserved: never tokens, never targets.

Unlike scGPT, a value tied with bin edges always takes the same bin (``side="one"``), so
the targets carry no tie-breaking noise; counts of a few UMIs are full of ties.

Every random choice (weights, gene sampling, masking, batch order)
comes from the seed; on the CPU a run is bit-for-bit reproducible.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn
from torch.utils.data import DataLoader, Dataset

from ..progress import advance
from .base import MASK_VALUE
from .binning import bin_representatives, bin_values, cell_rng
from .cells import CellSource

PAD, CLS = 0, 1  # gene-token ids; genes are 2 .. n_genes + 1


@dataclass(frozen=True)
class SCLMConfig:
    """The network's shape and its training recipe."""

    d_model: int = 32
    n_layers: int = 2
    n_heads: int = 2
    n_bins: int = 11
    max_genes: int = 64
    epochs: int = 2
    lr: float = 3e-3
    batch_size: int = 32
    mask_ratio: float = 0.3
    dropout: float = 0.0
    pooling: str = "cls"
    seed: int = 0

    #: The fields that decide the weights' shapes: a checkpoint must agree on these.
    SHAPE_FIELDS = ("d_model", "n_layers", "n_heads", "n_bins")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def mask_token(self) -> int:
        return self.n_bins

    @property
    def pad_value(self) -> int:
        return self.n_bins + 1


class SCLMNet(nn.Module):
    """Gene embedding + value embedding -> transformer encoder -> bin logits per token."""

    def __init__(self, n_genes: int, config: SCLMConfig) -> None:
        super().__init__()
        d = config.d_model
        self.gene_embedding = nn.Embedding(n_genes + 2, d, padding_idx=PAD)
        self.value_embedding = nn.Embedding(config.n_bins + 2, d)
        self.norm = nn.LayerNorm(d)
        layer = nn.TransformerEncoderLayer(d, config.n_heads, 4 * d, config.dropout, batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, config.n_layers, enable_nested_tensor=False)
        self.final_norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, config.n_bins)
        # Predicts a gene's bin from the cell state and the gene's embedding alone (scGPT's
        # "MVC" objective): it is what makes the <cls> state a summary of the cell.
        self.cell_head = nn.Sequential(nn.Linear(2 * d, d), nn.ReLU(), nn.Linear(d, config.n_bins))

    def forward(self, genes: Tensor, values: Tensor) -> Tensor:
        """Hidden states (batch, length, d_model); ``genes == PAD`` marks padding."""
        x = self.norm(self.gene_embedding(genes) + self.value_embedding(values))
        return self.final_norm(self.encoder(x, src_key_padding_mask=genes.eq(PAD)))

    def cell_logits(self, hidden: Tensor, genes: Tensor) -> Tensor:
        """Bin logits of every gene token predicted from the ``<cls>`` state only."""
        cell = hidden[:, :1].expand(-1, genes.shape[1], -1)
        return self.cell_head(torch.cat([cell, self.gene_embedding(genes)], dim=-1))


# -- tokenisation ---------------------------------------------------------------------------
def tokenize(
    gene_ids: np.ndarray,
    values: np.ndarray,
    candidates: np.ndarray,
    config: SCLMConfig,
    rng: np.random.Generator,
    budget: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """One cell's (gene tokens, value bins), at most ``budget`` (default ``max_genes``) long.

    ``gene_ids``/``values`` are the cell's stored entries mapped to token ids (unknown genes
    already dropped); entries equal to ``MASK_VALUE`` are unobserved and left out, and so
    are they from the zero genes, which are the ``candidates`` not among ``gene_ids``.
    """
    budget = config.max_genes if budget is None else budget
    observed = values != MASK_VALUE
    nz = observed & (values > 0)
    nz_genes, nz_values = gene_ids[nz], values[nz]
    bins = bin_values(nz_values, config.n_bins)  # ties take one bin: no label noise
    pool = np.setdiff1d(candidates, gene_ids)
    # Half the budget for expressed genes and half for silent ones (either side takes the
    # other's unused room), so the model learns both what is on and what is off.
    n_nz = min(nz_genes.size, max(budget // 2, budget - pool.size))
    n_zero = min(pool.size, budget - n_nz)
    if nz_genes.size > n_nz:
        pick = np.sort(rng.choice(nz_genes.size, n_nz, replace=False))
        nz_genes, bins = nz_genes[pick], bins[pick]
    zeros = rng.choice(pool, n_zero, replace=False) if n_zero > 0 else np.zeros(0, dtype=np.int64)
    genes = np.concatenate([nz_genes, zeros]).astype(np.int64)
    return genes, np.concatenate([bins, np.zeros(zeros.size, dtype=np.int64)])


def tokenize_expressed(gene_ids: np.ndarray, values: np.ndarray, config: SCLMConfig) -> tuple[np.ndarray, np.ndarray]:
    """One cell's ``max_genes`` most expressed genes and their bins, for embedding.

    Deterministic (ties keep the data set's gene order); silent genes are left out, as
    scGPT does when it embeds cells: they carry little of a cell's identity.
    """
    keep = (values != MASK_VALUE) & (values > 0)
    genes, vals = gene_ids[keep], values[keep]
    bins = bin_values(vals, config.n_bins)
    top = np.argsort(-vals, kind="stable")[: config.max_genes]
    return genes[top].astype(np.int64), bins[top]


class TokenDataset(Dataset):
    """Cells of a :class:`CellSource` as masked token sequences for training.

    ``gene_map[j]`` is the token id of the source's gene ``j`` (-1: not in the vocabulary).
    Item ``i`` of epoch ``e`` is drawn with the generator seeded by (seed, e, i).
    """

    def __init__(self, source: CellSource, gene_map: np.ndarray, config: SCLMConfig) -> None:
        self.source, self.gene_map, self.config = source, gene_map, config
        self.candidates = np.unique(gene_map[gene_map >= 0])
        self.epoch = 0

    def __len__(self) -> int:
        return self.source.n_cells

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        row = self.source.rows([index])
        genes, values = row_tokens(row.indices, row.data, self.gene_map)
        rng = np.random.default_rng([self.config.seed, self.epoch, index])
        tokens, bins = tokenize(genes, values, self.candidates, self.config, rng)
        n_mask = max(1, round(self.config.mask_ratio * tokens.size)) if tokens.size else 0
        masked = np.zeros(tokens.size, dtype=bool)
        masked[rng.choice(tokens.size, n_mask, replace=False)] = True
        return tokens, bins, masked


def row_tokens(indices: np.ndarray, data: np.ndarray, gene_map: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A CSR row's entries mapped to token ids, dropping genes outside the vocabulary."""
    ids = gene_map[indices]
    keep = ids >= 0
    return ids[keep], np.asarray(data, dtype=np.float64)[keep]


def collate(batch: Sequence[tuple[np.ndarray, ...]], config: SCLMConfig) -> dict[str, Tensor]:
    """Pad a list of (tokens, bins[, masked]) to one batch with a leading ``<cls>``."""
    length = 1 + max(item[0].size for item in batch)
    genes = np.full((len(batch), length), PAD, dtype=np.int64)
    values = np.full((len(batch), length), config.pad_value, dtype=np.int64)
    targets = np.full((len(batch), length), -100, dtype=np.int64)
    for row, item in enumerate(batch):
        tokens, bins = item[0], item[1]
        n = tokens.size
        genes[row, 0] = CLS
        genes[row, 1 : n + 1] = tokens
        values[row, 1 : n + 1] = bins
        if len(item) > 2:
            masked = item[2]
            targets[row, 1 : n + 1][masked] = bins[masked]
            values[row, 1 : n + 1][masked] = config.mask_token
    return {
        "genes": torch.from_numpy(genes),
        "values": torch.from_numpy(values),
        "targets": torch.from_numpy(targets),
    }


# -- running ----------------------------------------------------------------------------------
def autocast(device: torch.device) -> contextlib.AbstractContextManager[Any]:
    """bfloat16 autocast on CUDA (mixed precision), nothing on the CPU (exact float32)."""
    if device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def train(net: SCLMNet, data: TokenDataset, device: torch.device) -> list[float]:
    """Masked-expression training for ``config.epochs`` epochs; the mean loss of each epoch."""
    config = data.config
    generator = torch.Generator().manual_seed(config.seed)
    loader = DataLoader(
        data,
        batch_size=config.batch_size,
        shuffle=True,
        generator=generator,
        collate_fn=lambda batch: collate(batch, config),
        num_workers=0,
    )
    optimizer = torch.optim.AdamW(net.parameters(), lr=config.lr, weight_decay=0.01)
    steps = max(1, config.epochs * math.ceil(len(data) / config.batch_size))
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=config.lr, total_steps=steps, pct_start=0.1)
    loss_fn = nn.CrossEntropyLoss(ignore_index=-100)
    net.to(device).train()
    losses = []
    for epoch in range(config.epochs):
        data.epoch = epoch
        total, count = 0.0, 0
        for batch in loader:
            genes, values = batch["genes"].to(device), batch["values"].to(device)
            targets = batch["targets"].to(device)
            with autocast(device):
                hidden = net(genes, values)
                flat = targets.reshape(-1)
                loss = loss_fn(net.head(hidden).float().reshape(-1, config.n_bins), flat)
                loss = loss + loss_fn(net.cell_logits(hidden, genes).float().reshape(-1, config.n_bins), flat)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            total, count = total + float(loss.detach()), count + 1
        losses.append(total / max(count, 1))
    net.eval()
    return losses


def _batches(n: int, size: int) -> Iterator[range]:
    for start in range(0, n, size):
        yield range(start, min(start + size, n))


@torch.no_grad()
def embed(
    net: SCLMNet,
    source: CellSource,
    gene_map: np.ndarray,
    config: SCLMConfig,
    device: torch.device,
    batch_size: int,
) -> np.ndarray:
    """Cell embeddings (n_cells, d_model): the ``<cls>`` state or the mean over gene tokens,
    reading each cell's ``max_genes`` most expressed genes (:func:`tokenize_expressed`)."""
    net.to(device).eval()
    out = np.zeros((source.n_cells, config.d_model), dtype=np.float32)
    for block in _batches(source.n_cells, batch_size):
        rows = source.rows(list(block))
        items = []
        for k in range(len(block)):
            row = rows[k]
            genes, values = row_tokens(row.indices, row.data, gene_map)
            items.append(tokenize_expressed(genes, values, config))
        batch = collate(items, config)
        genes_t, values_t = batch["genes"].to(device), batch["values"].to(device)
        with autocast(device):
            hidden = net(genes_t, values_t).float()
        if config.pooling == "cls":
            pooled = hidden[:, 0]
        else:
            keep = (genes_t > CLS).unsqueeze(-1).float()
            pooled = (hidden * keep).sum(1) / keep.sum(1).clamp(min=1.0)
        out[block.start : block.stop] = pooled.cpu().numpy()
        advance(len(block))
    return out


@torch.no_grad()
def reconstruct(
    net: SCLMNet,
    masked: Any,
    gene_map: np.ndarray,
    config: SCLMConfig,
    device: torch.device,
    batch_size: int,
    seed: int,
    fallback: np.ndarray,
) -> np.ndarray:
    """Fill the ``MASK_VALUE`` entries of ``masked`` (cells x genes CSR, counts) with predictions.

    Each cell is read with its observed entries as context (non-zero first, up to half of
    ``max_genes``) and its masked genes, in chunks of the other half, as ``<mask>`` tokens.
    The predicted bin distribution is turned into counts with the cell's own bin values
    (:func:`.binning.bin_representatives` of its observed entries): the expected value.
    Masked genes outside the vocabulary get ``fallback`` (the observed gene means).
    """
    from scipy import sparse

    net.to(device).eval()
    X = sparse.csr_matrix(masked, dtype=np.float64)
    out = X.toarray()
    candidates = np.unique(gene_map[gene_map >= 0])
    context_len = max(1, config.max_genes // 2)
    chunk_len = max(1, config.max_genes - context_len)
    jobs: list[tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
    for cell in range(X.shape[0]):
        row = X[cell]
        hidden_cols = row.indices[row.data == MASK_VALUE]
        if hidden_cols.size == 0:
            continue
        known = gene_map[hidden_cols] >= 0
        out[cell, hidden_cols[~known]] = fallback[hidden_cols[~known]]
        hidden_cols = hidden_cols[known]
        rng = cell_rng(seed, cell)
        genes, values = row_tokens(row.indices, row.data, gene_map)
        ctx_genes, ctx_bins = tokenize(genes, values, candidates, config, rng, budget=context_len)
        obs = (values != MASK_VALUE) & (values > 0)
        all_bins = bin_values(values[obs], config.n_bins, None)
        reps = bin_representatives(values[obs], all_bins, config.n_bins)
        for start in range(0, hidden_cols.size, chunk_len):
            cols = hidden_cols[start : start + chunk_len]
            jobs.append((cell, cols, ctx_genes, ctx_bins, reps))
    for block in _batches(len(jobs), batch_size):
        items = []
        for j in block:
            _, cols, ctx_genes, ctx_bins, _ = jobs[j]
            tokens = np.concatenate([ctx_genes, gene_map[cols]])
            bins = np.concatenate([ctx_bins, np.zeros(cols.size, dtype=np.int64)])
            is_masked = np.concatenate([np.zeros(ctx_genes.size, bool), np.ones(cols.size, bool)])
            items.append((tokens, bins, is_masked))
        batch = collate(items, config)
        with autocast(device):
            logits = net.head(net(batch["genes"].to(device), batch["values"].to(device))).float()
        probs = torch.softmax(logits, dim=-1).cpu().numpy()
        for k, j in enumerate(block):
            cell, cols, ctx_genes, _, reps = jobs[j]
            start = 1 + ctx_genes.size
            out[cell, cols] = probs[k, start : start + cols.size] @ reps
    return out
