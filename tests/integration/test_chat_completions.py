"""/v1/chat/completions through the official openai Python SDK: non-streaming and streaming agree,
the prompt is the one transformers' apply_chat_template renders (tools included), usage and
logprobs have the spec's shape, and requests do not influence each other."""
import concurrent.futures
import json

import pytest

from conftest import MODEL_NAME

MESSAGES = [{"role": "system", "content": "You are the support assistant of an online shop."},
            {"role": "user", "content": "Where is my order A-1042?"}]

TOOLS = [{"type": "function", "function": {
    "name": "get_order_status", "description": "Look up an order's shipping status",
    "parameters": {"type": "object", "properties": {"order_id": {"type": "string"}},
                   "required": ["order_id"]}}}]


def prompt_tokens(hf_tokenizer, messages, **kwargs):
    ids = hf_tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=True,
                                           **kwargs)
    if isinstance(ids, dict) or hasattr(ids, "keys"):
        ids = ids["input_ids"]
    return len(ids)


def test_non_streaming_response_shape_and_usage(client, hf_tokenizer):
    r = client.chat.completions.create(model=MODEL_NAME, messages=MESSAGES, max_tokens=12,
                                       seed=7, temperature=0.7)
    assert r.object == "chat.completion" and r.id.startswith("chatcmpl-")
    assert r.model == MODEL_NAME
    assert len(r.choices) == 1
    choice = r.choices[0]
    assert choice.index == 0 and choice.message.role == "assistant"
    assert choice.finish_reason in ("stop", "length")
    assert r.usage.prompt_tokens == prompt_tokens(hf_tokenizer, MESSAGES)
    assert 1 <= r.usage.completion_tokens <= 12
    assert r.usage.total_tokens == r.usage.prompt_tokens + r.usage.completion_tokens
    assert r.usage.prompt_tokens_details.cached_tokens >= 0


def test_length_finish_reason_and_max_completion_tokens(client):
    r = client.chat.completions.create(model=MODEL_NAME, messages=MESSAGES,
                                       max_completion_tokens=3, temperature=0,
                                       extra_body={"ignore_eos": True})
    assert r.choices[0].finish_reason == "length"
    assert r.usage.completion_tokens == 3


def test_streaming_equals_non_streaming_with_the_same_seed(client):
    kwargs = dict(model=MODEL_NAME, messages=MESSAGES, max_tokens=16, seed=11, temperature=0.9)
    whole = client.chat.completions.create(**kwargs)
    stream = client.chat.completions.create(stream=True, stream_options={"include_usage": True},
                                            **kwargs)
    text, finish, usage, roles = "", None, None, []
    for chunk in stream:
        assert chunk.object == "chat.completion.chunk" and chunk.id.startswith("chatcmpl-")
        if chunk.usage is not None:
            assert chunk.choices == []
            usage = chunk.usage
            continue
        delta = chunk.choices[0].delta
        if delta.role:
            roles.append(delta.role)
        text += (delta.content or "") + (getattr(delta, "reasoning_content", None) or "")
        finish = chunk.choices[0].finish_reason or finish
    message = whole.choices[0].message
    assert roles == ["assistant"]
    assert text == (message.content or "") + (getattr(message, "reasoning_content", None) or "") \
        or text == (getattr(message, "reasoning_content", None) or "") + (message.content or "")
    assert finish == whole.choices[0].finish_reason
    assert usage is not None and usage.completion_tokens == whole.usage.completion_tokens
    assert usage.prompt_tokens == whole.usage.prompt_tokens


def test_tools_are_rendered_by_the_template(client, hf_tokenizer):
    r = client.chat.completions.create(model=MODEL_NAME, messages=MESSAGES, tools=TOOLS,
                                       max_tokens=2, temperature=0)
    assert r.usage.prompt_tokens == prompt_tokens(hf_tokenizer, MESSAGES, tools=TOOLS)
    assert r.usage.prompt_tokens > prompt_tokens(hf_tokenizer, MESSAGES)


