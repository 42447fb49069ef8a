"""What every rerank dialect shares: the dialect record and the reading of a results list.

The functions here and in ``jina.py`` / ``cohere.py`` are pure: they turn the neutral
request (``providers/base.py``: :class:`RerankResult`) into a dialect's wire body and a
parsed answer back into a :class:`RerankResult`. A malformed answer raises ``ValueError``;
:func:`read_answer` turns that into a retryable upstream error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from omnirelay.errors import UpstreamError
from omnirelay.providers.base import RerankResult

__all__ = ["RerankDialect", "count", "ranked_results", "read_answer"]

JSONObject = dict[str, Any]


@dataclass(frozen=True, slots=True)
class RerankDialect:
    name: str
    path: str
    """Appended to the channel's base URL."""
    request: Callable[[JSONObject], JSONObject]
    result: Callable[[JSONObject], RerankResult]


def count(value: Any) -> int | None:
    """A non-negative whole number from a JSON number (Cohere's SDK types its units as floats)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if value < 0 or value != int(value):
        return None
    return int(value)


def _pair(item: Any) -> tuple[int, float]:
    if not isinstance(item, dict):
        raise ValueError(f"a result is not an object: {item!r}")
    index, score = item.get("index"), item.get("relevance_score")
    if isinstance(index, bool) or not isinstance(index, int):
        raise ValueError(f"a result has no integer 'index': {item!r}")
    if isinstance(score, bool) or not isinstance(score, int | float):
        raise ValueError(f"a result has no numeric 'relevance_score': {item!r}")
    return index, float(score)


def ranked_results(results: Any) -> tuple[tuple[int, float], ...]:
    """``[{"index", "relevance_score", ...}]`` -> ``(index, score)`` pairs, best first (ties by index)."""
    if not isinstance(results, list):
        raise ValueError("the answer has no 'results' list")
    pairs = [_pair(item) for item in results]
    return tuple(sorted(pairs, key=lambda pair: (-pair[1], pair[0])))


def read_answer(dialect: RerankDialect, parsed: Any, channel_hint: str) -> RerankResult:
    """The dialect's answer as a :class:`RerankResult`, or a retryable error naming what was wrong."""
    try:
        if not isinstance(parsed, dict):
            raise ValueError("the answer is not a JSON object")
        return dialect.result(parsed)
    except ValueError as exc:
        raise UpstreamError(f"upstream {channel_hint} sent an unreadable {dialect.name} rerank answer: {exc}") from exc
