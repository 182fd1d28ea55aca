"""Reasoning output: a model whose chat template opens <think> in the prompt (as the Qwen3
Thinking-2507 templates do) reasons from its first token, so a random-weight model's whole output
is reasoning: it must come back as reasoning_content (whole and streamed alike), with every
completion token counted in usage.completion_tokens_details.reasoning_tokens."""
import json
import shutil

import openai
import pytest

from conftest import API_KEY, MODEL_NAME, Server

MESSAGES = [{"role": "user", "content": "Which clause of the contract covers termination?"}]


@pytest.fixture(scope="module")
def thinking_server(tiny_model, tmp_path_factory):
    model = tmp_path_factory.mktemp("thinking") / "qwen3-tiny-thinking"
    shutil.copytree(tiny_model, model)
    config_path = model / "tokenizer_config.json"
    config = json.loads(config_path.read_text())
    template = config["chat_template"]
    generation_prompt = "{{- '<|im_start|>assistant\\n' }}"
    assert generation_prompt in template
    config["chat_template"] = template.replace(generation_prompt,
                                               "{{- '<|im_start|>assistant\\n<think>\\n' }}")
    config_path.write_text(json.dumps(config, ensure_ascii=False))
    srv = Server(model, "--parallel", "2", "--ctx-size", "512")
    yield srv
    assert srv.stop() == 0


def test_reasoning_content_whole_and_streamed(thinking_server):
    client = openai.OpenAI(base_url=thinking_server.base_url + "/v1", api_key=API_KEY, max_retries=0)
    kwargs = dict(model=MODEL_NAME, messages=MESSAGES, max_tokens=12, seed=4, temperature=0.8)
    whole = client.chat.completions.create(**kwargs)
    message = whole.choices[0].message
    reasoning = getattr(message, "reasoning_content", None) or message.model_extra.get("reasoning_content")
    assert reasoning, message
    assert not message.content
    details = whole.usage.completion_tokens_details
    assert details.reasoning_tokens == whole.usage.completion_tokens == 12

    streamed_reasoning, streamed_content = "", ""
    for chunk in client.chat.completions.create(stream=True, **kwargs):
        if not chunk.choices:
            continue
        delta = chunk.choices[0].delta
        streamed_reasoning += getattr(delta, "reasoning_content", None) or \
            (delta.model_extra or {}).get("reasoning_content") or ""
        streamed_content += delta.content or ""
    assert streamed_reasoning == reasoning
    assert streamed_content == ""
