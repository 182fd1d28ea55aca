"""Scale-out on loopback: two `qinfer serve` replicas behind Debian's nginx running
deploy/nginx/qinfer.conf. One replica is drained with SIGTERM a third of the way into 200 chat
completions from 8 concurrent clients, and no client sees an error: nginx re-sends what the
draining replica refuses (503 before any work) or cannot take (refused connection) to the other,
and the streams already running there finish."""
import json
import re
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

import httpx
import openai

from conftest import API_KEY, MODEL_NAME, Server, free_port

NGINX_SITE = Path(__file__).resolve().parents[2] / "deploy" / "nginx" / "qinfer.conf"
REQUESTS = 200
CLIENTS = 8
MAX_TOKENS = 12

# Debian's nginx, run in the foreground with every path it writes inside the test's directory.
# master_process off: one process as the current user, so there is no switch to `nobody`, who
# could not enter pytest's private temp directory.
NGINX_MAIN = """\
daemon off;
master_process off;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log notice;
events {{ worker_connections 512; }}
http {{
    log_format upstreams '$request_method $uri $status "$upstream_addr" "$upstream_status"';
    access_log {tmp}/access.log upstreams;
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    include {tmp}/qinfer.conf;
}}
"""


def site_config(replica_ports, listen_port):
    """deploy/nginx/qinfer.conf with its replica lines pointed at `replica_ports`."""
    site = NGINX_SITE.read_text()
    replica_line = re.compile(r"^(\s*server )127\.0\.0\.1:\d+( .*;)$", re.M)
    assert len(replica_line.findall(site)) == len(replica_ports), "expected one line per replica"
    ports = iter(replica_ports)
    site = replica_line.sub(lambda m: f"{m.group(1)}127.0.0.1:{next(ports)}{m.group(2)}", site)
    site, listens = re.subn(r"^(\s*)listen 8080;$", rf"\g<1>listen 127.0.0.1:{listen_port};", site,
                            flags=re.M)
    assert listens == 1
    return site


class Nginx:
    def __init__(self, tmp, replica_ports):
        self.tmp = tmp
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        (tmp / "qinfer.conf").write_text(site_config(replica_ports, self.port))
        (tmp / "nginx.conf").write_text(NGINX_MAIN.format(tmp=tmp))
        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        assert Path(binary).exists(), "nginx is not installed: run scripts/setup.sh"
        # -e: nginx opens its error log before reading the configuration.
        self.proc = subprocess.Popen([binary, "-p", str(tmp), "-c", str(tmp / "nginx.conf"),
                                      "-e", str(tmp / "error.log")])
        deadline = time.time() + 10
        while time.time() < deadline:
            assert self.proc.poll() is None, "nginx exited:\n" + self.errors()
            try:
                httpx.get(self.base_url + "/health", timeout=1)
                return
            except httpx.HTTPError:
                time.sleep(0.05)
        raise AssertionError("nginx did not start:\n" + self.errors())

    def errors(self):
        path = self.tmp / "error.log"
        return path.read_text() if path.exists() else ""

    def upstream_log(self):
        """(status, [replica address per try], [status per try]) per chat completion."""
        entries = []
        for line in (self.tmp / "access.log").read_text().splitlines():
            fields = re.fullmatch(r'(.*) (\d+) "(.*)" "(.*)"', line)
            route, status, addrs, statuses = fields.groups()
            if route == "POST /v1/chat/completions":
                entries.append((int(status), addrs.split(", "), statuses.split(", ")))
        return entries

    def stop(self):
        self.proc.send_signal(signal.SIGQUIT)  # graceful: finish open requests
        self.proc.wait(timeout=10)


