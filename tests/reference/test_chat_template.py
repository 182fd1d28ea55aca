"""Oracle test: `qinfer template --jsonl` against transformers' apply_chat_template (jinja2) and
@huggingface/jinja on the real Qwen3 chat template, over seeded generated conversations.

Run: .deps/venv/bin/python -m pytest tests/reference/test_chat_template.py -s
The binary is $QINFER_BIN (default build/qinfer)."""

import json
import os
import pathlib
import shutil
import subprocess

import pytest

from chat_conversations import generate

REPO = pathlib.Path(__file__).resolve().parents[2]
QWEN3_DIR = REPO / ".deps" / "qwen3-tokenizer"
JS_RENDER = REPO / "tests" / "reference" / "js" / "render_chat_template.cjs"
CONVERSATIONS = 320


def qinfer_bin():
    path = pathlib.Path(os.environ.get("QINFER_BIN", REPO / "build" / "qinfer"))
    if not path.is_absolute():
        path = REPO / path
    if not path.exists():
        pytest.skip(f"qinfer binary not found at {path} (set QINFER_BIN)")
    return path


def run_qinfer(requests, *args):
    stdin = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in requests)
    result = subprocess.run([str(qinfer_bin()), "template", *args, "--jsonl"], input=stdin.encode(),
                            capture_output=True, timeout=120)
    lines = result.stdout.decode().splitlines()
    assert len(lines) == len(requests), result.stderr.decode()
    return [json.loads(line) for line in lines], result


def run_js(requests, template_text, special_tokens, tmp_path):
    if shutil.which("node") is None:
        pytest.skip("node not installed")
    template_file = tmp_path / "template.jinja"
    template_file.write_text(template_text, encoding="utf-8")
    stdin = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in requests)
    result = subprocess.run(["node", str(JS_RENDER), str(template_file), json.dumps(special_tokens)],
                            input=stdin.encode(), capture_output=True, timeout=120, check=True)
    return [json.loads(line) for line in result.stdout.decode().splitlines()]


def render_transformers(tokenizer, request):
    kwargs = {k: v for k, v in request.items() if k not in ("messages", "tools", "add_generation_prompt")}
    try:
        return tokenizer.apply_chat_template(request["messages"], tools=request.get("tools"), tokenize=False,
                                             add_generation_prompt=request["add_generation_prompt"], **kwargs)
    except Exception as error:  # noqa: BLE001 - the oracle's failure is data here
        return {"error": f"{type(error).__name__}: {error}"}


@pytest.fixture(scope="module")
def tokenizer():
    transformers = pytest.importorskip("transformers")
    return transformers.AutoTokenizer.from_pretrained(str(QWEN3_DIR))


def disagreement_kind(expected, js):
    """Names the known @huggingface/jinja 0.5.11 divergences from jinja2 at the first differing char:
    JS numbers have no int/float distinction (2.0 -> 2, 1e-05 -> 0.00001, 1e+16 -> 10000000000000000),
    and str.strip/lstrip/rstrip ignore their chars argument (lstrip('\\n') also eats spaces)."""
    if not isinstance(expected, str) or not isinstance(js, str):
        return "error"
    k = next((i for i in range(min(len(expected), len(js))) if expected[i] != js[i]), min(len(expected), len(js)))
    if k < len(expected) and k < len(js) and (expected[k] in "0123456789.e+-" and js[k] in "0123456789.e+-" or
                                              expected[k - 1] in "0123456789"):
        return "number formatting"
    if k < len(expected) and expected[k].isspace():
        return "strip(chars) ignores chars"
    return "other"


def first_difference(a, b):
    if not isinstance(a, str) or not isinstance(b, str):
        return f"{a!r:.200} vs {b!r:.200}"
    i = next((k for k in range(min(len(a), len(b))) if a[k] != b[k]), min(len(a), len(b)))
    return f"at char {i}: {a[max(0, i - 40):i + 40]!r} vs {b[max(0, i - 40):i + 40]!r}"


