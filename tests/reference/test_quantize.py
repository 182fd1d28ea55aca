"""Oracle test: `qinfer quantize` against llama.cpp's quantizers and GGUF library.

(a) Blocks: every tensor qinfer writes as Q8_0, Q4_0, F16 or BF16 is byte-identical to gguf-py's
    gguf.quants.quantize of the same f32 values (gguf-py's numpy port of ggml's reference
    quantizers). gguf-py cannot quantize the K types; all quantized tensors are also compared
    with ggml's own ggml_quantize_chunk (the function llama-quantize calls) through ctypes when
    a built libggml-base.so is available (GGML_BASE_LIB, default /tmp/llama.cpp/build/bin/...);
    without it the test reports the K-type blocks as skipped.
(b) Dequantization: `qinfer quantize Q.gguf F.gguf --type F32` equals gguf.quants.dequantize of
    every tensor of Q.gguf, bit for bit, for every type qinfer writes.
(c) The output reads back in gguf-py with llama.cpp's per-tensor types for the mix (rules of
    src/llama-quant.cpp restated below), the input's shapes and metadata, general.file_type =
    LLAMA_FTYPE and quantization version 2.
(d) With LLAMA_QUANTIZE set to a llama-quantize binary: its output for the same input has the
    same tensor types and bytes as ours, for every mix.

Fixtures: the `tiny` preset (rows of 64/128: Q8_0 and Q4_0 only, the K types need rows that are
multiples of 256) and a "wide" Qwen3-shaped GGUF written here with gguf-py: hidden 256, FFN 512,
8 layers (so the _M/_S layer rules pick different layers), rows with zeros, constants, one sign,
outliers, tiny and large magnitudes.
"""
import ctypes
import functools
import os
import pathlib
import subprocess

import numpy as np
import pytest

gguf = pytest.importorskip("gguf")

from qinfer_process import QINFER, TOKENIZER_DIR, run_qinfer

Q = gguf.GGMLQuantizationType
BASE = {"F32": Q.F32, "F16": Q.F16, "BF16": Q.BF16, "Q8_0": Q.Q8_0, "Q4_0": Q.Q4_0,
        "Q4_K_M": Q.Q4_K, "Q4_K_S": Q.Q4_K, "Q5_K_M": Q.Q5_K, "Q5_K_S": Q.Q5_K, "Q6_K": Q.Q6_K}
# llama.cpp's LLAMA_FTYPE (include/llama.h)
FTYPE = {"F32": 0, "F16": 1, "Q4_0": 2, "Q8_0": 7, "Q4_K_S": 14, "Q4_K_M": 15, "Q5_K_S": 16,
         "Q5_K_M": 17, "Q6_K": 18, "BF16": 32}
QUANTIZED = {Q.Q8_0, Q.Q4_0, Q.Q4_K, Q.Q5_K, Q.Q6_K}
GGML_BASE_LIB = os.environ.get("GGML_BASE_LIB", "/tmp/llama.cpp/build/bin/libggml-base.so")
WIDE = dict(layers=8, hidden=256, ffn=512, heads=2, kv_heads=1, head_dim=128, vocab=1024)


def block_size(qtype):
    return gguf.GGML_QUANT_SIZES[qtype][0]


def expected_type(mix, name, shape, current, n_layers, n_attn_v, has_output):
    """llama_tensor_get_type of src/llama-quant.cpp for a qwen3 model, no imatrix/overrides."""
    base = BASE[mix]
    if len(shape) < 2 or not name.endswith("weight") or "_norm.weight" in name:
        return current
    if base not in QUANTIZED:
        return base
    cols = shape[-1]
    layer = int(name.split(".")[1]) if name.startswith("blk.") else -1

    def more_bits(i, n):
        return i < n // 8 or i >= 7 * n // 8 or (i - n // 8) % 3 == 2

    t = base
    if name == "output.weight" or (not has_output and name == "token_embd.weight"):
        if cols % block_size(base):
            t = Q.Q8_0
        elif base != Q.Q8_0:
            t = Q.Q6_K
    elif "attn_v.weight" in name:
        if mix in ("Q4_K_M", "Q5_K_M") and more_bits(layer, n_attn_v):
            t = Q.Q6_K
        elif mix == "Q4_K_S" and layer < 4:
            t = Q.Q5_K
    elif "ffn_down" in name:
        if mix in ("Q4_K_M", "Q5_K_M") and more_bits(layer, n_layers):
            t = Q.Q6_K
        elif mix == "Q4_K_S" and layer < n_layers // 8:
            t = Q.Q5_K
    if cols % block_size(t):
        assert t == Q.Q6_K, "the fixtures only need the q6_K -> q8_0 fallback"
        t = Q.Q8_0
    return t


