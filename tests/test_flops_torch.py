"""Independent check: PyTorch's FlopCounterMode on small models built from a shape agrees with forward_flops.

Two small causal language models are written here from a :class:`ModelShape` (no weights
are downloaded; random initialisation): a GPT-style one (learned positions, LayerNorm,
GELU MLP, multi-head attention, tied embeddings) and a Llama-style one (RMSNorm, rotary
embeddings, SwiGLU, grouped-query attention, untied head). ``FlopCounterMode`` counts the
FLOP of every matmul the CPU actually runs, forward and backward, 2 per multiply-add, so
it checks the parts of :mod:`flopsheet.formulas.training.flops` independently of their formulas.

torch is the ``torch`` extra (``pip install -e ".[test,torch]"``, which setup.sh does);
outside CI a missing torch skips this module with the reason, under ``CI=true`` it fails.
"""

from __future__ import annotations

import math
import os

import pytest

import flopsheet
from flopsheet.formulas.training.flops import forward_flops
from flopsheet.formulas.catalogues.shapes import ModelShape

if os.environ.get("CI", "").lower() == "true":
    import torch  # a missing torch fails under CI
else:
    torch = pytest.importorskip("torch", reason='torch is the test extra: pip install -e ".[test,torch]"')

from torch import nn  # noqa: E402
from torch.nn import functional as F  # noqa: E402
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

#: Issue 14 asks for agreement within 2%. Both count exactly the matmuls (the counter sees
#: aten mm/addmm/bmm, 2 FLOP per multiply-add, and nothing element-wise), so they agree to
#: rounding; docs/guides/training.md "Checked against PyTorch" explains what both leave out.
AGREEMENT = 1e-9
SEQ_LEN = 64
BATCH = 2

GPT_STYLE = flopsheet.model_shape(name="tiny GPT", layers=2, d_model=128, heads=4, vocab=512, tied_embeddings=True,
                                  positions="learned", norm="layernorm", bias="all", max_context=SEQ_LEN)
LLAMA_STYLE = flopsheet.model_shape(name="tiny Llama", layers=3, d_model=128, heads=8, kv_heads=2, ffn=344,
                                    gated=True, vocab=512, max_context=SEQ_LEN)
MOE_STYLE = flopsheet.model_shape(name="tiny Mixtral", layers=2, d_model=128, heads=8, kv_heads=2, ffn=256,
                                  gated=True, vocab=512, experts=4, active_experts=2, max_context=SEQ_LEN)


