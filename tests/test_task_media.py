"""Which files of a family's task view the tasks page shows, and as what (pure function)."""

from __future__ import annotations

from omnirelay.platform.tasks import media_of

G = "https://gw.example"


def test_files_are_found_under_any_key_and_kinded_by_key_extension_or_path() -> None:
    kling = {"task_result": {"videos": [{"id": "v", "url": f"{G}/kling/media/t1/video/0?sig=a"}],
                             "images": [{"url": f"{G}/kling/media/t1/image/0?sig=b"}]}}  # fmt: skip
    suno = {"data": [{"audio_url": f"{G}/suno/media/t/0/audio?sig=c", "image_url": f"{G}/suno/media/t/0/image?sig=d"}]}
    bfl = {"result": {"sample": f"{G}/bfl/media/t/sample.png?sig=e"}}
    assert media_of(kling) == [
        {"kind": "video", "url": f"{G}/kling/media/t1/video/0?sig=a"},
        {"kind": "image", "url": f"{G}/kling/media/t1/image/0?sig=b"},
    ]
    assert [m["kind"] for m in media_of(suno)] == ["audio", "image"]
    assert media_of(bfl) == [{"kind": "image", "url": f"{G}/bfl/media/t/sample.png?sig=e"}]


def test_hooks_api_links_inputs_and_repeats_are_left_out() -> None:
    replicate = {
        "input": {"image": "https://example.org/mine.png"},
        "output": [f"{G}/replicate/files/p/0?sig=f", f"{G}/replicate/files/p/0?sig=f"],
        "urls": {"get": f"{G}/v1/predictions/p", "cancel": f"{G}/v1/predictions/p/cancel"},
        "webhook": "https://example.org/hook",
    }
    mj = {"imageUrl": f"{G}/mj/image/1?sig=g", "properties": {"notifyHook": "https://example.org/h"}, "videoUrls": []}
    assert media_of(replicate) == [{"kind": "file", "url": f"{G}/replicate/files/p/0?sig=f"}]
    assert media_of(mj) == [{"kind": "image", "url": f"{G}/mj/image/1?sig=g"}]
