"""examples/function_calling/assistant.py completes its loop against the server: the model calls
a tool (forced on the first turn: the test model has random weights), the example runs it and
sends the result back, and the model answers."""
import json
import sys
from pathlib import Path

import openai

from conftest import API_KEY, MODEL_NAME

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "examples" / "function_calling"))
import assistant  # noqa: E402


def test_order_assistant_loop(server):
    client = openai.OpenAI(base_url=server.base_url + "/v1", api_key=API_KEY, max_retries=0)
    lines = []
    answer, calls = assistant.converse(client, MODEL_NAME, "Where is my order A-1042?",
                                       first_tool_choice="required", max_rounds=3, max_tokens=96,
                                       log=lines.append)
    assert calls, lines
    name, arguments, result = calls[0]
    assert name in assistant.FUNCTIONS
    json.loads(arguments)
    assert isinstance(result, dict)
    # The loop ends with an answer, or (random weights) more calls up to the round limit.
    assert answer is not None or len(calls) >= 2, lines
