"""Where the oracle tests find qinfer and the fixtures setup.sh installs, and how they run it."""
import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
QINFER = Path(os.environ.get("QINFER_BIN", REPO / "build" / "qinfer"))
TOKENIZER_DIR = REPO / ".deps" / "qwen3-tokenizer"
NODE_MODULES = REPO / "scripts" / "node" / "node_modules"


def run_qinfer(*args, input=None, check=True, timeout=600):
    """Runs `qinfer ARGS...` (text mode); raises with its stderr when it fails and check is set."""
    proc = subprocess.run([str(QINFER), *map(str, args)], capture_output=True, text=True,
                          input=input, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"qinfer {' '.join(map(str, args))} failed:\n{proc.stderr}")
    return proc
