"""What a native Gemini answer used: its ``usageMetadata`` and its grounding searches (§4.5).

Search grounding is a per-call surcharge: each query Gemini ran for ``googleSearch`` is one
``web_search_calls`` unit (``candidates[0].groundingMetadata.webSearchQueries``); an answer that
was grounded but lists no queries counts as one. The price's unit says what one unit costs
(per query for Gemini 3, per grounded prompt for Gemini 2.5).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from omnirelay.providers.usage import Usage, from_gemini

__all__ = ["GeminiUsage", "search_calls"]


def search_calls(response: dict[str, Any]) -> int | None:
    """Grounding searches an answer (or fragment) reports; None when it says nothing about them."""
    candidates = response.get("candidates")
    first = candidates[0] if isinstance(candidates, list) and candidates else None
    grounding = first.get("groundingMetadata") if isinstance(first, dict) else None
    if not isinstance(grounding, dict):
        return None
    queries = grounding.get("webSearchQueries")
    return len(queries) if isinstance(queries, list) and queries else 1


class GeminiUsage:
    """Collects usage over one answer's fragments: the last ``usageMetadata`` counts (it is cumulative),
    and the most searches any fragment reported."""

    def __init__(self) -> None:
        self._usage: Usage | None = None
        self._searches = 0

    def note(self, response: Any) -> None:
        if not isinstance(response, dict):
            return
        usage = from_gemini(response.get("usageMetadata"))
        if usage is not None:
            self._usage = usage
        searches = search_calls(response)
        if searches is not None:
            self._searches = max(self._searches, searches)

    @property
    def usage(self) -> Usage | None:
        """The upstream's usage with its searches, or None when it reported no usage."""
        if self._usage is None:
            return None
        return replace(self._usage, web_search_calls=self._searches) if self._searches else self._usage
