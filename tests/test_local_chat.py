"""Chat on the built-in ``local`` channel: SmolLM2-135M-Instruct on llama.cpp, offline, free."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import openai
import pytest

from conftest import USER_KEY, Gateway, assert_ledger_balanced, funded, sqlite_only
from offline import run_offline
from omnirelay.errors import UpstreamRejected
from omnirelay.providers.local.chat_wire import chat_messages, sampling

MODEL = "smollm2-135m-instruct"
QUESTION = [{"role": "user", "content": "What is the capital of France? Answer in one sentence."}]


@pytest.fixture
def gateway(make_gateway: Callable[..., Gateway]) -> Gateway:
    return make_gateway(**funded(balance=0))


def client(gateway: Gateway) -> openai.OpenAI:
    return openai.OpenAI(base_url=gateway.url + "/v1", api_key=USER_KEY, max_retries=0, timeout=120)


def test_local_chat_answers_a_simple_question_for_free(gateway: Gateway) -> None:
    assert {m.id: m.owned_by for m in client(gateway).models.list().data}[MODEL] == "local"
    answer = client(gateway).chat.completions.create(model=MODEL, messages=QUESTION, temperature=0, max_tokens=32)
    assert answer.id.startswith("chatcmpl-") and answer.object == "chat.completion" and answer.model == MODEL
    choice = answer.choices[0]
    assert choice.message.role == "assistant" and "Paris" in (choice.message.content or ""), choice.message.content
    assert choice.finish_reason == "stop"
    usage = answer.usage
    assert usage is not None and usage.prompt_tokens > 0 and 0 < usage.completion_tokens <= 32
    [log] = gateway.logs(model=MODEL)
    assert (log["prompt_tokens"], log["completion_tokens"]) == (usage.prompt_tokens, usage.completion_tokens)
    assert log["cost"] == 0, "local models are free by default, so a zero balance suffices"
    assert_ledger_balanced(gateway)


@sqlite_only
def test_local_chat_streams_and_reports_usage(gateway: Gateway) -> None:
    chunks = list(
        client(gateway).chat.completions.create(
            model=MODEL,
            messages=QUESTION,
            max_completion_tokens=8,
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text.strip(), "the streamed deltas assemble to an answer"
    assert chunks[0].choices[0].delta.role == "assistant"
    assert len({c.id for c in chunks}) == 1 and chunks[0].id.startswith("chatcmpl-")
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] in ("stop", "length")
    usage = chunks[-1].usage
    assert not chunks[-1].choices and usage is not None
    assert usage.prompt_tokens > 0 and 0 < usage.completion_tokens <= 8
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
    plain = list(client(gateway).chat.completions.create(model=MODEL, messages=QUESTION, max_tokens=2, stream=True))
    assert all(c.choices and c.usage is None for c in plain), "no usage chunk unless the client asks"
    logs = gateway.logs(model=MODEL)
    assert [log["prompt_tokens"] for log in logs] == [usage.prompt_tokens] * 2, "billed from the model's own count"


@sqlite_only
def test_local_chat_refuses_what_it_cannot_do(gateway: Gateway) -> None:
    weather = {"type": "function", "function": {"name": "weather", "parameters": {"type": "object"}}}
    with pytest.raises(openai.BadRequestError) as refused:
        client(gateway).chat.completions.create(model=MODEL, messages=QUESTION, tools=[weather])
    assert refused.value.status_code == 400 and "cannot call tools" in refused.value.message
    image = {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}
    for extra, param in [({"n": 2}, "n"), ({"messages": [{"role": "user", "content": [image]}]}, "messages")]:
        body = {"model": MODEL, "messages": QUESTION, **extra}
        response = httpx.post(
            gateway.url + "/v1/chat/completions", json=body, headers={"Authorization": f"Bearer {USER_KEY}"}
        )
        assert response.status_code == 400 and response.json()["error"]["param"] == param, response.text


@pytest.mark.parametrize(
    ("extra", "param"),
    [
        ({"temperature": 3}, "temperature"),
        ({"top_p": "high"}, "top_p"),
        ({"max_tokens": 0}, "max_tokens"),
        ({"max_completion_tokens": 1.5}, "max_completion_tokens"),
        ({"stop": ["a", "b", "c", "d", "e"]}, "stop"),
        ({"response_format": {"type": "json_object"}}, "response_format"),
        ({"logprobs": True}, "logprobs"),
        ({"messages": [{"role": "tool", "content": "42", "tool_call_id": "x"}]}, "messages"),
    ],
)
def test_local_chat_request_checks(extra: dict[str, object], param: str) -> None:
    body = {"model": MODEL, "messages": QUESTION, **extra}
    with pytest.raises(UpstreamRejected) as refused:
        chat_messages(body)
        sampling(body)
    assert (refused.value.status_code, refused.value.param) == (400, param)


def test_local_chat_request_defaults_and_roles() -> None:
    body = {"model": MODEL, "messages": [{"role": "developer", "content": [{"type": "text", "text": "Be brief."}]}]}
    assert chat_messages(body) == [{"role": "system", "content": "Be brief."}]
    options = sampling({**body, "stop": "\n", "max_tokens": 5, "temperature": 0})
    assert (options.max_tokens, options.temperature, options.stop) == (5, 0.0, ("\n",))
    assert sampling(body).max_tokens == 256, "a small default answer length"


_OFFLINE_SCRIPT = """
import sys
import openai
from omnirelay.app import create_app
from omnirelay.settings import Settings
from omnirelay.testing import serve_in_thread
key = "sk-user-offline-00000000000000000000000000000000000000000"
settings = Settings.model_validate({
    "home": sys.argv[1], "admin_key": "sk-admin-offline-000000000000000000000000000000000000000",
    "accounts": [{"name": "a", "balance": 0}], "keys": [{"account": "a", "name": "k", "key": key}],
})
with serve_in_thread(create_app(settings)) as url:
    client = openai.OpenAI(base_url=url + "/v1", api_key=key, max_retries=0)
    question = "What is the capital of France? Answer in one sentence."
    answer = client.chat.completions.create(
        model="smollm2-135m-instruct", messages=[{"role": "user", "content": question}], temperature=0, max_tokens=32
    )
    assert "Paris" in answer.choices[0].message.content, answer
