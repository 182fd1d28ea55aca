"""`qinfer mkmodel --format hf` checked by independent readers: transformers'
Qwen3ForCausalLM.from_pretrained loads our directories (single file and sharded, tied and untied)
with no missing, unexpected or mismatched keys, and the `safetensors` package reads every tensor
with the dtype, shape and placement that config.json and model.safetensors.index.json claim.
Random values have no oracle; instead: determinism (same seed and any thread count give the same
bytes), consistency across dtypes (bf16/f16 files hold torch's rounding of the f32 file's
values), and logits that are finite and not flat. Run with -s to see the measured numbers.
The binary is $QINFER_BIN (default build/qinfer)."""

import json
import os
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors import safe_open

REPO = Path(__file__).resolve().parents[2]
QINFER = Path(os.environ.get("QINFER_BIN", REPO / "build" / "qinfer"))
TOKENIZER_DIR = REPO / ".deps" / "qwen3-tokenizer"
PUBLISHED_CONFIG = {  # key order of the published Qwen3-14B config.json
    "architectures", "attention_bias", "attention_dropout", "bos_token_id", "eos_token_id",
    "head_dim", "hidden_act", "hidden_size", "initializer_range", "intermediate_size",
    "max_position_embeddings", "max_window_layers", "model_type", "num_attention_heads",
    "num_hidden_layers", "num_key_value_heads", "rms_norm_eps", "rope_scaling", "rope_theta",
    "sliding_window", "tie_word_embeddings", "torch_dtype", "transformers_version", "use_cache",
    "use_sliding_window", "vocab_size"}
TORCH_DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