def tensors_of(path):
    """name -> (type, numpy shape (outermost first), raw data array) of a GGUF."""
    stat = pathlib.Path(path).stat()
    return _read_gguf(str(path), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=8)
def _read_gguf(path, mtime_ns, size):  # the file's identity is part of the key
    reader = gguf.GGUFReader(path)
    return reader, {t.name: (t.tensor_type, tuple(int(d) for d in reversed(t.shape)), t.data)
                    for t in reader.tensors}


def as_f32(qtype, data, shape):
    """Values of a tensor as float32 in its numpy shape (gguf-py's dequantization)."""
    if qtype == Q.F32:
        return np.asarray(data, dtype=np.float32).reshape(shape)
    return gguf.quants.dequantize(np.asarray(data), qtype).reshape(shape)


def field_value(reader, key):
    field = reader.fields[key]
    return field.contents()


# --------------------------------------------------------------------------------------------
# Fixtures


def wide_tensors(seed, tied):
    """Qwen3-shaped f32 tensors whose rows are multiples of 256, with hard rows mixed in."""
    rng = np.random.default_rng(seed)
    h, f, hd = WIDE["hidden"], WIDE["ffn"], WIDE["head_dim"]
    qd, kvd = WIDE["heads"] * hd, WIDE["kv_heads"] * hd

    def matrix(rows, cols):
        m = rng.standard_normal((rows, cols), dtype=np.float32) / np.float32(np.sqrt(cols))
        m *= np.exp(rng.uniform(-3, 3, size=(rows, 1))).astype(np.float32)  # row scales vary
        m[0] = 0.0                                           # all zero
        m[1] = np.float32(0.75)                              # constant
        m[2] = -np.abs(m[2])                                 # one sign
        m[3, 5] = np.float32(300.0)                          # outlier
        m[4] *= np.float32(1e-6)                             # subnormal fp16 scales
        m[5] *= np.float32(1e3)                              # large
        m[6, ::7] = 0.0                                      # sparse zeros
        return m.astype(np.float32)

    tensors = {"token_embd.weight": matrix(WIDE["vocab"], h)}
    for i in range(WIDE["layers"]):
        p = f"blk.{i}."
        tensors[p + "attn_norm.weight"] = rng.uniform(0.5, 1.5, h).astype(np.float32)
        tensors[p + "attn_q.weight"] = matrix(qd, h)
        tensors[p + "attn_k.weight"] = matrix(kvd, h)
        tensors[p + "attn_v.weight"] = matrix(kvd, h)
        tensors[p + "attn_output.weight"] = matrix(h, qd)
        tensors[p + "attn_q_norm.weight"] = rng.uniform(0.5, 1.5, hd).astype(np.float32)
        tensors[p + "attn_k_norm.weight"] = rng.uniform(0.5, 1.5, hd).astype(np.float32)
        tensors[p + "ffn_norm.weight"] = rng.uniform(0.5, 1.5, h).astype(np.float32)
        tensors[p + "ffn_gate.weight"] = matrix(f, h)
        tensors[p + "ffn_up.weight"] = matrix(f, h)
        tensors[p + "ffn_down.weight"] = matrix(h, f)
    tensors["output_norm.weight"] = rng.uniform(0.5, 1.5, h).astype(np.float32)
    if not tied:
        tensors["output.weight"] = matrix(WIDE["vocab"], h)
    return tensors


