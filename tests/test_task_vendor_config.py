"""Task vendor configurations in the settings file: the examples load; each kind of mistake stops the
start with one line naming the file, the setting and the fix (never a crash at request time)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from omnirelay.families.task_vendor.config import VendorConfig
from omnirelay.families.task_vendor.pointer import parse_pointer
from omnirelay.families.task_vendor.template import render_path, render_value
from omnirelay.providers.task_vendor.transforms import state_from
from omnirelay.settings import SettingsError, load_settings
from task_vendor_support import EXAMPLES, example


@pytest.mark.parametrize("name", ["digital-human", "ppt"])
def test_the_examples_load_as_settings_files(name: str) -> None:
    settings = load_settings(EXAMPLES / f"{name}.yaml")
    vendor = settings.task_vendors[0]
    assert vendor.client_path.startswith("/v1/vendors/") and settings.channels[0].options == {"vendor": vendor.name}


def _problems(tmp_path: Path, vendors: list[dict[str, Any]]) -> list[str]:
    path = tmp_path / "omnirelay.yaml"
    path.write_text(yaml.safe_dump({"task_vendors": vendors}))
    with pytest.raises(SettingsError) as caught:
        load_settings(path)
    return caught.value.lines()


def _vendor() -> dict[str, Any]:
    config: dict[str, Any] = copy.deepcopy(example("digital-human")["task_vendors"][0])
    return config


@pytest.mark.parametrize(
    ("where", "value", "expected"),
    [
        (
            ("submit", "task_id"),
            "data.video_id",
            "submit.task_id: Value error, a JSON pointer starts with '/', e.g. /data/video_id",
        ),
        (
            ("poll", "status"),
            "$.data.status",
            "poll.status: Value error, a JSON pointer starts with '/', e.g. /data/status",
        ),
        (("poll", "fail_reason"), "/a/~2", "'~' must be written ~0"),
        (("poll", "statuses"), {"completed": "done"}, "unknown state 'done'"),
        (("poll", "statuses"), {"x": "queued"}, "no upstream status maps to succeeded"),
        (("poll", "path"), "/v/{{ body.avatar_id }}", "poll.path: {{ body.avatar_id }} is not defined here"),
        (("auth", "value"), "Bearer {{ secret }} {{ oops", "not a placeholder"),
        (("auth", "value"), "Bearer fixed", "auth.value: name {{ secret }}"),
        (("price", "unit_field"), "seconds", "'seconds' is not a poll.result field"),
        (("poll", "result"), {"page": {"pointer": "/x", "file": True, "content_types": ["text/html"]}}, "no html"),
        (("fields", "voice"), {"type": "str"}, "Input should be 'string'"),
        (("timeout_s",), -1, "greater than 0"),
        (("fields", "voice"), {"type": "integer", "default": "x"}, "'x' is not of type integer"),
        (("auth", "header"), "X Api Key", "a header name is letters"),
    ],
)
def test_a_mistake_names_the_setting(tmp_path: Path, where: tuple[str, ...], value: Any, expected: str) -> None:
    vendor = _vendor()
    target = vendor
    for key in where[:-1]:
        target = target[key]
    target[where[-1]] = value
    lines = _problems(tmp_path, [vendor])
    assert len(lines) == 1 and "omnirelay.yaml: task_vendors[0]" in lines[0], lines
    assert expected.replace("Value error, ", "") in lines[0], lines


def test_a_missing_price_a_typo_and_a_shared_path_are_named(tmp_path: Path) -> None:
    vendor = _vendor()
    del vendor["price"]
    assert _problems(tmp_path, [vendor]) == [
        f"error: {tmp_path / 'omnirelay.yaml'}: task_vendors[0].price: Field required"
    ]
    vendor = _vendor()
    vendor["submit"]["bdy"] = {}
    assert "task_vendors[0].submit.bdy: unknown setting (did you mean body?)" in _problems(tmp_path, [vendor])[0]
    twin = {**_vendor(), "name": "twin"}
    assert (
        "'twin' and 'digital-human' both take POST /v1/vendors/digital-human/videos"
        in _problems(tmp_path, [_vendor(), twin])[0]
    )
    assert "two vendors are named 'digital-human'" in _problems(tmp_path, [_vendor(), {**_vendor(), "path": "/x"}])[0]


def test_templates_keep_types_leave_out_what_is_absent_and_keep_client_values_inside_a_path_segment() -> None:
    template = {"a": "{{ body.n }}", "b": "n={{ body.n }}", "c": "{{ body.gone }}", "d": ["{{ body.gone }}", 1]}
    assert render_value(template, {"body.n": 3}) == {"a": 3, "b": "n=3", "d": [1]}
    assert render_path("/v/{{ body.k }}?q={{ body.k }}", {"body.k": "../admin?x=1"}) == (
        "/v/..%2Fadmin%3Fx%3D1?q=..%2Fadmin%3Fx%3D1"
    )
    assert parse_pointer("/a~1b/0").read({"a/b": ["x"]}) == "x" and parse_pointer("/a/9").read({"a": [1]}) is None


def test_a_status_the_mapping_does_not_name_leaves_the_task_alone() -> None:
    vendor = VendorConfig.model_validate(_vendor())
    assert state_from(vendor, {"data": {"status": "warming_up"}}) is None
    running = state_from(vendor, {"data": {"status": "processing", "progress": 250}})
    assert running is not None and running.status == "IN_PROGRESS" and running.progress == 99
    done = state_from(vendor, {"data": {"status": "completed", "video_url": "https://x/v.mp4", "duration": 2.5}})
    assert done is not None and done.result == {"fields": {"duration_s": 2.5}, "files": {"video": "https://x/v.mp4"}}