def mkmodel(out, *args, check=True, tokenizer=True, preset="tiny"):
    cmd = [str(QINFER), "mkmodel", "--preset", preset, "--out", str(out), *map(str, args)]
    if tokenizer:
        cmd += ["--tokenizer-dir", str(TOKENIZER_DIR)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed:\n{proc.stderr}")
    return proc


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    if not QINFER.exists():
        pytest.skip(f"{QINFER} not built (set QINFER_BIN)")
    if not (TOKENIZER_DIR / "tokenizer.json").exists():
        pytest.skip(f"{TOKENIZER_DIR} missing (run scripts/setup.sh)")
    root = tmp_path_factory.mktemp("mkmodel")
    out = {
        "tied_f32": root / "tied_f32",
        "tied_bf16": root / "tied_bf16",
        "untied_f16": root / "untied_f16",
        "untied_bf16": root / "untied_bf16",
        # 5 MB shards: the two 19 MB token matrices get a shard each, the layers share one.
        "sharded_bf16": root / "sharded_bf16",
    }
    mkmodel(out["tied_f32"], "--dtype", "f32", "--seed", 5)
    mkmodel(out["tied_bf16"], "--dtype", "bf16", "--seed", 5, "--threads", 1)
    mkmodel(out["untied_f16"], "--dtype", "f16", "--seed", 5, "--no-tie")
    mkmodel(out["untied_bf16"], "--dtype", "bf16", "--seed", 5, "--no-tie")
    mkmodel(out["sharded_bf16"], "--dtype", "bf16", "--seed", 5, "--no-tie", "--shard-size", "5MB")
    return out


def weight_files(model_dir):
    index = model_dir / "model.safetensors.index.json"
    if index.exists():
        return sorted(set(json.loads(index.read_text())["weight_map"].values()))
    return ["model.safetensors"]


def read_tensors(model_dir):
    tensors = {}
    for name in weight_files(model_dir):
        with safe_open(str(model_dir / name), framework="pt") as f:
            assert f.metadata() == {"format": "pt"}
            for key in f.keys():
                assert key not in tensors, f"{key} stored twice"
                tensors[key] = f.get_tensor(key)
    return tensors


def expected_shapes(config):
    h, i, v, d = (config["hidden_size"], config["intermediate_size"], config["vocab_size"],
                  config["head_dim"])
    q, kv = config["num_attention_heads"] * d, config["num_key_value_heads"] * d
    shapes = {"model.embed_tokens.weight": (v, h), "model.norm.weight": (h,)}
    for n in range(config["num_hidden_layers"]):
        p = f"model.layers.{n}."
        shapes.update({
            p + "input_layernorm.weight": (h,), p + "post_attention_layernorm.weight": (h,),
            p + "self_attn.q_proj.weight": (q, h), p + "self_attn.k_proj.weight": (kv, h),
            p + "self_attn.v_proj.weight": (kv, h), p + "self_attn.o_proj.weight": (h, q),
            p + "self_attn.q_norm.weight": (d,), p + "self_attn.k_norm.weight": (d,),
            p + "mlp.gate_proj.weight": (i, h), p + "mlp.up_proj.weight": (i, h),
            p + "mlp.down_proj.weight": (h, i)})
    if not config["tie_word_embeddings"]:
        shapes["lm_head.weight"] = (v, h)
    return shapes


@pytest.mark.parametrize("name", ["tied_f32", "tied_bf16", "untied_f16", "sharded_bf16"])
def test_files_are_consistent(models, name):
    model_dir = models[name]
    config = json.loads((model_dir / "config.json").read_text())
    assert list(config) == sorted(PUBLISHED_CONFIG)  # the published file's keys, in its order
    assert (config["hidden_size"], config["num_hidden_layers"], config["num_attention_heads"],
            config["num_key_value_heads"], config["intermediate_size"], config["head_dim"],
            config["vocab_size"]) == (64, 2, 4, 2, 128, 16, 151936)
    generation = json.loads((model_dir / "generation_config.json").read_text())
    assert generation["eos_token_id"] == [151645, 151643]
    for tokenizer_file in ("tokenizer.json", "tokenizer_config.json"):
        assert (model_dir / tokenizer_file).read_bytes() == (TOKENIZER_DIR / tokenizer_file).read_bytes()

    tensors = read_tensors(model_dir)
    assert {k: tuple(t.shape) for k, t in tensors.items()} == expected_shapes(config)
    assert {t.dtype for t in tensors.values()} == {TORCH_DTYPES[config["torch_dtype"]]}
    for key, t in tensors.items():
        assert torch.isfinite(t.float()).all(), key

    index_path = model_dir / "model.safetensors.index.json"
    if name == "sharded_bf16":
        index = json.loads(index_path.read_text())
        files = weight_files(model_dir)
        assert len(files) > 1
        assert all(re.fullmatch(rf"model-\d{{5}}-of-{len(files):05d}\.safetensors", f) for f in files)
        assert not (model_dir / "model.safetensors").exists()
        assert set(index["weight_map"]) == set(tensors)
        for shard in files:  # each tensor sits in the shard the index names
            with safe_open(str(model_dir / shard), framework="pt") as f:
                assert {k for k, v in index["weight_map"].items() if v == shard} == set(f.keys())
        assert index["metadata"]["total_size"] == sum(t.numel() * t.element_size()
                                                       for t in tensors.values())
    else:
        assert not index_path.exists()


def test_same_values_across_dtypes_shards_and_threads(models):
    f32 = read_tensors(models["tied_f32"])
    bf16 = read_tensors(models["tied_bf16"])  # written with --threads 1
    for key in f32:  # torch's round-to-nearest-even of the f32 values
        assert torch.equal(f32[key].to(torch.bfloat16), bf16[key]), key
    f16 = read_tensors(models["untied_f16"])
    untied_bf16 = read_tensors(models["untied_bf16"])
    sharded = read_tensors(models["sharded_bf16"])
    for key in untied_bf16:
        assert torch.equal(untied_bf16[key], sharded[key]), key
    for key in f32:  # the tie flag changes no tensor but lm_head
        assert torch.equal(untied_bf16[key], bf16[key]), key
        assert torch.equal(f32[key].to(torch.float16), f16[key]), key
    assert not torch.equal(untied_bf16["lm_head.weight"], untied_bf16["model.embed_tokens.weight"])


def test_deterministic_and_seeded(models, tmp_path):
    again = tmp_path / "again"
    mkmodel(again, "--dtype", "bf16", "--seed", 5, "--threads", 2)
    assert (again / "model.safetensors").read_bytes() == \
        (models["tied_bf16"] / "model.safetensors").read_bytes()
    other = tmp_path / "other"
    mkmodel(other, "--dtype", "bf16", "--seed", 6)
    a, b = read_tensors(again), read_tensors(other)
    assert not torch.equal(a["model.layers.0.mlp.up_proj.weight"], b["model.layers.0.mlp.up_proj.weight"])


def test_weight_scales(models):
    t = read_tensors(models["tied_f32"])
    h, i = 64, 128
    # Linear weights ~ 1/sqrt(fan_in); norms around 1; q/k norms around 1.25.
    assert abs(t["model.layers.0.mlp.up_proj.weight"].std().item() * np.sqrt(h) - 1) < 0.05
    assert abs(t["model.layers.1.mlp.down_proj.weight"].std().item() * np.sqrt(i) - 1) < 0.05
    norm = t["model.layers.0.input_layernorm.weight"]
    assert abs(norm.mean().item() - 1) < 0.1 and 0.1 < norm.std().item() < 0.3
    assert abs(t["model.layers.0.self_attn.q_norm.weight"].mean().item() - 1.25) < 0.15


@pytest.mark.parametrize("name", ["tied_f32", "untied_bf16", "sharded_bf16"])
def test_transformers_loads_and_logits_are_not_flat(models, name):
    from transformers import Qwen3ForCausalLM

    model, info = Qwen3ForCausalLM.from_pretrained(
        str(models[name]), dtype=torch.float32, output_loading_info=True)
    assert not any(info.values()), info  # missing/unexpected/mismatched keys, error messages
    assert model.config.tie_word_embeddings == name.startswith("tied")
    ids = torch.randint(0, 151643, (4, 64), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        logits = model(ids).logits.reshape(-1, model.config.vocab_size)
    assert torch.isfinite(logits).all()
    top2 = logits.topk(2, dim=-1).values
    gap = top2[:, 0] - top2[:, 1]
    std = logits.std(dim=-1).mean().item()
    distinct = logits.argmax(-1).unique().numel()
    print(f"\n[mkmodel] {name}: logit std {std:.2f}, max|logit| median "
          f"{logits.abs().max(-1).values.median():.1f}, top1-top2 gap median {gap.median():.2f} "
          f"(P(gap < 0.05) = {(gap < 0.05).float().mean():.3f}), distinct top-1 {distinct}/256",
          end="")
    assert 2 < std < 8
    # Clear winners: the median top-1 lead is >= 10% of the logit spread, near-ties are rare.
    # (mkmodel keeps max|logit| ~20 so that fp32 agreement bars stay meaningful; see random_init.)
    assert gap.median() > 0.1 * std
    assert (gap < 0.05).float().mean() < 0.1
    assert distinct > 64  # the top token depends on the input, not one token everywhere


def test_errors(models, tmp_path):
    proc = mkmodel(tmp_path / "x", preset="3B", check=False)
    assert proc.returncode != 0 and "unknown preset '3B'" in proc.stderr
    proc = mkmodel(models["tied_f32"], "--dtype", "f32", check=False)
    assert proc.returncode != 0 and "already exists" in proc.stderr
    proc = mkmodel(tmp_path / "y", "--tokenizer-dir", tmp_path, check=False, tokenizer=False)
    assert proc.returncode != 0 and "tokenizer.json" in proc.stderr
    assert not (tmp_path / "y").exists()  # nothing left behind
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".y.partial")]
    proc = mkmodel(tmp_path / "z", "--shard-size", "4XB", check=False)
    assert proc.returncode != 0 and "unknown unit" in proc.stderr
    proc = mkmodel(tmp_path / "w", "--dtype", "q4", check=False)
    assert proc.returncode != 0 and "--dtype" in proc.stderr


def test_default_tokenizer_dir(models, tmp_path):
    # No --tokenizer-dir: $QINFER_TOKENIZER_DIR first, then <exe>/../.deps/qwen3-tokenizer.
    env = dict(os.environ, QINFER_TOKENIZER_DIR=str(TOKENIZER_DIR))
    cmd = [str(QINFER), "mkmodel", "--preset", "tiny", "--out", str(tmp_path / "m")]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr
    env["QINFER_TOKENIZER_DIR"] = str(tmp_path / "nowhere")
    proc = subprocess.run(cmd[:-1] + [str(tmp_path / "n")], capture_output=True, text=True, env=env)
    assert proc.returncode != 0 and "nowhere" in proc.stderr
