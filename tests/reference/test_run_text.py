"""`qinfer run -p` and `qinfer chat` end to end, against independent oracles.

- The prompt ids qinfer feeds the model (--print-prompt-ids) equal transformers'
  apply_chat_template(..., tokenize=True) ids (jinja2 + HF tokenizers), for chat prompts with and
  without a system message and enable_thinking, and HF tokenizers' ids for --raw; the same for
  the GGUF file of the same model (template and tokenizer from GGUF metadata).
- The streamed text equals HF tokenizers' decode of the generated ids (--print-generated-ids).
- `qinfer chat` driven through a pipe: two turns, /reset, one more turn, /exit -> exit 0, one
  answer per turn, the second turn reuses the KV cache, the turn after /reset does not, no
  escape codes on a pipe.

Models are tiny random-weight Qwen3s written by `qinfer mkmodel` (the text is meaningless; the
plumbing is what is checked). The binary is $QINFER_BIN (default build/qinfer).
"""

import json
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from qinfer_process import QINFER, run_qinfer  # noqa: E402

EOS_IDS = {151643, 151645}


@pytest.fixture(scope="session")
def models(tmp_path_factory):
    if not QINFER.exists():
        pytest.skip(f"qinfer binary not found at {QINFER} (set QINFER_BIN)")
    root = tmp_path_factory.mktemp("run_text")
    hf, gguf = root / "tiny-hf", root / "tiny.gguf"
    for fmt, out in (("hf", hf), ("gguf", gguf)):
        run_qinfer("mkmodel", "--preset", "tiny", "--format", fmt, "--dtype", "f32", "--seed", 1,
                   "--out", out)
    return {"hf": hf, "gguf": gguf}


@pytest.fixture(scope="session")
def hf_tokenizer(models):
    from transformers import AutoTokenizer
    return AutoTokenizer.from_pretrained(str(models["hf"]))


def ids_line(stderr, name):
    match = re.search(rf"^{name}: (\[.*\])$", stderr, re.M)
    assert match, stderr
    return json.loads(match.group(1))


def template_ids(tokenizer, messages, **kwargs):
    out = tokenizer.apply_chat_template(messages, tokenize=True, add_generation_prompt=True,
                                        **kwargs)
    if hasattr(out, "keys"):  # newer transformers return a BatchEncoding
        out = out["input_ids"]
    return list(out)


def run_text(model, prompt, *extra):
    proc = run_qinfer("run", "-m", model, "-p", prompt, "--print-prompt-ids",
                      "--print-generated-ids", *extra)
    assert proc.stdout.endswith("\n")
    return proc, proc.stdout[:-1]


CASES = [
    ("Hello there", None, None),
    ("What is 2+2? Answer briefly.", "You are a terse assistant.", None),
    ("思考一下：天空为什么是蓝色的？🙂", None, True),
    ("  leading spaces\nand\r\nnewlines\t", "sys", False),
]


@pytest.mark.parametrize("fmt", ["hf", "gguf"])
@pytest.mark.parametrize("prompt, system, think", CASES)
def test_prompt_ids_equal_apply_chat_template(models, hf_tokenizer, fmt, prompt, system, think):
    extra = ["--temperature", 0, "-n", 8, "--verbose"]
    if system is not None:
        extra += ["--system", system]
    kwargs = {}
    if think is not None:
        extra.append("--think" if think else "--no-think")
        kwargs["enable_thinking"] = think
    proc, _ = run_text(models[fmt], prompt, *extra)
    messages = ([{"role": "system", "content": system}] if system is not None else [])
    messages.append({"role": "user", "content": prompt})
    assert ids_line(proc.stderr, "prompt_ids") == template_ids(hf_tokenizer, messages, **kwargs)
    assert re.search(r"^prefill: \d+ tokens in [\d.]+ ms \([\d.]+ tokens/s\)$", proc.stderr, re.M)
    assert re.search(r"^decode: \d+ tokens in [\d.]+ ms \([\d.]+ tokens/s\)$", proc.stderr, re.M)


def test_raw_prompt_ids_equal_hf_tokenizers(models, hf_tokenizer):
    prompt = "def f(x):\n\treturn x  # 123 ünïcödé"
    proc, _ = run_text(models["hf"], prompt, "--raw", "--temperature", 0, "-n", 4)
    assert ids_line(proc.stderr, "prompt_ids") == hf_tokenizer(prompt)["input_ids"]


@pytest.mark.parametrize("fmt", ["hf", "gguf"])
@pytest.mark.parametrize("sampling", [
    ("--temperature", 0),
    ("--temperature", 1.5, "--top-k", 0, "--top-p", 1, "--seed", 3),  # varied tokens, bytes split
    ("--temperature", 1.0, "--top-k", 50, "--seed", 11),
])
def test_streamed_text_is_the_hf_decode_of_the_generated_ids(models, hf_tokenizer, fmt, sampling):
    proc, text = run_text(models[fmt], "Write a poem about the sea.", "-n", 24, *sampling)
    generated = ids_line(proc.stderr, "generated_ids")
    assert 1 <= len(generated) <= 24
    if generated[-1] in EOS_IDS:
        generated = generated[:-1]
    assert text == hf_tokenizer.decode(generated, skip_special_tokens=False)


def test_seeded_runs_repeat(models):
    args = ("-n", 12, "--temperature", 1.0, "--seed", 5)
    assert run_text(models["hf"], "Hi", *args)[1] == run_text(models["hf"], "Hi", *args)[1]


def test_overflowing_the_context_is_a_clear_error(models):
    proc = run_qinfer("run", "-m", models["hf"], "-p", "Hi", "-n", 40960, check=False)
    assert proc.returncode != 0
    assert "exceeds the model's context" in proc.stderr, proc.stderr


def test_chat_through_a_pipe(models):
    script = "Hello!\nAnd a second question?\n/reset\nAfter the reset\n/exit\nnever read\n"
    proc = run_qinfer("chat", "-m", models["hf"], "-n", 6, "--temperature", 0, "--verbose",
                      input=script)
    stats = re.findall(r"^\[prompt (\d+) tokens, (\d+) reused;.*\]$", proc.stderr, re.M)
    assert len(stats) == 3, proc.stderr  # one answer per user turn, nothing after /exit
    (p1, r1), (p2, r2), (p3, r3) = [(int(p), int(r)) for p, r in stats]
    assert r1 == 0
    assert r2 >= p1 and p2 > p1  # the second turn extends the first: its whole prompt is reused
    assert r3 == 0                   # /reset forgot the conversation
    assert "(conversation cleared)" in proc.stderr
    assert "\x1b" not in proc.stdout  # no escape codes on a pipe
    assert len(proc.stdout.splitlines()) >= 3


def test_chat_exits_at_end_of_input(models):
    proc = run_qinfer("chat", "-m", models["gguf"], "-n", 3, "--no-think", input="Hi\n")
    assert proc.stdout.strip() != ""


def test_chat_full_context_is_reported_and_the_chat_goes_on(models):
    proc = run_qinfer("chat", "-m", models["hf"], "-n", 2, "--ctx-size", 16, "--verbose",
                      input="Tell me everything about the history of the world\nHi\n")
    assert "fills the context of 16 tokens" in proc.stderr
    assert len(re.findall(r"^\[prompt ", proc.stderr, re.M)) == 1, proc.stderr
