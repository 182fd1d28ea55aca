"""Starts `qinfer serve` on a tiny random-weight model (real Qwen3 tokenizer and template) for the
integration tests, which talk to it with the official openai SDK and raw HTTP."""
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "reference"))
from qinfer_process import QINFER, TOKENIZER_DIR, run_qinfer  # noqa: E402

API_KEY = "sk-qinfer-test"
MODEL_NAME = "qwen3-tiny-test"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`qinfer serve` on a free loopback port; tls=(cert, key) serves HTTPS with that pair, and
    `verify` is then what clients must trust (an ssl context for the self-signed certificate);
    `env` adds QINFER_* variables to the server's environment."""

    def __init__(self, model_dir, *extra_args, api_key=API_KEY, tls=None, env=None):
        self.port = free_port()
        self.base_url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        self.verify = ssl.create_default_context(cafile=str(tls[0])) if tls else True
        args = [str(QINFER), "serve", "-m", str(model_dir), "--host", "127.0.0.1",
                "--port", str(self.port), "--model-name", MODEL_NAME, "-t", "2", *extra_args]
        if api_key:
            args += ["--api-key", api_key]
        if tls:
            args += ["--ssl-cert", str(tls[0]), "--ssl-key", str(tls[1])]
        self.log = open(Path(model_dir).parent / f"serve-{self.port}.log", "w+")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT,
                                     env={**os.environ, **(env or {})})
        deadline = time.time() + 120
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"qinfer serve exited with {self.proc.returncode}:\n{self.output()}")
            try:
                if httpx.get(self.base_url + "/ready", verify=self.verify, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.proc.kill()
        raise AssertionError("qinfer serve did not become ready:\n" + self.output())

    def output(self):
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def alive(self):
        return self.proc.poll() is None and httpx.get(self.base_url + "/health", verify=self.verify,
                                                     timeout=5).status_code == 200

    def stop(self, timeout=60):
        """SIGTERM: the server drains and exits 0."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                raise AssertionError("qinfer serve did not exit after SIGTERM:\n" + self.output())
        return self.proc.returncode


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory):
    out = tmp_path_factory.mktemp("model") / "qwen3-tiny"
    run_qinfer("mkmodel", "--preset", "tiny", "--format", "hf", "--dtype", "f32", "--seed", "3",
               "--out", out, "--tokenizer-dir", TOKENIZER_DIR)
    return out


@pytest.fixture(scope="session")
def server(tiny_model):
    srv = Server(tiny_model, "--parallel", "4", "--ctx-size", "1024")
    yield srv
    code = srv.stop()
    assert code == 0, f"exit code {code}:\n{srv.output()}"


@pytest.fixture()
def client(server):
    import openai
    return openai.OpenAI(base_url=server.base_url + "/v1", api_key=API_KEY, max_retries=0,
                         timeout=120)


@pytest.fixture(scope="session")
def hf_tokenizer():
    from transformers import AutoTokenizer
    return AutoTokenizer.from_pretrained(str(TOKENIZER_DIR))
