#!/usr/bin/env python3
"""qinfer vs llama.cpp vs transformers on the same model files, in one run, on one machine.

    .deps/venv/bin/python bench/compare.py [--qinfer build/qinfer] [-t 2] [-p 512] [-n 128] [-r 3]
        [--rounds 1] [--hf-p 128] [--hf-n 32] [--hf-r 2] [--no-hf] [--out bench/RESULTS.md]
        [MODEL ...]

MODEL is a preset spec PRESET:TYPE (0.6B:bf16, 4B:f32, 0.6B:q4_k_m, ...; default 0.6B:bf16) or
a path to a .gguf file or a Hugging Face directory. A spec's files are made on first use under
models/bench/ (git-ignored) with `qinfer mkmodel --preset P --format gguf|hf --dtype D --seed 1`
and, for quantized types, `qinfer quantize BF16.gguf OUT.gguf --type TYPE`.

For each model, in this order and in the same run:
  qinfer        `qinfer bench --json` on the GGUF file (the HF directory if there is no GGUF);
                its share of the memory bandwidth is against the read bandwidth it measures just
                before and after each of its tg runs (the machine's, once at the start, is
                printed too: `qinfer bench --memory`)
  llama.cpp     when LLAMA_BENCH=/path/to/llama-bench is set: `llama-bench -o json` on the
                same GGUF file with the same -t/-p/-n/-r (its own warm-up, batch 2048, ubatch 512);
                LLAMA_BENCH_ARGS adds flags (e.g. "--poll 0" on a busy machine, where its
                spinning workers wait behind other processes)
  transformers  (the seed's stack) Qwen3ForCausalLM on CPU, torch threads = -t, BF16 and FP32,
                on the HF directory of the same weights (float types only), each in a fresh
                process: pp = one forward of --hf-p random ids (logits of the last position only,
                as qinfer and llama.cpp compute them); tg = generate() of --hf-n + 1 greedy tokens
                minus generate() of 1 token, i.e. --hf-n decode steps; best-effort short because
                it is slow. Its pp/tg sizes are printed with its numbers.
Prompts are random token ids everywhere: no tokenizer time in any number.

--rounds R > 1 runs qinfer and llama.cpp R times per model, interleaved (their order alternates
from round to round), and reports per engine the median of the rounds' means with their range,
and the median and range of the per-round ratios. Use it on a machine whose memory bandwidth
swings (the VM here switches between ~35 and ~60 GB/s phases every few seconds): one round of
each engine may then compare two different machines.
Rounds do not run transformers (it is 10-100x slower; run it with --rounds 1).

With --out the file is rewritten, keeping only its "## Quality" section (bench/quality.py's).

Ratios in the table are computed from numbers of this one run. The machine's load average at
the start and end is printed: other processes running at the same time make every number
noisy, and the ratios within one run are the meaningful part.
"""
import argparse
import json
import os
import pathlib
import platform
import shlex
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
MODELS = ROOT / "models" / "bench"  # /models/ is in .gitignore
FLOAT_TYPES = {"f32", "f16", "bf16"}


def log(message):
    print(message, file=sys.stderr, flush=True)


