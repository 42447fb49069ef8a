"""A transcript, and its rendering in each ``response_format`` of OpenAI's transcription API."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import orjson

__all__ = ["Segment", "Transcript", "Word", "render"]

_LANGUAGES = {"en": "english"}


@dataclass(frozen=True, slots=True)
class Word:
    word: str
    start: float
    end: float


@dataclass(frozen=True, slots=True)
class Segment:
    id: int
    seek: int
    start: float
    end: float
    text: str
    tokens: list[int]
    temperature: float
    avg_logprob: float
    compression_ratio: float
    no_speech_prob: float


@dataclass(frozen=True, slots=True)
class Transcript:
    language: str
    duration: float
    segments: list[Segment]
    words: list[Word] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(s.text for s in self.segments).strip()


def _timestamp(seconds: float, separator: str) -> str:
    millis = int(round(seconds * 1000))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def _srt(transcript: Transcript) -> str:
    blocks = [
        f"{n}\n{_timestamp(s.start, ',')} --> {_timestamp(s.end, ',')}\n{s.text.strip()}\n"
        for n, s in enumerate(transcript.segments, start=1)
    ]
    return "\n".join(blocks)


def _vtt(transcript: Transcript) -> str:
    blocks = [
        f"{_timestamp(s.start, '.')} --> {_timestamp(s.end, '.')}\n{s.text.strip()}\n" for s in transcript.segments
    ]
    return "WEBVTT\n\n" + "\n".join(blocks)


def _verbose(transcript: Transcript, task: str, words: bool) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "task": task,
        "language": _LANGUAGES.get(transcript.language, transcript.language),
        "duration": round(transcript.duration, 2),
        "text": transcript.text,
        "segments": [asdict(s) for s in transcript.segments],
    }
    if words:
        answer["words"] = [asdict(w) for w in transcript.words]
    return answer


def render(transcript: Transcript, response_format: str, *, task: str, words: bool = False) -> tuple[bytes, str]:
    """The answer's bytes and media type; the JSON forms carry ``usage`` in seconds, as OpenAI's do."""
    if response_format == "text":
        return (transcript.text + "\n").encode(), "text/plain; charset=utf-8"
    if response_format == "srt":
        return _srt(transcript).encode(), "text/plain; charset=utf-8"
    if response_format == "vtt":
        return _vtt(transcript).encode(), "text/plain; charset=utf-8"
    usage = {"type": "duration", "seconds": math.ceil(transcript.duration)}
    answer = _verbose(transcript, task, words) if response_format == "verbose_json" else {"text": transcript.text}
    return orjson.dumps({**answer, "usage": usage}), "application/json"
