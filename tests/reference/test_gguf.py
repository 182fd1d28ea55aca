"""Oracle test: qinfer's GGUF files against gguf-py (PyPI `gguf`, llama.cpp's own GGUF library).

1. `qinfer mkmodel --format gguf` is read back with gguf.GGUFReader and compared with what
   convert_hf_to_gguf.py would write for the HF directory `mkmodel --format hf` makes with the
   same seed: the expected metadata is produced by gguf-py itself (GGUFWriter's add_* methods, so
   keys and value types are gguf-py's; SpecialVocab for merges, special ids and the chat template;
   Metadata.load for general.sampling.*), the token list by the converter's get_vocab_base logic
   run on transformers' tokenizer, tensor names by gguf.get_tensor_name_map. Tensor values must
   equal the safetensors ones (bf16/f16 compared as bit patterns).
2. Reverse: a GGUF written by gguf.GGUFWriter from the HF directory's tensors loads in qinfer
   (`qinfer inspect --checksums`) with the same config and the same weight bytes as the HF
   directory itself.
"""
import functools
import hashlib
import json
import os
import pathlib
import subprocess

import numpy as np
import pytest

gguf = pytest.importorskip("gguf")
safetensors_torch = pytest.importorskip("safetensors.torch")
torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

ROOT = pathlib.Path(__file__).resolve().parents[2]
QINFER = pathlib.Path(os.environ.get("QINFER_BIN", ROOT / "build" / "qinfer"))
TOKENIZER_DIR = ROOT / ".deps" / "qwen3-tokenizer"
SEED = 1234

# The converter's get_vocab_base_pre() input; its sha256 over the token ids names the
# pre-tokenizer. These two hashes map to "qwen2" in convert_hf_to_gguf.py (Qwen1.5, Qwen3-Embedding).
CHKTXT = (
    "\n \n\n \n\n\n \t \t\t \t\n  \n   \n    \n     \n🚀 (normal) 😶\u200d🌫️ (multiple emojis "
    "concatenated) ✅ 🦙🦙 3 33 333 3333 33333 333333 3333333 33333333 3.3 3..3 3...3 "
    "កាន់តែពិសេសអាច😁 ?我想在apple工作1314151天～ ------======= нещо на Български "
    "''''''```````\"\"\"\"......!!!!!!?????? I've been 'told he's there, 'RE you sure? "
    "'M not sure I'll make it, 'D you like some tea? We'Ve a'lL"
)
QWEN2_PRE_HASHES = {
    "e636dc30a262dcc0d8c323492e32ae2b70728f4df7dfe9737d9f920a282b8aea",
    "d4540891389ea895b53b399da6ac824becc30f2fba0e9ddbb98f92e55ca0e97c",
}
FILE_TYPES = {"f32": gguf.LlamaFileType.ALL_F32, "f16": gguf.LlamaFileType.MOSTLY_F16,
              "bf16": gguf.LlamaFileType.MOSTLY_BF16}
QUANT_TYPES = {"f32": gguf.GGMLQuantizationType.F32, "f16": gguf.GGMLQuantizationType.F16,
               "bf16": gguf.GGMLQuantizationType.BF16}


def qinfer(*args):
    proc = subprocess.run([str(QINFER), *map(str, args)], capture_output=True, timeout=300)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")[-3000:]
    return proc.stdout.decode()


@pytest.fixture(scope="module", params=[("bf16", "tied"), ("f32", "untied")], ids=lambda p: "-".join(p))
def models(request, tmp_path_factory):
    dtype, tie = request.param
    out = tmp_path_factory.mktemp(f"gguf-{dtype}-{tie}")
    common = ["--preset", "tiny", "--dtype", dtype, "--seed", SEED, f"--{'tie' if tie == 'tied' else 'no-tie'}",
              "--tokenizer-dir", TOKENIZER_DIR]
    qinfer("mkmodel", "--format", "hf", "--out", out / "hf", *common)
    qinfer("mkmodel", "--format", "gguf", "--out", out / "tiny.gguf", *common)
    return {"dtype": dtype, "hf": out / "hf", "gguf": out / "tiny.gguf", "dir": out}


