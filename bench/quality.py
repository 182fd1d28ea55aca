#!/usr/bin/env python3
"""Quality of each weight type against F32, for qinfer and for llama.cpp, on one fixed token stream.

    .deps/venv/bin/python bench/quality.py [--qinfer build/qinfer] [-t 2] [--seed 1]
        [--types Q8_0,Q4_0,Q4_K_M,Q5_K_M,Q6_K,BF16,F16] [--out bench/RESULTS.md]

Model: a 0.6B-shape random-weight F32 GGUF, `qinfer mkmodel --preset 0.6B --format gguf
--dtype f32 --seed 1`, quantized by `qinfer quantize F32.gguf OUT.gguf --type TYPE`; all files
under models/bench/ (git-ignored), made on first use and reused after.

Token stream: make_text(seed) below writes a deterministic mix of English prose, Python/C++ code
and Chinese (fragments picked and varied by a fixed-seed generator of its own, so the text does
not depend on Python's random module); `qinfer tokenize` turns it into ids and the stream is the
first 1,000 of them (no BOS: Qwen3 has none, and the GGUF says add_bos_token = false).

qinfer: `qinfer logits --all-positions` on the stream for F32 and for each type; per position
KL(P_f32 || P_type) in float64, then the mean and maximum over positions, and top-1 agreement
(the share of positions where both argmaxes are the same token). Reported over all 1,000
positions and, for a like-for-like comparison with llama.cpp, over positions 500..998.

llama.cpp (when LLAMA_PERPLEXITY=/path/to/llama-perplexity is set): llama-perplexity scores
only the second half of each context window, positions n_ctx/2 .. n_ctx-2, and wants at least
2*n_ctx tokens of text. So it gets the whole generated text (over 2,000 tokens) with -c 1000
-b 1000 --chunks 1: its one chunk is the same 1,000 tokens (checked: the token ids stored in its
--kl-divergence-base file must equal qinfer's stream), it scores positions 500..998 (499
positions), and its numbers are its own `--kl-divergence` report (Mean KLD, Maximum KLD,
Same top p) of each type against its own F32 run. Its log-probabilities of the base pass are
stored as 16-bit steps over the top 16 nats, which is far below the differences measured here.
As a check that both engines run the same model on the same tokens, the script also reads
llama.cpp's F32 base file and reports KL(llama.cpp F32 || qinfer F32) on those positions.
llama.cpp runs on the same files as qinfer, unless LLAMA_QUANTIZE=/path/to/llama-quantize is
set: then it gets its own files made by llama-quantize from the same F32 GGUF, and the script
reports whether their tensors (types and bytes) are identical to qinfer's.

Everything runs under `nice` with -t threads (default 2). With --out, the "## Quality" section
of that markdown file is replaced (or appended) and the rest of the file is kept.
"""
import argparse
import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
MODELS = ROOT / "models" / "bench"  # /models/ is in .gitignore
DEFAULT_TYPES = "Q8_0,Q6_K,Q5_K_M,Q4_K_M,Q4_0,BF16,F16"
N_TOKENS = 1000


def log(message):
    print(message, file=sys.stderr, flush=True)