class RMSNorm(nn.Module):
    """Root-mean-square norm with a gain (Zhang and Sennrich 2019), as in Llama."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(width))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6) * self.weight


def rotate(x: torch.Tensor) -> torch.Tensor:
    """Rotary position embedding (Su et al. 2021) on the last dimension; element-wise only."""
    seq, half = x.shape[-2], x.shape[-1] // 2
    frequencies = 1.0 / (10000 ** (torch.arange(half, dtype=torch.float32) / half))
    angles = torch.arange(seq, dtype=torch.float32)[:, None] * frequencies[None, :]
    cos, sin = angles.cos(), angles.sin()
    first, second = x[..., :half], x[..., half:]
    return torch.cat([first * cos - second * sin, first * sin + second * cos], dim=-1)


class Attention(nn.Module):
    """Causal attention with ``kv_heads`` key/value heads, scores and values as explicit matmuls."""

    def __init__(self, shape: ModelShape) -> None:
        super().__init__()
        bias = shape.bias != "none"
        self.shape = shape
        self.q = nn.Linear(shape.d_model, shape.heads * shape.head_dim, bias=bias)
        self.k = nn.Linear(shape.d_model, shape.kv_heads * shape.head_dim, bias=bias)
        self.v = nn.Linear(shape.d_model, shape.kv_heads * shape.head_dim, bias=bias)
        self.o = nn.Linear(shape.heads * shape.head_dim, shape.d_model, bias=shape.bias == "all")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, seq, _ = x.shape
        shape = self.shape
        q = self.q(x).view(batch, seq, shape.heads, shape.head_dim).transpose(1, 2)
        k = self.k(x).view(batch, seq, shape.kv_heads, shape.head_dim).transpose(1, 2)
        v = self.v(x).view(batch, seq, shape.kv_heads, shape.head_dim).transpose(1, 2)
        if shape.positions == "rope":
            q, k = rotate(q), rotate(k)
        group = shape.heads // shape.kv_heads
        k, v = k.repeat_interleave(group, dim=1), v.repeat_interleave(group, dim=1)
        scores = q @ k.transpose(-1, -2) / math.sqrt(shape.head_dim)
        mask = torch.ones(seq, seq, dtype=torch.bool).triu(1)
        weights = scores.masked_fill(mask, float("-inf")).softmax(-1)
        return self.o((weights @ v).transpose(1, 2).reshape(batch, seq, -1))


class FeedForward(nn.Module):
    """A plain GELU MLP, or SwiGLU (gate, up, down) for a gated shape."""

    def __init__(self, shape: ModelShape) -> None:
        super().__init__()
        bias = shape.bias == "all"
        self.gated = shape.gated
        self.up = nn.Linear(shape.d_model, shape.ffn, bias=bias)
        self.gate = nn.Linear(shape.d_model, shape.ffn, bias=bias) if shape.gated else None
        self.down = nn.Linear(shape.ffn, shape.d_model, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        hidden = F.silu(self.gate(x)) * self.up(x) if self.gate is not None else F.gelu(self.up(x))
        return self.down(hidden)


class MixtureOfExperts(nn.Module):
    """Top-k routed experts (Mixtral): every token goes through ``active_experts`` of them."""

    def __init__(self, shape: ModelShape) -> None:
        super().__init__()
        self.top_k = shape.active_experts
        self.router = nn.Linear(shape.d_model, shape.experts, bias=False)
        self.experts = nn.ModuleList(FeedForward(shape) for _ in range(shape.experts))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        tokens = x.reshape(-1, x.shape[-1])
        weights, chosen = self.router(tokens).softmax(-1).topk(self.top_k, dim=-1)
        out = torch.zeros_like(tokens)
        for index, expert in enumerate(self.experts):
            rows, slot = torch.nonzero(chosen == index, as_tuple=True)
            if rows.numel():
                out = out.index_add(0, rows, expert(tokens[rows]) * weights[rows, slot, None])
        return out.view_as(x)


class Block(nn.Module):
    """Pre-norm transformer block."""

    def __init__(self, shape: ModelShape) -> None:
        super().__init__()
        norm = nn.LayerNorm if shape.norm == "layernorm" else RMSNorm
        self.norm1, self.norm2 = norm(shape.d_model), norm(shape.d_model)
        self.attention = Attention(shape)
        self.ffn = MixtureOfExperts(shape) if shape.is_moe else FeedForward(shape)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attention(self.norm1(x))
        return x + self.ffn(self.norm2(x))


class LanguageModel(nn.Module):
    """A decoder-only language model built from a shape."""

    def __init__(self, shape: ModelShape) -> None:
        super().__init__()
        norm = nn.LayerNorm if shape.norm == "layernorm" else RMSNorm
        self.embed = nn.Embedding(shape.vocab, shape.d_model)
        self.positions = nn.Embedding(shape.max_context, shape.d_model) if shape.positions == "learned" else None
        self.blocks = nn.ModuleList(Block(shape) for _ in range(shape.layers))
        self.norm = norm(shape.d_model)
        self.head = nn.Linear(shape.d_model, shape.vocab, bias=False)
        if shape.tied_embeddings:
            self.head.weight = self.embed.weight

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        x = self.embed(tokens)
        if self.positions is not None:
            x = x + self.positions(torch.arange(tokens.shape[1]))
        for block in self.blocks:
            x = block(x)
        return self.head(self.norm(x))


def counted(shape: ModelShape, backward: bool) -> tuple[int, int]:
    """(FLOP counted by FlopCounterMode, parameters of the torch model)."""
    torch.manual_seed(0)
    model = LanguageModel(shape)
    tokens = torch.randint(0, shape.vocab, (BATCH, SEQ_LEN))
    counter = FlopCounterMode(display=False)
    with counter:
        logits = model(tokens)
        if backward:
            F.cross_entropy(logits.view(-1, shape.vocab), tokens.view(-1)).backward()
    return counter.get_total_flops(), sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("shape", [GPT_STYLE, LLAMA_STYLE], ids=lambda shape: shape.name)
def test_forward_agrees_with_torch(shape: ModelShape) -> None:
    flop, parameters = counted(shape, backward=False)
    assert parameters == shape.params
    assert forward_flops(shape, SEQ_LEN, BATCH).to("FLOP").m == pytest.approx(flop, rel=AGREEMENT)


@pytest.mark.parametrize("shape", [GPT_STYLE, LLAMA_STYLE], ids=lambda shape: shape.name)
def test_forward_and_backward_agree_with_torch(shape: ModelShape) -> None:
    flop, _ = counted(shape, backward=True)
    ours = flopsheet.train_flops(shape, BATCH * SEQ_LEN, seq_len=SEQ_LEN).to("FLOP").m
    assert ours == pytest.approx(flop, rel=AGREEMENT)


def test_moe_counts_the_active_experts() -> None:
    flop, parameters = counted(MOE_STYLE, backward=False)
    assert parameters == MOE_STYLE.params
    assert forward_flops(MOE_STYLE, SEQ_LEN, BATCH).to("FLOP").m == pytest.approx(flop, rel=AGREEMENT)
    trained, _ = counted(MOE_STYLE, backward=True)
    ours = flopsheet.train_flops(MOE_STYLE, BATCH * SEQ_LEN, seq_len=SEQ_LEN).to("FLOP").m
    assert ours == pytest.approx(trained, rel=AGREEMENT)
