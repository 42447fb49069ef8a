"""The fallback when Gemini refuses a replayed thought signature (§2.4).

Signatures are bound to the model, key and route that issued them: a conversation that failed
over from one ``gemini`` channel to another (another key, another project) replays signatures
the second one cannot read, and Gemini answers 400 ("Corrupted thought signature"). The client
did nothing wrong, so instead of relaying that 400 the gateway sends the request once more with
the signatures dropped: text parts lose theirs, and the first call of each model turn gets
Google's documented placeholder ``skip_thought_signature_validator`` (Gemini 3 refuses an
unsigned call). The model loses the earlier reasoning state, not the conversation.
"""

from __future__ import annotations

from typing import Any

from omnirelay.errors import UpstreamRejected
from omnirelay.providers.gemini.request import SKIP_SIGNATURE

__all__ = ["refuses_signature", "without_signatures"]


def refuses_signature(error: UpstreamRejected) -> bool:
    """Gemini's 400 about a thought signature it cannot use."""
    text = error.message.lower()
    return error.status_code == 400 and ("thought signature" in text or "thought_signature" in text)


def _unsigned(parts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = [{k: v for k, v in part.items() if k != "thoughtSignature"} for part in parts]
    calls = [part for part in out if "functionCall" in part]
    if calls:
        calls[0]["thoughtSignature"] = SKIP_SIGNATURE
    return out


def without_signatures(request: dict[str, Any]) -> dict[str, Any] | None:
    """``request`` with every real signature dropped; None when it carried none (nothing to retry)."""
    signed = any(
        part.get("thoughtSignature") not in (None, SKIP_SIGNATURE)
        for content in request.get("contents") or ()
        for part in content.get("parts") or ()
    )
    if not signed:
        return None
    contents = [
        {**content, "parts": _unsigned(content["parts"])} if content.get("role") == "model" else content
        for content in request["contents"]
    ]
    return {**request, "contents": contents}
