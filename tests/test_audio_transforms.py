"""Pure parts of the audio path, checked against JSON fixtures: durations, transcripts, phonemes, sniffing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest

from omnirelay.providers.local.phonemes import Clause, clauses, phoneme_ids, sentences
from omnirelay.providers.local.transcript import Segment, Transcript, Word, render
from omnirelay.providers.openai_compat.audio import reported_seconds, speech_media_type
from omnirelay.relay.audio_probe import audio_container

FIXTURES = Path(__file__).parent / "fixtures" / "audio"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", fixture("upstream_answers.json"))
def test_the_duration_an_upstream_reports_is_read(case: dict[str, Any]) -> None:
    raw = case["raw"] if isinstance(case["raw"], str) else orjson.dumps(case["raw"]).decode()
    assert reported_seconds(raw.encode(), case["media_type"]) == case["seconds"]


def test_speech_media_types_follow_the_format() -> None:
    assert speech_media_type({}) == "audio/mpeg"
    assert speech_media_type({"response_format": "pcm"}) == "audio/pcm"
    assert speech_media_type({"response_format": "opus"}) == "audio/opus"


def test_a_transcript_renders_in_each_format() -> None:
    case = fixture("transcript.json")
    raw = case["transcript"]
    transcript = Transcript(
        language=raw["language"],
        duration=raw["duration"],
        segments=[Segment(**s) for s in raw["segments"]],
        words=[Word(**w) for w in raw["words"]],
    )
    for response_format in ("srt", "vtt", "text"):
        body, media_type = render(transcript, response_format, task="transcribe")
        assert (body.decode(), media_type) == (case[response_format], "text/plain; charset=utf-8")
    body, media_type = render(transcript, "json", task="transcribe")
    assert (orjson.loads(body), media_type) == (case["json"], "application/json")
    verbose = orjson.loads(render(transcript, "verbose_json", task="translate", words=True)[0])
    assert (verbose["task"], verbose["language"], verbose["duration"]) == ("translate", "english", 3725.4)
    assert verbose["segments"][1]["text"] == " ten meters." and verbose["words"] == raw["words"]
    assert "words" not in orjson.loads(render(transcript, "verbose_json", task="transcribe")[0])


def test_text_becomes_clauses_sentences_and_voice_ids() -> None:
    case = fixture("phonemes.json")
    found = clauses(case["text"])
    assert found == [Clause(words, punctuation) for words, punctuation in case["clauses"]]
    assert sentences(found, case["ipa"]) == case["sentences"]
    assert phoneme_ids(case["sentences"][-1], case["id_map"]) == case["ids_of_last"]
    assert clauses("... !!") == []


@pytest.mark.parametrize(
    ("head", "container"),
    [
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", "wav"),
        (b"ID3\x04\x00\x00", "mp3"),
        (b"\xff\xfb\x90\x00", "mp3"),
        (b"\xff\xf1\x50\x80", "aac"),
        (b"fLaC\x00\x00", "flac"),
        (b"OggS\x00\x02", "ogg"),
        (b"\x00\x00\x00\x20ftypM4A ", "mp4"),
        (b"\x1a\x45\xdf\xa3\x01", "webm"),
        (b"\x89PNG\r\n\x1a\n", None),
        (b"RIFF\x24\x00\x00\x00AVI ", None),
        (b"just text", None),
        (b"", None),
    ],
)
def test_audio_is_recognised_by_its_first_bytes(head: bytes, container: str | None) -> None:
    assert audio_container(head + b"\x00" * 64) == container