def write_wide_gguf(path, tensors, matrix_type, tokenizer_from=None):
    """A qwen3 GGUF of `tensors` (matrices stored as `matrix_type`: F32 or BF16, norms F32), with
    the tokenizer metadata of `tokenizer_from` when given (llama.cpp wants one to load)."""
    w = gguf.GGUFWriter(str(path), "qwen3")
    w.add_name("wide")
    w.add_block_count(WIDE["layers"])
    w.add_context_length(40960)
    w.add_embedding_length(WIDE["hidden"])
    w.add_feed_forward_length(WIDE["ffn"])
    w.add_head_count(WIDE["heads"])
    w.add_head_count_kv(WIDE["kv_heads"])
    w.add_rope_freq_base(1e6)
    w.add_layer_norm_rms_eps(1e-6)
    w.add_key_length(WIDE["head_dim"])
    w.add_value_length(WIDE["head_dim"])
    w.add_file_type(FTYPE["BF16"] if matrix_type == Q.BF16 else FTYPE["F32"])
    w.add_quantization_version(2)
    if tokenizer_from is not None:
        reader = gguf.GGUFReader(str(tokenizer_from))
        for key, field in reader.fields.items():
            if not key.startswith("tokenizer."):
                continue
            value_type = field.types[0]
            if value_type == gguf.GGUFValueType.ARRAY:
                w.add_key_value(key, field.contents(), value_type, sub_type=field.types[-1])
            else:
                w.add_key_value(key, field.contents(), value_type)
    for name, values in tensors.items():
        if values.ndim == 2 and matrix_type == Q.BF16:
            w.add_tensor(name, gguf.quants.quantize(values, Q.BF16), raw_dtype=Q.BF16)
        else:
            w.add_tensor(name, values)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    return tmp_path_factory.mktemp("quantize")


@pytest.fixture(scope="module")
def tiny(work):
    """mkmodel tiny as an f32 HF directory and the f32 GGUF of the same numbers."""
    common = ["--preset", "tiny", "--dtype", "f32", "--seed", 11, "--tokenizer-dir", TOKENIZER_DIR]
    run_qinfer("mkmodel", "--format", "hf", "--out", work / "tiny-hf", *common)
    run_qinfer("mkmodel", "--format", "gguf", "--out", work / "tiny.gguf", *common)
    return {"hf": work / "tiny-hf", "gguf": work / "tiny.gguf"}


@pytest.fixture(scope="module", params=[("f32", "tied"), ("bf16", "untied")], ids="-".join)
def wide(request, work):
    dtype, tie = request.param
    tensors = wide_tensors(seed=5 if tie == "tied" else 6, tied=tie == "tied")
    path = work / f"wide-{dtype}-{tie}.gguf"
    # No tokenizer metadata: gguf-py needs seconds to parse Qwen3's 151k tokens, per file read, and
    # neither qinfer quantize nor llama-quantize needs a vocabulary.
    write_wide_gguf(path, tensors, Q.BF16 if dtype == "bf16" else Q.F32)
    _, stored = tensors_of(path)
    # The values qinfer quantizes: bf16 matrices widened exactly to f32.
    source = {name: as_f32(t, data, shape) for name, (t, shape, data) in stored.items()}
    return {"path": path, "source": source, "tied": tie == "tied", "dir": work}


def quantize(src, out, mix, *extra):
    if out.exists():
        out.unlink()
    run_qinfer("quantize", src, out, "--type", mix, *extra)
    return out


# --------------------------------------------------------------------------------------------
# ggml itself, when built: the oracle of the K-quant blocks


def ggml_quantizer():
    if not pathlib.Path(GGML_BASE_LIB).exists():
        return None
    lib = ctypes.CDLL(GGML_BASE_LIB)
    lib.ggml_quantize_chunk.restype = ctypes.c_size_t
    lib.ggml_quantize_chunk.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p,
                                        ctypes.c_int64, ctypes.c_int64, ctypes.c_int64,
                                        ctypes.c_void_p]

    def run(values, qtype):
        values = np.ascontiguousarray(values, dtype=np.float32)
        rows, cols = values.shape
        row_bytes = gguf.GGML_QUANT_SIZES[qtype][1] * cols // block_size(qtype)
        out = np.zeros((rows, row_bytes), np.uint8)
        lib.ggml_quantize_chunk(int(qtype), values.ctypes.data, out.ctypes.data, 0, rows, cols,
                                None)
        return out
    return run


