"""Seeded generator of chat-template requests covering what the Qwen3 template reacts to:
system prompts, multi-turn, tools with nested JSON schemas, assistant tool_calls (arguments as a
dict and as a string), consecutive tool responses, reasoning_content, <think> inside content,
user turns that look like tool responses, add_generation_prompt, enable_thinking
true/false/absent, None-valued keys (dropped by apply_chat_template), unicode and newlines."""

import random

TEXTS = [
    "Hello!",
    "What's the weather like in Paris today?",
    "你好，世界！今天天气怎么样？",
    "Ça va? Übermäßig schön — ñandú",
    "emoji 😀👍🏽 family 👨‍👩‍👧‍👦 flag 🇯🇵",
    "line one\nline two\n\nline four",
    "  leading and trailing spaces  ",
    "\n\nstarts with newlines",
    "ends with newlines\n\n",
    "tabs\tand\r\nwindows newlines",
    'quotes "double" and \'single\' and back\\slash',
    "jinja-looking text {{ not_a_var }} {% if %} {# no #}",
    "<tool_call>\n{\"name\": \"fake\"}\n</tool_call>",
    "math: 1 < 2 && 3 > 2, 50% off",
    "مرحبا بالعالم",
    "Привет, как дела?",
    "a" * 300,
    "",
    "日本語のテキストと English mixed 123",
    "zero\u200bwidth and nbsp\u00a0here",
]

REASONING = [
    "Let me think about this.",
    "The user asks about weather.\nI should call the tool.",
    "\n推理过程：先分析问题。\n",
    "Step 1: read.\nStep 2: answer. 🤔",
    "",
]

TOOL_NAMES = ["get_weather", "search_web", "calculator", "翻译", "send_email", "lookup_user"]


def random_text(rng):
    return rng.choice(TEXTS)


def random_schema(rng, depth=0):
    kind = rng.choice(["string", "number", "integer", "boolean", "object", "array", "enum"] if depth < 3 else
                      ["string", "number", "boolean"])
    if kind == "object":
        props = {}
        for i in range(rng.randint(1, 3)):
            props[rng.choice(["city", "unit", "query", "options", "名前", "n", "filters", f"field_{i}"])] = random_schema(rng, depth + 1)
        schema = {"type": "object", "properties": props}
        if rng.random() < 0.6:
            schema["required"] = list(props)[: rng.randint(1, len(props))]
        if rng.random() < 0.3:
            schema["additionalProperties"] = False
        return schema
    if kind == "array":
        return {"type": "array", "items": random_schema(rng, depth + 1), "minItems": rng.randint(0, 2)}
    if kind == "enum":
        return {"type": "string", "enum": rng.sample(["celsius", "fahrenheit", "kelvin", "摄氏度", "a\"b"], 2)}
    schema = {"type": kind}
    if rng.random() < 0.5:
        schema["description"] = rng.choice(["The city name", "温度单位", "A number like 3.5", "Use \"quotes\"\nand newlines", "émoji 🌦"])
    if kind == "number" and rng.random() < 0.5:
        schema["default"] = rng.choice([0.5, 1.0, 1e-7, 1e16, 123456789.125, -2.75, 3])
    if kind == "number" and rng.random() < 0.3:
        schema["maximum"] = rng.choice([100, 1e300, 2.5])
    if kind == "boolean" and rng.random() < 0.3:
        schema["default"] = rng.choice([True, False, None])
    return schema


def random_tool(rng, name):
    function = {"name": name, "description": rng.choice(["Get the current weather", "Search the web for a query", "计算表达式", "Send an e-mail ✉️", "Look up a user by id.\nReturns JSON."])}
    function["parameters"] = random_schema(rng) if rng.random() < 0.2 else {
        "type": "object",
        "properties": {k: random_schema(rng, 1) for k in rng.sample(["location", "unit", "query", "limit", "strict", "lang", "参数"], rng.randint(1, 4))},
        "required": [],
    }
    if rng.random() < 0.8:
        return {"type": "function", "function": function}
    return function  # some callers pass the bare function schema


