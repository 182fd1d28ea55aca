"""Safe defaults of `qinfer serve`: TLS, the refusal to serve the network without an API key,
and structured JSON logs with an access log that never holds prompt or completion text."""
import json
import socket
import ssl
import subprocess
import time

import httpx
import openai
import pytest

from conftest import API_KEY, MODEL_NAME, QINFER, Server, free_port

SECRET_PROMPT = "the launch code is swordfish-4711"


def trusting(cert):
    return ssl.create_default_context(cafile=str(cert))


def make_certificate(directory, name, cn="localhost"):
    cert, key = directory / f"{name}.crt", directory / f"{name}.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-keyout", key, "-out", cert, "-subj", f"/CN={cn}",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                   check=True, capture_output=True)
    return cert, key


def serve_exit(model, *args):
    """Runs serve with arguments it must refuse; returns (exit code, output)."""
    proc = subprocess.run([str(QINFER), "serve", "-m", str(model), "--port", "0", *args],
                          capture_output=True, text=True, timeout=60)
    return proc.returncode, proc.stderr


def test_tls_chat_with_the_openai_sdk_and_plain_http_fails_cleanly(tiny_model, tmp_path):
    cert, key = make_certificate(tmp_path, "server")
    server = Server(tiny_model, tls=(cert, key))
    try:
        client = openai.OpenAI(base_url=server.base_url + "/v1", api_key=API_KEY, max_retries=0,
                               http_client=httpx.Client(verify=trusting(cert)), timeout=60)
        reply = client.chat.completions.create(
            model=MODEL_NAME, messages=[{"role": "user", "content": "Hi"}], max_tokens=4)
        assert reply.choices[0].finish_reason in ("length", "stop")
        # Plain HTTP to the TLS port: the handshake fails, the connection is closed, no answer.
        with pytest.raises(httpx.HTTPError):
            httpx.get(f"http://127.0.0.1:{server.port}/health", timeout=5)
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as raw:
            raw.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            assert b"200 OK" not in raw.recv(4096)
        # A client that does not trust the certificate is refused too.
        with pytest.raises(httpx.ConnectError):
            httpx.get(server.base_url + "/health", timeout=5)
        assert httpx.get(server.base_url + "/health", verify=trusting(cert), timeout=5).status_code == 200
        assert server.proc.poll() is None
    finally:
        server.proc.terminate()
        assert server.proc.wait(timeout=60) == 0, server.output()
    assert '"url":"https://127.0.0.1:' in server.output()


def test_bad_tls_files_are_refused_before_binding(tiny_model, tmp_path):
    cert, key = make_certificate(tmp_path, "a")
    _, other_key = make_certificate(tmp_path, "b")
    code, out = serve_exit(tiny_model, "--ssl-cert", cert, "--ssl-key", other_key)
    assert code == 1 and "is not the private key of the certificate" in out, out
    code, out = serve_exit(tiny_model, "--ssl-cert", cert)
    assert code == 1 and "give both or neither" in out, out
    code, out = serve_exit(tiny_model, "--ssl-cert", tmp_path / "missing.crt", "--ssl-key", key)
    assert code == 1 and "missing.crt: cannot read" in out, out
    code, out = serve_exit(tiny_model, "--ssl-cert", key, "--ssl-key", key)
    assert code == 1 and "no PEM certificate" in out, out


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.1", "example.com"])
def test_non_loopback_host_without_api_key_is_refused(tiny_model, host):
    code, out = serve_exit(tiny_model, "--host", host)
    assert code == 1, out
    assert f"refusing to listen on {host} without an API key" in out and "--insecure" in out, out


@pytest.mark.parametrize("args", [["--host", "0.0.0.0", "--api-key", API_KEY],
                                  ["--host", "0.0.0.0", "--insecure"], ["--host", "localhost"]])
