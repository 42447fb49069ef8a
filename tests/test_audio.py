"""``/v1/audio/*`` through OpenAI-compatible channels, with the official SDK: files, formats, billing, bad input."""

from __future__ import annotations

import hashlib
import io
import math
import wave
from collections.abc import Callable
from pathlib import Path

import httpx
import numpy as np
import openai
import pytest

from conftest import USER_KEY, Gateway, Upstream, assert_ledger_balanced, channel, funded, sqlite_only
from omnirelay.providers.local.audio_codec import encode

TTS_PRICE = {"model": "tts-1", "mode": "per_token", "input_per_million": 15_000_000}  # 15 per character
STT_PRICE = {"model": "whisper-1", "mode": "per_token", "input_per_million": 100_000_000}  # 100 per second
AUTH = {"Authorization": f"Bearer {USER_KEY}"}
TEXT = "Hello there, this is a test."


def gateway_for(make_gateway: Callable[..., Gateway], *upstreams: Upstream, **settings: object) -> Gateway:
    channels = [channel(f"up{i}", u, models=["tts-1", "whisper-1"], priority=10 - i) for i, u in enumerate(upstreams)]
    return make_gateway(**funded(), channels=channels, prices=[TTS_PRICE, STT_PRICE], **settings)


@pytest.fixture
def setup(make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]) -> tuple[Gateway, Upstream]:
    upstream = make_upstream()
    return gateway_for(make_gateway, upstream), upstream


def client(gateway: Gateway) -> openai.OpenAI:
    return openai.OpenAI(base_url=gateway.url + "/v1", api_key=USER_KEY, max_retries=0)


def tone_wav(path: Path, seconds: float = 2.5, rate: int = 16_000) -> Path:
    t = np.arange(int(rate * seconds)) / rate
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes((np.sin(2 * np.pi * 300 * t) * 8000).astype("<i2").tobytes())
    return path


MAGIC = {
    "mp3": (b"ID3", "audio/mpeg"),
    "wav": (b"RIFF", "audio/wav"),
    "flac": (b"fLaC", "audio/flac"),
    "opus": (b"OggS", "audio/opus"),
    "aac": (b"\xff\xf1", "audio/aac"),
    "pcm": (b"", "audio/pcm"),
}


@sqlite_only
@pytest.mark.parametrize("response_format", list(MAGIC))
def test_speech_streams_to_a_file_and_bills_characters(
    setup: tuple[Gateway, Upstream], tmp_path: Path, response_format: str
) -> None:
    gateway, upstream = setup
    target = tmp_path / f"speech.{response_format}"
    with client(gateway).audio.speech.with_streaming_response.create(
        model="tts-1",
        voice="alloy",
        input=TEXT,
        response_format=response_format,
        speed=1.25,  # type: ignore[arg-type]
    ) as response:
        assert response.headers["content-type"] == MAGIC[response_format][1]
        assert response.headers["x-request-id"]
        response.stream_to_file(target)
    content = target.read_bytes()
    assert content.startswith(MAGIC[response_format][0]) and len(content) > 1000
    sent = upstream.fake.requests[-1].json
    assert (sent["model"], sent["input"], sent["speed"]) == ("tts-1", TEXT, 1.25)
    log = gateway.logs()[0]
    assert (log["endpoint"], log["prompt_tokens"], log["cost"], log["status"]) == (
        "audio.speech",
        len(TEXT),
        15 * len(TEXT),
        200,
    )
    assert_ledger_balanced(gateway)


def test_speech_fails_over_before_the_first_byte_and_refunds_a_broken_stream(
    make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]
) -> None:
    broken, healthy = make_upstream(status=500), make_upstream(reset_before_first_chunk=True)
    gateway = gateway_for(make_gateway, broken, healthy)
    with pytest.raises(openai.APIStatusError) as caught:
        client(gateway).audio.speech.create(model="tts-1", voice="alloy", input=TEXT)
    assert caught.value.status_code == 502, "both channels failed before any byte: an error, not audio"
    healthy.knobs.reset_before_first_chunk = False
    audio = client(gateway).audio.speech.create(model="tts-1", voice="alloy", input=TEXT)
    assert audio.content.startswith(b"ID3")
    healthy.knobs.cut_stream_after = 1
    with (
        pytest.raises(httpx.HTTPError),
        httpx.stream(
            "POST",
            gateway.url + "/v1/audio/speech",
            json={"model": "tts-1", "voice": "alloy", "input": TEXT},
            headers=AUTH,
        ) as response,
    ):
        response.read()
    costs = sorted(log["cost"] for log in gateway.logs())
    assert costs == [0, 0, 15 * len(TEXT)], "only the delivered audio is billed"
    assert_ledger_balanced(gateway)