def test_qwen3_template_matches_transformers_and_huggingface_jinja(tokenizer, tmp_path):
    requests = generate(CONVERSATIONS, seed=20250501)
    ours, _ = run_qinfer(requests, "-m", str(QWEN3_DIR))
    expected = [render_transformers(tokenizer, r) for r in requests]
    special = {k: v for k, v in tokenizer.special_tokens_map.items() if isinstance(v, str)}
    js = run_js(requests, tokenizer.chat_template, special, tmp_path)

    errors_expected = sum(isinstance(e, dict) for e in expected)
    same_transformers = [i for i in range(len(requests)) if ours[i] == expected[i]]
    same_js = [i for i in range(len(requests)) if ours[i] == js[i]]
    oracles_disagree = [i for i in range(len(requests)) if js[i] != expected[i]]
    print(f"\nqwen3 chat template, {len(requests)} conversations ({errors_expected} render errors in transformers):")
    print(f"  identical to transformers apply_chat_template: {len(same_transformers)}/{len(requests)}")
    print(f"  identical to @huggingface/jinja:               {len(same_js)}/{len(requests)}")
    print(f"  transformers vs @huggingface/jinja disagree on: {len(oracles_disagree)}")
    kinds = {}
    for i in oracles_disagree:
        kinds.setdefault(disagreement_kind(expected[i], js[i]), []).append(i)
    for kind, cases in sorted(kinds.items()):
        print(f"    {kind}: {len(cases)}, e.g. #{cases[0]}: transformers vs js {first_difference(expected[cases[0]], js[cases[0]])}")

    mismatches = [i for i in range(len(requests)) if i not in set(same_transformers)]
    detail = "\n".join(f"#{i}: ours vs transformers {first_difference(ours[i], expected[i])}" for i in mismatches[:5])
    assert not mismatches, f"{len(mismatches)} renders differ from transformers:\n{detail}"
    # Where the two oracles agree, we must match the JS one too (that is every case here unless the
    # oracles themselves differ; such cases are printed above).
    js_mismatch = [i for i in range(len(requests)) if i not in oracles_disagree and ours[i] != js[i]]
    assert not js_mismatch
    # The oracles may only disagree for the known reasons above; anything new needs a look.
    assert set(kinds) <= {"number formatting", "strip(chars) ignores chars"}, kinds.get("other")


def test_feature_coverage_of_generated_conversations():
    requests = generate(CONVERSATIONS, seed=20250501)
    messages = [m for r in requests for m in r["messages"]]
    def count(predicate):
        return sum(1 for m in messages if predicate(m))
    assert count(lambda m: m["role"] == "system") >= 50
    assert count(lambda m: isinstance(m.get("tool_calls"), list)) >= 30
    assert count(lambda m: m.get("tool_calls") and any(isinstance(c.get("function", c)["arguments"], str) for c in m["tool_calls"])) >= 10
    assert count(lambda m: m.get("reasoning_content")) >= 20
    assert count(lambda m: m["role"] == "assistant" and "</think>" in m.get("content", "")) >= 20
    assert sum(1 for r in requests if "enable_thinking" not in r) >= 50
    assert sum(1 for r in requests if r.get("enable_thinking") is False) >= 50
    assert sum(1 for r in requests if r.get("tools")) >= 100
    consecutive_tools = sum(1 for r in requests for a, b in zip(r["messages"], r["messages"][1:])
                            if a["role"] == "tool" and b["role"] == "tool")
    assert consecutive_tools >= 10


def test_errors_name_the_input_line_and_template_line(tmp_path):
    template = tmp_path / "t.jinja"
    template.write_text("line one\n{{ raise_exception('no system role allowed') if messages[0].role == 'system' }}\n"
                        "{{ messages[0].content.upper() }}", encoding="utf-8")
    requests = [{"messages": [{"role": "user", "content": "ok"}], "add_generation_prompt": False},
                {"messages": [{"role": "system", "content": "no"}], "add_generation_prompt": False},
                {"messages": [{"role": "user"}], "add_generation_prompt": False}]
    out, result = run_qinfer(requests, "--template-file", str(template))
    assert out[0] == "line one\n\nOK"
    assert result.returncode == 1
    assert "input line 2" in out[1]["error"] and "no system role allowed" in out[1]["error"]
    assert "template line 2" in out[1]["error"]
    assert "input line 3" in out[2]["error"] and "template line 3" in out[2]["error"]