def reference_blocks(values, qtype, ggml, use_gguf_py=True):
    """The blocks llama.cpp writes for `values`, from every oracle that can make them: gguf-py
    (float types, Q8_0, Q4_0) and ggml itself (all types) when built."""
    if qtype == Q.F32:
        return [("the source", np.ascontiguousarray(values, dtype=np.float32))]
    blocks = []
    if use_gguf_py and qtype in (Q.Q8_0, Q.Q4_0, Q.BF16, Q.F16):
        blocks.append(("gguf-py", np.asarray(gguf.quants.quantize(values, qtype))))
    if ggml is not None and qtype in QUANTIZED:
        blocks.append(("ggml", ggml(values, qtype)))
    return blocks


# --------------------------------------------------------------------------------------------
# Tests


def check_blocks(out, source, ggml, use_gguf_py=True):
    """(a): every tensor of `out` against the reference blocks of its f32 source values.
    Returns the set of types that could not be checked (no reference quantizer)."""
    unchecked = set()
    _, written = tensors_of(out)
    for name, (qtype, shape, data) in written.items():
        references = reference_blocks(source[name], qtype, ggml, use_gguf_py)
        if not references:
            unchecked.add(qtype.name)
        actual = np.asarray(data).view(np.uint8).reshape(-1).tobytes()
        for oracle, expected in references:
            assert actual == expected.view(np.uint8).reshape(-1).tobytes(), \
                f"{out.name}: {name} ({qtype.name}) differs from {oracle}'s blocks"
    return unchecked


def check_types_and_metadata(out, src, mix, has_output, renamed=False):
    """(c): types per llama.cpp's rules, shapes, metadata copied, file type set. `renamed`: out
    was made from an HF directory, so general.name is out's stem (as mkmodel names a GGUF)."""
    reader, written = tensors_of(out)
    src_reader, src_tensors = tensors_of(src)
    assert list(written) == list(src_tensors), "tensor order and names are kept"
    n_layers = int(field_value(src_reader, "qwen3.block_count"))
    n_attn_v = sum("attn_v.weight" in n for n in src_tensors)
    for name, (qtype, shape, _) in written.items():
        src_type, src_shape, _ = src_tensors[name]
        assert shape == src_shape, name
        want = expected_type(mix, name, shape, src_type, n_layers, n_attn_v, has_output)
        assert qtype == want, f"{mix}: {name} is {qtype.name}, llama.cpp makes it {want.name}"
    assert int(field_value(reader, "general.file_type")) == FTYPE[mix]
    assert int(field_value(reader, "general.quantization_version")) == 2
    for key, field in src_reader.fields.items():
        if key.startswith("GGUF.") or key in ("general.file_type", "general.quantization_version"):
            continue
        if renamed and key == "general.name":
            assert field_value(reader, key) == pathlib.Path(out).stem
            continue
        assert key in reader.fields, key
        assert reader.fields[key].contents() == field.contents(), key


def test_hf_to_f32_is_what_mkmodel_writes(tiny, work):
    """The metadata and tensors of an HF directory's GGUF are mkmodel --format gguf's."""
    out_dir = work / "f32-from-hf"
    out_dir.mkdir(exist_ok=True)
    out = quantize(tiny["hf"], out_dir / "tiny.gguf", "F32")  # same stem: same general.name
    assert out.read_bytes() == tiny["gguf"].read_bytes()


# The other mixes need rows that are multiples of 256: see the wide model. (Each gguf-py read of a
# file with the Qwen3 vocabulary takes seconds, so only two files here.)
@pytest.mark.parametrize("mix,source_format", [("Q8_0", "hf"), ("Q4_0", "gguf")])
def test_tiny_blocks_and_types(tiny, work, mix, source_format):
    source_reader, stored = tensors_of(tiny["gguf"])
    source = {n: as_f32(t, d, s) for n, (t, s, d) in stored.items()}
    out = quantize(tiny[source_format], work / f"tiny-{mix}.gguf", mix)
    # tiny's tied embedding (rows of 64) is the output: q6_K does not fit, llama.cpp's q8_0 does.
    assert not check_blocks(out, source, ggml_quantizer())
    check_types_and_metadata(out, tiny["gguf"], mix, has_output=False,
                             renamed=source_format == "hf")


@pytest.mark.parametrize("mix", ["Q8_0", "Q4_0", "Q4_K_M", "Q4_K_S", "Q5_K_M", "Q5_K_S", "Q6_K",
                                 "F16", "BF16", "F32"])