def run(command, **kwargs):
    log("$ " + " ".join(str(c) for c in command))
    result = subprocess.run([str(c) for c in command], capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        raise RuntimeError(f"{command[0]} failed ({result.returncode}):\n{result.stderr[-3000:]}")
    return result.stdout


# --- model files ---------------------------------------------------------------------------

class ModelFiles:
    def __init__(self, name, gguf=None, hf=None, weight_type=None):
        self.name, self.gguf, self.hf, self.weight_type = name, gguf, hf, weight_type


def has_quantize(qinfer):
    return subprocess.run([qinfer, "quantize", "--help"], capture_output=True).returncode == 0


def make_spec_files(spec, qinfer):
    preset, _, weight_type = spec.partition(":")
    weight_type = (weight_type or "bf16").lower()
    MODELS.mkdir(parents=True, exist_ok=True)
    base_type = weight_type if weight_type in FLOAT_TYPES else "bf16"
    stem = f"qwen3-{preset}-{base_type}"
    gguf = MODELS / f"{stem}.gguf"
    hf = MODELS / f"{stem}-hf"
    if not gguf.exists():
        run([qinfer, "mkmodel", "--preset", preset, "--format", "gguf", "--dtype", base_type,
             "--seed", 1, "--out", gguf])
    if not (hf / "config.json").exists():
        run([qinfer, "mkmodel", "--preset", preset, "--format", "hf", "--dtype", base_type,
             "--seed", 1, "--out", hf])
    if weight_type in FLOAT_TYPES:
        return ModelFiles(spec, gguf, hf, weight_type)
    if not has_quantize(qinfer):
        raise RuntimeError(f"{spec}: needs `qinfer quantize`, which this binary does not have")
    quantized = MODELS / f"qwen3-{preset}-{weight_type}.gguf"
    if not quantized.exists():
        run([qinfer, "quantize", gguf, quantized, "--type", weight_type.upper()])
    return ModelFiles(spec, quantized, None, weight_type)  # transformers: float weights only


def model_files(spec, qinfer):
    path = pathlib.Path(spec)
    if path.suffix == ".gguf" and path.is_file():
        return ModelFiles(path.name, gguf=path)
    if path.is_dir():
        return ModelFiles(path.name, hf=path)
    if ":" in spec or spec[:1].isdigit():
        return make_spec_files(spec, qinfer)
    raise RuntimeError(f"{spec}: neither a .gguf file, a model directory nor a PRESET:TYPE spec")


# --- the three engines ---------------------------------------------------------------------

def qinfer_memory(qinfer, threads):
    return json.loads(run([qinfer, "bench", "--memory", "--json", "-t", threads]).strip())


def qinfer_bench(qinfer, path, args):
    out = run([qinfer, "bench", "--json", "-m", path, "-t", args.threads, "-p", args.p,
               "-n", args.n, "-r", args.r])
    lines = [json.loads(line) for line in out.splitlines() if line.strip()]
    return {line["test"][:2]: line for line in lines if line["test"] != "memory"}


def llama_bench(binary, path, args):
    extra = shlex.split(os.environ.get("LLAMA_BENCH_ARGS", ""))
    out = run([binary, "-m", path, "-t", args.threads, "-p", args.p, "-n", args.n, "-r", args.r,
               "-o", "json", *extra])
    results = {}
    for entry in json.loads(out):
        results["pp" if entry["n_prompt"] > 0 else "tg"] = entry
    return results


def transformers_worker(hf_dir, dtype_name, threads, n_prompt, n_gen, repetitions):
    """Runs in its own process: prints one JSON object with pp and tg tokens/s."""
    import torch
    from transformers import Qwen3ForCausalLM

    torch.set_num_threads(threads)
    dtype = {"bf16": torch.bfloat16, "fp32": torch.float32}[dtype_name]
    start = time.perf_counter()
    model = Qwen3ForCausalLM.from_pretrained(hf_dir, dtype=dtype)
    model.eval()
    load_s = time.perf_counter() - start
    vocab = model.config.vocab_size
    gen = torch.Generator().manual_seed(1)

    def ids(count):
        return torch.randint(0, vocab, (1, count), generator=gen)

    def generate_seconds(prompt, new_tokens):
        start = time.perf_counter()
        model.generate(prompt, max_new_tokens=new_tokens, min_new_tokens=new_tokens,
                       do_sample=False, pad_token_id=0)
        return time.perf_counter() - start

    with torch.inference_mode():
        model(ids(8), logits_to_keep=1)  # warm-up
        pp, tg = [], []
        for _ in range(repetitions):
            prompt = ids(n_prompt)
            start = time.perf_counter()
            model(prompt, logits_to_keep=1, use_cache=True)
            pp.append(n_prompt / (time.perf_counter() - start))
        for _ in range(repetitions):
            prompt = ids(1)
            first = generate_seconds(prompt, 1)
            total = generate_seconds(prompt, n_gen + 1)
            tg.append(n_gen / max(total - first, 1e-9))
    print(json.dumps({"load_s": load_s, "pp": pp, "tg": tg, "n_prompt": n_prompt, "n_gen": n_gen}))


def transformers_bench(hf_dir, dtype_name, args):
    out = run([sys.executable, __file__, "--hf-worker", hf_dir, dtype_name, args.threads,
               args.hf_p, args.hf_n, args.hf_r])
    return json.loads(out.strip().splitlines()[-1])


# --- report --------------------------------------------------------------------------------

def median(values):
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def rounds_cell(values):
    """Median of per-round values with their range: '12.34 [11.00-13.10]'."""
    if not values:
        return "n/a"
    if len(values) == 1:
        return f"{values[0]:.2f}"
    return f"{median(values):.2f} [{min(values):.2f}-{max(values):.2f}]"


def round_ratios(row, test):
    """qinfer / llama.cpp mean t/s of each round that ran both."""
    pairs = zip(row["qinfer_rounds"], row["llama_rounds"])
    return [q[test]["avg_ts"] / l[test]["avg_ts"] for q, l in pairs
            if test in q and test in l and l[test]["avg_ts"]]


def mean_std(samples):
    m = sum(samples) / len(samples)
    s = (sum((x - m) ** 2 for x in samples) / (len(samples) - 1)) ** 0.5 if len(samples) > 1 else 0
    return m, s


def cell(mean, std=None, note=""):
    if mean is None:
        return "n/a"
    text = f"{mean:.2f}" if std is None else f"{mean:.2f} ± {std:.2f}"
    return text + (f" ({note})" if note else "")


def ratio(a, b):
    return f"{a / b:.2f}x" if a and b else "n/a"


def cpu_name():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def build_info(rows):
    """qinfer's commit (and whether the tree had changes) and llama.cpp's, for the record."""
    git = subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
                         capture_output=True, text=True)
    info = f" at qinfer {git.stdout.strip()}" if git.returncode == 0 else ""
    for row in rows:
        for results in [row.get("llama") or {}, *row.get("llama_rounds", [])]:
            for entry in results.values():
                return info + f", llama.cpp {entry.get('build_commit', '?')}"
    return info


