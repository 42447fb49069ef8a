"""``/suno/act/*`` through the gateway against the fake Suno, and seeking (Range) in relayed Suno media."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

import httpx
import pytest

from conftest import USER_KEY, Gateway, assert_ledger_balanced, sqlite_only
from mj_support import wait_for
from omnirelay.testing import FakeSuno
from test_suno_family import (
    BALANCE,
    OTHER_KEY,
    PRICES,
    SONG,
    UPSTREAM_KEY,
    balances,
    client,
    music,
    ok,
    refused,
    start,
    suno,
    suno_channel,
)

__all__ = ["suno"]  # the fixture, shared with test_suno_family


def acts(fake: FakeSuno) -> list[str]:
    return [r.path for r in fake.requests if r.path.startswith("/suno/act/")]


def made_on(fakes: list[FakeSuno]) -> tuple[FakeSuno, FakeSuno]:
    """(the fake that made the song, the other one)."""
    makers = [f for f in fakes if any(r.path == "/suno/submit/music" for r in f.requests)]
    assert len(makers) == 1
    return makers[0], next(f for f in fakes if f is not makers[0])


def upstream_file(url: str, kind: str, clip: str) -> bytes:
    """The file as the upstream itself serves it (asked with the upstream's key, off the gateway)."""
    answer = httpx.get(f"{url}/suno/act/{kind}/{clip}", headers={"Authorization": f"Bearer {UPSTREAM_KEY}"})
    data = answer.json()["data"]
    return httpx.get(data[f"{kind}_file_url"] if isinstance(data, dict) else data).content


def test_every_act_route_runs_on_the_channel_that_made_the_clip_and_only_for_its_owner(
    make_gateway: Callable[..., Gateway], suno: Any, stack: ExitStack
) -> None:
    (first, first_url), (second, second_url) = suno(), suno(act_url_shape="string")
    gateway = start(make_gateway, [suno_channel("a", first_url), suno_channel("b", second_url)])
    api = client(stack, gateway)
    clip = music(api, SONG)["data"][0]["id"]
    maker, other = made_on([first, second])
    maker_url = first_url if maker is first else second_url

    timing = api.get(f"/suno/act/timing/{clip}")
    assert timing.status_code == 200 and set(timing.json()) == {
        "aligned_words", "waveform_data", "hoot_cer", "is_streamed"
    }  # fmt: skip  # raw: no envelope
    assert [w["word"] for w in timing.json()["aligned_words"]][:3] == ["neon", "rain", "on"]
    midi = wait_for(lambda: (m := api.get(f"/suno/act/midi/{clip}").json())["state"] == "complete" and m, timeout=10)
    assert midi["instruments"] and {"pitch", "start", "end", "velocity"} <= set(midi["instruments"][0]["notes"][0])

    for kind, media in (("wav", "audio/"), ("mp4", "video/")):
        link = ok(api.get(f"/suno/act/{kind}/{clip}"))[f"{kind}_file_url"]
        assert link.startswith(f"{gateway.url}/suno/media/act/") and maker_url not in link, link
        served = httpx.get(link)  # no key: the link is signed
        assert served.status_code == 200 and served.headers["content-type"].startswith(media), served.text
        assert served.content == upstream_file(maker_url, kind, clip)
        assert httpx.get(link.split("?")[0] + "?sig=0123").status_code == 404

    tags = api.post("/suno/act/tags", json={"original_tags": "synthwave, female vocals"})
    assert tags.status_code == 200 and tags.json()["upsampled_tags"].startswith("synthwave, female vocals, ")
    assert tags.json()["request_id"]
    refused(api.post("/suno/act/tags", json={}), 400, "invalid_request")

    assert {p.rsplit("/", 1)[0] for p in acts(maker)} >= {"/suno/act/timing", "/suno/act/midi", "/suno/act/wav"}
    assert not [p for p in acts(other) if p != "/suno/act/tags"]  # the clip's reads all went to its maker

    stranger = client(stack, gateway, OTHER_KEY)
    for route in ("timing", "wav", "mp4", "midi"):
        refused(stranger.get(f"/suno/act/{route}/{clip}"), 400, "task_not_exist")
        refused(api.get(f"/suno/act/{route}/no-such-clip"), 400, "task_not_exist")
    assert balances(gateway) == {"acme": BALANCE - PRICES["suno_music"], "other": BALANCE}  # act reads are free
    assert_ledger_balanced(gateway)


def test_act_reads_are_charged_when_the_operator_prices_them(
    make_gateway: Callable[..., Gateway], suno: Any, stack: ExitStack
) -> None:
    _, url = suno()
    priced = {"suno_act_timing": 5_000}
    channel = suno_channel("a", url, models=[*PRICES, *priced])
    prices = [{"model": m, "mode": "per_call", "per_call": p} for m, p in {**PRICES, **priced}.items()]
    gateway = start(make_gateway, [channel], prices=prices)
    api = client(stack, gateway)
    clip = music(api, SONG)["data"][0]["id"]
    assert api.get(f"/suno/act/timing/{clip}").status_code == 200
    ok(api.get(f"/suno/act/wav/{clip}"))  # not priced: free
    assert balances(gateway)["acme"] == BALANCE - PRICES["suno_music"] - priced["suno_act_timing"]
    assert_ledger_balanced(gateway)


@pytest.mark.parametrize("field", ["audio_url", "wav"])
def test_a_range_request_on_a_clip_link_answers_206_with_those_bytes(
    make_gateway: Callable[..., Gateway], suno: Any, stack: ExitStack, field: str
) -> None:
    _, url = suno()
    gateway = start(make_gateway, [suno_channel("suno", url)])
    api = client(stack, gateway)
    clip = music(api, SONG)["data"][0]
    link = clip["audio_url"] if field == "audio_url" else ok(api.get(f"/suno/act/wav/{clip['id']}"))["wav_file_url"]

    whole = httpx.get(link)
    assert whole.status_code == 200 and whole.headers["accept-ranges"] == "bytes"
    size = len(whole.content)
    assert int(whole.headers["content-length"]) == size > 1000
    part = httpx.get(link, headers={"Range": "bytes=100-599"})
    assert part.status_code == 206, part.text
    assert part.content == whole.content[100:600]
    assert part.headers["content-range"] == f"bytes 100-599/{size}"
    assert part.headers["content-type"] == whole.headers["content-type"]
    tail = httpx.get(link, headers={"Range": "bytes=-64"})
    assert (tail.status_code, tail.content) == (206, whole.content[-64:])
    rest = httpx.get(link, headers={"Range": f"bytes={size - 10}-"})
    assert (rest.status_code, rest.content) == (206, whole.content[-10:])

    for malformed in ("bytes=abc", "bytes=9-3", "lines=1-2", "bytes=0-1,5-9"):
        full = httpx.get(link, headers={"Range": malformed})  # ignored, as HTTP allows: the whole file
        assert (full.status_code, full.content) == (200, whole.content), malformed
    beyond = httpx.get(link, headers={"Range": f"bytes={size + 10}-"})
    assert beyond.status_code == 416 and beyond.headers["content-range"] == f"bytes */{size}"


@sqlite_only
def test_a_gcui_channel_answers_timing_in_the_2a_shape_and_refuses_the_rest(
    make_gateway: Callable[..., Gateway], suno: Any, stack: ExitStack
) -> None:
    fake, url = suno(dialect="gcui")
    channel = suno_channel("suno", url, options={"dialect": "gcui"}, secrets=[f"__client={UPSTREAM_KEY}"])
    gateway = start(make_gateway, [channel])
    api = client(stack, gateway)
    clip = music(api, SONG)["data"][0]["id"]
    timing = api.get(f"/suno/act/timing/{clip}")
    assert timing.status_code == 200 and timing.json()["aligned_words"][0]["word"] == "neon"
    assert any(r.path == "/api/get_aligned_lyrics" for r in fake.requests)
    assert "cannot" in refused(api.get(f"/suno/act/wav/{clip}"), 502, "upstream_error")
    assert USER_KEY not in str([r.headers for r in fake.requests])