def test_wide_blocks_types_and_dequantization(wide, mix):
    out = quantize(wide["path"], wide["dir"] / f"{wide['path'].stem}-{mix}.gguf", mix, "-t", 2)
    check_types_and_metadata(out, wide["path"], mix, has_output=not wide["tied"])
    unchecked = check_blocks(out, wide["source"], ggml_quantizer())

    # (b) qinfer's dequantization of every tensor vs gguf-py's.
    back = quantize(out, wide["dir"] / f"{wide['path'].stem}-{mix}-back.gguf", "F32")
    _, written = tensors_of(out)
    _, dequantized = tensors_of(back)
    for name, (qtype, shape, data) in written.items():
        d_type, d_shape, d_data = dequantized[name]
        if len(shape) < 2:
            assert d_type == qtype, name  # norms are never converted
            continue
        assert d_type == Q.F32 and d_shape == shape, name
        want = as_f32(qtype, data, shape)
        got = np.asarray(d_data, dtype=np.float32).reshape(shape)
        assert got.view(np.uint32).tobytes() == want.view(np.uint32).tobytes(), \
            f"{mix}: dequantized {name} ({qtype.name}) differs from gguf-py's"
        # And quantization is close: the error is bounded by the type's resolution.
        if qtype in QUANTIZED:
            src = wide["source"][name]
            rows = np.abs(src).max(axis=1) > 1e-3  # tiny rows have fp16-subnormal scales
            err = np.abs(got - src)[rows].max(axis=1) / np.abs(src)[rows].max(axis=1)
            assert err.max() < 0.2, f"{name} {qtype.name}: relative error {err.max()}"
    if unchecked:
        pytest.skip(f"{mix}: dequantization and types checked; blocks of {sorted(unchecked)} "
                    f"need ggml (GGML_BASE_LIB={GGML_BASE_LIB} not found)")


def test_requantizing_a_quantized_gguf_dequantizes_first(wide):
    ggml = ggml_quantizer()
    if ggml is None:
        pytest.skip(f"needs ggml (GGML_BASE_LIB={GGML_BASE_LIB} not found)")
    q8 = quantize(wide["path"], wide["dir"] / "requant-q8.gguf", "Q8_0")
    q4 = quantize(q8, wide["dir"] / "requant-q4km.gguf", "Q4_K_M")
    _, q8_tensors = tensors_of(q8)
    source = {n: as_f32(t, d, s) for n, (t, s, d) in q8_tensors.items()}
    # Dequantized Q8_0 holds -0.0 (negative levels under a scale that underflowed to 0). ggml
    # quantizes an all-(-0.0) Q4_0 block with d = -0.0, gguf-py with +0.0; qinfer follows ggml,
    # so only ggml is the oracle here.
    assert not check_blocks(q4, source, ggml, use_gguf_py=False)


def test_packed_weights_give_the_logits_of_the_blocks(wide):
    """Where the kernels repack Q4_K and Q6_K at load (x86 avx512), a default load reads the
    packed copy; --mmap and QINFER_PACK_WEIGHTS=0 read the blocks. The logits are the same bytes
    token by token (decode kernels) and as one chunk of 12 (prefill tiles built from the groups).
    On CPUs without packing the three runs take one path."""
    q4 = quantize(wide["path"], wide["dir"] / "packed-q4km.gguf", "Q4_K_M")
    ids = ",".join(str(i) for i in range(3, WIDE["vocab"], 83)[:12])
    assert len(ids.split(",")) == 12

    def logits(name, chunk, *extra, env=None):
        out = wide["dir"] / f"packed-{name}-{chunk}.bin"
        proc = subprocess.run([str(QINFER), "logits", "-m", str(q4), "--ids", ids,
                               "--all-positions", "--chunk", str(chunk), "--out", str(out),
                               *extra], capture_output=True, text=True, timeout=600,
                              env={**os.environ, **(env or {})})
        assert proc.returncode == 0, proc.stderr
        return out.read_bytes()

    for chunk in (1, 12):
        packed = logits("default", chunk)
        assert packed == logits("mmap", chunk, "--mmap"), f"chunk {chunk}"
        assert packed == logits("blocks", chunk, env={"QINFER_PACK_WEIGHTS": "0"}), f"chunk {chunk}"