def random_arguments(rng):
    args = {}
    for key in rng.sample(["location", "unit", "query", "limit", "nested", "flag", "値", "list"], rng.randint(0, 4)):
        args[key] = rng.choice([
            "Paris", "東京", "San Francisco, CA", 'say "hi"\n', 42, -7, 3.14, 2.0, 1e-5, 1e20, True, False, None,
            {"a": [1, 2, {"b": "ç"}], "c": {}}, [], ["x", 1.5, None], "tab\tand\u0001control", "😀",
        ])
    return args


def random_tool_call(rng, tool_names):
    name = rng.choice(tool_names)
    args = random_arguments(rng)
    arguments = args if rng.random() < 0.6 else rng.choice([
        __import__("json").dumps(args, ensure_ascii=rng.random() < 0.5), '{"raw": "string args"}', "not json at all"])
    call = {"name": name, "arguments": arguments}
    if rng.random() < 0.85:
        call = {"id": f"call_{rng.randint(0, 99999)}", "type": "function", "function": call}
    return call


def assistant_message(rng, tool_names, with_tools):
    message = {"role": "assistant"}
    style = rng.random()
    content = random_text(rng)
    if style < 0.25:
        content = "<think>\n" + rng.choice(REASONING) + "\n</think>\n\n" + content
    elif style < 0.3:
        content = rng.choice(REASONING) + "</think>" + content  # closing tag only
    elif style < 0.5:
        message["reasoning_content"] = rng.choice(REASONING)
    elif style < 0.55:
        message["reasoning_content"] = None  # dropped, then <think> parsing applies
        content = "<think>x</think>" + content
    elif style < 0.6:
        message["reasoning"] = rng.choice(REASONING)  # aliased to reasoning_content by transformers
    message["content"] = content
    if with_tools and tool_names and rng.random() < 0.45:
        message["tool_calls"] = [random_tool_call(rng, tool_names) for _ in range(rng.randint(1, 3))]
        if rng.random() < 0.4:
            message["content"] = ""
    elif rng.random() < 0.1:
        message["tool_calls"] = None
    if rng.random() < 0.3:  # another key order
        message = dict(reversed(list(message.items())))
    return message


def generate(count, seed=1234):
    rng = random.Random(seed)
    requests = []
    for index in range(count):
        with_tools = rng.random() < 0.5
        tools = [random_tool(rng, name) for name in rng.sample(TOOL_NAMES, rng.randint(1, 3))] if with_tools else None
        tool_names = [t.get("function", t)["name"] for t in tools] if tools else []
        messages = []
        if rng.random() < 0.5:
            messages.append({"role": "system", "content": random_text(rng)})
        for turn in range(rng.randint(1, 4)):
            if rng.random() < 0.1:
                messages.append({"role": "user", "content": "<tool_response>\n" + random_text(rng) + "\n</tool_response>"})
            else:
                messages.append({"role": "user", "content": random_text(rng)})
            if rng.random() < 0.05:
                messages.append({"role": "system", "content": "mid-conversation system note"})
            last_turn = turn == 3 or rng.random() < 0.3
            if last_turn and rng.random() < 0.5:
                break
            assistant = assistant_message(rng, tool_names, with_tools)
            messages.append(assistant)
            if assistant.get("tool_calls"):
                for call in assistant["tool_calls"]:
                    messages.append({"role": "tool", "content": rng.choice(['{"temperature": 22, "unit": "celsius"}', random_text(rng), "[]"])})
                if rng.random() < 0.7:
                    messages.append(assistant_message(rng, [], False))
        request = {"messages": messages, "add_generation_prompt": rng.random() < 0.6}
        if tools is not None:
            request["tools"] = tools
        thinking = rng.random()
        if thinking < 0.33:
            request["enable_thinking"] = True
        elif thinking < 0.66:
            request["enable_thinking"] = False
        if index % 2 == 1:  # keys in another order, as clients send them
            request = dict(reversed(list(request.items())))
        requests.append(request)
    return requests
