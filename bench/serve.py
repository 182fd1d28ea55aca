#!/usr/bin/env python3
"""Serving throughput and latency: 1, 2, 4, 8 concurrent streams against `qinfer serve`, and
against llama.cpp's `llama-server --parallel 4` on the same file in the same run when
LLAMA_SERVER=/path/to/llama-server is set.

    .deps/venv/bin/python bench/serve.py [-m models/bench/qwen3-0.6B-q4_k_m.gguf] [-t 2]
        [--prompt-words 64] [-n 64] [--streams 1,2,4,8] [--parallel 4] [--json OUT.json]
        [--qinfer-args="--no-metrics"]

Each stream posts /v1/completions (a raw prompt: no chat template on either server) with its
own prompt (no shared prefix, so no prefix-cache help), max_tokens -n with ignore_eos, stream on,
and reads the SSE events as they arrive. Per concurrency level:
  aggregate tok/s   all streams' generated tokens / wall time from the first request sent to
                    the last stream's end
  TTFT p50/p95      request sent -> first token event
  ITL p50/p95       gaps between consecutive token events of one stream
Both servers run with the same threads, context per slot and slot count; each is started, warmed
up with one request, measured, and stopped before the next one starts.
"""
import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
WORDS = ("loan account branch policy customer deposit transfer card statement interest audit "
         "contract clause party notice term payment balance risk report").split()


def log(message):
    print(message, file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prompt_for(stream_index, words):
    # Different first words per stream so that no server can reuse another stream's prefix.
    return " ".join(WORDS[(stream_index * 7 + i * (stream_index + 3)) % len(WORDS)]
                    for i in range(words))


def percentile(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    k = (len(values) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def one_stream(base_url, model, prompt, max_tokens, out):
    body = {"model": model, "prompt": prompt, "max_tokens": max_tokens, "stream": True,
            "ignore_eos": True, "temperature": 0, "n_predict": max_tokens}
    sent = time.perf_counter()
    token_times = []
    with httpx.stream("POST", base_url + "/v1/completions", json=body, timeout=600) as r:
        if r.status_code != 200:
            raise RuntimeError(f"HTTP {r.status_code}: {r.read()[:500]}")
        for line in r.iter_lines():
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            event = json.loads(line[6:])
            if event.get("choices"):
                token_times.append(time.perf_counter())
    out.append({"sent": sent, "token_times": token_times})


def run_level(base_url, model, streams, prompt_words, max_tokens):
    results, threads = [], []
    start = time.perf_counter()
    for i in range(streams):
        t = threading.Thread(target=one_stream,
                             args=(base_url, model, prompt_for(i, prompt_words), max_tokens, results))
        t.start()
        threads.append(t)
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    if len(results) != streams:
        raise RuntimeError("a stream failed")
    tokens = sum(len(r["token_times"]) for r in results)
    ttft = [(r["token_times"][0] - r["sent"]) * 1000 for r in results if r["token_times"]]
    itl = [(b - a) * 1000 for r in results for a, b in zip(r["token_times"], r["token_times"][1:])]
    return {"streams": streams, "tokens": tokens, "wall_s": wall, "tok_s": tokens / wall,
            "ttft_p50_ms": percentile(ttft, 50), "ttft_p95_ms": percentile(ttft, 95),
            "itl_p50_ms": percentile(itl, 50), "itl_p95_ms": percentile(itl, 95)}


def wait_ready(base_url, proc, path, timeout=300):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            if httpx.get(base_url + path, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError("server not ready")


def bench_server(name, command, base_url, ready_path, model, args):
    log("$ " + " ".join(command))
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_ready(base_url, proc, ready_path)
        run_level(base_url, model, 1, args.prompt_words, 4)  # warm-up
        levels = []
        for streams in args.streams:
            level = run_level(base_url, model, streams, args.prompt_words, args.n)
            level["server"] = name
            log(f"{name:9} {streams} streams: {level['tok_s']:7.2f} tok/s  TTFT p50 "
                f"{level['ttft_p50_ms']:7.1f} ms p95 {level['ttft_p95_ms']:7.1f} ms  ITL p50 "
                f"{level['itl_p50_ms']:6.1f} ms p95 {level['itl_p95_ms']:6.1f} ms")
            levels.append(level)
        return levels
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-m", "--model", default=str(ROOT / "models/bench/qwen3-0.6B-q4_k_m.gguf"))
    parser.add_argument("--qinfer", default=str(ROOT / "build/qinfer"))
    parser.add_argument("-t", "--threads", type=int, default=2)
    parser.add_argument("--prompt-words", type=int, default=64)
    parser.add_argument("-n", type=int, default=64, help="tokens generated per stream")
    parser.add_argument("--streams", default="1,2,4,8")
    parser.add_argument("--parallel", type=int, default=4)
    parser.add_argument("--ctx-per-slot", type=int, default=1024)
    parser.add_argument("--json", help="write the results here")
    parser.add_argument("--qinfer-args", default="",
                        help="extra `qinfer serve` flags, e.g. --qinfer-args=--no-metrics")
    args = parser.parse_args()
    args.streams = [int(s) for s in args.streams.split(",")]

    results = []
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    results += bench_server("qinfer", [args.qinfer, "serve", "-m", args.model, "--port", str(port),
                                       "-t", str(args.threads), "--parallel", str(args.parallel),
                                       "--ctx-size", str(args.ctx_per_slot), "--model-name", "m",
                                       *args.qinfer_args.split()],
                            base, "/ready", "m", args)
    llama = os.environ.get("LLAMA_SERVER")
    if llama:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        results += bench_server("llama.cpp", [llama, "-m", args.model, "--port", str(port),
                                              "-t", str(args.threads), "--parallel", str(args.parallel),
                                              "-c", str(args.ctx_per_slot * args.parallel)],
                                base, "/health", "m", args)

    print(f"model {Path(args.model).name}, {args.threads} threads, --parallel {args.parallel}, "
          f"prompt ~{args.prompt_words} words, {args.n} tokens per stream\n")
    print("| server | streams | aggregate tok/s | TTFT p50 ms | TTFT p95 ms | ITL p50 ms | ITL p95 ms |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(f"| {r['server']} | {r['streams']} | {r['tok_s']:.2f} | {r['ttft_p50_ms']:.0f} | "
              f"{r['ttft_p95_ms']:.0f} | {r['itl_p50_ms']:.1f} | {r['itl_p95_ms']:.1f} |")
    for server in sorted({r["server"] for r in results}):
        levels = {r["streams"]: r["tok_s"] for r in results if r["server"] == server}
        if 1 in levels and 4 in levels:
            print(f"\n{server}: 4 streams / 1 stream aggregate = {levels[4] / levels[1]:.2f}x")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
