#!/usr/bin/env python3
"""An order-status and logistics assistant on `qinfer serve`, written the way a backend team
writes one with the official openai SDK: the model asks for a tool, this program runs it against
its own data, sends the result back, and the model answers.

    python assistant.py --base-url http://127.0.0.1:8080/v1 --api-key KEY --model qwen3-14b \
        "Where is my order A-1042, and when will it arrive?"

--first-tool-choice required makes the first turn call a tool whatever the model would prefer
(constrained decoding guarantees a valid call); CI uses it with a random-weight test model, which
would otherwise rarely call anything. The loop stops when the model answers without a tool call
or after --max-rounds rounds.
"""
import argparse
import json
import sys

from openai import OpenAI

# The company's systems, in miniature.
ORDERS = {
    "A-1042": {"status": "shipped", "carrier": "SF Express", "tracking": "SF123456789CN"},
    "A-1043": {"status": "processing", "carrier": None, "tracking": None},
}
SHIPMENTS = {
    "SF123456789CN": {"location": "Shenzhen sorting center", "eta": "2026-12-01"},
}


def get_order_status(order_id):
    order = ORDERS.get(order_id)
    return order if order else {"error": f"no order {order_id}"}


def track_shipment(tracking_number):
    shipment = SHIPMENTS.get(tracking_number)
    return shipment if shipment else {"error": f"no shipment {tracking_number}"}


FUNCTIONS = {"get_order_status": get_order_status, "track_shipment": track_shipment}

TOOLS = [
    {"type": "function", "function": {
        "name": "get_order_status",
        "description": "Look up an order: its status, carrier and tracking number.",
        "parameters": {"type": "object",
                       "properties": {"order_id": {"type": "string", "maxLength": 20,
                                                   "description": "e.g. A-1042"}},
                       "required": ["order_id"], "additionalProperties": False}}},
    {"type": "function", "function": {
        "name": "track_shipment",
        "description": "Where a parcel is and when it should arrive.",
        "parameters": {"type": "object",
                       "properties": {"tracking_number": {"type": "string", "maxLength": 32}},
                       "required": ["tracking_number"], "additionalProperties": False}}},
]


def run_tool(call):
    """Runs one tool call; bad arguments become an error result the model can read."""
    function = FUNCTIONS.get(call.function.name)
    if function is None:
        return {"error": f"unknown tool {call.function.name}"}
    try:
        arguments = json.loads(call.function.arguments)
        return function(**arguments)
    except (json.JSONDecodeError, TypeError) as e:
        return {"error": f"bad arguments: {e}"}


def converse(client, model, question, first_tool_choice="auto", max_rounds=4, max_tokens=256,
             log=print):
    """Returns (final answer text, list of (tool name, arguments, result)) for one question."""
    messages = [{"role": "system", "content": "You are the customer-service assistant of an online "
                                              "shop. Use the tools to answer questions about orders."},
                {"role": "user", "content": question}]
    calls_made = []
    for round_index in range(max_rounds):
        response = client.chat.completions.create(
            model=model, messages=messages, tools=TOOLS, max_tokens=max_tokens,
            tool_choice=first_tool_choice if round_index == 0 else "auto",
            extra_body={"chat_template_kwargs": {"enable_thinking": False}})
        message = response.choices[0].message
        if not message.tool_calls:
            log(f"assistant: {message.content}")
            return message.content, calls_made
        messages.append({"role": "assistant", "content": message.content or "",
                         "tool_calls": [c.model_dump() for c in message.tool_calls]})
        for call in message.tool_calls:
            result = run_tool(call)
            log(f"tool {call.function.name}({call.function.arguments}) -> {json.dumps(result)}")
            calls_made.append((call.function.name, call.function.arguments, result))
            messages.append({"role": "tool", "tool_call_id": call.id, "content": json.dumps(result)})
    log("assistant: (no final answer within the round limit)")
    return None, calls_made


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("question", nargs="?", default="Where is my order A-1042?")
    parser.add_argument("--base-url", default="http://127.0.0.1:8080/v1")
    parser.add_argument("--api-key", default="none")
    parser.add_argument("--model", required=True)
    parser.add_argument("--first-tool-choice", default="auto", choices=["auto", "required", "none"])
    parser.add_argument("--max-rounds", type=int, default=4)
    parser.add_argument("--max-tokens", type=int, default=256)
    args = parser.parse_args()
    client = OpenAI(base_url=args.base_url, api_key=args.api_key)
    answer, calls = converse(client, args.model, args.question, args.first_tool_choice,
                             args.max_rounds, args.max_tokens)
    return 0 if answer is not None or calls else 1


if __name__ == "__main__":
    sys.exit(main())
