"""The Llama / Qwen2 forward pass with Hugging Face transformers' semantics, small enough to read in one sitting.

Two independent formulations of the same model:
  forward()        batched tensor operations in PyTorch, laid out the way transformers' LlamaModel / Qwen2Model
                   compute it. This one produces the golden outputs.
  forward_loops()  plain numpy, one head and one position at a time, with RoPE written as a rotation of the pairs
                   (i, i + head_dim/2) and the Llama 3 frequency scaling written as a scalar if/else. It exists
                   only to catch mistakes in forward(); the two must agree to ~1e-12.

Both compute in float64 from the weights exactly as stored (BF16 weights are widened, not re-rounded), so the
golden outputs carry no rounding of their own beyond the final conversion to F32 on disk.

Semantics, as in transformers:
  RMSNorm(x)  = x * rsqrt(mean(x^2) + eps) * weight                      (weight multiplies after normalising)
  RoPE        rotate-half ("NeoX") layout on the HF checkpoint's q/k: x*cos + rotate_half(x)*sin, with
              cos/sin = cos/sin(position * cat(inv_freq, inv_freq)), inv_freq_i = theta^(-2i/head_dim);
              rope_scaling {"rope_type": "llama3"} rescales inv_freq per frequency band.
  attention   grouped-query: query head h reads key/value head h // (num_heads / num_kv_heads); scores scaled
              by 1/sqrt(head_dim); causal mask; softmax over keys.
  MLP         down(silu(gate(x)) * up(x))
  Qwen2       adds biases to q_proj, k_proj and v_proj (not o_proj).
  lm_head     its own matrix, or the embedding matrix when tie_word_embeddings is true.
"""

import math
from dataclasses import dataclass, field

import numpy as np
import torch


@dataclass
class ModelConfig:
    family: str  # "llama" or "qwen2": the architectures differ only in qkv biases here
    hidden_size: int
    intermediate_size: int
    num_layers: int
    num_heads: int
    num_kv_heads: int
    vocab_size: int
    max_position_embeddings: int
    rms_norm_eps: float
    rope_theta: float
    rope_scaling: dict | None = None  # as in config.json, e.g. {"rope_type": "llama3", "factor": 8.0, ...}
    tie_word_embeddings: bool = False

    @property
    def head_dim(self) -> int:
        return self.hidden_size // self.num_heads

    @property
    def has_qkv_bias(self) -> bool:
        return self.family == "qwen2"


@dataclass
class Captures:
    """Everything the engine tests compare, for one prompt of n tokens."""

    hidden: list = field(default_factory=list)  # num_layers + 1 of (n, hidden): [0] embeddings, [l+1] after layer l
    attention: list = field(default_factory=list)  # num_layers of (heads, n, n) softmax probabilities
    final_norm: torch.Tensor | None = None  # (n, hidden) final RMSNorm output
    logits: torch.Tensor | None = None  # (n, vocab)


def layer_name(layer: int, suffix: str) -> str:
    return f"model.layers.{layer}.{suffix}"


def lm_head_weight(config: ModelConfig, weights: dict) -> torch.Tensor:
    return weights["model.embed_tokens.weight"] if config.tie_word_embeddings else weights["lm_head.weight"]


# ---------------------------------------------------------------------------------------------------------------
# Batched formulation (PyTorch)
# ---------------------------------------------------------------------------------------------------------------


def rope_inv_freq(config: ModelConfig) -> torch.Tensor:
    """(head_dim/2,) angular frequency per rotated pair, after rope_scaling."""
    d = config.head_dim
    inv_freq = 1.0 / config.rope_theta ** (torch.arange(0, d, 2, dtype=torch.float64) / d)
    scaling = config.rope_scaling
    if scaling is None:
        return inv_freq
    rope_type = scaling.get("rope_type", scaling.get("type"))
    if rope_type != "llama3":
        raise ValueError(f"rope_scaling type {rope_type!r} is not implemented by this reference")

    # Llama 3: frequencies whose wavelength is shorter than original_context / high_freq_factor are kept, those
    # longer than original_context / low_freq_factor are divided by `factor`, and the band in between blends the
    # two linearly in (original_context / wavelength).
    factor = scaling["factor"]
    low_freq_factor = scaling["low_freq_factor"]
    high_freq_factor = scaling["high_freq_factor"]
    original_context = scaling["original_max_position_embeddings"]
    low_freq_wavelen = original_context / low_freq_factor
    high_freq_wavelen = original_context / high_freq_factor

    wavelen = 2 * math.pi / inv_freq
    scaled = torch.where(wavelen > low_freq_wavelen, inv_freq / factor, inv_freq)
    smooth = (original_context / wavelen - low_freq_factor) / (high_freq_factor - low_freq_factor)
    blended = (1 - smooth) * scaled / factor + smooth * scaled
    is_medium = ~(wavelen < high_freq_wavelen) & ~(wavelen > low_freq_wavelen)
    return torch.where(is_medium, blended, scaled)