def load_hf_tensors(hf_dir):
    """name -> numpy array; bf16 as float32 for 1-D tensors and as uint16 bit patterns otherwise
    (numpy has no bfloat16)."""
    tensors = {}
    for path in sorted(hf_dir.glob("*.safetensors")):
        for name, t in safetensors_torch.load_file(str(path)).items():
            if t.dtype == torch.bfloat16:
                t = t.float() if t.dim() == 1 else t.view(torch.int16)
            array = t.numpy()
            tensors[name] = array.view(np.uint16) if array.dtype == np.int16 else array
    return tensors


@functools.lru_cache(maxsize=None)
def read_gguf(path):
    return gguf.GGUFReader(str(path))  # slow on a 152k-token vocabulary: parse each file once


@functools.lru_cache(maxsize=None)
def vocab_like_the_converter(hf_dir, vocab_size):
    """TextModel.get_vocab_base (convert_hf_to_gguf.py), run on transformers' tokenizer."""
    tokenizer = transformers.AutoTokenizer.from_pretrained(str(hf_dir))
    vocab = tokenizer.get_vocab()
    assert max(vocab.values()) < vocab_size
    chkhsh = hashlib.sha256(str(tokenizer.encode(CHKTXT)).encode()).hexdigest()
    reverse = {i: t for t, i in vocab.items()}
    added = tokenizer.get_added_vocab()
    decoder = tokenizer.added_tokens_decoder

    def looks_special(t):
        return (t in ("<pad>", "<mask>", "<2mass>", "[@BOS@]") or (t.startswith("<|") and t.endswith("|>"))
                or (t.startswith("<｜") and t.endswith("｜>")) or (t.startswith("<unused") and t.endswith(">")))

    tokens, types = [], []
    for i in range(vocab_size):
        if i not in reverse:
            tokens.append(f"[PAD{i}]")
            types.append(gguf.TokenType.UNUSED)
            continue
        token = reverse[i]
        if token in added:
            if not decoder[i].normalized:
                token = tokenizer.decode(tokenizer.encode(token, add_special_tokens=False))
            if decoder[i].special or looks_special(token):
                types.append(gguf.TokenType.CONTROL)
            else:
                token = token.replace("\u2581", " ")
                types.append(gguf.TokenType.USER_DEFINED)
        else:
            types.append(gguf.TokenType.NORMAL)
        tokens.append(token)
    return tokens, types, chkhsh


def add_qwen3_hparams(gw, hparams):
    """The qwen3.* hyper-parameter keys, in the order the converter's set_gguf_parameters writes them."""
    gw.add_block_count(hparams["num_hidden_layers"])
    gw.add_context_length(hparams["max_position_embeddings"])
    gw.add_embedding_length(hparams["hidden_size"])
    gw.add_feed_forward_length(hparams["intermediate_size"])
    gw.add_head_count(hparams["num_attention_heads"])
    gw.add_head_count_kv(hparams["num_key_value_heads"])
    gw.add_rope_freq_base(hparams["rope_theta"])
    gw.add_layer_norm_rms_eps(hparams["rms_norm_eps"])
    gw.add_key_length(hparams["head_dim"])
    gw.add_value_length(hparams["head_dim"])


