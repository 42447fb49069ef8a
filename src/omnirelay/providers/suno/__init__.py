"""Suno upstreams (spec §2): the aggregator "Suno API" format (2A) and gcui-art/suno-api (2B).

``aggregator.py`` and ``gcui.py`` are pure transforms between each dialect and the family's
neutral terms (:mod:`omnirelay.families.suno.upstream`), ``clips.py`` the clip shape both end
in, ``adapter.py`` the thin I/O shell, ``kind.py`` the ``suno`` channel type.
"""