def rope_cos_sin(config: ModelConfig, positions: torch.Tensor) -> tuple:
    """cos, sin: (n, head_dim), each frequency repeated for both halves as transformers lays them out."""
    angles = positions.to(torch.float64)[:, None] * rope_inv_freq(config)[None, :]  # (n, head_dim/2)
    angles = torch.cat([angles, angles], dim=-1)  # (n, head_dim)
    return angles.cos(), angles.sin()


def rotate_half(x: torch.Tensor) -> torch.Tensor:
    first, second = x.chunk(2, dim=-1)
    return torch.cat([-second, first], dim=-1)


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """x: (heads, n, head_dim)."""
    return x * cos + rotate_half(x) * sin


def rms_norm(x: torch.Tensor, weight: torch.Tensor, eps: float) -> torch.Tensor:
    return x * torch.rsqrt(x.pow(2).mean(dim=-1, keepdim=True) + eps) * weight


def linear(x: torch.Tensor, weights: dict, name: str) -> torch.Tensor:
    """x @ W^T (+ b) for a PyTorch-layout [out_features, in_features] weight."""
    y = x @ weights[name + ".weight"].T
    bias = weights.get(name + ".bias")
    return y if bias is None else y + bias


def attention_block(config: ModelConfig, weights: dict, layer: int, x: torch.Tensor, cos, sin) -> tuple:
    """x: (n, hidden) normed input. Returns the o_proj output (n, hidden) and the probabilities (heads, n, n)."""
    n = x.shape[0]
    d = config.head_dim
    prefix = layer_name(layer, "self_attn.")
    q = linear(x, weights, prefix + "q_proj").view(n, config.num_heads, d).transpose(0, 1)  # (heads, n, d)
    k = linear(x, weights, prefix + "k_proj").view(n, config.num_kv_heads, d).transpose(0, 1)  # (kv_heads, n, d)
    v = linear(x, weights, prefix + "v_proj").view(n, config.num_kv_heads, d).transpose(0, 1)  # (kv_heads, n, d)
    q = apply_rope(q, cos, sin)
    k = apply_rope(k, cos, sin)

    # Grouped-query attention: each key/value head serves num_heads / num_kv_heads consecutive query heads.
    group = config.num_heads // config.num_kv_heads
    k = k.repeat_interleave(group, dim=0)  # (heads, n, d)
    v = v.repeat_interleave(group, dim=0)

    scores = (q @ k.transpose(1, 2)) / math.sqrt(d)  # (heads, n, n)
    future = torch.triu(torch.ones(n, n, dtype=torch.bool), diagonal=1)
    scores = scores.masked_fill(future, float("-inf"))
    probs = torch.softmax(scores, dim=-1)  # exactly 0 above the diagonal
    context = (probs @ v).transpose(0, 1).reshape(n, config.num_heads * d)  # (n, hidden)
    return linear(context, weights, prefix + "o_proj"), probs


def mlp_block(weights: dict, layer: int, x: torch.Tensor) -> torch.Tensor:
    prefix = layer_name(layer, "mlp.")
    gate = linear(x, weights, prefix + "gate_proj")  # (n, intermediate)
    up = linear(x, weights, prefix + "up_proj")  # (n, intermediate)
    return linear(torch.nn.functional.silu(gate) * up, weights, prefix + "down_proj")  # (n, hidden)


def forward(config: ModelConfig, weights: dict, input_ids: list) -> Captures:
    """weights: HF tensor name -> tensor, all float64 (or all float32 to estimate an F32 engine's error).
    input_ids: token ids at positions 0..n-1."""
    eps = config.rms_norm_eps
    ids = torch.tensor(input_ids, dtype=torch.long)
    x = weights["model.embed_tokens.weight"][ids]  # (n, hidden): the residual stream
    # The tables are computed in float64 and then take the weights' type (float64 for the golden outputs).
    cos, sin = (table.to(x.dtype) for table in rope_cos_sin(config, torch.arange(len(input_ids))))
    captures = Captures()

    captures.hidden.append(x)
    for layer in range(config.num_layers):
        normed = rms_norm(x, weights[layer_name(layer, "input_layernorm.weight")], eps)
        attention_out, probs = attention_block(config, weights, layer, normed, cos, sin)
        x = x + attention_out
        normed = rms_norm(x, weights[layer_name(layer, "post_attention_layernorm.weight")], eps)
        x = x + mlp_block(weights, layer, normed)
        captures.attention.append(probs)
        captures.hidden.append(x)

    captures.final_norm = rms_norm(x, weights["model.norm.weight"], eps)
    captures.logits = captures.final_norm @ lm_head_weight(config, weights).T  # (n, vocab)
    return captures


