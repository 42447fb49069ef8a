"""What the fake Gemini API answers: candidates (thoughts, text or a function call), fragments, usage.

Rules, mirroring the chat fake: a declared function is called unless ``functionCallingConfig``
says ``NONE`` (``ANY`` picks the first allowed name); under ``AUTO`` a history whose last turn
holds ``functionResponse`` parts is answered in text (``<name> returned: <response JSON>``).
A model thinks when ``thinkingConfig`` asks (a budget other than 0, a level, ``includeThoughts``)
or by default for ``gemini-2.5*`` / ``gemini-3*`` / ``*thinking*`` models; its thoughts are
counted in ``thoughtsTokenCount`` always, shown as a ``thought: true`` part only with
``includeThoughts``, and its first function call (or its text) carries a ``thoughtSignature``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

from omnirelay.testing._fake_gemini_request import thought_signature

if TYPE_CHECKING:
    from omnirelay.testing.fake_gemini import FakeGeminiKnobs

__all__ = ["GeminiAnswer", "build_gemini_answer", "fragments", "response_body", "thinks", "usage_metadata"]

_BLOCKED = frozenset(
    {"SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY", "IMAGE_PROHIBITED_CONTENT"}
)
_THINKING_MODELS = ("gemini-2.5", "gemini-3")


@dataclass(frozen=True)
class GeminiAnswer:
    model: str
    thought: str | None
    text: str
    calls: list[dict[str, Any]]
    finish_reason: str
    signature: str | None
    candidates: int
    prompt_tokens: int
    thoughts_tokens: int

    @property
    def candidate_tokens(self) -> int:
        if self.finish_reason in _BLOCKED:
            return 0
        per = sum(len(orjson.dumps(c["args"]).decode().split()) + 1 for c in self.calls) + len(self.text.split())
        return self.candidates * per

    def parts(self) -> list[dict[str, Any]]:
        """The candidate's parts, all at once (``generateContent``)."""
        shown = [{"text": self.thought, "thought": True}] if self.thought else []
        if self.calls:
            calls: list[dict[str, Any]] = [{"functionCall": c} for c in self.calls]
            if self.signature:
                calls[0]["thoughtSignature"] = self.signature
            return shown + calls
        text: dict[str, Any] = {"text": self.text}
        if self.signature:
            text["thoughtSignature"] = self.signature
        return shown + [text]


def _thinking_config(body: dict[str, Any]) -> dict[str, Any]:
    config = body.get("generationConfig") or {}
    thinking = config.get("thinkingConfig") if isinstance(config, dict) else None
    return thinking if isinstance(thinking, dict) else {}


def thinks(body: dict[str, Any], model: str) -> bool:
    config = _thinking_config(body)
    if config.get("thinkingBudget") == 0:
        return False
    return bool(config) or model.startswith(_THINKING_MODELS) or "thinking" in model


def _last_turn(body: dict[str, Any]) -> dict[str, Any]:
    contents = body["contents"]
    return next((c for c in reversed(contents) if c.get("role") != "model"), {"parts": []})


def _declaration(body: dict[str, Any]) -> dict[str, Any] | None:
    declared = [d for t in body.get("tools") or () for d in t.get("functionDeclarations") or ()]
    calling = (body.get("toolConfig") or {}).get("functionCallingConfig") or {}
    mode = calling.get("mode", "AUTO")
    if not declared or mode == "NONE":
        return None
    allowed = calling.get("allowedFunctionNames") or [d["name"] for d in declared]
    usable = [d for d in declared if d["name"] in allowed]
    answered = any("functionResponse" in p for p in _last_turn(body)["parts"])
    if mode == "ANY" or not answered:
        return usable[0] if usable else None
    return None


def _call(declaration: dict[str, Any], with_id: bool) -> dict[str, Any]:
    schema = declaration.get("parameters") or declaration.get("parametersJsonSchema") or {}
    required = schema.get("required") or [] if isinstance(schema, dict) else []
    call: dict[str, Any] = {"name": declaration["name"], "args": {str(name): "test" for name in required}}
    return {**call, "id": "call_" + secrets.token_hex(6)} if with_id else call


def _text(body: dict[str, Any], reply: str | None) -> tuple[str, str]:
    parts = _last_turn(body)["parts"]
    responses = [p["functionResponse"] for p in parts if isinstance(p.get("functionResponse"), dict)]
    if reply is not None:
        text = reply
    elif responses:
        text = f"{responses[-1].get('name')} returned: {orjson.dumps(responses[-1].get('response')).decode()}"
    else:
        text = "Hello! You said: " + " ".join(str(p.get("text") or "") for p in parts if "text" in p)
    config = body.get("generationConfig") or {}
    if config.get("responseMimeType") == "application/json":
        text = orjson.dumps({"reply": text}).decode()
    for stop in config.get("stopSequences") or ():
        if isinstance(stop, str) and stop and stop in text:
            text = text[: text.index(stop)]
    limit = config.get("maxOutputTokens")
    if isinstance(limit, int) and limit > 0 and len(text.split(" ")) > limit:
        return " ".join(text.split(" ")[:limit]), "MAX_TOKENS"
    return text, "STOP"


