"""Grammar-constrained output through the SDK: even random weights produce JSON that parses and
validates (checked with the `jsonschema` package), forced tool calls parse into a declared tool
with schema-valid arguments, streamed tool-call deltas reassemble to the non-streamed call, and
schema keywords we cannot enforce are a 400 naming them."""
import json

import jsonschema
import openai
import pytest

from conftest import MODEL_NAME

MESSAGES = [{"role": "user", "content": "Extract the order details as JSON."}]

ORDER_SCHEMA = {
    "type": "object",
    "properties": {
        "order_id": {"type": "string", "minLength": 3, "maxLength": 12},
        "status": {"enum": ["pending", "shipped", "delivered"]},
        "items": {"type": "array", "items": {"type": "object", "properties": {
            "sku": {"type": "string", "maxLength": 8}, "quantity": {"type": "integer"}},
            "required": ["sku", "quantity"], "additionalProperties": False}, "maxItems": 3},
        "express": {"type": "boolean"},
        "note": {"anyOf": [{"type": "string", "maxLength": 20}, {"type": "null"}]},
        "currency": {"const": "CNY"},
    },
    "required": ["order_id", "status", "items", "express", "note", "currency"],
    "additionalProperties": False,
}

TOOLS = [
    {"type": "function", "function": {
        "name": "get_order_status", "description": "Look up an order",
        "parameters": {"type": "object", "properties": {
            "order_id": {"type": "string", "maxLength": 10}}, "required": ["order_id"],
            "additionalProperties": False}}},
    {"type": "function", "function": {
        "name": "track_shipment", "description": "Track a parcel",
        "parameters": {"type": "object", "properties": {
            "tracking_number": {"type": "string", "maxLength": 16},
            "carrier": {"enum": ["SF", "EMS", "JD"]}},
            "required": ["tracking_number", "carrier"], "additionalProperties": False}}},
]
TOOL_SCHEMAS = {t["function"]["name"]: t["function"]["parameters"] for t in TOOLS}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_json_schema_output_validates(client, seed):
    r = client.chat.completions.create(
        model=MODEL_NAME, messages=MESSAGES, max_tokens=300, seed=seed, temperature=1.0,
        response_format={"type": "json_schema",
                         "json_schema": {"name": "order", "schema": ORDER_SCHEMA, "strict": True}})
    choice = r.choices[0]
    assert choice.finish_reason == "stop", choice
    document = json.loads(choice.message.content)
    jsonschema.validate(document, ORDER_SCHEMA)


def test_json_object_output_parses(client):
    r = client.chat.completions.create(model=MODEL_NAME, messages=MESSAGES, max_tokens=400, seed=5,
                                       temperature=0.7, response_format={"type": "json_object"})
    if r.choices[0].finish_reason == "stop":
        assert isinstance(json.loads(r.choices[0].message.content), dict)
    else:  # an open object may run to the budget; what came is still a JSON prefix
        assert r.choices[0].message.content.startswith("{")


def test_unsupported_schema_keyword_is_a_400(client):
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(
            model=MODEL_NAME, messages=MESSAGES, max_tokens=10,
            response_format={"type": "json_schema", "json_schema": {"name": "x", "schema": {
                "type": "object", "properties": {"n": {"type": "integer", "minimum": 3}}}}})
    assert info.value.body["param"] == "response_format.json_schema.schema"
    assert "minimum" in info.value.body["message"]


def streamed_tool_calls(client, kwargs):
    """The tool-call deltas of a streamed completion reassembled per index, and its finish reason."""
    streamed = {}
    finish = None
    for chunk in client.chat.completions.create(stream=True, **kwargs):
        if not chunk.choices:
            continue
        finish = chunk.choices[0].finish_reason or finish
        for delta in chunk.choices[0].delta.tool_calls or []:
            entry = streamed.setdefault(delta.index, {"id": None, "name": "", "arguments": ""})
            if delta.id:
                entry["id"] = delta.id
            if delta.function and delta.function.name:
                entry["name"] += delta.function.name
            if delta.function and delta.function.arguments:
                entry["arguments"] += delta.function.arguments
    return streamed, finish


# "required" may call several tools in one turn (parallel_tool_calls defaults to true); a named
# function or parallel_tool_calls false, exactly one. Random weights choose how many.
@pytest.mark.parametrize("tool_choice,parallel,seed", [
    ("required", None, 9), ("required", None, 4), ("required", False, 9),
    ({"type": "function", "function": {"name": "track_shipment"}}, None, 9)])
def test_forced_tool_call_is_valid_and_streams_identically(client, tool_choice, parallel, seed):
    kwargs = dict(model=MODEL_NAME, messages=[{"role": "user", "content": "Where is parcel 8?"}],
                  tools=TOOLS, tool_choice=tool_choice, max_tokens=700, seed=seed, temperature=1.0)
    if parallel is not None:
        kwargs["parallel_tool_calls"] = parallel
    whole = client.chat.completions.create(**kwargs)
    choice = whole.choices[0]
    assert choice.finish_reason == "tool_calls", choice
    assert choice.message.content is None
    calls = choice.message.tool_calls
    assert 1 <= len(calls) <= 8
    if tool_choice != "required" or parallel is False:
        assert len(calls) == 1
    for call in calls:
        if isinstance(tool_choice, dict):
            assert call.function.name == "track_shipment"
        jsonschema.validate(json.loads(call.function.arguments), TOOL_SCHEMAS[call.function.name])
        assert call.id.startswith("call_")
    assert len({call.id for call in calls}) == len(calls)

    streamed, finish = streamed_tool_calls(client, kwargs)
    assert finish == "tool_calls"
    assert list(streamed) == list(range(len(calls)))
    for index, call in enumerate(calls):
        assert streamed[index]["name"] == call.function.name
        assert streamed[index]["arguments"] == call.function.arguments
        assert streamed[index]["id"].startswith("call_")


def test_required_tool_choice_can_call_several_tools(client):
    """Some seed among a dozen makes random weights continue the turn with a second call; the
    grammar keeps each one valid, and parallel_tool_calls false would have stopped at one."""
    for seed in range(1, 13):
        r = client.chat.completions.create(
            model=MODEL_NAME, messages=[{"role": "user", "content": "Where is parcel 8?"}],
            tools=TOOLS, tool_choice="required", max_tokens=700, seed=seed, temperature=1.0)
        calls = r.choices[0].message.tool_calls
        assert r.choices[0].finish_reason == "tool_calls"
        for call in calls:
            jsonschema.validate(json.loads(call.function.arguments), TOOL_SCHEMAS[call.function.name])
        if len(calls) >= 2:
            return
    pytest.fail("no seed of 12 produced more than one forced tool call")