def run(command, stdin=None):
    command = ["nice", "-n", "10"] + [str(c) for c in command]
    shown = " ".join(c if len(c) < 200 else f"{c[:40]}...({len(c)} chars)" for c in command)
    log("$ " + shown)
    start = time.time()
    result = subprocess.run(command, input=stdin, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{command[3]} failed ({result.returncode}):\n{result.stderr[-3000:]}")
    log(f"  ({time.time() - start:.1f} s)")
    return result.stdout, result.stderr


# --- the text --------------------------------------------------------------------------------

ENGLISH = [
    "The committee met on {day} to review the quarterly budget, and after a long discussion "
    "about travel costs it agreed to postpone the new hires until {month}.",
    "When the river rose above the old stone bridge, the villagers moved {count} sheep to the "
    "hills and waited for the rain to stop.",
    "A good cache keeps the data that will be read again soon; a bad one evicts it just before "
    "it is needed, which is why the hit rate fell to {pct}% last {day}.",
    "She wrote the letter in pencil, crossed out the third paragraph twice, and finally sent "
    "it on {day} morning without a signature.",
    "Quantization trades a little accuracy for a lot of memory bandwidth: {count} weights share "
    "one scale, and the error depends on how the values are spread.",
    "In {month} the library extended its opening hours, because students kept asking for a "
    "quiet place to study after the evening lectures.",
]
CODE = [
    "def moving_average(values, window={count}):\n"
    "    total = sum(values[:window])\n"
    "    out = [total / window]\n"
    "    for i in range(window, len(values)):\n"
    "        total += values[i] - values[i - window]\n"
    "        out.append(total / window)\n"
    "    return out\n",
    "for (int i = 0; i < n; ++i) {{\n"
    "  sum += a[i] * b[i];  // dot product, {count} lanes at a time\n"
    "}}\n"
    "return sum / static_cast<float>(n);\n",
    "SELECT name, COUNT(*) AS orders FROM customers JOIN orders USING (customer_id)\n"
    "WHERE created_at >= '2024-{mm}-01' GROUP BY name ORDER BY orders DESC LIMIT {count};\n",
    "if err := server.ListenAndServe(); err != nil {{\n"
    "\tlog.Fatalf(\"listen on :%d: %v\", {port}, err)\n"
    "}}\n",
]
CHINESE = [
    "今天下午{hour}点，我们在会议室讨论了新产品的发布计划，"
    "大家一致认为需要更多的测试。",
    "春天来了，公园里的花都开了，很多人带着孩子去散步，天气非常好。",
    "这个模型在中央处理器上运行，不需要显卡，数据也不会离开公司的服务器。",
    "他每天早上六点起床，先跑步{count}分钟，然后吃早饭，再坐地铁去上班。",
]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
MONTHS = ["January", "March", "May", "July", "September", "November"]


class SplitMix64:
    """A fixed pseudo-random sequence, independent of Python's random module."""

    def __init__(self, seed):
        self.state = seed & 0xFFFFFFFFFFFFFFFF

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
        return z ^ (z >> 31)

    def below(self, n):
        return self.next() % n


def make_text(seed, n_chars=9000):
    """Deterministic mixed English / code / Chinese text of at least n_chars characters."""
    rng = SplitMix64(seed)
    parts = []
    length = 0
    while length < n_chars:
        pool = (ENGLISH, ENGLISH, CODE, CHINESE)[rng.below(4)]
        template = pool[rng.below(len(pool))]
        piece = template.format(day=DAYS[rng.below(7)], month=MONTHS[rng.below(6)],
                                count=2 + rng.below(98), hour=1 + rng.below(6),
                                pct=50 + rng.below(50),
                                mm=f"{1 + rng.below(12):02d}", port=8000 + rng.below(1000))
        parts.append(piece)
        length += len(piece)
    return "\n\n".join(parts) + "\n"


# --- model files -----------------------------------------------------------------------------

def make_models(qinfer, types, threads):
    MODELS.mkdir(parents=True, exist_ok=True)
    f32 = MODELS / "qwen3-0.6B-f32.gguf"
    if not f32.exists():
        run([qinfer, "mkmodel", "--preset", "0.6B", "--format", "gguf", "--dtype", "f32",
             "--seed", 1, "-t", threads, "--out", f32])
    files = {}
    for weight_type in types:
        out = MODELS / f"qwen3-0.6B-f32-{weight_type.lower()}.gguf"
        if not out.exists():
            run([qinfer, "quantize", f32, out, "--type", weight_type, "-t", threads])
        files[weight_type] = out
    return f32, files


def make_llama_models(llama_quantize, f32, types, threads):
    files = {}
    for weight_type in types:
        out = MODELS / f"qwen3-0.6B-f32-{weight_type.lower()}-llama-quantize.gguf"
        if not out.exists():
            run([llama_quantize, f32, out, weight_type, threads])
        files[weight_type] = out
    return files


def same_tensors(a, b):
    """True when two GGUF files hold the same tensors: names, types, shapes and bytes."""
    from gguf import GGUFReader
    ta = {t.name: t for t in GGUFReader(a).tensors}
    tb = {t.name: t for t in GGUFReader(b).tensors}
    if ta.keys() != tb.keys():
        return False
    for name, t in ta.items():
        u = tb[name]
        if t.tensor_type != u.tensor_type or list(t.shape) != list(u.shape):
            return False
        bytes_a = np.asarray(t.data).view(np.uint8)
        if not np.array_equal(bytes_a, np.asarray(u.data).view(np.uint8)):
            return False
    return True


# --- qinfer ----------------------------------------------------------------------------------

def tokenize(qinfer, model, text):
    out, _ = run([qinfer, "tokenize", "-m", model, "--jsonl"], stdin=json.dumps(text) + "\n")
    return json.loads(out.strip().splitlines()[-1])


def qinfer_logits(qinfer, model, ids, threads, path):
    run([qinfer, "logits", "-m", model, "--ids", ",".join(map(str, ids)), "--all-positions",
         "-t", threads, "--out", path])


def log_softmax(rows):
    rows = rows.astype(np.float64)
    rows -= rows.max(axis=1, keepdims=True)
    rows -= np.log(np.exp(rows).sum(axis=1, keepdims=True))
    return rows


def compare(base_path, other_path, n_positions, vocab, block=100):
    """Per-position KL(base || other) and whether the argmaxes agree, as arrays."""
    base = np.memmap(base_path, dtype="<f4", mode="r", shape=(n_positions, vocab))
    other = np.memmap(other_path, dtype="<f4", mode="r", shape=(n_positions, vocab))
    kl = np.empty(n_positions)
    same = np.empty(n_positions, dtype=bool)
    for begin in range(0, n_positions, block):
        b = np.asarray(base[begin:begin + block])
        o = np.asarray(other[begin:begin + block])
        lb, lo = log_softmax(b), log_softmax(o)
        kl[begin:begin + block] = (np.exp(lb) * (lb - lo)).sum(axis=1)
        same[begin:begin + block] = b.argmax(axis=1) == o.argmax(axis=1)
    return kl, same


# --- llama.cpp -------------------------------------------------------------------------------

def llama_base(perplexity, f32, text_path, base_path, threads):
    run([perplexity, "-m", f32, "-f", text_path, "-c", N_TOKENS, "-b", N_TOKENS, "--chunks", 1,
         "-t", threads, "--kl-divergence-base", base_path])


def read_llama_base(path):
    """llama-perplexity's base file: its tokens and per scored position the log-probs."""
    with open(path, "rb") as f:
        if f.read(8) != b"_logits_":
            raise RuntimeError(f"{path}: not a llama-perplexity logits file")
        n_ctx, n_vocab, n_chunk = np.frombuffer(f.read(12), dtype="<i4")
        tokens = np.frombuffer(f.read(4 * n_ctx * n_chunk), dtype="<i4")
        nv = 2 * ((n_vocab + 1) // 2) + 4
        data = np.frombuffer(f.read(), dtype="<u2").reshape(-1, nv)
    scale_min = data[:, :4].copy().view("<f4")  # two floats per row: scale, min log-prob
    logp = data[:, 4:4 + n_vocab].astype(np.float64) * scale_min[:, :1] + scale_min[:, 1:2]
    return int(n_ctx), tokens, logp


def llama_kld(perplexity, model, base_path, threads):
    out, err = run([perplexity, "-m", model, "-c", N_TOKENS, "-b", N_TOKENS, "-t", threads,
                    "--kl-divergence-base", base_path, "--kl-divergence"])
    text = out + err

    def number(label):
        match = re.search(label + r"\s*:\s*([-0-9.eE+]+)", text)
        if not match:
            raise RuntimeError(f"llama-perplexity output has no '{label}':\n{text[-2000:]}")
        return float(match.group(1))

    return {"mean_kl": number(r"Mean\s+KLD"), "max_kl": number(r"Maximum KLD"),
            "top1": number(r"Same top p") / 100}


# --- report ----------------------------------------------------------------------------------

def report(rows, args, info):
    out = []
    out.append(f"0.6B-shape random-weight model (`qinfer mkmodel --preset 0.6B --dtype f32 "
               f"--seed 1`), each type made by `qinfer quantize` from the F32 GGUF"
               f"{info['llama_files']}. "
               f"Stream: {N_TOKENS} tokens of `make_text(seed={args.seed})` in bench/quality.py "
               f"(English, code and Chinese), no BOS, one forward pass per engine and type.")
    out.append("KL = KL(P_F32 || P_type) in nats per position, each engine against its own F32 "
               "run; top-1 = share of positions whose most likely token is the F32 one. "
               "qinfer is reported on all 1000 positions and on positions 500..998, the 499 "
               "that `llama-perplexity --kl-divergence -c 1000` scores (the second half of its "
               "window); llama.cpp's columns are its own report.")
    if info.get("cross"):
        c = info["cross"]
        out.append(f"Same model, same tokens: KL(llama.cpp F32 || qinfer F32) on positions "
                   f"500..998 = {c['mean']:.2e} mean, {c['max']:.2e} max; top-1 agreement "
                   f"{100 * c['top1']:.1f}%.")
    out.append("")
    out.append("| type | file MiB | qinfer mean KL | qinfer max KL | qinfer top-1 | "
               "qinfer mean KL (500..998) | qinfer top-1 (500..998) | llama.cpp mean KL | "
               "llama.cpp max KL | llama.cpp top-1 |")
    out.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        l = r.get("llama")
        out.append("| {} | {:.0f} | {:.6f} | {:.6f} | {:.1f}% | {:.6f} | {:.1f}% | {} | {} | {} |"
                   .format(
            r["type"], r["size"] / 2**20, r["mean_kl"], r["max_kl"], 100 * r["top1"],
            r["mean_kl_half"], 100 * r["top1_half"],
            f"{l['mean_kl']:.6f}" if l else "n/a", f"{l['max_kl']:.6f}" if l else "n/a",
            f"{100 * l['top1']:.1f}%" if l else "n/a"))
    out.append("")
    out.append(
        "Random weights make every distribution over the 151,936 tokens nearly flat, so the top "
        "token often wins by a hair and top-1 agreement is far lower (and KL far higher) than on "
        "a trained model; the numbers compare types and engines, not real-model quality. "
        "Engines differ by design on float types: llama.cpp rounds activations to F16/BF16 for "
        "F16/BF16 weights and keeps its KV cache in F16 (default), qinfer widens the weights and "
        "computes in F32; both quantize activations to 8 bits for the quantized types.")
    return "\n".join(out) + "\n"


def write_section(path, section):
    """Replaces the '## Quality' section of a markdown file (or appends one); keeps the rest."""
    path = pathlib.Path(path)
    text = path.read_text() if path.exists() else ""
    lines = text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.rstrip() == "## Quality"), None)
    if start is None:
        text = text.rstrip("\n") + ("\n\n" if text else "") + section
    else:
        end = next((i for i in range(start + 1, len(lines))
                    if lines[i].startswith("## ") or lines[i].startswith("# ")), len(lines))
        tail = "".join(lines[end:])
        text = "".join(lines[:start]) + section + ("\n" + tail if tail else "")
    path.write_text(text)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--qinfer", default=str(ROOT / "build" / "qinfer"))
    parser.add_argument("-t", "--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1, help="seed of the generated text")
    parser.add_argument("--types", default=DEFAULT_TYPES)
    parser.add_argument("--out", help="replace the '## Quality' section of this markdown file")
    args = parser.parse_args()
    if args.threads < 1:
        parser.error("-t must be >= 1")
    types = [t.strip().upper() for t in args.types.split(",") if t.strip()]
    perplexity = os.environ.get("LLAMA_PERPLEXITY")
    llama_quantize = os.environ.get("LLAMA_QUANTIZE")
    for name, value in (("LLAMA_PERPLEXITY", perplexity), ("LLAMA_QUANTIZE", llama_quantize)):
        if value and not os.access(value, os.X_OK):
            parser.error(f"{name}={value}: not executable")
    started = time.time()
    load_before = "{:.2f}".format(os.getloadavg()[0])

    f32, files = make_models(args.qinfer, types, args.threads)
    llama_files = files
    info = {"llama_files": ""}
    if perplexity and llama_quantize:
        llama_files = make_llama_models(llama_quantize, f32, types, args.threads)
        identical = [t for t in types if same_tensors(files[t], llama_files[t])]
        differ = [t for t in types if t not in identical]
        info["llama_files"] = (f"; llama.cpp runs on its own files from `llama-quantize` "
                               f"(tensors identical to qinfer's: {', '.join(identical) or 'none'}"
                               f"{'; different: ' + ', '.join(differ) if differ else ''})")
    elif perplexity:
        info["llama_files"] = "; llama.cpp runs on the same files"

    text = make_text(args.seed)
    all_ids = tokenize(args.qinfer, f32, text)
    if len(all_ids) < 2 * N_TOKENS:
        raise RuntimeError(f"the text has only {len(all_ids)} tokens; need {2 * N_TOKENS}")
    ids = all_ids[:N_TOKENS]
    vocab = None

    rows = []
    with tempfile.TemporaryDirectory(prefix="qinfer-quality-") as tmp:
        tmp = pathlib.Path(tmp)
        base = tmp / "f32.logits"
        qinfer_logits(args.qinfer, f32, ids, args.threads, base)
        vocab = base.stat().st_size // (4 * N_TOKENS)
        for weight_type in types:
            path = tmp / "type.logits"
            qinfer_logits(args.qinfer, files[weight_type], ids, args.threads, path)
            kl, same = compare(base, path, N_TOKENS, vocab)
            half = slice(N_TOKENS // 2, N_TOKENS - 1)
            rows.append({"type": weight_type, "size": files[weight_type].stat().st_size,
                         "mean_kl": kl.mean(), "max_kl": kl.max(), "top1": same.mean(),
                         "mean_kl_half": kl[half].mean(), "top1_half": same[half].mean()})
            log(f"qinfer {weight_type}: mean KL {kl.mean():.6f}, top-1 {100 * same.mean():.1f}%")
            path.unlink()

        if perplexity:
            text_path = tmp / "stream.txt"
            text_path.write_text(text)
            llama_base_path = tmp / "f32.kld"
            llama_base(perplexity, f32, text_path, llama_base_path, args.threads)
            n_ctx, llama_tokens, llama_logp = read_llama_base(llama_base_path)
            if n_ctx != N_TOKENS or list(llama_tokens[:N_TOKENS]) != ids:
                raise RuntimeError("llama.cpp tokenized the text differently from qinfer: "
                                   "the streams are not the same")
            # Cross-check: llama.cpp's F32 log-probs against qinfer's F32 logits, same positions.
            first = N_TOKENS // 2
            ours = np.memmap(base, dtype="<f4", mode="r", shape=(N_TOKENS, vocab))
            ours = log_softmax(np.asarray(ours[first:first + llama_logp.shape[0]]))
            kept = llama_logp > -16  # as llama-perplexity's own sum: the clamped tail is dropped
            cross = (np.where(kept, np.exp(llama_logp) * (llama_logp - ours), 0)).sum(axis=1)
            info["cross"] = {"mean": cross.mean(), "max": cross.max(),
                             "top1": (llama_logp.argmax(axis=1) == ours.argmax(axis=1)).mean()}
            del ours, llama_logp
            for row in rows:
                row["llama"] = llama_kld(perplexity, llama_files[row["type"]], llama_base_path,
                                         args.threads)
                log(f"llama.cpp {row['type']}: {row['llama']}")

    info["load"] = f"{load_before} at the start, {os.getloadavg()[0]:.2f} at the end"
    section_body = report(rows, args, info)
    print(section_body)
    if args.out:
        git = subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
                             capture_output=True, text=True).stdout.strip()
        env = " ".join(f"{name}={os.environ[name]!r}" for name in
                       ("LLAMA_PERPLEXITY", "LLAMA_QUANTIZE") if os.environ.get(name))
        when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        section = (f"## Quality\n\n({when}) Made by `{env + ' ' if env else ''}bench/quality.py "
                   f"{' '.join(sys.argv[1:])}` at qinfer {git or '?'} in "
                   f"{time.time() - started:.0f} s (load average {info['load']}).\n\n"
                   + section_body)
        write_section(args.out, section)
    log(f"quality.py: done in {time.time() - started:.0f} s")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except RuntimeError as error:
        log(f"quality.py: {error}")
        sys.exit(1)
