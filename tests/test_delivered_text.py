"""A stream's delivered text, kept for billing without usage, is the same whether or not it was compacted,
and a long stream keeps its text rather than every frame."""

from __future__ import annotations

import orjson

from omnirelay.relay.delivered import DeliveredText, json_text

_text_of = json_text(lambda chunk: str(chunk.get("t", "")) if isinstance(chunk, dict) else "")


def _chunk(i: int) -> bytes:
    return orjson.dumps({"id": "chatcmpl-" + "x" * 200, "t": f"w{i} "})


def test_the_text_is_the_same_before_and_after_compaction_and_bad_payloads_count_as_empty() -> None:
    small, large = DeliveredText(_text_of, compact_at=10**9), DeliveredText(_text_of, compact_at=1_000)
    for i in range(500):
        small.add(_chunk(i))
        large.add(_chunk(i))
    small.add(b"{not json")
    large.add(b"{not json")
    assert large.text() == small.text() == "".join(f"w{i} " for i in range(500))
    assert not large._payloads and len("".join(large._texts or [])) < 5_000  # text only, not ~120 kB of frames
