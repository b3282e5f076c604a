"""scGPT's ``TransformerModel``, re-implemented in torch with the published state_dict keys.

Only what cell embedding needs, plus the expression decoder so that a checkpoint's keys
are checked whole. The names follow ``scgpt/model/model.py`` (bowang-lab/scGPT):

=====================================  ===============================================
key prefix                             module
=====================================  ===============================================
``encoder.embedding``                  gene-token embedding (ntoken x embsize)
``encoder.enc_norm``                   its LayerNorm
``value_encoder.linear1/linear2/norm`` ContinuousValueEncoder (values clamped at 512)
``transformer_encoder.layers.N.``      ``self_attn.in_proj_weight/in_proj_bias``,
                                       ``self_attn.out_proj``, ``linear1``, ``linear2``,
                                       ``norm1``, ``norm2`` (post-norm, ReLU)
``decoder.fc.0/2/4``                   ExprDecoder (Linear, LeakyReLU, ...)
=====================================  ===============================================

Checkpoints trained with flash attention store ``self_attn.Wqkv.weight/bias`` for the
packed input projection; :func:`rename_flash_keys` maps them to ``in_proj_*`` as scGPT's
own ``load_pretrained`` does. Heads not used for embedding (``cls_decoder``,
``mvc_decoder``, ``grad_reverse_discriminator``, ``batch_encoder``, ``dsbn``, ``bn``) are
recognised and ignored.
"""

from __future__ import annotations

import re
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

#: Checkpoint key prefixes of scGPT heads that cell embedding does not use.
IGNORED_PREFIXES = (
    "cls_decoder.",
    "mvc_decoder.",
    "grad_reverse_discriminator.",
    "batch_encoder.",
    "dsbn.",
    "bn.",
    "decoder.zero_logit.",
    "sim.",
    "creterion_cce.",
)

_FLASH_RULES = (
    (re.compile(r"self_attn\._impl\.Wqkv\."), "self_attn.in_proj_"),
    (re.compile(r"self_attn\.Wqkv\."), "self_attn.in_proj_"),
    (re.compile(r"self_attn\._impl\.out_proj\."), "self_attn.out_proj."),
)


def rename_flash_keys(state: dict[str, Any]) -> dict[str, Any]:
    """Map flash-attention parameter names to torch's ``MultiheadAttention`` names."""
    out = {}
    for key, value in state.items():
        for pattern, repl in _FLASH_RULES:
            key = pattern.sub(repl, key)
        out[key] = value
    return out


class GeneEncoder(nn.Module):
    def __init__(self, ntoken: int, d_model: int, padding_idx: int) -> None:
        super().__init__()
        self.embedding = nn.Embedding(ntoken, d_model, padding_idx=padding_idx)
        self.enc_norm = nn.LayerNorm(d_model)

    def forward(self, x: Tensor) -> Tensor:
        return self.enc_norm(self.embedding(x))


class ContinuousValueEncoder(nn.Module):
    """A value -> Linear(1, d) -> ReLU -> Linear(d, d) -> LayerNorm, values clamped at 512."""

    def __init__(self, d_model: int, max_value: float = 512.0) -> None:
        super().__init__()
        self.linear1 = nn.Linear(1, d_model)
        self.linear2 = nn.Linear(d_model, d_model)
        self.norm = nn.LayerNorm(d_model)
        self.max_value = max_value

    def forward(self, x: Tensor) -> Tensor:
        x = torch.clamp(x.unsqueeze(-1), max=self.max_value)
        return self.norm(self.linear2(F.relu(self.linear1(x))))


class EncoderLayer(nn.Module):
    """torch's TransformerEncoderLayer layout (post-norm by default, ReLU), as scGPT uses it."""

    def __init__(self, d_model: int, nhead: int, d_hid: int, pre_norm: bool = False) -> None:
        super().__init__()
        self.self_attn = nn.MultiheadAttention(d_model, nhead, batch_first=True)
        self.linear1 = nn.Linear(d_model, d_hid)
        self.linear2 = nn.Linear(d_hid, d_model)
        self.norm1 = nn.LayerNorm(d_model)
        self.norm2 = nn.LayerNorm(d_model)
        self.pre_norm = pre_norm

    def forward(self, src: Tensor, padding: Tensor) -> Tensor:
        if self.pre_norm:  # scGPT's "pre" scheme: the residual is added to the normed input
            src = self.norm1(src)
            src = src + self.self_attn(src, src, src, key_padding_mask=padding, need_weights=False)[0]
            src = self.norm2(src)
            return src + self.linear2(F.relu(self.linear1(src)))
        src = self.norm1(src + self.self_attn(src, src, src, key_padding_mask=padding, need_weights=False)[0])
        return self.norm2(src + self.linear2(F.relu(self.linear1(src))))


class Encoder(nn.Module):
    def __init__(self, layers: list[EncoderLayer]) -> None:
        super().__init__()
        self.layers = nn.ModuleList(layers)

    def forward(self, x: Tensor, padding: Tensor) -> Tensor:
        for layer in self.layers:
            x = layer(x, padding)
        return x


class ExprDecoder(nn.Module):
    def __init__(self, d_model: int) -> None:
        super().__init__()
        self.fc = nn.Sequential(
            nn.Linear(d_model, d_model),
            nn.LeakyReLU(),
            nn.Linear(d_model, d_model),
            nn.LeakyReLU(),
            nn.Linear(d_model, 1),
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.fc(x).squeeze(-1)


class ScGPTModel(nn.Module):
    """Gene embedding + continuous value encoding -> transformer encoder (scGPT ``_encode``)."""

    def __init__(
        self,
        ntoken: int,
        d_model: int,
        nhead: int,
        d_hid: int,
        nlayers: int,
        pad_id: int,
        pre_norm: bool = False,
    ) -> None:
        super().__init__()
        self.encoder = GeneEncoder(ntoken, d_model, pad_id)
        self.value_encoder = ContinuousValueEncoder(d_model)
        self.transformer_encoder = Encoder([EncoderLayer(d_model, nhead, d_hid, pre_norm) for _ in range(nlayers)])
        self.decoder = ExprDecoder(d_model)
        self.pad_id = pad_id

    def encode(self, genes: Tensor, values: Tensor) -> Tensor:
        """Hidden states (batch, length, d_model); ``genes == pad_id`` marks padding."""
        x = self.encoder(genes) + self.value_encoder(values)
        return self.transformer_encoder(x, genes.eq(self.pad_id))