def test_non_loopback_host_starts_with_a_key_or_insecure(tiny_model, args):
    port = free_port()
    proc = subprocess.Popen([str(QINFER), "serve", "-m", str(tiny_model), "--port", str(port),
                             "-t", "2", *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 60
        while time.time() < deadline and proc.poll() is None:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/ready", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        assert proc.poll() is None
    finally:
        proc.terminate()
        output = proc.communicate(timeout=60)[0].decode()
    assert proc.returncode == 0, output


def test_json_logs_and_access_log_without_content(tiny_model):
    server = Server(tiny_model, "--log-format", "json")
    try:
        client = openai.OpenAI(base_url=server.base_url + "/v1", api_key=API_KEY, max_retries=0)
        client.chat.completions.create(
            model=MODEL_NAME, messages=[{"role": "user", "content": SECRET_PROMPT}], max_tokens=8)
        echoed = httpx.get(server.base_url + "/health", headers={"X-Request-Id": "abc-123.x"})
        assert echoed.headers["x-request-id"] == "abc-123.x"
        replaced = httpx.get(server.base_url + "/health", headers={"X-Request-Id": "bad id\"{"})
        generated = replaced.headers["x-request-id"]
        assert len(generated) == 32 and generated != "bad id\"{"
        httpx.get(server.base_url + "/nowhere")
    finally:
        assert server.stop() == 0
    lines = [json.loads(line) for line in server.output().splitlines() if line.strip()]
    for line in lines:
        assert line["ts"].endswith("Z") and len(line["ts"]) == len("2026-01-01T00:00:00.000Z")
        assert line["level"] in ("debug", "info", "warn", "error")
    messages = [line["msg"] for line in lines]
    assert "listening" in messages and "ready" in messages and "stopped" in messages
    ready = next(line for line in lines if line["msg"] == "ready")
    assert ready["kv_type"] == "f32" and ready["kv_cache_bytes"] > 0  # auto: F32 weights
    access = [line for line in lines if line["msg"] == "request"]
    chat = [a for a in access if a["path"] == "/v1/chat/completions"]
    assert len(chat) == 1 and chat[0]["status"] == 200 and chat[0]["method"] == "POST"
    assert chat[0]["duration_ms"] > 0 and chat[0]["remote_addr"] == "127.0.0.1"
    assert len(chat[0]["request_id"]) == 32
    assert any(a["request_id"] == "abc-123.x" for a in access)
    assert any(a["request_id"] == generated for a in access)
    assert any(a["path"] == "/nowhere" and a["status"] == 404 for a in access)
    # The generation's counts, under the same request id, and still no text.
    generation = [line for line in lines if line["msg"] == "generation"]
    assert len(generation) == 1 and generation[0]["request_id"] == chat[0]["request_id"]
    assert generation[0]["prompt_tokens"] > 5 and 0 < generation[0]["completion_tokens"] <= 8
    assert generation[0]["finish_reasons"][0] in ("length", "stop")
    assert "swordfish" not in server.output()


def test_request_timeout_ends_generation_with_length(tiny_model):
    # 1 ms: every generation is past its limit at the step after its prompt.
    server = Server(tiny_model, "--request-timeout", "0.001")
    try:
        client = openai.OpenAI(base_url=server.base_url + "/v1", api_key=API_KEY, max_retries=0)
        reply = client.chat.completions.create(
            model=MODEL_NAME, messages=[{"role": "user", "content": "Hi"}], max_tokens=200,
            extra_body={"ignore_eos": True})
        assert reply.choices[0].finish_reason == "length"
        assert reply.usage.completion_tokens < 200
        chunks = list(client.chat.completions.create(
            model=MODEL_NAME, messages=[{"role": "user", "content": "Hi"}], max_tokens=200,
            stream=True, extra_body={"ignore_eos": True}))
        assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "length"
        assert len(chunks) < 200
    finally:
        assert server.stop() == 0, server.output()


def test_log_content_puts_prompt_and_completion_on_the_generation_line(tiny_model):
    server = Server(tiny_model, "--log-content")
    try:
        client = openai.OpenAI(base_url=server.base_url + "/v1", api_key=API_KEY, max_retries=0)
        reply = client.completions.create(model=MODEL_NAME, prompt=SECRET_PROMPT, max_tokens=6)
    finally:
        assert server.stop() == 0
    lines = [json.loads(line) for line in server.output().splitlines() if line.strip()]
    generation = [line for line in lines if line["msg"] == "generation"]
    assert len(generation) == 1
    assert generation[0]["prompt"] == SECRET_PROMPT
    assert generation[0]["completions"] == [reply.choices[0].text]
    assert all("swordfish" not in json.dumps(line) for line in lines if line["msg"] != "generation")
