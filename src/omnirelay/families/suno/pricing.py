"""The price names of the ``/suno`` family: every call is billed per call, its tasks report no tokens.

Collected with other families' per-call names in ``billing/per_call_families.py``, so a
per-token price (which would bill nothing) is refused on these names.
"""

from __future__ import annotations

__all__ = ["ACT_PRICES", "PER_CALL_CHANNEL_TYPES", "PER_CALL_PRICES", "price_of"]

ACT_PRICES: dict[str, str] = {
    "clip_timing": "suno_act_timing",
    "clip_wav": "suno_act_wav",
    "clip_mp4": "suno_act_mp4",
    "clip_midi": "suno_act_midi",
    "upsample_tags": "suno_act_tags",
}
"""Optional prices of the ``/suno/act/*`` reads: free unless the operator prices them (and a channel lists them)."""

PER_CALL_PRICES: tuple[str, ...] = (
    "suno_music",
    "suno_lyrics",
    "suno_concat",
    "suno_stems",
    "suno_upload",
    "suno_persona",
    *ACT_PRICES.values(),
)
"""What a channel lists as its models and the operator prices, one name per kind of call."""

PER_CALL_CHANNEL_TYPES: tuple[str, ...] = ("suno",)
"""A Suno channel never reports token usage, whatever model names it lists."""

_BY_SCENARIO = {"gen_stem": "suno_stems"}


def price_of(action: str, scenario: str = "") -> str:
    """The price a submit is charged at: stems have their own, every other music scenario is ``suno_music``."""
    if action == "music":
        return _BY_SCENARIO.get(scenario, "suno_music")
    return f"suno_{action}"
