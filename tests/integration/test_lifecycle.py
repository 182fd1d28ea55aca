"""Graceful shutdown: on SIGTERM the server stops taking work (/ready 503), finishes the requests in
flight and exits 0; a full queue answers 429 with Retry-After."""
import signal
import threading
import time

import httpx
import openai

from conftest import API_KEY, MODEL_NAME, Server

MESSAGES = [{"role": "user", "content": "Summarize the contract."}]


def test_sigterm_drains_in_flight_requests_then_exits_0(tiny_model):
    srv = Server(tiny_model, "--parallel", "1", "--ctx-size", "512", "--drain-timeout", "60")
    try:
        client = openai.OpenAI(base_url=srv.base_url + "/v1", api_key=API_KEY, max_retries=0)
        # Long enough (about a second on the tiny model) for /ready to be polled while draining.
        stream = client.chat.completions.create(model=MODEL_NAME, messages=MESSAGES, max_tokens=400,
                                                stream=True, extra_body={"ignore_eos": True})
        chunks = iter(stream)
        next(chunks)  # the request is running
        srv.proc.send_signal(signal.SIGTERM)
        deadline = time.time() + 30
        draining = False
        while time.time() < deadline and not draining:
            draining = httpx.get(srv.base_url + "/ready").status_code == 503
            time.sleep(0.01)
        assert draining
        rest = list(chunks)
        finishes = [c.choices[0].finish_reason for c in rest if c.choices]
        assert finishes[-1] == "length"
        assert srv.proc.wait(timeout=60) == 0
    finally:
        srv.stop()


def test_full_queue_is_429_with_retry_after(tiny_model):
    srv = Server(tiny_model, "--parallel", "1", "--ctx-size", "512", "--max-queue", "1")
    try:
        headers = {"Authorization": f"Bearer {API_KEY}"}
        body = {"model": MODEL_NAME, "messages": MESSAGES, "max_tokens": 300, "ignore_eos": True}
        results = []

        def post():
            results.append(httpx.post(srv.base_url + "/v1/chat/completions", headers=headers,
                                      json=body, timeout=120))
        threads = [threading.Thread(target=post) for _ in range(4)]
        for t in threads:
            t.start()
            time.sleep(0.1)
        for t in threads:
            t.join()
        codes = sorted(r.status_code for r in results)
        assert codes.count(200) >= 2 and 429 in codes, codes
        refused = next(r for r in results if r.status_code == 429)
        assert refused.headers.get("retry-after")
        assert refused.json()["error"]["type"] == "rate_limit_error"
    finally:
        assert srv.stop() == 0