def stream_chat(http, index):
    """One streaming request; returns None when it ended properly, else what went wrong."""
    body = {"model": MODEL_NAME, "max_tokens": MAX_TOKENS, "stream": True, "ignore_eos": True,
            "messages": [{"role": "user", "content": f"Request {index}: list three colours."}]}
    with http.stream("POST", "/v1/chat/completions", json=body) as response:
        if response.status_code != 200:
            return f"stream {index}: HTTP {response.status_code} {response.read()!r}"
        events = [line.removeprefix("data: ") for line in response.iter_lines()
                  if line.startswith("data: ")]
    if not events or events[-1] != "[DONE]":
        return f"stream {index}: no [DONE] at the end: {events[-2:]}"
    finishes = [c["finish_reason"] for e in events[:-1] for c in json.loads(e).get("choices", [])
                if c.get("finish_reason")]
    if finishes != ["length"]:
        return f"stream {index}: finish reasons {finishes}"
    return None


def plain_chat(client, index):
    completion = client.chat.completions.create(
        model=MODEL_NAME, max_tokens=MAX_TOKENS, extra_body={"ignore_eos": True},
        messages=[{"role": "user", "content": f"Request {index}: name a river."}])
    reason = completion.choices[0].finish_reason
    return None if reason == "length" else f"request {index}: finish reason {reason}"


def test_draining_one_of_two_replicas_behind_nginx_loses_no_request(tiny_model, tmp_path):
    replicas = [Server(tiny_model, "--parallel", "4", "--ctx-size", "256") for _ in range(2)]
    draining, staying = replicas
    nginx = None
    try:
        nginx = Nginx(tmp_path, [r.port for r in replicas])
        next_index = iter(range(REQUESTS))
        lock = threading.Lock()
        done = []
        failures = []
        third_done = threading.Event()

        def client_loop():
            headers = {"Authorization": f"Bearer {API_KEY}"}
            # No client-side retries: any error nginx lets through is a failure here.
            client = openai.OpenAI(base_url=nginx.base_url + "/v1", api_key=API_KEY,
                                   max_retries=0, timeout=60)
            with httpx.Client(base_url=nginx.base_url, headers=headers, timeout=60) as http:
                while True:
                    with lock:
                        index = next(next_index, None)
                    if index is None:
                        return
                    try:
                        problem = (stream_chat(http, index) if index % 2
                                   else plain_chat(client, index))
                    except Exception as error:  # noqa: BLE001 - every failure is reported
                        problem = f"request {index}: {type(error).__name__}: {error}"
                    with lock:
                        done.append(index)
                        if problem:
                            failures.append(problem)
                        if len(done) >= REQUESTS // 3:
                            third_done.set()

        started = time.time()
        clients = [threading.Thread(target=client_loop) for _ in range(CLIENTS)]
        for t in clients:
            t.start()
        assert third_done.wait(timeout=60), "the first third of the requests did not finish"
        draining.proc.send_signal(signal.SIGTERM)
        sigterm_at = len(done)
        for t in clients:
            t.join(timeout=120)
        elapsed = time.time() - started

        assert not failures, f"{len(failures)} failed:\n" + "\n".join(failures[:10])
        assert len(done) == REQUESTS
        assert draining.proc.wait(timeout=30) == 0, draining.output()
        assert staying.alive()

        log = nginx.upstream_log()
        assert len(log) == REQUESTS and all(status == 200 for status, _, _ in log)
        served = {r.port: 0 for r in replicas}
        retried = 0
        for _, addrs, _ in log:
            served[int(addrs[-1].rsplit(":", 1)[1])] += 1
            retried += len(addrs) > 1
        print(f"\n{REQUESTS} requests in {elapsed:.1f} s; SIGTERM after {sigterm_at}; served by "
              f"the drained replica {served[draining.port]}, the other {served[staying.port]}; "
              f"re-sent by nginx {retried}")
        assert served[draining.port] > 0 and served[staying.port] > 0
        # The drained replica's refusals (503 while draining, refused connections after its
        # exit) really happened and were re-sent, rather than the drain going unnoticed.
        assert retried > 0
    finally:
        if nginx:
            nginx.stop()
        for replica in replicas:
            replica.stop()
