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


@pytest.mark.parametrize("tool_choice", ["required",
                                         {"type": "function", "function": {"name": "track_shipment"}}])
def test_forced_tool_call_is_valid_and_streams_identically(client, tool_choice):
    kwargs = dict(model=MODEL_NAME, messages=[{"role": "user", "content": "Where is parcel 8?"}],
                  tools=TOOLS, tool_choice=tool_choice, max_tokens=200, seed=9, temperature=1.0)
    whole = client.chat.completions.create(**kwargs)
    choice = whole.choices[0]
    assert choice.finish_reason == "tool_calls", choice
    calls = choice.message.tool_calls
    assert len(calls) == 1
    name = calls[0].function.name
    if isinstance(tool_choice, dict):
        assert name == "track_shipment"
    jsonschema.validate(json.loads(calls[0].function.arguments), TOOL_SCHEMAS[name])
    assert calls[0].id.startswith("call_")

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
    assert finish == "tool_calls"
    assert list(streamed) == [0]
    assert streamed[0]["name"] == name
    assert streamed[0]["arguments"] == calls[0].function.arguments
    assert streamed[0]["id"].startswith("call_")
