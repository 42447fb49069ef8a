"""A fast fake OpenAI-compatible upstream for the benchmark (raw asyncio, uvloop when importable).

It speaks just enough HTTP/1.1 (keep-alive, pipelining, ``Content-Length`` request bodies)
to answer, from precomputed bytes:

* ``POST /v1/chat/completions``: a plain completion, or with ``"stream": true`` 20 chunks,
  a usage chunk when ``stream_options.include_usage`` is true, then ``data: [DONE]``,
  sent with ``Transfer-Encoding: chunked``, one HTTP chunk per event;
* ``POST /v1/rerank`` (Jina's shape, what an ``openai`` channel sends): fixed descending scores
  for as many documents as were sent (``top_n`` honoured), no documents echoed;
* ``POST /v1/files``: a fixed file object, whatever was uploaded (the baseline of the
  ``files`` scenario: the cost of carrying the body over loopback);
* ``POST /v1/embeddings``: a fixed 384-dimension vector per input;
* ``GET /v1/models``;
* ``POST /v1/responses`` (OpenAI Responses, not streamed) and
  ``POST /v1beta/models/{model}:generateContent`` (Gemini native): one fixed answer each, for the
  pass-through scenarios ``responses`` and ``gemini``;
* Midjourney-Proxy: ``POST /mj/submit/imagine`` (accepted at once) and
  ``POST /mj/task/list-by-condition`` (every task finished), for ``bench/tasks.py``;
* Suno, aggregator dialect (spec §2A): ``POST /suno/submit/{music,lyrics}`` (accepted at once with
  a task id) and ``POST /suno/fetch`` (every asked task finished, a music task with two clips);
* Replicate: ``POST /v1/models/{owner}/{name}/predictions`` (a prediction ``starting``) and
  ``GET /v1/predictions/{id}`` (``succeeded``, with one output URL);
* Kling: ``POST /v1/videos/text2video`` (a task ``submitted``) and
  ``GET /v1/videos/text2video/{id}`` (``succeed``, with one video URL); any bearer token;
* a webhook receiver: ``POST /hook`` counts deliveries and the delay from the state change in
  the body to arrival; ``GET /hook/stats`` reports and resets; ``POST /hook/pause`` makes it
  answer 503 until ``POST /hook/resume``;
* ``GET /healthz`` and ``GET /health``.

The model name of the request is echoed back. No authentication: any key is accepted.
The point is to cost only a few microseconds of CPU per request, so that on a small
machine the numbers measure the gateway, not the fake.

    python bench/fast_upstream.py --host 127.0.0.1 --port 18901
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import signal
import time
from collections.abc import Callable
from typing import Any, cast

import orjson

CREATED = 1_700_000_000
WORDS = "Hello there , this is a fake answer from the benchmark upstream , fast and always the same .".split()
STREAM_CHUNKS = 20
PROMPT_TOKENS = 14
MAX_HEADER_BYTES = 64 * 1024
MAX_BODY_BYTES = 8 * 1024 * 1024
MAX_CACHED_MODELS = 64

_SERVER = b"Server: fast-upstream\r\n"


def _response(status: str, body: bytes, content_type: bytes = b"application/json") -> bytes:
    return (
        b"HTTP/1.1 "
        + status.encode()
        + b"\r\n"
        + _SERVER
        + b"Content-Type: "
        + content_type
        + b"\r\nContent-Length: "
        + str(len(body)).encode()
        + b"\r\n\r\n"
        + body
    )


def _error(status: str, message: str) -> bytes:
    body = orjson.dumps({"error": {"message": message, "type": "invalid_request_error", "param": None, "code": None}})
    return _response(status, body)


def _completion(model: str) -> bytes:
    content = " ".join(WORDS[: STREAM_CHUNKS - 1])
    body = {
        "id": "chatcmpl-fake0000000000000000000000",
        "object": "chat.completion",
        "created": CREATED,
        "model": model,
        "system_fingerprint": "fp_fake",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": None},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": PROMPT_TOKENS,
            "completion_tokens": STREAM_CHUNKS - 1,
            "total_tokens": PROMPT_TOKENS + STREAM_CHUNKS - 1,
        },
    }
    return _response("200 OK", orjson.dumps(body))


def _http_chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


def _event(payload: dict[str, Any] | None) -> bytes:
    data = b"[DONE]" if payload is None else orjson.dumps(payload)
    return _http_chunk(b"data: " + data + b"\n\n")


def _stream(model: str, include_usage: bool) -> bytes:
    base: dict[str, Any] = {
        "id": "chatcmpl-fake0000000000000000000000",
        "object": "chat.completion.chunk",
        "created": CREATED,
        "model": model,
        "system_fingerprint": "fp_fake",
    }
    events: list[bytes] = []
    for i in range(STREAM_CHUNKS):
        if i == STREAM_CHUNKS - 1:
            choice: dict[str, Any] = {"index": 0, "delta": {}, "logprobs": None, "finish_reason": "stop"}
        else:
            delta: dict[str, Any] = {"content": ("" if i == 0 else " ") + WORDS[i % len(WORDS)]}
            if i == 0:
                delta["role"] = "assistant"
            choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": None}
        chunk = dict(base, choices=[choice])
        if include_usage:
            chunk["usage"] = None
        events.append(_event(chunk))
    if include_usage:
        usage = {
            "prompt_tokens": PROMPT_TOKENS,
            "completion_tokens": STREAM_CHUNKS - 1,
            "total_tokens": PROMPT_TOKENS + STREAM_CHUNKS - 1,
        }
        events.append(_event(dict(base, choices=[], usage=usage)))
    events.append(_event(None))
    head = (
        b"HTTP/1.1 200 OK\r\n"
        + _SERVER
        + b"Content-Type: text/event-stream; charset=utf-8\r\n"
        + b"Cache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    return head + b"".join(events) + b"0\r\n\r\n"


def _models() -> bytes:
    data = [{"id": m, "object": "model", "created": CREATED, "owned_by": "fake"} for m in ("gpt-test", "gpt-test-mini")]
    return _response("200 OK", orjson.dumps({"object": "list", "data": data}))


MODELS = _models()
HEALTH = _response("200 OK", b'{"status":"ok"}')
FILE = _response(
    "200 OK",
    orjson.dumps(
        {
            "id": "file-fake0000000000000000",
            "object": "file",
            "bytes": 1 << 20,
            "created_at": CREATED,
            "filename": "bench.jsonl",
            "purpose": "batch",
            "status": "processed",
        }
    ),
)
NOT_FOUND = _error("404 Not Found", "Unknown request URL.")
NO_CONTENT = b"HTTP/1.1 204 No Content\r\n" + _SERVER + b"Content-Length: 0\r\n\r\n"
BAD_JSON = _error("400 Bad Request", "The request body is not valid JSON.")
NO_LENGTH = _error("411 Length Required", "Send a Content-Length.")
TOO_LARGE = _error("413 Payload Too Large", "The request is too large.")

# (model, stream, include_usage) -> the full response bytes
_CHAT_CACHE: dict[tuple[str, bool, bool], bytes] = {}


def chat_answer(body: bytes) -> bytes:
    try:
        request = orjson.loads(body)
    except orjson.JSONDecodeError:
        return BAD_JSON
    if not isinstance(request, dict):
        return BAD_JSON
    model = request.get("model")
    if not isinstance(model, str) or not model:
        model = "gpt-test"
    stream = request.get("stream") is True
    options = request.get("stream_options")
    include_usage = stream and isinstance(options, dict) and options.get("include_usage") is True
    key = (model, stream, include_usage)
    answer = _CHAT_CACHE.get(key)
    if answer is None:
        answer = _stream(model, include_usage) if stream else _completion(model)
        if len(_CHAT_CACHE) < MAX_CACHED_MODELS:
            _CHAT_CACHE[key] = answer
    return answer


RERANK_TOKENS_PER_TEXT = 8
# (model, documents, results) -> the full response bytes
_RERANK_CACHE: dict[tuple[str, int, int], bytes] = {}


def rerank_answer(body: bytes) -> bytes:
    try:
        request = orjson.loads(body)
    except orjson.JSONDecodeError:
        return BAD_JSON
    if not isinstance(request, dict) or not isinstance(request.get("documents"), list):
        return BAD_JSON
    model = request.get("model") if isinstance(request.get("model"), str) else "rerank-test"
    documents = len(request["documents"])
    top_n = request.get("top_n")
    key = (model, documents, min(top_n, documents) if isinstance(top_n, int) and top_n > 0 else documents)
    answer = _RERANK_CACHE.get(key)
    if answer is None:
        results = [{"index": i, "relevance_score": round(1 - i / (documents + 1), 4)} for i in range(key[2])]
        usage = {"total_tokens": RERANK_TOKENS_PER_TEXT * (documents + 1)}
        answer = _response("200 OK", orjson.dumps({"model": model, "usage": usage, "results": results}))
        if len(_RERANK_CACHE) < MAX_CACHED_MODELS:
            _RERANK_CACHE[key] = answer
    return answer


def _responses_answer() -> bytes:
    text = " ".join(WORDS[: STREAM_CHUNKS - 1])
    body = {
        "id": "resp_fake000000000000000000000000",
        "object": "response",
        "created_at": CREATED,
        "status": "completed",
        "model": "gpt-test",
        "output": [
            {
                "type": "message",
                "id": "msg_fake0000000000000000000000000",
                "status": "completed",
                "role": "assistant",
                "content": [{"type": "output_text", "text": text, "annotations": []}],
            }
        ],
        "usage": {
            "input_tokens": PROMPT_TOKENS,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": STREAM_CHUNKS - 1,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": PROMPT_TOKENS + STREAM_CHUNKS - 1,
        },
    }
    return _response("200 OK", orjson.dumps(body))


def _gemini_answer() -> bytes:
    text = " ".join(WORDS[: STREAM_CHUNKS - 1])
    body = {
        "candidates": [{"content": {"role": "model", "parts": [{"text": text}]}, "finishReason": "STOP", "index": 0}],
        "usageMetadata": {
            "promptTokenCount": PROMPT_TOKENS,
            "candidatesTokenCount": STREAM_CHUNKS - 1,
            "totalTokenCount": PROMPT_TOKENS + STREAM_CHUNKS - 1,
        },
        "modelVersion": "gemini-test",
        "responseId": "fake-gemini-response",
    }
    return _response("200 OK", orjson.dumps(body))


RESPONSES = _responses_answer()
_RESPONSE_ID = b"resp_fake000000000000000000000000"
_RESPONSE_IDS = itertools.count(1)


def responses_answer() -> bytes:
    """The fixed answer under a new id each time (ids are unique upstream; the gateway stores them)."""
    return RESPONSES.replace(_RESPONSE_ID, b"resp_%028d" % next(_RESPONSE_IDS), 1)


GEMINI = _gemini_answer()
_GEMINI_PREFIX = b"/v1beta/models/"


_MJ_IDS = itertools.count(int(time.time() * 1000) * 1000)
_HOOK: dict[str, Any] = {"count": 0, "first": None, "last": None, "delays_ms": []}
_HOOK_PAUSED = [False]
UNAVAILABLE = b"HTTP/1.1 503 Service Unavailable\r\nServer: fast-upstream\r\nContent-Length: 0\r\n\r\n"


def mj_submit_answer() -> bytes:
    result = str(next(_MJ_IDS))
    return _response(
        "200 OK", b'{"code":1,"description":"Submit success","result":"' + result.encode() + b'","properties":{}}'
    )


def mj_list_answer(body: bytes) -> bytes:
    """Every asked task has finished (the engine's poll sees SUCCESS on its first round)."""
    now = int(time.time() * 1000)
    ids = orjson.loads(body).get("ids", [])
    tasks = [
        {
            "id": i,
            "action": "IMAGINE",
            "status": "SUCCESS",
            "progress": "100%",
            "startTime": now,
            "finishTime": now,
            "imageUrl": f"http://127.0.0.1/attachments/{i}.png",
            "buttons": [],
            "properties": {},
        }
        for i in ids
    ]
    return _response("200 OK", orjson.dumps(tasks))


_SUNO_IDS = itertools.count(int(time.time() * 1000) * 1000)
_SUNO_ID = b"__SUNO_TASK__"


def _suno_clip(n: int) -> dict[str, Any]:
    return {
        "id": f"{_SUNO_ID.decode()}-{n}",
        "title": "Bench",
        "status": "complete",
        "audio_url": f"https://cdn.example/suno/{n}.mp3",
        "video_url": f"https://cdn.example/suno/{n}.mp4",
        "image_url": f"https://cdn.example/suno/{n}.jpeg",
        "image_large_url": f"https://cdn.example/suno/{n}-large.jpeg",
        "is_video_pending": False,
        "major_model_version": "v4",
        "model_name": "chirp-v4",
        "created_at": "2026-12-06T00:00:00.000Z",
        "metadata": {"tags": "edm", "prompt": "[Verse] la la", "type": "gen", "duration": 180.0},
    }


_SUNO_TASK = orjson.dumps(
    {
        "task_id": _SUNO_ID.decode(),
        "action": "MUSIC",
        "status": "SUCCESS",
        "fail_reason": "",
        "submit_time": CREATED,
        "start_time": CREATED,
        "finish_time": CREATED + 1,
        "progress": "100%",
        "data": [_suno_clip(0), _suno_clip(1)],
    }
)
"""One finished music task with two clips; the placeholder id is replaced by each asked id."""


def suno_submit_answer() -> bytes:
    """Every submit is accepted at once (the ``{code, message, data}`` envelope, ``data`` the task id)."""
    task_id = b"%d" % next(_SUNO_IDS)
    return _response("200 OK", b'{"code":"success","message":"","data":"' + task_id + b'"}')


def suno_fetch_answer(body: bytes) -> bytes:
    """Every asked task has finished (the engine's first poll sees SUCCESS)."""
    ids = orjson.loads(body).get("ids", [])
    tasks = b",".join(_SUNO_TASK.replace(_SUNO_ID, str(i).encode()) for i in ids)
    return _response("200 OK", b'{"code":"success","message":"","data":[' + tasks + b"]}")


_R8_IDS = itertools.count(int(time.time() * 1000) * 1000)
_R8_ID = b"__R8_ID__"
_R8_MODEL = b"__R8_MODEL__"
_R8_BASE = {
    "id": _R8_ID.decode(),
    "model": _R8_MODEL.decode(),
    "version": "dp-4d0bcc010b3049749a251855f12800be",
    "input": {"prompt": "a red fox in the snow"},
    "logs": "",
    "error": None,
    "created_at": "2026-12-06T00:00:00.000Z",
    "data_removed": False,
    "urls": {
        "get": f"https://api.replicate.com/v1/predictions/{_R8_ID.decode()}",
        "cancel": f"https://api.replicate.com/v1/predictions/{_R8_ID.decode()}/cancel",
    },
}
_R8_STARTING = orjson.dumps(dict(_R8_BASE, status="starting", output=None, metrics={}))
_R8_SUCCEEDED = orjson.dumps(
    dict(
        _R8_BASE,
        model="black-forest-labs/flux-schnell",
        status="succeeded",
        output=[f"https://replicate.delivery/xezq/{_R8_ID.decode()}/out-0.webp"],
        metrics={"predict_time": 0.61, "image_count": 1},
        started_at="2026-12-06T00:00:00.100Z",
        completed_at="2026-12-06T00:00:00.710Z",
    )
)
"""Bodies with placeholders: the answers are framed after the id (and model) are put in."""
_R8_CREATE_PREFIX = b"/v1/models/"
_R8_CREATE_SUFFIX = b"/predictions"
_R8_GET_PREFIX = b"/v1/predictions/"


def replicate_create_answer(path: bytes) -> bytes:
    """``POST /v1/models/{owner}/{name}/predictions``: a new prediction, ``starting``."""
    model = path[len(_R8_CREATE_PREFIX) : -len(_R8_CREATE_SUFFIX)]
    prediction_id = b"r8bench%013d" % next(_R8_IDS)
    return _response("201 Created", _R8_STARTING.replace(_R8_ID, prediction_id).replace(_R8_MODEL, model))


def replicate_get_answer(path: bytes) -> bytes:
    """``GET /v1/predictions/{id}``: every prediction has succeeded, with one output file."""
    return _response("200 OK", _R8_SUCCEEDED.replace(_R8_ID, path[len(_R8_GET_PREFIX) :]))


_KLING_IDS = itertools.count(int(time.time() * 1000) * 1000)
_KLING_ID = b"__KLING_ID__"
_KLING_PATH = b"/v1/videos/text2video"
_KLING_SUBMITTED = orjson.dumps(
    {
        "code": 0,
        "message": "SUCCEED",
        "request_id": "bench",
        "data": {"task_id": _KLING_ID.decode(), "task_status": "submitted", "created_at": CREATED * 1000,
                 "updated_at": CREATED * 1000},
    }
)  # fmt: skip
_KLING_SUCCEED = orjson.dumps(
    {
        "code": 0,
        "message": "SUCCEED",
        "request_id": "bench",
        "data": {
            "task_id": _KLING_ID.decode(),
            "task_status": "succeed",
            "task_status_msg": "",
            "created_at": CREATED * 1000,
            "updated_at": CREATED * 1000 + 5000,
            "task_result": {"videos": [{"id": "v0", "url": "https://cdn.klingai.com/bench/0.mp4", "duration": "5"}]},
        },
    }
)


def kling_submit_answer() -> bytes:
    """``POST /v1/videos/text2video``: accepted at once."""
    return _response("200 OK", _KLING_SUBMITTED.replace(_KLING_ID, b"%d" % next(_KLING_IDS)))


def kling_query_answer(path: bytes) -> bytes:
    """``GET /v1/videos/text2video/{id}``: every task has succeeded."""
    return _response("200 OK", _KLING_SUCCEED.replace(_KLING_ID, path[len(_KLING_PATH) + 1 :]))


def hook_answer(body: bytes) -> bytes:
    """A webhook receiver: counts deliveries and the delay from the task's state change to arrival."""
    if _HOOK_PAUSED[0]:
        return UNAVAILABLE
    now = time.time() * 1000
    task = orjson.loads(body)
    changed = task.get("finishTime") or task.get("startTime") or task.get("submitTime")
    _HOOK["count"] += 1
    _HOOK["first"] = _HOOK["first"] or now
    _HOOK["last"] = now
    if changed:
        _HOOK["delays_ms"].append(now - changed)
    return NO_CONTENT


def hook_stats() -> bytes:
    answer = _response("200 OK", orjson.dumps(_HOOK))
    _HOOK.update(count=0, first=None, last=None, delays_ms=[])
    return answer


_EMBED_CACHE: dict[tuple[str, int], bytes] = {}


def embeddings_answer(body: bytes) -> bytes:
    """One fixed 384-dimension vector per input, 8 tokens per input."""
    request = orjson.loads(body)
    inputs = request.get("input")
    count = len(inputs) if isinstance(inputs, list) else 1
    model = request.get("model") if isinstance(request.get("model"), str) else "embed-test"
    answer = _EMBED_CACHE.get((model, count))
    if answer is None:
        data = [{"object": "embedding", "index": i, "embedding": [0.05] * 384} for i in range(count)]
        usage = {"prompt_tokens": 8 * count, "total_tokens": 8 * count}
        answer = _response("200 OK", orjson.dumps({"object": "list", "data": data, "model": model, "usage": usage}))
        if len(_EMBED_CACHE) < MAX_CACHED_MODELS:
            _EMBED_CACHE[(model, count)] = answer
    return answer


def _pause(path: bytes) -> bytes:
    _HOOK_PAUSED[0] = path == b"/hook/pause"
    return NO_CONTENT


_POSTS: dict[bytes, Callable[[bytes, bytes], bytes]] = {
    b"/v1/chat/completions": lambda path, body: chat_answer(body),
    b"/v1/embeddings": lambda path, body: embeddings_answer(body),
    b"/v1/rerank": lambda path, body: rerank_answer(body),
    b"/v1/files": lambda path, body: FILE,
    b"/v1/responses": lambda path, body: responses_answer(),
    b"/mj/submit/imagine": lambda path, body: mj_submit_answer(),
    b"/mj/task/list-by-condition": lambda path, body: mj_list_answer(body),
    b"/suno/submit/music": lambda path, body: suno_submit_answer(),
    b"/suno/submit/lyrics": lambda path, body: suno_submit_answer(),
    b"/suno/fetch": lambda path, body: suno_fetch_answer(body),
    _KLING_PATH: lambda path, body: kling_submit_answer(),
    b"/hook": lambda path, body: hook_answer(body),
    b"/hook/pause": lambda path, body: _pause(path),
    b"/hook/resume": lambda path, body: _pause(path),
}
_GETS: dict[bytes, Callable[[], bytes]] = {
    b"/v1/models": lambda: MODELS,
    b"/healthz": lambda: HEALTH,
    b"/health": lambda: HEALTH,
    b"/hook/stats": hook_stats,
}


def route(method: bytes, path: bytes, body: bytes) -> bytes:
    path = path.split(b"?", 1)[0]
    if method == b"POST" and path in _POSTS:
        return _POSTS[path](path, body)
    if method == b"POST" and path.startswith(_GEMINI_PREFIX) and path.endswith(b":generateContent"):
        return GEMINI
    if method == b"POST" and path.startswith(_R8_CREATE_PREFIX) and path.endswith(_R8_CREATE_SUFFIX):
        return replicate_create_answer(path)
    if method == b"GET" and path in _GETS:
        return _GETS[path]()
    if method == b"GET" and path.startswith(_R8_GET_PREFIX):
        return replicate_get_answer(path)
    if method == b"GET" and path.startswith(_KLING_PATH + b"/"):
        return kling_query_answer(path)
    return NOT_FOUND


def parse_head(head: bytes) -> tuple[bytes, bytes, int, bool] | bytes:
    """``(method, path, body length, keep-alive)`` of one request head, or an error answer."""
    lines = head.split(b"\r\n")
    parts = lines[0].split(b" ")
    if len(parts) != 3:
        return _error("400 Bad Request", "Malformed request line.")
    method, path, version = parts
    http11 = version == b"HTTP/1.1"
    length = 0
    keep_alive = http11
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            value = value.strip()
            if not value.isdigit():
                return _error("400 Bad Request", "Malformed Content-Length.")
            length = int(value)
        elif name == b"connection":
            token = value.strip().lower()
            keep_alive = token != b"close" if http11 else token == b"keep-alive"
        elif name == b"transfer-encoding":
            return NO_LENGTH
    if length > MAX_BODY_BYTES:
        return TOO_LARGE
    return method, path, length, keep_alive


class HTTPProtocol(asyncio.Protocol):
    """One connection: parse every complete request in the buffer, answer in order."""

    __slots__ = ("_buffer", "_transport")

    def __init__(self) -> None:
        self._buffer = b""
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's transports do not subclass it

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer + data if self._buffer else data
        out: list[bytes] = []
        close = False
        while buffer and not close:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(buffer) > MAX_HEADER_BYTES:
                    out.append(TOO_LARGE)
                    close = True
                break
            parsed = parse_head(buffer[:end])
            if isinstance(parsed, bytes):  # an error answer
                out.append(parsed)
                close = True
                break
            method, path, length, keep_alive = parsed
            start = end + 4
            if len(buffer) < start + length:
                break  # wait for the rest of the body
            out.append(route(method, path, buffer[start : start + length]))
            buffer = buffer[start + length :]
            close = not keep_alive
        self._buffer = b"" if close else buffer
        transport = self._transport
        if transport is None:
            return
        if out:
            transport.write(out[0] if len(out) == 1 else b"".join(out))
        if close:
            transport.close()


async def serve(host: str, port: int) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(HTTPProtocol, host, port, backlog=4096, reuse_address=True)
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=18901)
    args = parser.parse_args()
    runner: Any = asyncio.run
    with contextlib.suppress(ImportError):
        import uvloop

        runner = uvloop.run
    runner(serve(args.host, args.port))


if __name__ == "__main__":
    main()
