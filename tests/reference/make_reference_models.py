#!/usr/bin/python3
"""Writes tiny random-weight Llama and Qwen2 models as Hugging Face folders, with golden outputs for Loom's tests.

Run with Debian's Python (python3-torch, python3-numpy), from anywhere:
    /usr/bin/python3 tests/reference/make_reference_models.py [--out tests/data/reference]

Each model folder holds config.json, model.safetensors, tokenizer files, golden.safetensors and golden.json; see
tests/reference/README.md. The weights are random but seeded, so regeneration with the same packages is
bit-for-bit identical. Before writing anything the script checks its forward pass against an independent loop
formulation and prints the largest differences.
"""

import argparse
import dataclasses
import json
import re
import shutil
import sys
from pathlib import Path

import torch

from hf_files import ByteLevelBpe, read_safetensors, sentencepiece_decode, sentencepiece_encode
from hf_files import train_byte_level_merges, write_safetensors
from reference_forward import Captures, ModelConfig, forward, forward_loops, layer_name, rope_inv_freq

REPO_ROOT = Path(__file__).resolve().parents[2]
STORIES_DIR = REPO_ROOT / "resources" / "models" / "stories260K"
GREEDY_STEPS = 12
# Greedy continuations are only useful as a test if an F32 engine cannot flip an argmax by rounding.
MIN_TOP2_MARGIN = 1e-3
# The forward pass and its loop formulation compute the same float64 quantities in a different order.
MAX_FORMULATION_DIFFERENCE = 1e-10

# Initialisation. Weight std ~0.02 (as HF initialises) would leave attention almost uniform and logits almost
# flat, so that RoPE, masking or GQA mistakes would barely move the outputs; these keep every stage well away
# from trivial: attention scores of std ~1.5, logits of std ~1, norms and biases visibly different from 1 and 0.
INIT_STD = {
    "embed_tokens": 0.15,
    "q_proj": 0.15,
    "k_proj": 0.15,
    "v_proj": 0.1,
    "o_proj": 0.1,
    "gate_proj": 0.1,
    "up_proj": 0.1,
    "down_proj": 0.08,
    "lm_head": 0.1,
    "q_bias": 0.3,
    "k_bias": 0.3,
    "v_bias": 0.1,
    "norm": 0.2,  # norm weights are 1 + this * N(0, 1)
}

# The Qwen2-style tokenizer: merges learned from this text, plus Qwen2's three special tokens.
QWEN_MERGE_CORPUS = (
    "The quick brown fox jumps over the lazy dog. The dog sleeps in the sun, and the fox runs into the forest. "
    "Once there was a little robot that wanted to learn the names of all the stars in the sky. It counted 1, 2, 3 "
    "and then it counted them again, because there were so many stars and they were all so bright."
)
QWEN_MERGES = 48
QWEN_SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
QWEN_VOCAB_SIZE = 320  # the embedding has more rows than the tokenizer has tokens, as real Qwen2 models do
QWEN_CHAT_TEMPLATE = (
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}{% endif %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)

LLAMA_PROMPTS = [
    "Once upon a time, there was",
    "Lily and her mom went to the park. They saw a big dog that wanted to play with a red ball. "
    "Lily threw the ball and the dog ran.",
]
QWEN_PROMPTS = [
    "The fox and the dog: 42!",
    "<|im_start|>user\nWhat is the name of the brightest star?<|im_end|>\n<|im_start|>assistant\nThe",
]


@dataclasses.dataclass
class ReferenceModel:
    name: str
    config: ModelConfig
    dtype: torch.dtype  # how the weights are stored
    seed: int


def llama_gqa() -> ModelConfig:
    return ModelConfig(family="llama", hidden_size=64, intermediate_size=160, num_layers=3, num_heads=8,
                       num_kv_heads=2, vocab_size=512, max_position_embeddings=512, rms_norm_eps=1e-5,
                       rope_theta=10000.0, tie_word_embeddings=False)