def _last_user_text(body: dict[str, Any]) -> str:
    return " ".join(str(p.get("text") or "") for p in _last_turn(body)["parts"] if "text" in p)


def build_gemini_answer(body: dict[str, Any], model: str, prompt: int, knobs: FakeGeminiKnobs) -> GeminiAnswer:
    """The answer to a valid generateContent request."""
    thinking = thinks(body, model)
    thought = f"Thinking about: {_last_user_text(body) or 'the function result'}" if thinking else None
    shown = thought if thinking and _thinking_config(body).get("includeThoughts") is True else None
    thoughts_tokens = (
        (knobs.thoughts_tokens if knobs.thoughts_tokens is not None else len(thought.split())) if thought else 0
    )
    candidates = int((body.get("generationConfig") or {}).get("candidateCount", 1))
    declaration = _declaration(body)
    if declaration is not None:
        calls = [_call(declaration, knobs.function_call_ids)]
        signature = thought_signature(model, {"name": calls[0]["name"], "args": calls[0]["args"]}) if thinking else None
        reason = knobs.finish_reason or "STOP"
        return GeminiAnswer(model, shown, "", calls, reason, signature, candidates, prompt, thoughts_tokens)
    text, reason = _text(body, knobs.reply)
    signature = thought_signature(model, text) if thinking else None
    return GeminiAnswer(
        model, shown, text, [], knobs.finish_reason or reason, signature, candidates, prompt, thoughts_tokens
    )


def usage_metadata(answer: GeminiAnswer, knobs: FakeGeminiKnobs, final: bool = True) -> dict[str, Any]:
    """``usageMetadata``: the prompt count includes the cached tokens; an unfinished stream reports no candidates."""
    prompt = max(answer.prompt_tokens, knobs.cached_tokens)
    usage: dict[str, Any] = {"promptTokenCount": prompt}
    candidates = answer.candidate_tokens if final else 0
    if final:
        usage["candidatesTokenCount"] = candidates
    if knobs.cached_tokens:
        usage["cachedContentTokenCount"] = knobs.cached_tokens
    tool_use = knobs.tool_use_prompt_tokens if final else 0
    if tool_use:
        usage["toolUsePromptTokenCount"] = tool_use
    if answer.thoughts_tokens:
        usage["thoughtsTokenCount"] = answer.thoughts_tokens
    usage["totalTokenCount"] = prompt + candidates + tool_use + answer.thoughts_tokens
    usage["promptTokensDetails"] = [{"modality": "TEXT", "tokenCount": prompt}]
    if knobs.cached_tokens:
        usage["cacheTokensDetails"] = [{"modality": "TEXT", "tokenCount": knobs.cached_tokens}]
    return {**usage, **(knobs.usage_override or {})} if final else usage


def _candidate(answer: GeminiAnswer, index: int, parts: list[dict[str, Any]], final: bool) -> dict[str, Any]:
    candidate: dict[str, Any] = {"index": index}
    if parts and not (final and answer.finish_reason in _BLOCKED):
        candidate = {"content": {"role": "model", "parts": parts}, **candidate}
    if final:
        candidate["finishReason"] = answer.finish_reason
    return candidate


def response_body(
    answer: GeminiAnswer, parts: list[dict[str, Any]], final: bool, usage: dict[str, Any] | None, response_id: str
) -> dict[str, Any]:
    """One ``GenerateContentResponse`` (the whole answer, or one streamed fragment)."""
    body: dict[str, Any] = {"candidates": [_candidate(answer, i, parts, final) for i in range(answer.candidates)]}
    if usage is not None:
        body["usageMetadata"] = usage
    return {**body, "modelVersion": answer.model, "responseId": response_id}


def _text_pieces(text: str, count: int | None) -> list[str]:
    words = text.split(" ")
    pieces = [w if i == 0 else " " + w for i, w in enumerate(words)]
    size = -(-len(pieces) // max(1, count or 3))
    return ["".join(pieces[i : i + size]) for i in range(0, len(pieces), size)]


def fragments(answer: GeminiAnswer, chunks: int | None) -> list[tuple[list[dict[str, Any]], bool]]:
    """The streamed fragments as (parts, is-last): thoughts, text pieces or the calls, a signature part."""
    shown: list[tuple[list[dict[str, Any]], bool]] = (
        [([{"text": answer.thought, "thought": True}], False)] if answer.thought else []
    )
    if answer.calls or answer.finish_reason in _BLOCKED:
        return [*shown, (answer.parts()[len(shown) :], True)]
    texts = [([{"text": piece}], False) for piece in _text_pieces(answer.text, chunks)]
    if answer.signature:
        return [*shown, *texts, ([{"text": "", "thoughtSignature": answer.signature}], True)]
    return [*shown, *texts[:-1], (texts[-1][0], True)]