@sqlite_only
@pytest.mark.parametrize(
    ("body", "param", "reaches_upstream"),
    [
        ({"input": ""}, "input", False),
        ({"input": "   "}, "input", False),
        ({"input": "x" * 4097}, "input", False),
        ({"response_format": "ogg"}, "response_format", False),
        ({"speed": 5}, "speed", False),
        ({"voice": None}, "voice", False),
        ({"model": None}, "model", False),
        ({"voice": "robot"}, "voice", True),
    ],
)
def test_bad_speech_requests_are_400(
    setup: tuple[Gateway, Upstream], body: dict[str, object], param: str, reaches_upstream: bool
) -> None:
    gateway, upstream = setup
    request = {k: v for k, v in {"model": "tts-1", "voice": "alloy", "input": TEXT, **body}.items() if v is not None}
    response = httpx.post(gateway.url + "/v1/audio/speech", json=request, headers=AUTH)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["param"] == param
    assert bool([r for r in upstream.fake.requests if r.path == "/v1/audio/speech"]) is reaches_upstream
    assert all(log["cost"] == 0 for log in gateway.logs())


def test_a_transcription_in_every_format_is_billed_by_seconds(setup: tuple[Gateway, Upstream], tmp_path: Path) -> None:
    gateway, upstream = setup
    audio = tone_wav(tmp_path / "tone.wav", seconds=2.5)
    transcriptions = client(gateway).audio.transcriptions
    plain = transcriptions.create(model="whisper-1", file=audio)
    assert plain.text == "The fake upstream heard you."
    assert transcriptions.create(model="whisper-1", file=audio, response_format="text").strip() == plain.text
    srt = transcriptions.create(model="whisper-1", file=audio, response_format="srt")
    assert srt.startswith("1\n00:00:00,000 --> 00:00:02,500\n")
    vtt = transcriptions.create(model="whisper-1", file=audio, response_format="vtt")
    assert vtt.startswith("WEBVTT\n\n00:00:00.000 --> 00:00:02.500\n")
    verbose = transcriptions.create(
        model="whisper-1",
        file=audio,
        response_format="verbose_json",
        timestamp_granularities=["word", "segment"],
        language="en",
        temperature=0.2,
    )
    assert verbose.duration == 2.5 and verbose.segments and verbose.words and verbose.words[0].word == "The"
    sent = upstream.fake.requests[-1].json
    assert sent["fields"]["timestamp_granularities[]"] == ["word", "segment"]
    assert (sent["fields"]["language"], sent["fields"]["temperature"]) == ("en", "0.2")
    assert sent["file"]["sha256"] == hashlib.sha256(audio.read_bytes()).hexdigest()
    assert sent["file"]["filename"] == "tone.wav"
    logs = gateway.logs()
    assert {(log["endpoint"], log["prompt_tokens"], log["cost"]) for log in logs} == {("audio.transcriptions", 3, 300)}
    assert len(logs) == 5
    assert_ledger_balanced(gateway)


@pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")  # the SDK marks translations so
def test_translation_and_durations_the_upstream_does_not_report(
    make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway], tmp_path: Path
) -> None:
    upstream = make_upstream(include_usage=False)
    gateway = gateway_for(make_gateway, upstream)
    translated = client(gateway).audio.translations.create(
        model="whisper-1", file=tone_wav(tmp_path / "a.wav", seconds=1.2), response_format="verbose_json"
    )
    assert translated.task == "translate"  # type: ignore[attr-defined]
    seconds = 3.5
    t = np.arange(int(24_000 * seconds), dtype=np.float32) / 24_000
    mp3 = encode(0.3 * np.sin(2 * np.pi * 300 * t), 24_000, "mp3")
    text = client(gateway).audio.transcriptions.create(
        model="whisper-1", file=("clip.mp3", mp3, "audio/mpeg"), response_format="text"
    )
    assert text.strip() == "The fake upstream heard you."
    billed = {log["endpoint"]: log["prompt_tokens"] for log in gateway.logs()}
    assert billed == {"audio.translations": 2, "audio.transcriptions": math.ceil(seconds)}, (
        "read from the file by the gateway when the upstream reports no duration"
    )


def _post(gateway: Gateway, headers: dict[str, str] | None = None, **kwargs: object) -> httpx.Response:
    url = gateway.url + "/v1/audio/transcriptions"
    return httpx.post(url, headers={**AUTH, **(headers or {})}, **kwargs)  # type: ignore[arg-type]


def test_bad_uploads_get_clear_4xx(
    make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway], tmp_path: Path
) -> None:
    upstream = make_upstream()
    gateway = gateway_for(make_gateway, upstream, server={"max_body_bytes": 60_000})
    small = tone_wav(tmp_path / "small.wav", seconds=1.0).read_bytes()  # 32 KB
    model = {"model": "whisper-1"}
    cases = [
        (_post(gateway, json={"model": "whisper-1"}), 400, None, "multipart"),
        (_post(gateway, files={"model": (None, "whisper-1")}), 400, "file", "'file'"),
        (
            _post(gateway, data=model, files={"file": ("a.txt", b"just some text", "text/plain")}),
            400,
            "file",
            "not audio",
        ),
        (_post(gateway, data=model, files={"file": ("a.wav", b"", "audio/wav")}), 400, "file", "empty"),
        (_post(gateway, data={}, files={"file": ("a.wav", small, "audio/wav")}), 400, "model", "model"),
        (
            _post(gateway, data={**model, "response_format": "csv"}, files={"file": ("a.wav", small)}),
            400,
            "response_format",
            "response_format",
        ),
        (
            _post(gateway, data={**model, "timestamp_granularities[]": "word"}, files={"file": ("a.wav", small)}),
            400,
            "timestamp_granularities",
            "verbose_json",
        ),
        (
            _post(gateway, data={**model, "temperature": "hot"}, files={"file": ("a.wav", small)}),
            400,
            "temperature",
            "temperature",
        ),
        (_post(gateway, data=model, files={"file": ("big.wav", small * 2, "audio/wav")}), 413, None, "60000-byte"),
        (
            _post(gateway, content=b"--x\r\nbroken", headers={"content-type": "multipart/form-data"}),
            400,
            None,
            "multipart",
        ),
    ]
    for response, status, param, words in cases:
        assert response.status_code == status, response.text
        error = response.json()["error"]
        assert error["param"] == param and words in error["message"], error
    assert not [r for r in upstream.fake.requests if r.path.startswith("/v1/audio")]
    assert gateway.logs() == [], "refused before any billing"


def test_upstream_refusals_are_relayed_and_refunded(setup: tuple[Gateway, Upstream], tmp_path: Path) -> None:
    gateway, upstream = setup
    upstream.knobs.status = 400
    upstream.knobs.error_message = "Audio file might be corrupted or unsupported"
    with pytest.raises(openai.BadRequestError) as caught:
        client(gateway).audio.transcriptions.create(model="whisper-1", file=tone_wav(tmp_path / "a.wav"))
    assert "corrupted" in caught.value.message
    log = gateway.logs()[0]
    assert (log["status"], log["cost"]) == (400, 0)
    assert log["endpoint"] == "audio.transcriptions"
    assert_ledger_balanced(gateway)


def test_multipart_text_is_relayed_as_the_sdk_expects(setup: tuple[Gateway, Upstream]) -> None:
    gateway, _ = setup
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\0\0" * 8000)
    response = _post(
        gateway, data={"model": "whisper-1", "response_format": "text"}, files={"file": ("s.wav", buffer.getvalue())}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text == "The fake upstream heard you.\n"
