"""GET /metrics against what the responses reported, read directly and through a real Prometheus
(Debian's `prometheus`, started on loopback with deploy/prometheus/ turned to this server and a
1 s scrape interval); promtool on deploy/prometheus/; every PromQL expression of the Grafana
dashboard names exported metrics and is accepted by Prometheus."""
import json
import math
import re
import shutil
import subprocess
import time
from pathlib import Path

import httpx
import pytest
import yaml

from conftest import API_KEY, MODEL_NAME, Server, free_port

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
METRICS_KEY = "sk-metrics-scraper"
AUTH = {"Authorization": f"Bearer {API_KEY}"}
METRICS_AUTH = {"Authorization": f"Bearer {METRICS_KEY}"}
PROMETHEUS = shutil.which("prometheus")
PROMTOOL = shutil.which("promtool")
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_exposition(text):
    """{(name, frozenset(labels)): value}, checking the format's shape on the way."""
    samples = {}
    types = {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            types[name] = kind
            continue
        if line.startswith("#") or not line:
            continue
        match = SAMPLE.match(line)
        assert match, f"malformed sample line: {line!r}"
        name, _, labels, value = match.groups()
        samples[(name, frozenset(LABEL.findall(labels or "")))] = float(value)
    return samples, types


def value(samples, name, **labels):
    """The sum over the series of `name` whose labels include `labels`."""
    want = set(labels.items())
    found = [v for (n, ls), v in samples.items() if n == name and want <= set(ls)]
    assert found, f"no {name}{labels} in the exposition"
    return sum(found)


def scrape(server):
    response = httpx.get(server.base_url + "/metrics", headers=METRICS_AUTH, timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return parse_exposition(response.text)


def start_prometheus(tmp_path, port):
    config = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    config["global"]["scrape_interval"] = "1s"
    config["global"]["evaluation_interval"] = "1s"
    job = config["scrape_configs"][0]
    job["static_configs"] = [{"targets": [f"127.0.0.1:{port}"]}]
    job["authorization"] = {"credentials": METRICS_KEY}
    shutil.copy(DEPLOY / "prometheus" / "qinfer-alerts.yml", tmp_path / "qinfer-alerts.yml")
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    web_port = free_port()
    log = open(tmp_path / "prometheus.log", "w+")
    proc = subprocess.Popen(
        [PROMETHEUS, f"--config.file={tmp_path / 'prometheus.yml'}",
         f"--storage.tsdb.path={tmp_path / 'tsdb'}", f"--web.listen-address=127.0.0.1:{web_port}"],
        stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{web_port}"
    deadline = time.time() + 30
    while time.time() < deadline:
        assert proc.poll() is None, "prometheus exited:\n" + (tmp_path / "prometheus.log").read_text()
        try:
            if httpx.get(url + "/-/ready", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise AssertionError("prometheus did not become ready:\n" + (tmp_path / "prometheus.log").read_text())


def query(prometheus_url, expr):
    response = httpx.get(prometheus_url + "/api/v1/query", params={"query": expr}, timeout=10)
    body = response.json()
    assert response.status_code == 200 and body["status"] == "success", f"{expr}: {body}"
    return body["data"]["result"]


def query_value(prometheus_url, expr):
    result = query(prometheus_url, expr)
    return float(result[0]["value"][1]) if result else None


def eventually(condition, timeout=15):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


@pytest.fixture(scope="module")
def metrics_server(tiny_model):
    srv = Server(tiny_model, "--parallel", "2", "--ctx-size", "512", "--metrics-api-key", METRICS_KEY)
    yield srv
    assert srv.stop() == 0, srv.output()


@pytest.fixture(scope="module")
def prometheus(metrics_server, tmp_path_factory):
    if PROMETHEUS is None:
        pytest.fail("prometheus is not installed (scripts/setup.sh installs it)")
    proc, url = start_prometheus(tmp_path_factory.mktemp("prometheus"), metrics_server.port)
    yield url
    proc.terminate()
    proc.wait(timeout=30)


@pytest.fixture(scope="module")
def traffic(metrics_server, prometheus):
    """Requests sent once Prometheus scrapes (so rate() sees them rise): a non-streaming and a
    streaming chat, a 400 and a 404. Returns what the responses reported."""
    assert eventually(lambda: query(prometheus, 'up{job="qinfer"} == 1'))
    chat = metrics_server.base_url + "/v1/chat/completions"
    messages = [{"role": "user", "content": "Hello, how are you?"}]
    whole = httpx.post(chat, headers=AUTH, timeout=60, json={
        "model": MODEL_NAME, "messages": messages, "max_tokens": 6, "ignore_eos": True})
    assert whole.status_code == 200, whole.text
    usage = [whole.json()["usage"]]
    with httpx.stream("POST", chat, headers=AUTH, timeout=60, json={
            "model": MODEL_NAME, "messages": messages, "max_tokens": 5, "ignore_eos": True,
            "stream": True, "stream_options": {"include_usage": True}}) as streamed:
        assert streamed.status_code == 200
        events = [json.loads(line[6:]) for line in streamed.iter_lines()
                  if line.startswith("data: {")]
    usage.append(events[-1]["usage"])
    bad = httpx.post(chat, headers=AUTH, timeout=60,
                     json={"model": MODEL_NAME, "messages": messages, "temperature": "hot"})
    assert bad.status_code == 400
    assert httpx.get(metrics_server.base_url + "/v1/no-such-route", headers=AUTH).status_code == 404
    return {"completion_tokens": sum(u["completion_tokens"] for u in usage),
            "prompt_tokens": sum(u["prompt_tokens"] for u in usage)}


def test_metrics_text_reflects_the_requests(metrics_server, traffic):
    # The stream's HTTP count lands after its last frame, which the client may see first.
    assert eventually(lambda: value(scrape(metrics_server)[0], "qinfer_http_requests_total",
                                    route="/v1/chat/completions", code="200") == 2)
    samples, types = scrape(metrics_server)
    assert value(samples, "qinfer_generation_tokens_total") == traffic["completion_tokens"] == 11
    assert value(samples, "qinfer_prompt_tokens_total") == traffic["prompt_tokens"]
    assert value(samples, "qinfer_request_success_total", finish_reason="length") == 2
    assert value(samples, "qinfer_http_requests_total", method="POST",
                 route="/v1/chat/completions", code="400") == 1
    assert value(samples, "qinfer_http_requests_total", method="GET", route="unmatched",
                 code="404") == 1
    assert value(samples, "qinfer_time_to_first_token_seconds_count") == 2
    assert value(samples, "qinfer_time_per_output_token_seconds_count") == 11 - 2
    assert value(samples, "qinfer_request_generation_tokens_sum") == 11
    assert value(samples, "qinfer_prefix_cache_queries_total") == traffic["prompt_tokens"]
    # The second chat shares the first one's prompt: most of it comes from the cache.
    assert value(samples, "qinfer_prefix_cache_hits_total") > 0
    assert value(samples, "qinfer_e2e_request_latency_seconds_sum") > 0
    assert value(samples, "qinfer_num_requests_running") == 0
    assert value(samples, "qinfer_num_requests_waiting") == 0
    assert value(samples, "qinfer_kv_cache_usage_ratio") == 0
    assert value(samples, "qinfer_slots_total") == 2
    assert value(samples, "qinfer_model_load_seconds") > 0
    assert value(samples, "qinfer_model_info", model_name=MODEL_NAME, context_tokens="512") == 1
    assert value(samples, "qinfer_build_info") == 1
    for name in ("process_cpu_seconds_total", "process_resident_memory_bytes",
                 "process_virtual_memory_bytes", "process_start_time_seconds", "process_open_fds",
                 "process_max_fds", "process_threads"):
        assert value(samples, name) > 0, name
    # Histograms: cumulative buckets ending in +Inf == _count.
    ttft = sorted((float(dict(ls)["le"]), v) for (n, ls), v in samples.items()
                  if n == "qinfer_time_to_first_token_seconds_bucket")
    assert ttft[-1] == (math.inf, 2)
    assert all(a[1] <= b[1] for a, b in zip(ttft, ttft[1:]))
    assert types["qinfer_time_to_first_token_seconds"] == "histogram"
    assert types["qinfer_generation_tokens_total"] == "counter"
    assert types["qinfer_num_requests_waiting"] == "gauge"


def test_metrics_key(metrics_server):
    assert httpx.get(metrics_server.base_url + "/metrics").status_code == 401
    assert httpx.get(metrics_server.base_url + "/metrics", headers=AUTH).status_code == 401
    assert httpx.get(metrics_server.base_url + "/metrics", headers=METRICS_AUTH).status_code == 200


def test_kv_type_from_the_environment_halves_the_cache(tiny_model, metrics_server):
    """--kv-type as QINFER_KV_TYPE (as deployments set flags): the F32 tiny model's auto cache
    is f32; f16 reports half the bytes for the same slots and context, and serves."""
    f16_server = Server(tiny_model, "--parallel", "2", "--ctx-size", "512",
                        "--metrics-api-key", METRICS_KEY, env={"QINFER_KV_TYPE": "f16"})
    try:
        f16, _ = scrape(f16_server)
        chat = httpx.post(f16_server.base_url + "/v1/chat/completions", headers=AUTH, timeout=60,
                          json={"model": MODEL_NAME, "max_tokens": 4,
                                "messages": [{"role": "user", "content": "Hi"}]})
        assert chat.status_code == 200, chat.text
    finally:
        assert f16_server.stop() == 0, f16_server.output()
    f32, _ = scrape(metrics_server)
    assert value(f32, "qinfer_model_info", kv_type="f32") == 1
    assert value(f16, "qinfer_model_info", kv_type="f16") == 1
    assert 2 * value(f16, "qinfer_kv_cache_bytes") == value(f32, "qinfer_kv_cache_bytes") > 0


def test_no_metrics_flag(tiny_model):
    srv = Server(tiny_model, "--no-metrics")
    try:
        assert httpx.get(srv.base_url + "/metrics").status_code == 404
    finally:
        assert srv.stop() == 0


def test_prometheus_sees_the_requests(prometheus, traffic):
    tokens = traffic["completion_tokens"]
    assert eventually(lambda: query_value(prometheus, "qinfer_generation_tokens_total") == tokens)
    assert eventually(lambda: query_value(
        prometheus, 'sum(qinfer_http_requests_total{route="/v1/chat/completions",code="200"})') == 2)
    assert query_value(prometheus, 'sum(qinfer_http_requests_total{code="400"})') == 1
    assert query_value(prometheus, 'sum(qinfer_http_requests_total{code="404"})') == 1
    p50 = query_value(prometheus, "histogram_quantile(0.5, sum by (le) "
                                  "(rate(qinfer_time_to_first_token_seconds_bucket[1m])))")
    assert p50 is not None and math.isfinite(p50) and p50 > 0, p50
    p99 = query_value(prometheus, "histogram_quantile(0.99, sum by (le) "
                                  "(rate(qinfer_time_per_output_token_seconds_bucket[1m])))")
    assert p99 is not None and math.isfinite(p99) and p99 > 0, p99
    # The alert and recording rules load and evaluate without errors.
    assert eventually(lambda: all(
        rule.get("lastEvaluation", "").startswith("20")
        for group in httpx.get(prometheus + "/api/v1/rules").json()["data"]["groups"]
        for rule in group["rules"]))
    groups = httpx.get(prometheus + "/api/v1/rules").json()["data"]["groups"]
    rules = [rule for group in groups for rule in group["rules"]]
    assert len(rules) == 15
    for rule in rules:
        assert rule["health"] == "ok", rule
    assert not [r for r in rules if r.get("state") == "firing" and r["name"] == "QinferDown"]


def test_promtool_accepts_config_and_rules():
    assert PROMTOOL, "promtool is not installed (scripts/setup.sh installs prometheus)"
    for args in (["check", "config", DEPLOY / "prometheus" / "prometheus.yml"],
                 ["check", "rules", DEPLOY / "prometheus" / "qinfer-alerts.yml"]):
        done = subprocess.run([PROMTOOL, *map(str, args)], capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr


PROMQL_WORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and",
                "or", "unless", "offset", "inf", "nan"}


def metric_names(expr):
    """The metric names an expression selects: not functions, labels, strings or durations."""
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)          # strings (label values, $vars)
    expr = re.sub(r"\{[^}]*\}", "", expr)                    # label matchers
    expr = re.sub(r"\[[^\]]*\]", "", expr)                   # ranges
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", expr)
    names = set()
    for match in re.finditer(r"[a-zA-Z_:][a-zA-Z0-9_:]*", expr):
        rest = expr[match.end():].lstrip()
        if rest.startswith("(") or match.group(0).lower() in PROMQL_WORDS:
            continue
        names.add(match.group(0))
    return names


def dashboard_exprs():
    dashboard = json.loads((DEPLOY / "grafana" / "qinfer.json").read_text())
    assert dashboard["schemaVersion"] >= 30
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["DS_PROMETHEUS"]["type"] == "datasource"
    assert {"job", "instance"} <= set(variables)
    exprs = []
    for panel in dashboard["panels"]:
        assert panel["datasource"]["uid"] == "${DS_PROMETHEUS}", panel["title"]
        exprs += [target["expr"] for target in panel["targets"]]
    return exprs


def test_dashboard_queries_use_exported_metrics_and_parse(metrics_server, prometheus, traffic):
    samples, _ = scrape(metrics_server)
    exported = {name for name, _ in samples} | {"up"}  # `up` is Prometheus's own
    exprs = dashboard_exprs()
    assert len(exprs) >= 20
    for expr in exprs:
        names = metric_names(expr)
        assert names, expr
        assert names <= exported, f"{expr}: {names - exported} not exported"
        concrete = (expr.replace("$__rate_interval", "1m").replace("$job", ".+")
                    .replace("$instance", ".+"))
        assert "$" not in concrete, concrete
        query(prometheus, concrete)  # asserts Prometheus accepted it
    wanted = {"process_cpu_seconds_total", "qinfer_http_requests_total",
              "qinfer_time_to_first_token_seconds_bucket", "qinfer_e2e_request_latency_seconds_bucket",
              "qinfer_generation_tokens_total", "qinfer_num_requests_waiting",
              "qinfer_kv_cache_usage_ratio", "qinfer_prefix_cache_hits_total"}
    assert wanted <= set().union(*map(metric_names, exprs))


def test_a_non_streaming_client_that_leaves_is_cancelled(tiny_model):
    """A non-streaming request whose client closes the connection stops within about a step
    (counted as cancelled, far fewer tokens than asked), as a streaming one does; the server
    then answers the next request normally."""
    srv = Server(tiny_model, "--parallel", "1", "--ctx-size", "4096", "--metrics-api-key",
                 METRICS_KEY)
    try:
        chat = srv.base_url + "/v1/chat/completions"
        body = {"model": MODEL_NAME, "messages": [{"role": "user", "content": "Tell a story."}],
                "max_tokens": 4000, "ignore_eos": True}
        with pytest.raises(httpx.ReadTimeout):
            httpx.post(chat, headers=AUTH, json=body, timeout=httpx.Timeout(10, read=0.3))
        assert eventually(lambda: value(scrape(srv)[0], "qinfer_request_cancelled_total") == 1), \
            srv.output()
        samples, _ = scrape(srv)
        assert value(samples, "qinfer_num_requests_running") == 0
        assert value(samples, "qinfer_generation_tokens_total") < 4000
        body["max_tokens"] = 3
        after = httpx.post(chat, headers=AUTH, json=body, timeout=60)
        assert after.status_code == 200 and after.json()["usage"]["completion_tokens"] == 3
    finally:
        assert srv.stop() == 0, srv.output()
