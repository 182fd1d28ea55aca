"""Client mistakes surface as the SDK's typed errors in OpenAI's error shape, hostile HTTP gets a
clear 4xx, and the server stays alive throughout."""
import socket
import time

import httpx
import openai
import pytest

from conftest import API_KEY, MODEL_NAME

AUTH = {"Authorization": f"Bearer {API_KEY}"}
MESSAGES = [{"role": "user", "content": "Hello"}]


def assert_error_shape(response, status, param=None, code=None):
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) >= {"message", "type", "param", "code"}
    assert isinstance(error["message"], str) and error["message"]
    if param is not None:
        assert error["param"] == param, error
    if code is not None:
        assert error["code"] == code, error
    return error


@pytest.mark.parametrize("field,value,param", [
    ("temperature", "hot", "temperature"),
    ("temperature", 5, "temperature"),
    ("top_p", 0, "top_p"),
    ("max_tokens", 0, "max_tokens"),
    ("n", 0, "n"),
    ("messages", "hello", "messages"),
    ("stop", 3, "stop"),
    ("logit_bias", {"not-a-token": 1}, "logit_bias"),
])
def test_invalid_fields_are_400_naming_the_field(client, field, value, param):
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(model=MODEL_NAME, messages=MESSAGES, max_tokens=2,
                                       extra_body={field: value})
    assert info.value.body["param"] == param


def test_bad_message_content_names_the_message(client):
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(model=MODEL_NAME, max_tokens=2,
                                       messages=[{"role": "user", "content": "hi"},
                                                 {"role": "user", "content": 42}])
    assert info.value.body["param"].startswith("messages[1]")


def test_context_length_exceeded(client):
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(model=MODEL_NAME, messages=MESSAGES, max_tokens=5000)
    assert info.value.body["code"] == "context_length_exceeded"
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(model=MODEL_NAME, max_tokens=1,
                                       messages=[{"role": "user", "content": "word " * 3000}])
    assert info.value.body["code"] == "context_length_exceeded"


def test_auth(server):
    wrong = openai.OpenAI(base_url=server.base_url + "/v1", api_key="sk-wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        wrong.models.list()
    r = httpx.get(server.base_url + "/v1/models")
    assert_error_shape(r, 401)
    assert httpx.get(server.base_url + "/health").status_code == 200
    assert httpx.get(server.base_url + "/ready").status_code == 200


def test_routes_and_methods(server):
    assert_error_shape(httpx.get(server.base_url + "/v1/nothing-here", headers=AUTH), 404)
    r = httpx.get(server.base_url + "/v1/chat/completions", headers=AUTH)
    assert_error_shape(r, 405)
    assert "POST" in r.headers.get("allow", "")


def test_malformed_bodies(server):
    url = server.base_url + "/v1/chat/completions"
    headers = {**AUTH, "Content-Type": "application/json"}
    assert_error_shape(httpx.post(url, headers=headers, content=b'{"model": "x", "messages": ['), 400)
    assert_error_shape(httpx.post(url, headers=headers, content=b'[1, 2, 3]'), 400)
    bad_utf8 = b'{"model": "%s", "messages": [{"role": "user", "content": "\xff\xfe"}]}' % MODEL_NAME.encode()
    assert_error_shape(httpx.post(url, headers=headers, content=bad_utf8), 400)
    assert_error_shape(httpx.post(url, headers=headers, content=b''), 400)
    assert server.alive()


def test_huge_body_is_413(server):
    url = server.base_url + "/v1/chat/completions"
    big = b'{"model": "m", "messages": [{"role": "user", "content": "' + b"a" * (20 << 20) + b'"}]}'
    try:
        r = httpx.post(url, headers={**AUTH, "Content-Type": "application/json"}, content=big,
                       timeout=60)
        assert_error_shape(r, 413)
    except httpx.HTTPError:
        pass  # the server may close the connection once it has refused the body
    assert server.alive()


def test_slow_client_does_not_block_others(server, client):
    with socket.create_connection(("127.0.0.1", server.port)) as slow:
        slow.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{")
        start = time.time()
        r = client.chat.completions.create(model=MODEL_NAME, messages=MESSAGES, max_tokens=2)
        assert r.choices
        assert time.time() - start < 60
    assert server.alive()


def test_tokenize_and_detokenize(server, hf_tokenizer):
    text = "Contract § 4.2: the bank (银行) shall notify 🏦 clients."
    r = httpx.post(server.base_url + "/tokenize", headers=AUTH,
                   json={"model": MODEL_NAME, "prompt": text})
    assert r.status_code == 200, r.text
    tokens = r.json()["tokens"]
    assert tokens == hf_tokenizer.encode(text, add_special_tokens=False)
    assert r.json()["count"] == len(tokens)
    r = httpx.post(server.base_url + "/detokenize", headers=AUTH, json={"tokens": tokens})
    assert r.status_code == 200, r.text
    assert r.json()["prompt"] == text
    assert_error_shape(httpx.post(server.base_url + "/detokenize", headers=AUTH,
                                  json={"tokens": [10 ** 9]}), 400)


def test_tokenize_bad_field_type_is_400(server):
    r = httpx.post(server.base_url + "/tokenize", headers=AUTH,
                   json={"messages": [{"role": "user", "content": "hi"}],
                         "add_generation_prompt": "yes"})
    assert_error_shape(r, 400, param="add_generation_prompt")
    assert server.alive()
