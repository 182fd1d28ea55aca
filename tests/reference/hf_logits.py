"""The oracle for qinfer's forward pass: Hugging Face transformers' Qwen3ForCausalLM, run on CPU
with eager attention, on the same model directory qinfer loads.

As a script it writes logits exactly as `qinfer logits` does (float32 little-endian, row-major
[positions, vocab] with --all-positions, else [1, vocab]):

    python tests/reference/hf_logits.py --model DIR --ids 9707,11,847 [--all-positions]
        [--compute-dtype float32|bfloat16] --out FILE

--compute-dtype float32 (the default) upcasts BF16/F16 checkpoints to f32 and computes in f32:
the same arithmetic qinfer's reference kernels do, so it measures our error alone.
bfloat16 runs the checkpoint in bf16 as PyTorch would in production; float64 gives the exact
math of the model's definition, against which both f32 implementations' rounding is measured.
The test module imports `HfOracle` to keep models loaded across cases.
"""

import argparse
import sys

import numpy as np
import torch
from transformers import Qwen3ForCausalLM

torch.set_num_threads(2)

_DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float64": torch.float64}


class HfOracle:
    """Loads each (model directory, compute dtype) once."""

    def __init__(self):
        self._models = {}

    def model(self, model_dir, compute_dtype="float32"):
        key = (str(model_dir), compute_dtype)
        if key not in self._models:
            model = Qwen3ForCausalLM.from_pretrained(
                str(model_dir), dtype=_DTYPES[compute_dtype], attn_implementation="eager"
            )
            model.eval()
            self._models[key] = model
        return self._models[key]

    def drop(self, model_dir):
        for key in [k for k in self._models if k[0] == str(model_dir)]:
            del self._models[key]

    @torch.no_grad()
    def logits(self, model_dir, ids, all_positions=True, compute_dtype="float32"):
        """numpy array [len(ids) or 1, vocab]: float64 for compute_dtype float64, else float32."""
        model = self.model(model_dir, compute_dtype)
        input_ids = torch.tensor([list(ids)], dtype=torch.long)
        out = model(input_ids=input_ids, use_cache=False).logits[0]
        if not all_positions:
            out = out[-1:]
        return out.double().numpy() if compute_dtype == "float64" else out.float().numpy()


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--ids", required=True, help="comma-separated token ids")
    parser.add_argument("--out", required=True)
    parser.add_argument("--all-positions", action="store_true")
    parser.add_argument("--compute-dtype", choices=sorted(_DTYPES), default="float32")
    args = parser.parse_args(argv)
    ids = [int(item) for item in args.ids.split(",")]
    logits = HfOracle().logits(args.model, ids, args.all_positions, args.compute_dtype)
    logits.astype("<f4").tofile(args.out)
    print(f"logits [{logits.shape[0]}, {logits.shape[1]}] float32 little-endian -> {args.out}")


if __name__ == "__main__":
    main(sys.argv[1:])