# ---------------------------------------------------------------------------------------------------------------
# Loop formulation (numpy), written independently, for checking forward()
# ---------------------------------------------------------------------------------------------------------------


def scaled_frequency(config: ModelConfig, pair: int) -> float:
    """The angular frequency of rotated pair `pair`, one scalar at a time."""
    frequency = config.rope_theta ** (-2.0 * pair / config.head_dim)
    scaling = config.rope_scaling
    if scaling is None:
        return frequency
    wavelength = 2 * math.pi / frequency
    original = scaling["original_max_position_embeddings"]
    if wavelength < original / scaling["high_freq_factor"]:
        return frequency  # high frequency: unchanged
    if wavelength > original / scaling["low_freq_factor"]:
        return frequency / scaling["factor"]  # low frequency: interpolated by the full factor
    # In between: weight t = 0 at the low-frequency edge, 1 at the high-frequency edge.
    t = (original / wavelength - scaling["low_freq_factor"]) / (
        scaling["high_freq_factor"] - scaling["low_freq_factor"]
    )
    return (1 - t) * frequency / scaling["factor"] + t * frequency


def rotate_pairs(vector: np.ndarray, position: int, frequencies: list) -> np.ndarray:
    """Rotates (vector[i], vector[i + d/2]) by position * frequencies[i] for every i."""
    half = len(vector) // 2
    out = vector.copy()
    for i in range(half):
        angle = position * frequencies[i]
        a, b = vector[i], vector[i + half]
        out[i] = a * math.cos(angle) - b * math.sin(angle)
        out[i + half] = b * math.cos(angle) + a * math.sin(angle)
    return out


def forward_loops(config: ModelConfig, torch_weights: dict, input_ids: list) -> Captures:
    w = {name: tensor.numpy() for name, tensor in torch_weights.items()}
    n, d = len(input_ids), config.head_dim
    frequencies = [scaled_frequency(config, i) for i in range(d // 2)]

    def norm(x, weight):
        return np.stack([row / math.sqrt(float(np.mean(row * row)) + config.rms_norm_eps) * weight for row in x])

    def project(x, name):
        y = x @ w[name + ".weight"].T
        return y + w[name + ".bias"] if name + ".bias" in w else y

    captures = Captures()
    x = np.stack([w["model.embed_tokens.weight"][token] for token in input_ids])
    captures.hidden.append(torch.from_numpy(x.copy()))
    for layer in range(config.num_layers):
        prefix = layer_name(layer, "self_attn.")
        h = norm(x, w[layer_name(layer, "input_layernorm.weight")])
        q_all, k_all, v_all = (project(h, prefix + p) for p in ("q_proj", "k_proj", "v_proj"))
        probs = np.zeros((config.num_heads, n, n))
        context = np.zeros((n, config.num_heads * d))
        for head in range(config.num_heads):
            kv_head = head // (config.num_heads // config.num_kv_heads)
            keys = [rotate_pairs(k_all[j, kv_head * d : (kv_head + 1) * d], j, frequencies) for j in range(n)]
            values = [v_all[j, kv_head * d : (kv_head + 1) * d] for j in range(n)]
            for i in range(n):
                query = rotate_pairs(q_all[i, head * d : (head + 1) * d], i, frequencies)
                scores = np.array([query @ keys[j] / math.sqrt(d) for j in range(i + 1)])
                weights_i = np.exp(scores - scores.max())
                weights_i /= weights_i.sum()
                probs[head, i, : i + 1] = weights_i
                context[i, head * d : (head + 1) * d] = sum(weights_i[j] * values[j] for j in range(i + 1))
        x = x + project(context, prefix + "o_proj")

        h = norm(x, w[layer_name(layer, "post_attention_layernorm.weight")])
        gate = project(h, layer_name(layer, "mlp.gate_proj"))
        up = project(h, layer_name(layer, "mlp.up_proj"))
        x = x + project(gate / (1 + np.exp(-gate)) * up, layer_name(layer, "mlp.down_proj"))
        captures.attention.append(torch.from_numpy(probs))
        captures.hidden.append(torch.from_numpy(x.copy()))

    final = norm(x, w["model.norm.weight"])
    captures.final_norm = torch.from_numpy(final)
    captures.logits = torch.from_numpy(final @ lm_head_weight(config, torch_weights).numpy().T)
    return captures
