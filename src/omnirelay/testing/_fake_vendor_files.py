"""Real result files for the fake task vendors: an H.264 MP4 of a given length (PyAV) and a
PowerPoint deck (.pptx, Office Open XML written with :mod:`zipfile`) with one slide per outline line.
"""

from __future__ import annotations

import functools
import io
import os
import tempfile
import zipfile
from xml.sax.saxutils import escape

__all__ = ["PPTX_TYPE", "avatar_video", "slide_deck"]

PPTX_TYPE = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
_FPS = 4
_SIDE = 64


@functools.lru_cache(maxsize=32)
def avatar_video(seed: str, seconds: int) -> bytes:
    """``seconds`` of 64x64 H.264 at 4 frames a second, its colour drawn from ``seed``."""
    import av
    import numpy as np

    shade = sum(seed.encode()) % 200
    handle, path = tempfile.mkstemp(suffix=".mp4")
    os.close(handle)
    try:
        with av.open(path, "w", format="mp4") as container:
            stream = container.add_stream("libx264", rate=_FPS, options={"preset": "veryfast"})
            assert isinstance(stream, av.VideoStream)
            stream.width = stream.height = _SIDE
            stream.pix_fmt = "yuv420p"
            for index in range(seconds * _FPS):
                pixels = np.full((_SIDE, _SIDE, 3), (shade, (index * 9) % 255, 120), dtype=np.uint8)
                for packet in stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")):
                    container.mux(packet)
            for packet in stream.encode(None):
                container.mux(packet)
        with open(path, "rb") as file:
            return file.read()
    finally:
        os.unlink(path)


_NS = (
    'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
    'xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"'
)
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT = "application/vnd.openxmlformats-officedocument.presentationml"
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'


def _content_types(slides: int) -> str:
    overrides = "".join(
        f'<Override PartName="/ppt/slides/slide{n}.xml" ContentType="{_CT}.slide+xml"/>' for n in range(1, slides + 1)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/ppt/presentation.xml" ContentType="{_CT}.presentation.main+xml"/>'
        f'<Override PartName="/ppt/slideMasters/slideMaster1.xml" ContentType="{_CT}.slideMaster+xml"/>'
        f'<Override PartName="/ppt/slideLayouts/slideLayout1.xml" ContentType="{_CT}.slideLayout+xml"/>'
        '<Override PartName="/ppt/theme/theme1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.theme+xml"/>'
        f"{overrides}</Types>"
    )


def _rels(*targets: tuple[str, str]) -> str:
    items = "".join(
        f'<Relationship Id="rId{n}" Type="{_REL}/{kind}" Target="{target}"/>'
        for n, (kind, target) in enumerate(targets, start=1)
    )
    return f'{_XML}<Relationships xmlns="{_PKG_REL}">{items}</Relationships>'


_TREE = (
    '<p:nvGrpSpPr><p:cNvPr id="1" name=""/><p:cNvGrpSpPr/><p:nvPr/></p:nvGrpSpPr>'
    '<p:grpSpPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="0" cy="0"/><a:chOff x="0" y="0"/>'
    '<a:chExt cx="0" cy="0"/></a:xfrm></p:grpSpPr>'
)


def _slide(title: str) -> str:
    shape = (
        '<p:sp><p:nvSpPr><p:cNvPr id="2" name="Title"/><p:cNvSpPr/><p:nvPr/></p:nvSpPr>'
        '<p:spPr><a:xfrm><a:off x="457200" y="274638"/><a:ext cx="8229600" cy="1143000"/></a:xfrm>'
        '<a:prstGeom prst="rect"><a:avLst/></a:prstGeom></p:spPr>'
        f'<p:txBody><a:bodyPr/><a:lstStyle/><a:p><a:r><a:rPr lang="en-US"/><a:t>{escape(title)}</a:t></a:r></a:p>'
        "</p:txBody></p:sp>"
    )
    return f"{_XML}<p:sld {_NS}><p:cSld><p:spTree>{_TREE}{shape}</p:spTree></p:cSld></p:sld>"


def _presentation(slides: int) -> str:
    ids = "".join(f'<p:sldId id="{255 + n}" r:id="rId{n + 1}"/>' for n in range(1, slides + 1))
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><p:presentation {_NS}>'
        '<p:sldMasterIdLst><p:sldMasterId id="2147483648" r:id="rId1"/></p:sldMasterIdLst>'
        f'<p:sldIdLst>{ids}</p:sldIdLst><p:sldSz cx="9144000" cy="6858000"/><p:notesSz cx="6858000" cy="9144000"/>'
        "</p:presentation>"
    )