print("offline ok")
"""


def test_local_chat_needs_no_network(tmp_path: Path) -> None:
    done = run_offline(_OFFLINE_SCRIPT, str(tmp_path / "home"), loopback=True)
    assert done.returncode == 0, done.stderr
    assert "offline ok" in done.stdout


_NO_EXTRA_SCRIPT = """
import sys
sys.modules["llama_cpp"] = None  # as if the chat extra were not installed
import httpx
from omnirelay.app import create_app
from omnirelay.settings import Settings
from omnirelay.testing import serve_in_thread
key = "sk-user-noextra-0000000000000000000000000000000000000000"
settings = Settings.model_validate({
    "home": sys.argv[1], "admin_key": "sk-admin-noextra-000000000000000000000000000000000000000",
    "accounts": [{"name": "a", "balance": 0}], "keys": [{"account": "a", "name": "k", "key": key}],
})
with serve_in_thread(create_app(settings)) as url:
    auth = {"Authorization": "Bearer " + key}
    models = [m["id"] for m in httpx.get(url + "/v1/models", headers=auth).json()["data"]]
    assert "smollm2-135m-instruct" not in models and "all-minilm-l6-v2" in models, models
    body = {"model": "smollm2-135m-instruct", "messages": [{"role": "user", "content": "Hi."}]}
    answer = httpx.post(url + "/v1/chat/completions", headers=auth, json=body)
    assert answer.status_code == 501, answer.text
    assert "pip install 'omnirelay[chat]'" in answer.json()["error"]["message"], answer.text
print("no extra ok")
"""


def test_without_the_chat_extra_the_model_is_hidden_and_explained(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _NO_EXTRA_SCRIPT, str(tmp_path / "home")],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "no extra ok" in done.stdout
