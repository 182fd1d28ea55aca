"""Weight integrity: `qinfer verify` and `serve --verify` against SHA256SUMS, with coreutils'
`sha256sum -c` as the independent oracle of the manifest mkmodel writes."""
import subprocess
import time

import httpx
import pytest

from conftest import QINFER, TOKENIZER_DIR, free_port, run_qinfer


@pytest.fixture()
def sharded_model(tmp_path):
    out = tmp_path / "qwen3-tiny-sharded"
    run_qinfer("mkmodel", "--preset", "tiny", "--format", "hf", "--dtype", "f32", "--seed", "5",
               "--shard-size", "2MB", "--out", out, "--tokenizer-dir", TOKENIZER_DIR)
    return out


def shards(model_dir):
    return sorted(p for p in model_dir.glob("model-*.safetensors"))


def flip_one_byte(path, offset):
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def verify(model, *args):
    return run_qinfer("verify", *args, model, check=False)


def test_mkmodel_manifest_checks_with_coreutils_and_verify(sharded_model):
    assert len(shards(sharded_model)) >= 2, "the fixture should be sharded"
    listed = (sharded_model / "SHA256SUMS").read_text().splitlines()
    names = {line.split("  ", 1)[1] for line in listed}
    assert {"config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json",
            "model.safetensors.index.json"} <= names
    assert {p.name for p in shards(sharded_model)} <= names
    coreutils = subprocess.run(["sha256sum", "-c", "--strict", "SHA256SUMS"], cwd=sharded_model,
                               capture_output=True, text=True)
    assert coreutils.returncode == 0, coreutils.stdout + coreutils.stderr
    result = verify(sharded_model)
    assert result.returncode == 0, result.stderr
    assert "OK" in result.stderr and "GB/s" in result.stderr


def test_one_flipped_byte_is_found_by_verify_and_sha256sum(sharded_model):
    victim = shards(sharded_model)[1]
    flip_one_byte(victim, victim.stat().st_size // 2)
    result = verify(sharded_model)
    assert result.returncode == 1
    assert f"FAILED {victim.name}: checksum mismatch" in result.stderr, result.stderr
    assert result.stderr.count("FAILED") == 1
    coreutils = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=sharded_model,
                               capture_output=True, text=True)
    assert coreutils.returncode != 0 and f"{victim.name}: FAILED" in coreutils.stdout


def test_serve_verify_refuses_a_corrupt_shard_without_becoming_ready(sharded_model):
    victim = shards(sharded_model)[0]
    flip_one_byte(victim, 100)
    port = free_port()
    proc = subprocess.Popen([str(QINFER), "serve", "-m", str(sharded_model), "--port", str(port),
                             "--verify", "-t", "2"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    ever_ready = False
    deadline = time.time() + 60
    while proc.poll() is None and time.time() < deadline:
        try:
            ever_ready |= httpx.get(f"http://127.0.0.1:{port}/ready", timeout=1).status_code == 200
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    if proc.poll() is None:
        proc.kill()
    output = proc.communicate()[0]
    assert proc.returncode == 1, output
    assert not ever_ready
    assert victim.name in output and "checksum mismatch" in output, output


def test_missing_unlisted_and_no_manifest(sharded_model):
    gone = shards(sharded_model)[-1]
    gone.unlink()
    extra = sharded_model / "model-extra.safetensors"
    extra.write_bytes(b"\0" * 16)
    result = verify(sharded_model)
    assert result.returncode == 1
    assert f"FAILED {gone.name}: listed in SHA256SUMS but missing" in result.stderr, result.stderr
    assert f"FAILED {extra.name}: not listed in SHA256SUMS" in result.stderr, result.stderr
    # --write takes the directory as it now is: the extra file listed, the missing one dropped.
    assert verify(sharded_model, "--write").returncode == 0
    assert verify(sharded_model).returncode == 0
    assert gone.name not in (sharded_model / "SHA256SUMS").read_text()
    (sharded_model / "SHA256SUMS").unlink()
    result = verify(sharded_model)
    assert result.returncode == 1
    assert "no SHA256SUMS" in result.stderr and "verify --write" in result.stderr


def test_gguf_manifest_merges_with_other_entries(tmp_path):
    other = "0" * 64 + "  notes.txt\n"
    (tmp_path / "SHA256SUMS").write_text(other)
    (tmp_path / "notes.txt").write_text("not checked by qinfer\n")
    gguf = tmp_path / "tiny.gguf"
    run_qinfer("mkmodel", "--preset", "tiny", "--format", "gguf", "--dtype", "f32", "--seed", "1",
               "--out", gguf, "--tokenizer-dir", TOKENIZER_DIR)
    text = (tmp_path / "SHA256SUMS").read_text()
    assert other in text and "  tiny.gguf\n" in text
    assert verify(gguf).returncode == 0  # the notes.txt entry is wrong but not the model's
    flip_one_byte(gguf, gguf.stat().st_size - 1)
    result = verify(gguf)
    assert result.returncode == 1 and "FAILED tiny.gguf: checksum mismatch" in result.stderr


def test_manifest_with_path_traversal_is_refused(sharded_model):
    (sharded_model / "SHA256SUMS").write_text("0" * 64 + "  ../config.json\n")
    result = verify(sharded_model)
    assert result.returncode == 1 and "line 1" in result.stderr and "'..'" in result.stderr