def report(rows, memory, args, load_before, load_after, llama):
    out = []
    out.append(f"Machine: {cpu_name()}, {os.cpu_count()} hardware threads; threads used: "
               f"{args.threads}; memory read bandwidth {memory['read_gbps']:.1f} GB/s, triad "
               f"{memory['triad_gbps']:.1f} GB/s (qinfer bench --memory, {args.threads} threads).")
    out.append(f"Load average before / after: {load_before} / {load_after} (other processes "
               f"share the machine; compare ratios within this run).")
    llama_args = os.environ.get("LLAMA_BENCH_ARGS", "")
    llama_text = "not run (set LLAMA_BENCH)"
    if llama:
        llama_text = "same flags" + (f" + {llama_args}" if llama_args else "")
    hf_text = "not run" if args.no_hf else f"pp{args.hf_p} / tg{args.hf_n}, {args.hf_r} reps"
    out.append(f"qinfer -p {args.p} -n {args.n} -r {args.r}; llama.cpp: {llama_text}; "
               f"transformers: {hf_text}.")
    out.append("")
    if args.rounds > 1:
        out.extend(rounds_report(rows, args))
        return "\n".join(out) + "\n"
    out.append("| model | test | qinfer t/s | llama.cpp t/s | transformers BF16 t/s | "
               "transformers FP32 t/s | qinfer / llama.cpp | qinfer / transformers BF16 |")
    out.append("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for row in rows:
        for test in ("pp", "tg"):
            q = row["qinfer"].get(test)
            l = row["llama"].get(test) if row["llama"] else None
            hf = {}
            for dtype in ("bf16", "fp32"):
                h = row["hf"].get(dtype)
                if h:
                    m, s = mean_std(h[test])
                    hf[dtype] = (m, s, f"{test}{h['n_prompt'] if test == 'pp' else h['n_gen']}")
            q_mean = q["avg_ts"] if q else None
            l_mean = l["avg_ts"] if l else None
            out.append("| {} | {} | {} | {} | {} | {} | {} | {} |".format(
                row["name"], q["test"] if q else test,
                cell(q_mean, q["stddev_ts"]) if q else "n/a",
                cell(l_mean, l["stddev_ts"]) if l else "n/a",
                cell(*hf["bf16"]) if "bf16" in hf else "n/a",
                cell(*hf["fp32"]) if "fp32" in hf else "n/a",
                ratio(q_mean, l_mean),
                ratio(q_mean, hf["bf16"][0] if "bf16" in hf else None)))
    out.append("")
    out.append("| model | qinfer backend | weights | size GiB | params M | load ms | tg GB/s | "
               "share of read BW | peak RSS GiB |")
    out.append("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for row in rows:
        tg = row["qinfer"]["tg"]
        out.append(f"| {row['name']} | {tg['backends']} | {tg['weight_types']} | "
                   f"{tg['model_size'] / 2**30:.2f} | {tg['model_n_params'] / 1e6:.1f} | "
                   f"{tg['load_ms']:.0f} | {tg['gbps']:.1f} | "
                   f"{100 * tg.get('mem_bw_share', 0):.0f}% | {tg['peak_rss_bytes'] / 2**30:.2f} |")
    return "\n".join(out) + "\n"


def rounds_report(rows, args):
    """Tables of an interleaved --rounds run: medians and ranges over the rounds."""
    out = [f"{args.rounds} interleaved rounds per model (qinfer and llama.cpp in alternating "
           f"order); each cell: median of the rounds' means [min-max]. Read BW: probed by "
           f"qinfer bench just before and after each of its tg runs (the larger); its share is "
           f"the median over the runs of each one's GB/s over its own probe.", ""]
    out.append("| model | test | qinfer t/s | llama.cpp t/s | qinfer / llama.cpp per round |")
    out.append("| --- | --- | ---: | ---: | ---: |")
    for row in rows:
        for test in ("pp", "tg"):
            q = [r[test]["avg_ts"] for r in row["qinfer_rounds"] if test in r]
            l = [r[test]["avg_ts"] for r in row["llama_rounds"] if test in r]
            name = row["qinfer_rounds"][0][test]["test"] if q else test
            ratios = round_ratios(row, test)
            out.append(f"| {row['name']} | {name} | {rounds_cell(q)} | {rounds_cell(l)} | "
                       f"{rounds_cell(ratios).replace(' [', 'x [') if ratios else 'n/a'} |")
    out.append("")
    out.append("| model | read BW GB/s (probe) | qinfer tg GB/s | share of read BW | "
               "peak RSS GiB |")
    out.append("| --- | ---: | ---: | ---: | ---: |")
    for row in rows:
        tgs = [r["tg"] for r in row["qinfer_rounds"]]
        probes = [median(tg["mem_read_gbps_samples"]) for tg in tgs
                  if tg.get("mem_read_gbps_samples")]
        out.append(f"| {row['name']} | {rounds_cell(probes)} | "
                   f"{rounds_cell([tg['gbps'] for tg in tgs])} | "
                   f"{rounds_cell([100 * tg.get('mem_bw_share', 0) for tg in tgs])}% | "
                   f"{max(tg['peak_rss_bytes'] for tg in tgs) / 2**30:.2f} |")
    return out


def run_rounds(f, args, llama):
    """R rounds of qinfer + llama.cpp on one model, the engines' order alternating."""
    row = {"name": f.name, "qinfer_rounds": [], "llama_rounds": []}
    for round_index in range(args.rounds):
        engines = ["qinfer", "llama"] if round_index % 2 == 0 else ["llama", "qinfer"]
        for engine in engines:
            if engine == "qinfer":
                row["qinfer_rounds"].append(qinfer_bench(args.qinfer, f.gguf or f.hf, args))
            elif llama and f.gguf:
                row["llama_rounds"].append(llama_bench(llama, f.gguf, args))
        tg = row["qinfer_rounds"][-1]["tg"]
        log(f"{f.name} round {round_index + 1}/{args.rounds}: qinfer tg {tg['avg_ts']:.2f} "
            f"({100 * tg.get('mem_bw_share', 0):.0f}% of its probe)" +
            (f", llama.cpp tg {row['llama_rounds'][-1]['tg']['avg_ts']:.2f}"
             if row["llama_rounds"] else ""))
    return row


def kept_sections(path):
    """The '## Quality' section (bench/quality.py's) of an existing results file, to keep."""
    path = pathlib.Path(path)
    if not path.exists():
        return ""
    lines = path.read_text().splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.rstrip() == "## Quality"), None)
    if start is None:
        return ""
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith(("# ", "## "))),
               len(lines))
    return "\n" + "".join(lines[start:end]).rstrip("\n") + "\n"


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--hf-worker":
        hf_dir, dtype_name, threads, n_prompt, n_gen, reps = sys.argv[2:8]
        transformers_worker(hf_dir, dtype_name, int(threads), int(n_prompt), int(n_gen), int(reps))
        return 0
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", nargs="*", default=["0.6B:bf16"])
    parser.add_argument("--qinfer", default=str(ROOT / "build" / "qinfer"))
    parser.add_argument("-t", "--threads", type=int, default=os.cpu_count())
    parser.add_argument("-p", type=int, default=512)
    parser.add_argument("-n", type=int, default=128)
    parser.add_argument("-r", type=int, default=3)
    parser.add_argument("--hf-p", type=int, default=128, help="transformers prefill tokens")
    parser.add_argument("--hf-n", type=int, default=32, help="transformers decode steps")
    parser.add_argument("--hf-r", type=int, default=2, help="transformers repetitions")
    parser.add_argument("--no-hf", action="store_true", help="skip transformers")
    parser.add_argument("--rounds", type=int, default=1,
                        help="interleaved probe/qinfer/llama.cpp rounds per model (see above)")
    parser.add_argument("--out", help="also write the tables to this markdown file")
    args = parser.parse_args()
    for name in ("threads", "p", "n", "r", "hf_p", "hf_n", "hf_r", "rounds"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1")
    if not os.access(args.qinfer, os.X_OK):
        parser.error(f"{args.qinfer}: not an executable qinfer (build it, or pass --qinfer)")
    llama = os.environ.get("LLAMA_BENCH")
    if llama and not os.access(llama, os.X_OK):
        parser.error(f"LLAMA_BENCH={llama}: not executable")

    load_before = "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    files = [model_files(spec, args.qinfer) for spec in args.models]
    memory = qinfer_memory(args.qinfer, args.threads)
    rows = []
    for f in files if args.rounds > 1 else []:
        rows.append(run_rounds(f, args, llama))
    for f in files if args.rounds == 1 else []:
        row = {"name": f.name, "qinfer": {}, "llama": None, "hf": {}}
        row["qinfer"] = qinfer_bench(args.qinfer, f.gguf or f.hf, args)
        if llama and f.gguf:
            row["llama"] = llama_bench(llama, f.gguf, args)
        if not args.no_hf and f.hf:
            for dtype in ("bf16", "fp32"):
                row["hf"][dtype] = transformers_bench(f.hf, dtype, args)
        rows.append(row)
    load_after = "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    text = report(rows, memory, args, load_before, load_after, llama)
    print(text)
    if args.out:
        env = " ".join(f"{name}={os.environ[name]!r}"
                       for name in ("LLAMA_BENCH", "LLAMA_BENCH_ARGS") if os.environ.get(name))
        pathlib.Path(args.out).write_text(
            f"# Benchmark results ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})\n\n"
            f"Made by `{env + ' ' if env else ''}bench/compare.py {' '.join(sys.argv[1:])}`"
            f"{build_info(rows)}.\n\n" + text + kept_sections(args.out))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except RuntimeError as error:
        log(f"compare.py: {error}")
        sys.exit(1)