def _master() -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><p:sldMaster {_NS}><p:cSld><p:spTree>{_TREE}'
        '</p:spTree></p:cSld><p:clrMap bg1="lt1" tx1="dk1" bg2="lt2" tx2="dk2" accent1="accent1" accent2="accent2" '
        'accent3="accent3" accent4="accent4" accent5="accent5" accent6="accent6" hlink="hlink" folHlink="folHlink"/>'
        '<p:sldLayoutIdLst><p:sldLayoutId id="2147483649" r:id="rId1"/></p:sldLayoutIdLst></p:sldMaster>'
    )


def _layout() -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><p:sldLayout {_NS} type="title">'
        f"<p:cSld><p:spTree>{_TREE}</p:spTree></p:cSld></p:sldLayout>"
    )


def _theme() -> str:
    colours = "".join(
        f'<a:{name}><a:srgbClr val="{value}"/></a:{name}>'
        for name, value in (
            ("dk1", "000000"), ("lt1", "FFFFFF"), ("dk2", "1F497D"), ("lt2", "EEECE1"), ("accent1", "4F81BD"),
            ("accent2", "C0504D"), ("accent3", "9BBB59"), ("accent4", "8064A2"), ("accent5", "4BACC6"),
            ("accent6", "F79646"), ("hlink", "0000FF"), ("folHlink", "800080"),
        )
    )  # fmt: skip
    fonts = '<a:latin typeface="Calibri"/><a:ea typeface=""/><a:cs typeface=""/>'
    fill = '<a:solidFill><a:schemeClr val="phClr"/></a:solidFill>'
    line = f'<a:ln w="9525">{fill}</a:ln>'
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<a:theme xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" name="Fake">'
        f'<a:themeElements><a:clrScheme name="Fake">{colours}</a:clrScheme>'
        f'<a:fontScheme name="Fake"><a:majorFont>{fonts}</a:majorFont><a:minorFont>{fonts}</a:minorFont></a:fontScheme>'
        f'<a:fmtScheme name="Fake"><a:fillStyleLst>{fill * 3}</a:fillStyleLst><a:lnStyleLst>{line * 3}</a:lnStyleLst>'
        "<a:effectStyleLst><a:effectStyle><a:effectLst/></a:effectStyle><a:effectStyle><a:effectLst/></a:effectStyle>"
        "<a:effectStyle><a:effectLst/></a:effectStyle></a:effectStyleLst>"
        f"<a:bgFillStyleLst>{fill * 3}</a:bgFillStyleLst>"
        "</a:fmtScheme></a:themeElements></a:theme>"
    )


def slide_deck(titles: tuple[str, ...]) -> bytes:
    """A .pptx with one title slide per entry of ``titles`` (opens in PowerPoint, LibreOffice, python-pptx)."""
    count = len(titles)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as deck:
        deck.writestr("[Content_Types].xml", _content_types(count))
        deck.writestr("_rels/.rels", _rels(("officeDocument", "ppt/presentation.xml")))
        deck.writestr("ppt/presentation.xml", _presentation(count))
        slide_rels = [("slide", f"slides/slide{n}.xml") for n in range(1, count + 1)]
        deck.writestr(
            "ppt/_rels/presentation.xml.rels",
            _rels(("slideMaster", "slideMasters/slideMaster1.xml"), *slide_rels, ("theme", "theme/theme1.xml")),
        )
        deck.writestr("ppt/slideMasters/slideMaster1.xml", _master())
        deck.writestr(
            "ppt/slideMasters/_rels/slideMaster1.xml.rels",
            _rels(("slideLayout", "../slideLayouts/slideLayout1.xml"), ("theme", "../theme/theme1.xml")),
        )
        deck.writestr("ppt/slideLayouts/slideLayout1.xml", _layout())
        deck.writestr(
            "ppt/slideLayouts/_rels/slideLayout1.xml.rels", _rels(("slideMaster", "../slideMasters/slideMaster1.xml"))
        )
        deck.writestr("ppt/theme/theme1.xml", _theme())
        for n, title in enumerate(titles, start=1):
            deck.writestr(f"ppt/slides/slide{n}.xml", _slide(title))
            deck.writestr(
                f"ppt/slides/_rels/slide{n}.xml.rels", _rels(("slideLayout", "../slideLayouts/slideLayout1.xml"))
            )
    return buffer.getvalue()