def expected_kv(model, total_params):
    """The key/values convert_hf_to_gguf.py writes for architecture qwen3, built with gguf-py."""
    hf_dir = model["hf"]
    hparams = json.loads((hf_dir / "config.json").read_text())
    gw = gguf.GGUFWriter(path=None, arch="qwen3")
    gw.add_type(gguf.GGUFType.MODEL)
    meta = gguf.Metadata.load(None, hf_dir, None, total_params)
    meta.name = "tiny"  # from the directory name in the converter; ours is the file stem
    meta.size_label = gguf.size_label(total_params, 0, 0, 0)
    meta.basename = meta.finetune = meta.version = None  # directory-name heuristics, not ours
    meta.set_gguf_meta_model(gw)
    add_qwen3_hparams(gw, hparams)
    gw.add_file_type(FILE_TYPES[model["dtype"]])
    gw.add_quantization_version(gguf.GGML_QUANT_VERSION)
    tokens, types, chkhsh = vocab_like_the_converter(hf_dir, hparams["vocab_size"])
    assert chkhsh in QWEN2_PRE_HASHES, "the tokenizer's pre-tokenizer is not the converter's qwen2"
    gw.add_tokenizer_model("gpt2")
    gw.add_tokenizer_pre("qwen2")
    gw.add_token_list(tokens)
    gw.add_token_types(types)
    gguf.SpecialVocab(hf_dir, load_merges=True).add_to_gguf(gw, quiet=True)
    return gw.kv_data[0]


def test_metadata_matches_the_converter(models):
    reader = read_gguf(models["gguf"])
    total_params = sum(int(np.prod(t.shape)) for t in reader.tensors)
    expected = expected_kv(models, total_params)
    actual = {k: f for k, f in reader.fields.items() if not k.startswith("GGUF.")}
    assert list(actual) == list(expected), "keys or their order differ"
    for key, value in expected.items():
        field = actual[key]
        types = [value.type]
        if value.type == gguf.GGUFValueType.ARRAY:  # GGUFWriter picks the element type at write time
            types.append(value.sub_type or gguf.GGUFValueType.get_type(value.value[0]))
        assert field.types[: len(types)] == types, key
        got = field.contents()
        want = value.value
        if value.type == gguf.GGUFValueType.FLOAT32:
            assert got == pytest.approx(np.float32(want)), key
        elif value.type == gguf.GGUFValueType.ARRAY:
            assert list(got) == [int(x) if not isinstance(x, str) else x for x in want], key
        else:
            assert got == want, key
    # Spot checks that do not depend on gguf-py agreeing with itself.
    assert actual["general.architecture"].contents() == "qwen3"
    assert actual["tokenizer.ggml.eos_token_id"].contents() == 151645
    assert actual["tokenizer.ggml.padding_token_id"].contents() == 151643
    assert actual["tokenizer.ggml.add_bos_token"].contents() is False
    assert actual["general.file_type"].contents() == {"bf16": 32, "f32": 0}[models["dtype"]]


def test_tensors_match_the_hf_directory(models):
    reader = read_gguf(models["gguf"])
    hf = load_hf_tensors(models["hf"])
    n_blocks = json.loads((models["hf"] / "config.json").read_text())["num_hidden_layers"]
    name_map = gguf.get_tensor_name_map(gguf.MODEL_ARCH.QWEN3, n_blocks)
    expected_names = {name_map.get_name(n, try_suffixes=(".weight",)): n for n in hf}
    assert None not in expected_names
    assert {t.name for t in reader.tensors} == set(expected_names)
    for t in reader.tensors:
        ref = hf[expected_names[t.name]]
        assert t.data_offset % 32 == 0
        assert list(reversed(t.shape.tolist())) == list(ref.shape), t.name
        if ref.ndim == 1:
            # Norms are kept F32, holding the checkpoint's (possibly rounded) values.
            assert t.tensor_type == gguf.GGMLQuantizationType.F32, t.name
            np.testing.assert_array_equal(np.asarray(t.data).reshape(-1), ref.astype(np.float32).reshape(-1))
        else:
            assert t.tensor_type == QUANT_TYPES[models["dtype"]], t.name
            # Bit patterns: gguf-py hands bf16 data over as raw bytes, ref holds uint16 patterns.
            assert np.asarray(t.data).tobytes() == ref.tobytes(), t.name


def inspect(path):
    return json.loads(qinfer("inspect", "--checksums", path))


