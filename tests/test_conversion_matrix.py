"""Every LLM ingress in front of every upstream kind, streamed and not: text, a tool round trip, an image.

One gateway (SQLite: conversion never touches the store) with three channels, one per upstream kind,
each serving its own model. Each client speaks its vendor's API through the official SDK; each
fake upstream records what it received, so a test sees both ends of a conversion: the client gets
the answer in its own shape, the upstream gets the request in its own. Same-kind pairs pass
through natively (Responses on the OpenAI channel with ``options.responses``, Messages on the
Anthropic channel, Gemini on the Gemini channel); every other pair converts through OpenAI chat.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anthropic
import openai
import pytest
from google import genai
from google.genai import types

from conftest import USER_KEY, Gateway, assert_ledger_balanced, funded, per_token, start_gateway, store_totals
from omnirelay.testing import (
    FakeAnthropic,
    FakeAnthropicKnobs,
    FakeGemini,
    FakeGeminiKnobs,
    FakeOpenAI,
    FakeOpenAIKnobs,
    serve_in_thread,
)

MODELS = {"openai": "gpt-test", "anthropic": "claude-test", "gemini": "gemini-2.5-flash"}
INGRESSES = ["chat", "responses", "messages", "gemini"]
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
DATA_URL = "data:image/png;base64," + PNG
ASK_TOOL = "Use get_weather for Paris."
RESULT = {"temperature_c": 21}
SCHEMA: dict[str, Any] = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}


@dataclass
class Reply:
    """What a client got, read through its SDK: text, tool calls (id, name, arguments JSON), usage."""

    text: str
    calls: list[tuple[str, str, str]]
    prompt_tokens: int
    completion_tokens: int
    raw: Any = None


@dataclass
class Matrix:
    gateway: Gateway
    openai: FakeOpenAI
    anthropic: FakeAnthropic
    gemini: FakeGemini
    clients: list[Any] = field(default_factory=list)


@pytest.fixture(scope="module")
def matrix(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Matrix]:
    home: Path = tmp_path_factory.mktemp("matrix")
    with ExitStack() as stack:
        oa = FakeOpenAI(FakeOpenAIKnobs(api_key="sk-oa"))
        claude = FakeAnthropic(FakeAnthropicKnobs(api_key="sk-ant"))
        gem = FakeGemini(FakeGeminiKnobs(api_key="g-key"))
        oa_url, claude_url, gem_url = (stack.enter_context(serve_in_thread(f.app)) for f in (oa, claude, gem))
        channels = [  # the OpenAI channel serves the Responses API too: Responses clients pass through
            {"name": "oa", "base_url": oa_url + "/v1", "secrets": ["sk-oa"], "options": {"responses": True}},
            {"name": "claude", "type": "anthropic", "base_url": claude_url, "secrets": ["sk-ant"]},
            {"name": "gem", "type": "gemini", "base_url": gem_url + "/v1beta/", "secrets": ["g-key"]},
        ]
        for spec, model in zip(channels, MODELS.values(), strict=True):
            spec["models"] = [model]
        gateway = start_gateway(
            stack,
            home,
            f"sqlite+aiosqlite:///{home / 'omnirelay.db'}",
            **funded(),
            channels=channels,
            prices=[per_token(model) for model in MODELS.values()],
            local_provider=False,
        )
        yield Matrix(gateway, oa, claude, gem)


# --- the four ingresses, each through its official SDK -------------------------------------------


def _chat(m: Matrix, model: str, stream: bool, messages: list[Any], **extra: Any) -> Reply:
    client = openai.OpenAI(base_url=m.gateway.url + "/v1", api_key=USER_KEY, max_retries=0)
    if not stream:
        answer = client.chat.completions.create(model=model, messages=messages, **extra)
        message, usage = answer.choices[0].message, answer.usage
        assert usage is not None
        calls = [
            (c.id, c.function.name, c.function.arguments) for c in message.tool_calls or [] if c.type == "function"
        ]
        return Reply(message.content or "", calls, usage.prompt_tokens, usage.completion_tokens)
    options: Any = {"include_usage": True}
    chunks = list(
        client.chat.completions.create(model=model, messages=messages, stream=True, stream_options=options, **extra)
    )
    text, pending = "", dict[int, tuple[str, str, str]]()
    for chunk in chunks:
        for choice in chunk.choices:
            text += choice.delta.content or ""
            for delta in choice.delta.tool_calls or []:  # the first fragment names the call, the rest add arguments
                id_, name, args = pending.get(delta.index, ("", "", ""))
                fn = delta.function
                pending[delta.index] = (
                    id_ or delta.id or "",
                    name + (fn and fn.name or ""),
                    args + (fn and fn.arguments or ""),
                )
    usage = chunks[-1].usage
    assert usage is not None
    return Reply(text, list(pending.values()), usage.prompt_tokens, usage.completion_tokens)


def _responses(m: Matrix, model: str, stream: bool, items: Any, **extra: Any) -> Reply:
    client = openai.OpenAI(base_url=m.gateway.url + "/v1", api_key=USER_KEY, max_retries=0)
    if stream:
        events = list(client.responses.create(model=model, input=items, stream=True, **extra))
        [response] = [e.response for e in events if e.type == "response.completed"]
        deltas = "".join(e.delta for e in events if e.type == "response.output_text.delta")
        assert deltas == response.output_text
    else:
        response = client.responses.create(model=model, input=items, **extra)
    assert response.usage is not None
    calls = [(i.call_id, i.name, i.arguments) for i in response.output if i.type == "function_call"]
    return Reply(response.output_text, calls, response.usage.input_tokens, response.usage.output_tokens)


def _messages(m: Matrix, model: str, stream: bool, messages: list[Any], **extra: Any) -> Reply:
    client = anthropic.Anthropic(base_url=m.gateway.url, api_key=USER_KEY, max_retries=0)
    if stream:
        with client.messages.stream(model=model, max_tokens=512, messages=messages, **extra) as events:
            message = events.get_final_message()
    else:
        message = client.messages.create(model=model, max_tokens=512, messages=messages, **extra)
    text = "".join(b.text for b in message.content if b.type == "text")
    calls = [(b.id, b.name, json.dumps(b.input)) for b in message.content if b.type == "tool_use"]
    return Reply(text, calls, message.usage.input_tokens, message.usage.output_tokens)


def _gemini(m: Matrix, model: str, stream: bool, contents: Any, config: types.GenerateContentConfig) -> Reply:
    client = genai.Client(api_key=USER_KEY, http_options=types.HttpOptions(base_url=m.gateway.url))
    m.clients.append(client)  # a collected client closes its pool under the next one
    if stream:
        chunks = list(client.models.generate_content_stream(model=model, contents=contents, config=config))
    else:
        chunks = [client.models.generate_content(model=model, contents=contents, config=config)]
    parts = [p for c in chunks for cand in c.candidates or [] if cand.content for p in cand.content.parts or []]
    usage = chunks[-1].usage_metadata
    assert usage is not None
    text = "".join(p.text for p in parts if p.text and not p.thought)
    calls = [
        (p.function_call.id or "", p.function_call.name or "", json.dumps(p.function_call.args))
        for p in parts
        if p.function_call
    ]
    return Reply(text, calls, usage.prompt_token_count or 0, usage.candidates_token_count or 0, raw=parts)


# --- the three features, in each ingress's shape --------------------------------------------------


def ask_text(m: Matrix, ingress: str, model: str, stream: bool) -> Reply:
    prompt = "one two three"
    if ingress == "chat":
        return _chat(m, model, stream, [{"role": "user", "content": prompt}])
    if ingress == "responses":
        return _responses(m, model, stream, prompt)
    if ingress == "messages":
        return _messages(m, model, stream, [{"role": "user", "content": prompt}])
    return _gemini(m, model, stream, prompt, types.GenerateContentConfig())


def ask_image(m: Matrix, ingress: str, model: str, stream: bool) -> Reply:
    text = "What is in this picture?"
    if ingress == "chat":
        parts: Any = [{"type": "text", "text": text}, {"type": "image_url", "image_url": {"url": DATA_URL}}]
        return _chat(m, model, stream, [{"role": "user", "content": parts}])
    if ingress == "responses":
        parts = [{"type": "input_text", "text": text}, {"type": "input_image", "image_url": DATA_URL}]
        return _responses(m, model, stream, [{"role": "user", "content": parts}])
    if ingress == "messages":
        image = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}}
        return _messages(m, model, stream, [{"role": "user", "content": [{"type": "text", "text": text}, image]}])
    image_part = types.Part.from_bytes(data=base64.b64decode(PNG), mime_type="image/png")
    contents = [types.Content(role="user", parts=[types.Part(text=text), image_part])]
    return _gemini(m, model, stream, contents, types.GenerateContentConfig())


CHAT_TOOL: Any = {
    "type": "function",
    "function": {"name": "get_weather", "description": "Weather", "parameters": SCHEMA},
}
RESPONSES_TOOL: Any = {"type": "function", "name": "get_weather", "description": "Weather", "parameters": SCHEMA}
MESSAGES_TOOL: Any = {"name": "get_weather", "description": "Weather", "input_schema": SCHEMA}
GEMINI_TOOL = types.Tool(
    function_declarations=[types.FunctionDeclaration(name="get_weather", parameters_json_schema=SCHEMA)]
)


def _gemini_config(mode: str) -> types.GenerateContentConfig:
    calling = types.FunctionCallingConfig(mode=types.FunctionCallingConfigMode(mode))
    return types.GenerateContentConfig(
        tools=[GEMINI_TOOL], tool_config=types.ToolConfig(function_calling_config=calling)
    )


def ask_tool(m: Matrix, ingress: str, model: str, stream: bool) -> Reply:
    if ingress == "chat":
        return _chat(m, model, stream, [{"role": "user", "content": ASK_TOOL}], tools=[CHAT_TOOL])
    if ingress == "responses":
        return _responses(m, model, stream, ASK_TOOL, tools=[RESPONSES_TOOL])
    if ingress == "messages":
        return _messages(m, model, stream, [{"role": "user", "content": ASK_TOOL}], tools=[MESSAGES_TOOL])
    return _gemini(m, model, stream, ASK_TOOL, _gemini_config("AUTO"))


def answer_tool(m: Matrix, ingress: str, model: str, stream: bool, called: Reply) -> Reply:
    """Send the tool's result back, in the ingress's own shape (and ask for no further call)."""
    [(call_id, name, arguments)] = called.calls
    output = json.dumps(RESULT)
    if ingress == "chat":
        step = {
            "role": "assistant",
            "content": None,
            "tool_calls": [{"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}],
        }
        history: Any = [
            {"role": "user", "content": ASK_TOOL},
            step,
            {"role": "tool", "tool_call_id": call_id, "content": output},
        ]
        return _chat(m, model, stream, history, tools=[CHAT_TOOL], tool_choice="none")
    if ingress == "responses":
        items: Any = [
            {"role": "user", "content": ASK_TOOL},
            {"type": "function_call", "call_id": call_id, "name": name, "arguments": arguments},
            {"type": "function_call_output", "call_id": call_id, "output": output},
        ]
        return _responses(m, model, stream, items, tools=[RESPONSES_TOOL], tool_choice="none")
    if ingress == "messages":
        use = {"type": "tool_use", "id": call_id, "name": name, "input": json.loads(arguments)}
        result = {"type": "tool_result", "tool_use_id": call_id, "content": output}
        history = [
            {"role": "user", "content": ASK_TOOL},
            {"role": "assistant", "content": [use]},
            {"role": "user", "content": [result]},
        ]
        return _messages(m, model, stream, history, tools=[MESSAGES_TOOL], tool_choice={"type": "none"})
    step_parts = [p for p in called.raw if p.function_call]
    response = types.FunctionResponse(id=call_id or None, name=name, response=RESULT)
    if not call_id:  # a client that echoes no ids: the gateway pairs calls and results by position
        step_parts = [
            p.model_copy(update={"function_call": p.function_call.model_copy(update={"id": None})}) for p in step_parts
        ]
    contents = [
        types.Content(role="user", parts=[types.Part(text=ASK_TOOL)]),
        types.Content(role="model", parts=step_parts),
        types.Content(role="user", parts=[types.Part(function_response=response)]),
    ]
    return _gemini(m, model, stream, contents, _gemini_config("NONE"))


# --- what each upstream received, in its own shape ------------------------------------------------


def received(m: Matrix, upstream: str, ingress: str) -> tuple[str, dict[str, Any]]:
    """The dialect and body of the last request the upstream got."""
    if upstream == "anthropic":
        return "messages", m.anthropic.requests[-1].json
    if upstream == "gemini":
        return "gemini", m.gemini.requests[-1].json
    last = m.openai.requests[-1]
    dialect = "responses" if last.path.endswith("/responses") else "chat"
    assert dialect == ("responses" if ingress == "responses" else "chat"), last.path  # Responses pass through
    return dialect, last.json


def assert_image_received(dialect: str, body: dict[str, Any]) -> None:
    if dialect == "chat":
        parts = body["messages"][-1]["content"]
        assert [p["image_url"]["url"] for p in parts if p["type"] == "image_url"] == [DATA_URL], parts
    elif dialect == "responses":
        parts = body["input"][-1]["content"]
        assert any(p["type"] == "input_image" and p["image_url"] == DATA_URL for p in parts), parts
    elif dialect == "messages":
        parts = body["messages"][-1]["content"]
        assert {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}} in parts, parts
    else:
        parts = body["contents"][-1]["parts"]  # passed through untouched: the SDK may spell it mime_type
        inline = [{_camel(k): v for k, v in p["inlineData"].items()} for p in parts if "inlineData" in p]
        assert inline == [{"mimeType": "image/png", "data": PNG}], parts


def _camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(word.title() for word in rest)


def assert_tool_result_received(dialect: str, body: dict[str, Any]) -> None:
    """The upstream saw its own call followed by the result answering it (same id, same name)."""
    if dialect == "chat":
        step, result = body["messages"][-2:]
        [call] = step["tool_calls"]
        assert (call["function"]["name"], json.loads(call["function"]["arguments"])) == (
            "get_weather",
            {"city": "test"},
        )
        assert result["role"] == "tool" and result["tool_call_id"] == call["id"]
        assert (
            json.loads(result["content"] if isinstance(result["content"], str) else result["content"][0]["text"])
            == RESULT
        )
    elif dialect == "responses":
        call, result = body["input"][-2:]
        assert (call["type"], call["name"], result["type"]) == ("function_call", "get_weather", "function_call_output")
        assert result["call_id"] == call["call_id"] and json.loads(result["output"]) == RESULT
    elif dialect == "messages":
        step, answer = body["messages"][-2:]
        [use] = [b for b in step["content"] if b["type"] == "tool_use"]
        [result] = answer["content"]
        assert (use["name"], use["input"]) == ("get_weather", {"city": "test"})
        assert result["type"] == "tool_result" and result["tool_use_id"] == use["id"]
        content = result["content"] if isinstance(result["content"], str) else result["content"][0]["text"]
        assert json.loads(content) == RESULT
    else:
        step, answer = body["contents"][-2:]
        [call] = [p["functionCall"] for p in step["parts"] if "functionCall" in p]
        [response] = [p["functionResponse"] for p in answer["parts"]]
        assert (step["role"], call["name"], call["args"]) == ("model", "get_weather", {"city": "test"})
        assert response["name"] == "get_weather" and RESULT.items() <= _unwrap(response["response"]).items()


def _unwrap(response: dict[str, Any]) -> dict[str, Any]:
    """A converted result arrives as ``{"result": <output>}`` or as the output object itself."""
    inner = response.get("result", response.get("output", response))
    return json.loads(inner) if isinstance(inner, str) else dict(inner)


def assert_billed(m: Matrix, calls: int) -> None:
    logs = m.gateway.logs(limit=calls)
    assert len(logs) == calls and all(log["status"] == 200 and log["cost"] > 0 for log in logs), logs
    assert_ledger_balanced(m.gateway)


# --- the matrix -----------------------------------------------------------------------------------

PAIRS = [
    pytest.param(ingress, upstream, stream, id=f"{ingress}-{upstream}-{'stream' if stream else 'whole'}")
    for ingress in INGRESSES
    for upstream in MODELS
    for stream in (False, True)
]


@pytest.mark.parametrize(("ingress", "upstream", "stream"), PAIRS)
def test_text_arrives_in_the_ingress_shape_with_usage(
    matrix: Matrix, ingress: str, upstream: str, stream: bool
) -> None:
    reply = ask_text(matrix, ingress, MODELS[upstream], stream)
    assert "one two three" in reply.text and not reply.calls
    assert reply.prompt_tokens > 0 and reply.completion_tokens > 0
    assert_billed(matrix, 1)


@pytest.mark.parametrize(("ingress", "upstream", "stream"), PAIRS)
def test_a_tool_round_trip_reaches_the_upstream_in_its_shape(
    matrix: Matrix, ingress: str, upstream: str, stream: bool
) -> None:
    called = ask_tool(matrix, ingress, MODELS[upstream], stream)
    [(call_id, name, arguments)] = called.calls
    assert (name, json.loads(arguments)) == ("get_weather", {"city": "test"})
    assert call_id or ingress == "gemini"  # Gemini's ids are optional
    assert called.prompt_tokens > 0 and called.completion_tokens > 0
    answered = answer_tool(matrix, ingress, MODELS[upstream], stream, called)
    assert answered.text and not answered.calls
    assert_tool_result_received(*received(matrix, upstream, ingress))
    assert_billed(matrix, 2)


@pytest.mark.parametrize(("ingress", "upstream", "stream"), PAIRS)
def test_an_image_reaches_the_upstream_in_its_shape(matrix: Matrix, ingress: str, upstream: str, stream: bool) -> None:
    reply = ask_image(matrix, ingress, MODELS[upstream], stream)
    assert reply.text and reply.prompt_tokens > 0 and reply.completion_tokens > 0
    assert_image_received(*received(matrix, upstream, ingress))
    assert_billed(matrix, 1)


@pytest.mark.parametrize("upstream", ["openai", "anthropic"])
@pytest.mark.parametrize("stream", [False, True], ids=["whole", "stream"])
def test_a_gemini_client_that_sends_no_call_ids_still_closes_the_round_trip(
    matrix: Matrix, upstream: str, stream: bool
) -> None:
    """Gemini's function call ids are optional; the gateway makes up ids for a chat-shaped upstream."""
    called = ask_tool(matrix, "gemini", MODELS[upstream], stream)
    called.calls = [("", name, arguments) for _, name, arguments in called.calls]
    answered = answer_tool(matrix, "gemini", MODELS[upstream], stream, called)
    assert answered.text and not answered.calls
    assert_tool_result_received(*received(matrix, upstream, "gemini"))
    assert_billed(matrix, 2)


def test_what_a_chat_shaped_upstream_cannot_express_is_a_clear_400(matrix: Matrix) -> None:
    """Built-in Responses tools need a Responses upstream; Anthropic answers one choice per request."""
    before = store_totals(matrix.gateway)
    client = openai.OpenAI(base_url=matrix.gateway.url + "/v1", api_key=USER_KEY, max_retries=0)
    for upstream in ("anthropic", "gemini"):
        with pytest.raises(openai.BadRequestError, match="built-in tool web_search needs an upstream"):
            client.responses.create(model=MODELS[upstream], input="news?", tools=[{"type": "web_search"}])
    with pytest.raises(openai.BadRequestError, match=r"one choice per request \(n=1\)"):
        client.chat.completions.create(model=MODELS["anthropic"], messages=[{"role": "user", "content": "hi"}], n=2)
    gemini = genai.Client(api_key=USER_KEY, http_options=types.HttpOptions(base_url=matrix.gateway.url))
    with pytest.raises(genai.errors.ClientError, match=r"one choice per request"):
        config = types.GenerateContentConfig(candidate_count=2)
        gemini.models.generate_content(model=MODELS["anthropic"], contents="hi", config=config)
    assert store_totals(matrix.gateway) == before  # refused before the upstream: nothing charged