def test_tool_result_round_trip_is_rendered(client, hf_tokenizer):
    messages = MESSAGES + [
        {"role": "assistant", "content": None, "tool_calls": [{
            "id": "call_1", "type": "function",
            "function": {"name": "get_order_status", "arguments": json.dumps({"order_id": "A-1042"})}}]},
        {"role": "tool", "tool_call_id": "call_1", "content": json.dumps({"status": "shipped"})}]
    r = client.chat.completions.create(model=MODEL_NAME, messages=messages, tools=TOOLS,
                                       max_tokens=2, temperature=0)
    # transformers renders the arguments string as given; its template needs a content key, so the
    # oracle gets content "" where the SDK sends null (the server treats null as "").
    oracle = [dict(m, content="") if m.get("content") is None else m for m in messages]
    assert r.usage.prompt_tokens == prompt_tokens(hf_tokenizer, oracle, tools=TOOLS)


def test_disabling_thinking_changes_the_prompt_as_the_template_says(client, hf_tokenizer):
    r = client.chat.completions.create(model=MODEL_NAME, messages=MESSAGES, max_tokens=1,
                                       extra_body={"chat_template_kwargs": {"enable_thinking": False}})
    assert r.usage.prompt_tokens == prompt_tokens(hf_tokenizer, MESSAGES, enable_thinking=False)


def test_n_choices_and_logprobs(client):
    r = client.chat.completions.create(model=MODEL_NAME, messages=MESSAGES, max_tokens=5, n=2,
                                       seed=3, temperature=1.0, logprobs=True, top_logprobs=3)
    assert [c.index for c in r.choices] == [0, 1]
    for choice in r.choices:
        entries = choice.logprobs.content
        assert 1 <= len(entries) <= 5
        for entry in entries:
            assert entry.logprob <= 0.0
            assert len(entry.top_logprobs) == 3
            lps = [t.logprob for t in entry.top_logprobs]
            assert lps == sorted(lps, reverse=True)
            assert entry.bytes is not None
    assert r.usage.completion_tokens == sum(len(c.logprobs.content) for c in r.choices)


def test_concurrent_requests_each_equal_the_request_run_alone(client):
    def ask(i):
        return client.chat.completions.create(
            model=MODEL_NAME, messages=[{"role": "user", "content": f"Question number {i}?"}],
            max_tokens=10, seed=100 + i, temperature=0.8)
    alone = [ask(i).choices[0].message for i in range(8)]
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        together = list(pool.map(ask, range(8)))
    for i in range(8):
        assert together[i].choices[0].message.content == alone[i].content, i
        assert getattr(together[i].choices[0].message, "reasoning_content", None) == \
            getattr(alone[i], "reasoning_content", None)


def test_abort_mid_stream_then_a_normal_request(client, server):
    stream = client.chat.completions.create(model=MODEL_NAME, messages=MESSAGES, max_tokens=400,
                                            stream=True, extra_body={"ignore_eos": True})
    for i, _ in enumerate(stream):
        if i == 3:
            break
    stream.close()
    r = client.chat.completions.create(model=MODEL_NAME, messages=MESSAGES, max_tokens=4)
    assert r.choices[0].finish_reason in ("stop", "length")
    assert server.alive()


def test_prefix_cache_reports_cached_tokens(client):
    long_system = "You answer questions about the bank's internal policies. " * 20
    messages = [{"role": "system", "content": long_system}, {"role": "user", "content": "Hi"}]
    client.chat.completions.create(model=MODEL_NAME, messages=messages, max_tokens=2)
    messages[1]["content"] = "Hello again"
    r = client.chat.completions.create(model=MODEL_NAME, messages=messages, max_tokens=2)
    assert r.usage.prompt_tokens_details.cached_tokens >= 100


def test_completions_endpoint(client):
    r = client.completions.create(model=MODEL_NAME, prompt="The bank opens at", max_tokens=6,
                                  seed=1, temperature=0.5)
    assert r.object == "text_completion"
    assert r.choices[0].finish_reason in ("stop", "length")
    assert r.usage.completion_tokens >= 1
    streamed = "".join(c.choices[0].text for c in client.completions.create(
        model=MODEL_NAME, prompt="The bank opens at", max_tokens=6, seed=1, temperature=0.5,
        stream=True) if c.choices)
    assert streamed == r.choices[0].text


def test_models_endpoints(client):
    import openai
    models = client.models.list()
    assert [m.id for m in models.data] == [MODEL_NAME]
    assert client.models.retrieve(MODEL_NAME).id == MODEL_NAME
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("gpt-4o")
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="gpt-4o", messages=MESSAGES, max_tokens=1)
