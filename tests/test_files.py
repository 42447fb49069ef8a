"""``/v1/files`` through the official SDK: the file lifecycle, ownership per account, limits, bad bodies."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import openai
import pytest

from conftest import USER_KEY, Gateway, assert_ledger_balanced, sqlite_only

OTHER_KEY = "sk-other-test-0000000000000000000000000000000000000000"
LIMIT = 4096


@pytest.fixture
def gateway(make_gateway: Callable[..., Gateway]) -> Gateway:
    return make_gateway(
        accounts=[{"name": "acme", "balance": 1000}, {"name": "globex", "balance": 1000}],
        keys=[
            {"account": "acme", "name": "main", "key": USER_KEY},
            {"account": "acme", "name": "second", "key": USER_KEY.replace("user", "usr2")},
            {"account": "globex", "name": "main", "key": OTHER_KEY},
        ],
        files={"max_bytes": LIMIT},
    )


def client(gateway: Gateway, key: str = USER_KEY) -> openai.OpenAI:
    return openai.OpenAI(base_url=gateway.url + "/v1", api_key=key, max_retries=0)


def stored_paths(gateway: Gateway) -> list[Path]:
    root = gateway.settings.home / "files"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_upload_list_retrieve_download_delete(gateway: Gateway) -> None:
    files = client(gateway).files
    notes = files.create(file=("notes.jsonl", b'{"a": 1}\n'), purpose="batch")
    assert (notes.object, notes.bytes, notes.filename, notes.purpose, notes.status) == (
        "file",
        9,
        "notes.jsonl",
        "batch",
        "processed",
    )
    assert notes.id.startswith("file-")
    picture = files.create(file=("dir/pic.png", b"\x89PNG not really", "image/png"), purpose="vision")
    assert picture.filename == "pic.png"

    assert [f.id for f in files.list().data] == [picture.id, notes.id]
    assert [f.id for f in files.list(order="asc").data] == [notes.id, picture.id]
    assert [f.id for f in files.list(purpose="batch").data] == [notes.id]
    assert files.retrieve(notes.id).filename == "notes.jsonl"
    assert files.content(notes.id).content == b'{"a": 1}\n'
    # every key of the account sees the account's files
    assert client(gateway, USER_KEY.replace("user", "usr2")).files.retrieve(picture.id).id == picture.id

    deleted = files.delete(notes.id)
    assert (deleted.id, deleted.object, deleted.deleted) == (notes.id, "file", True)
    with pytest.raises(openai.NotFoundError):
        files.retrieve(notes.id)
    assert [f.id for f in files.list().data] == [picture.id]
    assert gateway.logs() == [], "files are not billed"
    assert_ledger_balanced(gateway)


def test_listing_pages_through_every_file(gateway: Gateway) -> None:
    files = client(gateway).files
    ids = [files.create(file=(f"{i}.txt", b"x"), purpose="user_data").id for i in range(3)]
    first = files.list(limit=2)
    assert [f.id for f in first.data] == ids[:0:-1] and first.has_more
    assert [f.id for f in files.list(limit=2)] == ids[::-1], "the SDK follows the cursor"


def test_expires_after_is_kept(gateway: Gateway) -> None:
    created = client(gateway).files.create(
        file=("a.txt", b"a"), purpose="batch", expires_after={"anchor": "created_at", "seconds": 3600}
    )
    assert created.expires_at is not None and 3599 <= created.expires_at - created.created_at <= 3601


def test_another_account_gets_404_and_sees_nothing(gateway: Gateway) -> None:
    mine = client(gateway).files.create(file=("secret.txt", b"mine"), purpose="assistants")
    theirs = client(gateway, OTHER_KEY).files
    for call in (theirs.retrieve, theirs.content, theirs.delete):
        with pytest.raises(openai.NotFoundError):
            call(mine.id)
    assert theirs.list().data == []
    assert client(gateway).files.content(mine.id).content == b"mine"


def test_over_the_limit_is_413_and_nothing_is_stored(gateway: Gateway) -> None:
    with pytest.raises(openai.APIStatusError) as caught:
        client(gateway).files.create(file=("big.bin", b"x" * (LIMIT + 1)), purpose="batch")
    assert caught.value.status_code == 413
    assert caught.value.body["code"] == "payload_too_large"  # type: ignore[index]
    assert stored_paths(gateway) == []
    exact = client(gateway).files.create(file=("fits.bin", b"x" * LIMIT), purpose="batch")
    assert exact.bytes == LIMIT


@sqlite_only
@pytest.mark.parametrize(
    ("kwargs", "param"),
    [
        ({"json": {"purpose": "batch"}}, None),
        ({"files": {"purpose": (None, "batch")}}, "file"),
        ({"files": {"file": ("a.txt", b"a")}}, "purpose"),
        ({"files": {"file": ("a.txt", b"a"), "purpose": (None, "weights")}}, "purpose"),
        (
            {"files": {"file": ("a.txt", b"a"), "purpose": (None, "batch"), "expires_after[seconds]": (None, "5")}},
            "expires_after",
        ),
        (
            {
                "content": b"--xyz\r\nContent-Disposition: form-data; name=",
                "headers": {"content-type": "multipart/form-data; boundary=xyz"},
            },
            None,
        ),
        ({"content": b"no parts at all", "headers": {"content-type": "multipart/form-data"}}, None),
    ],
)
def test_bad_uploads_are_400_and_leave_nothing(gateway: Gateway, kwargs: dict[str, object], param: str | None) -> None:
    headers = {"Authorization": f"Bearer {USER_KEY}", **kwargs.pop("headers", {})}  # type: ignore[dict-item]
    response = httpx.post(gateway.url + "/v1/files", headers=headers, **kwargs)  # type: ignore[arg-type]
    assert response.status_code == 400, response.text
    assert response.json()["error"]["param"] == param
    assert stored_paths(gateway) == []


def test_files_need_a_valid_key(gateway: Gateway) -> None:
    assert httpx.get(gateway.url + "/v1/files").status_code == 401
    response = httpx.post(gateway.url + "/v1/files", files={"file": ("a.txt", b"a"), "purpose": (None, "batch")})
    assert response.status_code == 401
    assert stored_paths(gateway) == []
