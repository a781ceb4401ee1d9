"""Playlists: the hook for ``frontgate.streaming``, which this tree does not have yet.

When that module lands, this harness feeds any bytes to its playlist reading and expects
only a result or a FrontgateError (seeds from its own valid playlists go in
``fuzz/corpus/playlist``). Until then it checks nothing.
"""

from __future__ import annotations


def test_one_input(data: bytes) -> None:
    del data  # nothing to fuzz until frontgate.streaming exists