def test_bad_input_gives_clear_errors(tiny, work):
    def fails(*args):
        proc = run_qinfer("quantize", *args, check=False)
        assert proc.returncode != 0
        return proc.stderr

    assert "expected one of" in fails(tiny["gguf"], work / "x.gguf", "--type", "Q3_K")
    assert "no such file" in fails(work / "missing", work / "x.gguf", "--type", "Q8_0")
    existing = quantize(tiny["gguf"], work / "exists.gguf", "Q8_0")
    assert "already exists" in fails(tiny["gguf"], existing, "--type", "Q8_0")
    assert "same file" in fails(existing, existing, "--type", "Q8_0", "--force")
    # tiny's rows of 64: llama.cpp would fall back to q5_0, which qinfer does not write.
    message = fails(tiny["hf"], work / "k.gguf", "--type", "Q4_K_M")
    assert "q5_0" in message and "not a multiple of 256" in message
    assert not (work / "k.gguf").exists(), "no partial output is left behind"
    not_gguf = work / "not.gguf"
    not_gguf.write_bytes(b"GGUF" + b"\0" * 10)
    assert not_gguf.name in fails(not_gguf, work / "x.gguf", "--type", "Q8_0")
    # NaN weights: llama-quantize's row validation refuses them, so does qinfer.
    tensors = wide_tensors(seed=9, tied=True)
    tensors["blk.2.ffn_up.weight"][7, 3] = np.nan
    nan_model = work / "nan.gguf"
    write_wide_gguf(nan_model, tensors, Q.F32)
    message = fails(nan_model, work / "x.gguf", "--type", "Q4_K_M")
    assert "blk.2.ffn_up.weight" in message and "row 7" in message and "NaN" in message


LLAMA_QUANTIZE = os.environ.get("LLAMA_QUANTIZE")


@pytest.mark.skipif(not LLAMA_QUANTIZE, reason="set LLAMA_QUANTIZE to a llama-quantize binary")
@pytest.mark.parametrize("mix", ["Q8_0", "Q4_0", "Q4_K_M", "Q4_K_S", "Q5_K_M", "Q5_K_S", "Q6_K",
                                 "F16", "BF16"])
def test_same_bytes_as_llama_quantize(wide, mix):
    ours = quantize(wide["path"], wide["dir"] / f"ours-{mix}.gguf", mix)
    theirs = wide["dir"] / f"theirs-{mix}.gguf"
    proc = subprocess.run([LLAMA_QUANTIZE, str(wide["path"]), str(theirs), mix],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    _, a = tensors_of(ours)
    _, b = tensors_of(theirs)
    assert set(a) == set(b)
    for name in a:
        assert a[name][0] == b[name][0], f"{name}: {a[name][0].name} vs llama.cpp {b[name][0].name}"
        assert np.asarray(a[name][2]).tobytes() == np.asarray(b[name][2]).tobytes(), name


def test_dtype_on_load_computes_with_the_quantized_blocks(tiny, work):
    """`run/chat/logits --dtype q8_0` on an HF directory quantizes at load into the blocks
    `qinfer quantize --type Q8_0` writes (checked against gguf-py above): the logits of the two
    are identical. Impossible conversions fail with the tensor named."""
    q8 = quantize(tiny["hf"], work / "load-q8.gguf", "Q8_0")
    ids = "9707,11,847,13"
    from_file, on_load = work / "logits-file.bin", work / "logits-load.bin"
    run_qinfer("logits", "-m", q8, "--ids", ids, "--all-positions", "--out", from_file)
    run_qinfer("logits", "-m", tiny["hf"], "--dtype", "Q8_0", "--ids", ids, "--all-positions",
               "--out", on_load)
    assert from_file.read_bytes() == on_load.read_bytes()

    proc = run_qinfer("run", "-m", tiny["hf"], "--dtype", "q4_k", "--ids", ids, check=False)
    assert proc.returncode != 0 and "model.embed_tokens.weight" in proc.stderr
    proc = run_qinfer("run", "-m", tiny["gguf"], "--dtype", "q8_0", "--ids", ids, check=False)
    assert proc.returncode != 0 and "qinfer quantize" in proc.stderr
    proc = run_qinfer("run", "-m", tiny["hf"], "--dtype", "int3", "--ids", ids, check=False)
    assert proc.returncode != 0 and "expected f32" in proc.stderr