def test_gguf_written_by_gguf_py_loads_like_the_hf_directory(models):
    """Reverse check: gguf-py writes the file, qinfer reads it."""
    hf_dir = models["hf"]
    hparams = json.loads((hf_dir / "config.json").read_text())
    hf = load_hf_tensors(hf_dir)
    path = models["dir"] / "by-gguf-py.gguf"
    gw = gguf.GGUFWriter(str(path), arch="qwen3")
    gw.add_custom_alignment(64)  # exercises general.alignment
    add_qwen3_hparams(gw, hparams)
    tokens, types, _ = vocab_like_the_converter(hf_dir, hparams["vocab_size"])
    gw.add_tokenizer_model("gpt2")
    gw.add_tokenizer_pre("qwen2")
    gw.add_token_list(tokens)
    gw.add_token_types(types)
    gguf.SpecialVocab(hf_dir, load_merges=True).add_to_gguf(gw, quiet=True)
    name_map = gguf.get_tensor_name_map(gguf.MODEL_ARCH.QWEN3, hparams["num_hidden_layers"])
    for name in sorted(hf):  # a different order from ours: order must not matter
        data = hf[name]
        new_name = name_map.get_name(name, try_suffixes=(".weight",))
        if data.ndim == 1:
            gw.add_tensor(new_name, data.astype(np.float32))
        elif models["dtype"] == "bf16":
            gw.add_tensor(new_name, data, raw_shape=data.shape, raw_dtype=gguf.GGMLQuantizationType.BF16)
        else:
            gw.add_tensor(new_name, data)
    gw.write_header_to_file()
    gw.write_kv_data_to_file()
    gw.write_tensors_to_file()
    gw.close()

    ours = inspect(path)
    theirs = inspect(hf_dir)
    assert ours["format"] == "gguf" and theirs["format"] == "hf"
    for key, value in theirs["config"].items():
        if key == "rms_norm_eps":
            assert np.float32(ours["config"][key]) == np.float32(value)
        else:
            assert ours["config"][key] == value, key
    assert ours["chat_template"] == theirs["chat_template"]
    assert ours["generation"]["eos_token_ids"] == [151645, 151643]
    assert ours["gguf_vocab"]["tokens"] == hparams["vocab_size"]
    assert ours["gguf_vocab"]["merges"] == 151387
    assert ours["tensors"] == theirs["tensors"]
    assert len(ours["tensors"]) == len(hf)


def test_our_gguf_loads_like_the_hf_directory(models):
    ours = inspect(models["gguf"])
    theirs = inspect(models["hf"])
    assert ours["tensors"] == theirs["tensors"]
    assert ours["chat_template"] == theirs["chat_template"]
    for key in ("eos_token_ids", "bos_token_id", "pad_token_id", "top_k"):
        assert ours["generation"][key] == theirs["generation"][key], key
    for key in ("temperature", "top_p"):
        assert np.float32(ours["generation"][key]) == np.float32(theirs["generation"][key]), key


def test_hostile_gguf_gives_one_clear_error(models, tmp_path):
    data = models["gguf"].read_bytes()
    cases = {
        "bad-magic.gguf": (b"GGML" + data[4:], "not a GGUF file"),
        "bad-version.gguf": (data[:4] + (7).to_bytes(4, "little") + data[8:], "unsupported GGUF version 7"),
        "huge-kv-count.gguf": (data[:16] + (1 << 62).to_bytes(8, "little") + data[24:], "metadata count"),
        "truncated.gguf": (data[: len(data) // 2], "extends past the end of the file"),
    }
    for name, (content, message) in cases.items():
        path = tmp_path / name
        path.write_bytes(content)
        proc = subprocess.run([str(QINFER), "inspect", str(path)], capture_output=True, timeout=60)
        assert proc.returncode != 0, name
        err = proc.stderr.decode()
        assert message in err and name in err, (name, err)
        assert err.count("\n") == 1, err  # one line, no crash dump
