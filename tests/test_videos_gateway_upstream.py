"""``/v1/videos`` on an ``openai`` channel whose upstream is another gateway's ``/v1/videos`` (llm_surfaces §5.1):
gateway A relays to gateway B, which makes the videos on a fake MiniMax; the client is the official OpenAI SDK."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest

from conftest import USER_KEY, Gateway, assert_ledger_balanced
from mj_support import wait_for
from video_support import (
    BALANCE,
    MINIMAX_MODEL,
    PRICES,
    balances,
    minimax_channel,
    openai_error,
    sdk,
    serve_minimax,
    start,
)

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # the SDK marks the Sora API deprecated

B_KEY = "sk-gateway-a-at-b-0000000000000000000000000000000000000000"


def _two_gateways(
    make_gateway: Callable[..., Gateway], stack: ExitStack, tmp_path: Path, **knobs: Any
) -> tuple[Gateway, Gateway]:
    """B on a store of its own in front of the fake MiniMax; A in front of B (its ``/v1``) on the test's store."""
    _, url = serve_minimax(stack, **knobs)
    b = start(
        make_gateway,
        [minimax_channel("mm", url)],
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'b.db'}",
        home=tmp_path / "home-b",
        keys=[{"account": "acme", "name": "gateway-a", "key": B_KEY}],
    )
    relay = {"name": "b", "type": "openai", "base_url": f"{b.url}/v1", "secrets": [B_KEY], "models": [MINIMAX_MODEL]}
    a = start(make_gateway, [relay])
    return a, b


def test_a_video_made_by_another_gateway_is_relayed_billed_once_on_each_and_streamed_with_the_key(
    make_gateway: Callable[..., Gateway], stack: ExitStack, tmp_path: Path
) -> None:
    a, b = _two_gateways(make_gateway, stack, tmp_path)
    client = sdk(a)
    seconds: Any = "10"  # a vendor length beyond the SDK's 4/8/12
    video = client.videos.create(model=MINIMAX_MODEL, prompt="a paper boat", seconds=seconds, size="1280x720")
    assert video.status == "queued" and video.id.startswith("video_")
    done = wait_for(lambda: (v := client.videos.retrieve(video.id)).status == "completed" and v)
    assert (done.seconds, done.size) == ("10", "1280x720")

    upstream = sdk(b, B_KEY).videos.list().data  # B made it for A's key, as A asked
    assert len(upstream) == 1 and upstream[0].prompt == "a paper boat" and upstream[0].seconds == "10"
    assert upstream[0].id != video.id

    content = client.videos.download_content(video.id).read()
    assert content[4:8] == b"ftyp"
    unified = httpx.get(f"{a.url}/v1/video/generations/{video.id}", headers={"Authorization": f"Bearer {USER_KEY}"})
    link = unified.json()["video_url"]
    assert link.startswith(f"{a.url}/v1/video/generations/{video.id}/content") and b.url not in unified.text
    assert httpx.get(link, timeout=30).content == content  # A's signed link: A fetches B's content with its key
    seek = httpx.get(link, headers={"Range": "bytes=4-11"}, timeout=30)
    assert seek.status_code == 206 and seek.content == content[4:12]

    price = PRICES[f"{MINIMAX_MODEL}:1280x720:10"]
    assert balances(a)["acme"] == BALANCE - price and balances(b)["acme"] == BALANCE - price
    assert_ledger_balanced(a)


def test_a_failure_at_the_other_gateway_fails_and_refunds_here(
    make_gateway: Callable[..., Gateway], stack: ExitStack, tmp_path: Path
) -> None:
    a, b = _two_gateways(make_gateway, stack, tmp_path, fail_next=1)
    client = sdk(a)
    video = client.videos.create(model=MINIMAX_MODEL, prompt="a paper boat")
    failed = wait_for(lambda: (v := client.videos.retrieve(video.id)).status == "failed" and v)
    assert failed.error is not None and failed.error.message
    http = httpx.Client(base_url=a.url, headers={"Authorization": f"Bearer {USER_KEY}"}, timeout=30)
    openai_error(http.get(f"/v1/videos/{video.id}/content"), 404)
    assert balances(a)["acme"] == BALANCE
    assert_ledger_balanced(a)