def llama3_rope_scaling() -> ModelConfig:
    # head_dim 16 gives 8 frequencies; with theta 500000 and original context 64 they fall in all three bands of
    # the Llama 3 scaling (wavelength < 16: kept, 16..64: blended, > 64: divided by 8).
    return ModelConfig(family="llama", hidden_size=64, intermediate_size=96, num_layers=2, num_heads=4,
                       num_kv_heads=2, vocab_size=512, max_position_embeddings=512, rms_norm_eps=1e-5,
                       rope_theta=500000.0, tie_word_embeddings=True,
                       rope_scaling={"factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                                     "original_max_position_embeddings": 64, "rope_type": "llama3"})


def qwen2(tied: bool) -> ModelConfig:
    return ModelConfig(family="qwen2", hidden_size=64, intermediate_size=96, num_layers=2, num_heads=4,
                       num_kv_heads=2, vocab_size=QWEN_VOCAB_SIZE, max_position_embeddings=512, rms_norm_eps=1e-6,
                       rope_theta=1000000.0, tie_word_embeddings=tied)


MODELS = [
    ReferenceModel("llama-gqa-f32", llama_gqa(), torch.float32, seed=1001),
    ReferenceModel("llama-gqa-bf16", llama_gqa(), torch.bfloat16, seed=1002),
    ReferenceModel("llama3-rope-scaling-f32", llama3_rope_scaling(), torch.float32, seed=1003),
    ReferenceModel("qwen2-bias-f32", qwen2(tied=True), torch.float32, seed=1004),
    ReferenceModel("qwen2-bias-bf16", qwen2(tied=False), torch.bfloat16, seed=1005),
]


# ---------------------------------------------------------------------------------------------------------------
# Weights
# ---------------------------------------------------------------------------------------------------------------


def random_weights(config: ModelConfig, dtype: torch.dtype, seed: int, tokenizer_size: int) -> dict:
    """HF tensor name -> tensor in the storage dtype, in the order HF checkpoints list them.

    Rows of the embedding and lm_head past the tokenizer's last id are zero, like the never-trained padding rows
    of real Qwen2 checkpoints, so that greedy decoding picks only ids the tokenizer can decode.
    """
    generator = torch.Generator().manual_seed(seed)

    def normal(shape, std, mean=0.0):
        return (mean + std * torch.randn(shape, generator=generator, dtype=torch.float64)).to(dtype)

    hidden, d = config.hidden_size, config.head_dim
    q_out, kv_out = config.num_heads * d, config.num_kv_heads * d
    def vocabulary_matrix(std):
        matrix = normal((config.vocab_size, hidden), std)
        matrix[tokenizer_size:] = 0
        return matrix

    weights = {"model.embed_tokens.weight": vocabulary_matrix(INIT_STD["embed_tokens"])}
    for layer in range(config.num_layers):
        linear_shapes = {
            "self_attn.q_proj": (q_out, hidden),
            "self_attn.k_proj": (kv_out, hidden),
            "self_attn.v_proj": (kv_out, hidden),
            "self_attn.o_proj": (hidden, q_out),
            "mlp.gate_proj": (config.intermediate_size, hidden),
            "mlp.up_proj": (config.intermediate_size, hidden),
            "mlp.down_proj": (hidden, config.intermediate_size),
        }
        for module, shape in linear_shapes.items():
            short = module.split(".")[1]
            weights[layer_name(layer, module + ".weight")] = normal(shape, INIT_STD[short])
            if config.has_qkv_bias and short in ("q_proj", "k_proj", "v_proj"):
                bias_std = INIT_STD[short[0] + "_bias"]
                weights[layer_name(layer, module + ".bias")] = normal((shape[0],), bias_std)
        for norm in ("input_layernorm", "post_attention_layernorm"):
            weights[layer_name(layer, norm + ".weight")] = normal((hidden,), INIT_STD["norm"], mean=1.0)
    weights["model.norm.weight"] = normal((hidden,), INIT_STD["norm"], mean=1.0)
    if not config.tie_word_embeddings:
        weights["lm_head.weight"] = vocabulary_matrix(INIT_STD["lm_head"])
    return weights


# ---------------------------------------------------------------------------------------------------------------
# Hugging Face files
# ---------------------------------------------------------------------------------------------------------------


def config_json(model: ReferenceModel, bos_id: int, eos_id: int) -> dict:
    c = model.config
    architecture = {"llama": "LlamaForCausalLM", "qwen2": "Qwen2ForCausalLM"}[c.family]
    out = {
        "architectures": [architecture],
        "model_type": c.family,
        "hidden_size": c.hidden_size,
        "intermediate_size": c.intermediate_size,
        "num_hidden_layers": c.num_layers,
        "num_attention_heads": c.num_heads,
        "num_key_value_heads": c.num_kv_heads,
        "vocab_size": c.vocab_size,
        "max_position_embeddings": c.max_position_embeddings,
        "rms_norm_eps": c.rms_norm_eps,
        "rope_theta": c.rope_theta,
        "rope_scaling": c.rope_scaling,
        "tie_word_embeddings": c.tie_word_embeddings,
        "torch_dtype": {torch.float32: "float32", torch.bfloat16: "bfloat16"}[model.dtype],
        "bos_token_id": bos_id,
        "eos_token_id": eos_id,
        "hidden_act": "silu",
        "initializer_range": 0.02,
        "attention_dropout": 0.0,
        "use_cache": True,
    }
    if c.family == "llama":
        out |= {"head_dim": c.head_dim, "attention_bias": False, "mlp_bias": False, "pretraining_tp": 1}
    else:
        out |= {"use_sliding_window": False, "sliding_window": c.max_position_embeddings,
                "max_window_layers": c.num_layers}
    return out


def write_json(path: Path, value) -> None:
    text = json.dumps(value, indent=2, ensure_ascii=False)
    # Lists of numbers (token ids, margins) on one line each, so that golden.json reads as a table.
    numbers = re.compile(r"\[\s*([-+.\deE]+(?:,\s*[-+.\deE]+)*)\s*\]")
    text = numbers.sub(lambda m: "[" + ", ".join(item.strip() for item in m.group(1).split(",")) + "]", text)
    path.write_text(text + "\n", encoding="utf-8")


class LlamaTokenizerFiles:
    """stories260K's SentencePiece-style tokenizer, copied as is."""

    bos_id, eos_id = 1, 2

    def __init__(self):
        self.tokenizer_json = json.loads((STORIES_DIR / "tokenizer.json").read_text(encoding="utf-8"))
        self.size = len(self.tokenizer_json["model"]["vocab"])  # its added tokens are part of the vocab

    def write(self, folder: Path) -> None:
        for name in ("tokenizer.json", "tokenizer_config.json"):
            shutil.copyfile(STORIES_DIR / name, folder / name)

    def encode(self, text: str) -> list:
        return sentencepiece_encode(self.tokenizer_json, text, self.bos_id)

    def decode(self, ids: list) -> str:
        return sentencepiece_decode(self.tokenizer_json, ids)


class QwenTokenizerFiles:
    """A byte-level BPE tokenizer in Qwen2's format, with merges learned from QWEN_MERGE_CORPUS."""

    def __init__(self):
        self.bpe = ByteLevelBpe(train_byte_level_merges(QWEN_MERGE_CORPUS, QWEN_MERGES), QWEN_SPECIAL_TOKENS)
        self.bos_id = self.bpe.special["<|endoftext|>"]
        self.eos_id = self.bpe.special["<|im_end|>"]
        self.size = self.bpe.size

    def write(self, folder: Path) -> None:
        write_json(folder / "tokenizer.json", self.bpe.tokenizer_json())
        special_entry = {"lstrip": False, "normalized": False, "rstrip": False, "single_word": False,
                         "special": True}
        write_json(folder / "tokenizer_config.json", {
            "add_prefix_space": False,
            "added_tokens_decoder": {str(i): {"content": s, **special_entry} for s, i in self.bpe.special.items()},
            "additional_special_tokens": ["<|im_start|>", "<|im_end|>"],
            "bos_token": None,
            "chat_template": QWEN_CHAT_TEMPLATE,
            "clean_up_tokenization_spaces": False,
            "eos_token": "<|im_end|>",
            "errors": "replace",
            "model_max_length": 512,
            "pad_token": "<|endoftext|>",
            "split_special_tokens": False,
            "tokenizer_class": "Qwen2Tokenizer",
            "unk_token": None,
        })
        # As Qwen2-Instruct models do: generation also ends at <|endoftext|>.
        write_json(folder / "generation_config.json",
                   {"bos_token_id": self.bos_id, "eos_token_id": [self.eos_id, self.bos_id]})

    def encode(self, text: str) -> list:
        return self.bpe.encode(text)

    def decode(self, ids: list) -> str:
        return self.bpe.decode(ids)


# ---------------------------------------------------------------------------------------------------------------
# Golden outputs and checks
# ---------------------------------------------------------------------------------------------------------------


def max_difference(a: torch.Tensor, b: torch.Tensor) -> float:
    return (a - b).abs().max().item()


def capture_differences(a: Captures, b: Captures) -> dict:
    return {
        "hidden": max(max_difference(x, y) for x, y in zip(a.hidden, b.hidden)),
        "attention": max(max_difference(x, y) for x, y in zip(a.attention, b.attention)),
        "final_norm": max_difference(a.final_norm, b.final_norm),
        "logits": max_difference(a.logits, b.logits),
    }


def format_differences(differences: dict) -> str:
    return ", ".join(f"{kind} {value:.1e}" for kind, value in differences.items())


def check_loop_formulation(config: ModelConfig, weights: dict, ids: list, label: str) -> None:
    differences = capture_differences(forward(config, weights, ids), forward_loops(config, weights, ids))
    print(f"  {label}: batched vs loops, max |difference|: {format_differences(differences)}")
    worst = max(differences.values())
    if worst > MAX_FORMULATION_DIFFERENCE:
        sys.exit(f"{label}: the two formulations disagree by {worst:.2e}; the reference is wrong")


def check_causality(config: ModelConfig, weights: dict, ids: list, label: str) -> None:
    """Outputs at a position must not depend on later tokens."""
    prefix = len(ids) // 2
    full, short = forward(config, weights, ids), forward(config, weights, ids[:prefix])
    difference = max(max_difference(full.logits[:prefix], short.logits),
                     max(max_difference(a[:, :prefix, :prefix], b) for a, b in zip(full.attention, short.attention)))
    print(f"  {label}: prefix of {prefix} vs full prompt, max |difference| {difference:.1e}")
    if difference > MAX_FORMULATION_DIFFERENCE:
        sys.exit(f"{label}: outputs depend on later tokens; the causal mask is wrong")


def greedy_continuation(config: ModelConfig, weights: dict, ids: list) -> tuple:
    """GREEDY_STEPS argmax tokens, recomputing the whole sequence each step, and each step's top-2 margin."""
    ids = list(ids)
    generated, margins = [], []
    for _ in range(GREEDY_STEPS):
        last = forward(config, weights, ids).logits[-1]
        top2 = torch.topk(last, 2)
        margins.append((top2.values[0] - top2.values[1]).item())
        generated.append(int(top2.indices[0]))
        ids.append(generated[-1])
    return generated, margins


def golden_tensors(prompts: list, captures: list) -> dict:
    """The contents of golden.safetensors: per prompt p, its ids and every capture, rounded to F32."""
    out = {}
    for p, (ids, capture) in enumerate(zip(prompts, captures)):
        out[f"p{p}.input_ids"] = torch.tensor(ids, dtype=torch.int32)
        for i, hidden in enumerate(capture.hidden):
            out[f"p{p}.hidden.{i}"] = hidden.to(torch.float32)
        for layer, probs in enumerate(capture.attention):
            out[f"p{p}.attention.{layer}"] = probs.to(torch.float32)
        out[f"p{p}.final_norm"] = capture.final_norm.to(torch.float32)
        out[f"p{p}.logits"] = capture.logits.to(torch.float32)
    return out


def describe_rope(config: ModelConfig, weights: dict, ids: list) -> None:
    if config.rope_scaling is None:
        return
    unscaled = dataclasses.replace(config, rope_scaling=None)
    ratios = (rope_inv_freq(unscaled) / rope_inv_freq(config)).tolist()
    print("  rope_scaling divides the frequencies by " + ", ".join(f"{r:.3f}" for r in ratios))
    bands = {"kept": any(abs(r - 1) < 1e-12 for r in ratios),
             "blended": any(1 + 1e-9 < r < config.rope_scaling["factor"] - 1e-9 for r in ratios),
             "divided": any(abs(r - config.rope_scaling["factor"]) < 1e-9 for r in ratios)}
    if not all(bands.values()):
        sys.exit(f"the rope-scaling model must exercise all three frequency bands, got {bands}")
    effect = max_difference(forward(config, weights, ids).logits, forward(unscaled, weights, ids).logits)
    print(f"  without rope_scaling the logits would change by up to {effect:.2f}")


def describe_float32_error(config: ModelConfig, stored: dict, prompts: list, captures: list) -> None:
    """How far the same computation in float32 lands from the float64 results: the floor for test tolerances."""
    weights32 = {name: t.to(torch.float32) for name, t in stored.items()}
    worst = {}
    for ids, exact in zip(prompts, captures):
        for kind, value in capture_differences(forward(config, weights32, ids), exact).items():
            worst[kind] = max(worst.get(kind, 0.0), value)
    print(f"  float32 computation vs golden, max |difference|: {format_differences(worst)}")


def write_model(model: ReferenceModel, tokenizer, prompts_text: list, out_dir: Path) -> None:
    config = model.config
    print(f"{model.name}:")
    stored = random_weights(config, model.dtype, model.seed, tokenizer.size)
    weights = {name: t.to(torch.float64) for name, t in stored.items()}  # exactly the stored values, widened

    prompts = [tokenizer.encode(text) for text in prompts_text]
    for text, ids in zip(prompts_text, prompts):
        if tokenizer.decode(ids) != text:
            sys.exit(f"{model.name}: tokenizer round trip failed for {text!r}")
        if max(ids) >= config.vocab_size:
            sys.exit(f"{model.name}: token id {max(ids)} is outside the vocabulary of {config.vocab_size}")
    print(f"  prompts of {[len(ids) for ids in prompts]} tokens")

    for p, ids in enumerate(prompts):
        check_loop_formulation(config, weights, ids, f"p{p}")
    check_causality(config, weights, prompts[-1], f"p{len(prompts) - 1}")
    describe_rope(config, weights, prompts[-1])

    captures = [forward(config, weights, ids) for ids in prompts]
    golden = golden_tensors(prompts, captures)
    describe_float32_error(config, stored, prompts, captures)
    sharpest = [probs.max(dim=-1).values.mean().item() for c in captures for probs in c.attention]
    print(f"  mean of each query's largest attention probability: {min(sharpest):.2f} .. {max(sharpest):.2f}")

    prompt_entries = []
    for p, (text, ids) in enumerate(zip(prompts_text, prompts)):
        continuation, margins = greedy_continuation(config, weights, ids)
        print(f"  p{p} greedy: {continuation} (smallest top-2 logit margin {min(margins):.4f})")
        if min(margins) < MIN_TOP2_MARGIN:
            sys.exit(f"{model.name}: a greedy step with margin {min(margins):.1e} would be fragile; change the seed")
        if max(continuation) >= tokenizer.size:
            sys.exit(f"{model.name}: greedy decoding chose an id the tokenizer does not have")
        prompt_entries.append({"name": f"p{p}", "text": text, "input_ids": ids, "greedy_next_ids": continuation,
                               "greedy_top2_logit_margins": [round(m, 6) for m in margins]})

    folder = out_dir / model.name
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    write_json(folder / "config.json", config_json(model, tokenizer.bos_id, tokenizer.eos_id))
    tokenizer.write(folder)
    write_safetensors(folder / "model.safetensors", stored, {"format": "pt"})
    write_safetensors(folder / "golden.safetensors", golden,
                      {"format": "pt", "generator": "tests/reference/make_reference_models.py"})
    write_json(folder / "golden.json", {
        "model": model.name,
        "generator": "tests/reference/make_reference_models.py",
        "computed_in": "float64 from the stored weights; golden.safetensors rounds the results to F32",
        "num_layers": config.num_layers,
        "greedy_steps": GREEDY_STEPS,
        "prompts": prompt_entries,
    })

    for path, expected in ((folder / "model.safetensors", stored), (folder / "golden.safetensors", golden)):
        read_back = read_safetensors(path)
        if list(read_back) != list(expected) or any(not torch.equal(read_back[k], v) for k, v in expected.items()):
            sys.exit(f"{path}: reading the file back does not give the tensors written")
    size = sum(f.stat().st_size for f in folder.iterdir())
    print(f"  wrote {folder.relative_to(out_dir.parent)} ({size // 1024} KiB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "tests" / "data" / "reference",
                        help="folder that receives one sub-folder per model")
    args = parser.parse_args()
    if sys.byteorder != "little":
        sys.exit("safetensors files are little-endian; run this on a little-endian machine")
    torch.set_num_threads(1)  # the float64 results do not depend on it, but keep them reproducible anyway

    llama_tokenizer, qwen_tokenizer = LlamaTokenizerFiles(), QwenTokenizerFiles()
    for model in MODELS:
        if model.config.family == "llama":
            write_model(model, llama_tokenizer, LLAMA_PROMPTS, args.out)
        else:
            write_model(model, qwen_tokenizer, QWEN_PROMPTS, args.out)


if __name__ == "__main__":
    main()
