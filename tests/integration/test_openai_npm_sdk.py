"""The same server through the official openai npm SDK (scripts/node, pinned)."""
import json
import subprocess
from pathlib import Path

from conftest import API_KEY, MODEL_NAME

HERE = Path(__file__).resolve().parent


def test_npm_sdk_round_trip(server):
    proc = subprocess.run(["node", str(HERE / "js" / "openai_sdk_check.cjs"),
                           server.base_url + "/v1", API_KEY, MODEL_NAME],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    assert seen["ids"] == [MODEL_NAME]
    assert seen["stream_text"] == seen["whole_text"]
    assert seen["stream_finish"] == seen["whole_finish"]
    assert seen["stream_usage"]["completion_tokens"] == seen["whole_usage"]["completion_tokens"]
    assert seen["error"].startswith("BadRequestError:400:temperature"), seen["error"]
