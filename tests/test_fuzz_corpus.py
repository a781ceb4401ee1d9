"""The fuzz harnesses (``fuzz/``) on every ``make test``: the committed corpus, then a
fixed-seed mutation run per target, so a regression of any promise a harness checks
fails here deterministically (``make fuzz`` explores further, at random).

Adds under 15 s to ``make test``: 3,000 mutated inputs per target, each replayed with the
harness's work meter (calls counted by cProfile) on.
"""

from __future__ import annotations

import importlib
import random
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fuzz import TARGETS
from fuzz._common import CORPUS, MAX_REQUEST

#: mutated inputs per target; the seed is fixed, so every run tries the same ones
MUTATIONS = 3000
SEED = 20261204
#: pieces hostile input is made of: long numbers, wildcards, nesting, separators
TOKENS = (
    b"9" * 5000,
    b"0" * 40 + b"1",
    b"\xc2\xb2",
    b"*",
    b"?",
    b"/" * 3000,
    b"[" * 2000,
    b"{" * 600,
    b'"\\',
    b"%",
    b"%00",
    b";",
    b"=",
    b"&",
    b"\x00",
    b"\n",
    b"\xff\xfe",
    b"; a=1" * 800,
    b"&x" * 1500,
    b"bytes=",
    b"-",
    b"Expires=",
    b"CloudFront-Expires=",
    b"Policy=",
    b"AWS:EpochTime",
    b":" + b"9" * 30,
)


def mutate(data: bytes, rng: random.Random) -> bytes:
    """One to four libFuzzer-like edits: flip, insert a token, delete, duplicate, splice."""
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        at = rng.randint(0, len(out))
        choice = rng.randrange(5)
        if choice == 0 and out:
            out[min(at, len(out) - 1)] ^= 1 << rng.randrange(8)
        elif choice == 1:
            out[at:at] = rng.choice(TOKENS)
        elif choice == 2:
            del out[at : at + rng.randint(1, 64)]
        elif choice == 3:
            out[at:at] = out[at : at + rng.randint(1, 256)] * rng.randint(1, 32)
        else:
            out[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
    return bytes(out[:MAX_REQUEST])


def seeds(target: str) -> list[bytes]:
    folder = CORPUS / target
    return [path.read_bytes() for path in sorted(folder.iterdir())] if folder.is_dir() else []


def harness(target: str) -> Callable[[bytes], None]:
    function: Callable[[bytes], None] = importlib.import_module(f"fuzz.{target}").test_one_input
    return function


def inputs(target: str) -> Iterator[bytes]:
    corpus = seeds(target)
    yield from corpus
    rng = random.Random(f"{SEED}-{target}")
    pool = corpus or [b""]
    for _ in range(MUTATIONS):
        yield mutate(rng.choice(pool), rng)


@pytest.mark.parametrize("target", TARGETS)
def test_fuzz_target_keeps_its_promises(target: str) -> None:
    run = harness(target)
    for data in inputs(target):
        try:
            run(data)
        except AssertionError as exc:
            raise AssertionError(f"{target} on {data[:200]!r}...: {exc}") from exc


def test_every_target_has_a_committed_corpus() -> None:
    for target in TARGETS:
        assert seeds(target), f"fuzz/corpus/{target} is empty: run python -m fuzz.seeds"


def test_fuzz_corpus_folders_are_targets() -> None:
    assert {path.name for path in CORPUS.iterdir()} == set(TARGETS)
    assert Path(CORPUS.parent, "__main__.py").is_file()


def test_campaign_timeout_input_is_within_the_work_budget() -> None:
    """The long campaign's one report: a 1 KB URL of control bytes and a damaged cookie
    policy, flagged after a 2 s stall on a loaded machine. It replays in milliseconds;
    the meter proves its work is within the verify_cookies budget (R38)."""
    data = (CORPUS / "verify_cookies" / "regression-campaign-timeout-7bbfdb2b").read_bytes()
    harness("verify_cookies")(data)


def test_campaign_policy_budget_input_compiles_within_its_budget() -> None:
    """The campaign's policy finding: a pattern whose ?-segment holds 150 escaped '&'
    took 10,258 calls to compile (sre, about 70 a character) against a budget of 64 a
    character. Compiling is linear and cached per signed pattern (R11); the budget now
    allows 128 a character, and matching stays a handful of operations."""
    data = (CORPUS / "policy" / "regression-campaign-budget-d0bff993").read_bytes()
    harness("policy")(data)


def test_campaign_policy_round_trip_input_is_refused_by_the_signer() -> None:
    """The campaign's second policy finding: a policy whose Resource holds escaped
    backslashes parses, but Signer.sign_policy put the resource into the bytes verbatim
    (R3), signing JSON that reads back as another policy. sign_policy now refuses a
    resource JSON would have to escape (R44)."""
    data = (CORPUS / "policy" / "regression-campaign-roundtrip-9f953c9d").read_bytes()
    harness("policy")(data)


def _playlist_refusal(text: str, suffix: str) -> str:
    """The message of the ``playlist-invalid`` refusal ``sign_playlist`` gives ``text``."""
    import warnings

    from fuzz._common import EC_ID, NOW, D, signers

    from frontgate.errors import InputError
    from frontgate.streaming import sign_playlist

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(InputError) as refused:
            sign_playlist(
                text, f"{D}/v/42/index.{suffix}", signers()[EC_ID], expires_in=60, now=NOW
            )
    assert refused.value.code == "playlist-invalid"
    return refused.value.message


def test_playlist_with_an_unbalanced_ipv6_bracket_is_playlist_invalid() -> None:
    """Found by the playlist harness: urllib's "Invalid IPv6 URL" ValueError escaped
    sign_playlist; it is a playlist-invalid InputError naming the line and the host."""
    text = "#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:4,\nhttp://[oops/seg1.ts\n#EXT-X-ENDLIST\n"
    message = _playlist_refusal(text, "m3u8")
    assert message.startswith("line 4: ")
    assert "'[oops' is not a valid host name" in message


def test_playlist_tag_ending_in_an_empty_uri_is_playlist_invalid() -> None:
    """Found by the playlist harness: ``URI=`` at the end of a tag line read one character
    past the line (IndexError); it is the empty-URI refusal (RFC 8216)."""
    text = "#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXT-X-KEY:METHOD=AES-128,URI=\n#EXTINF:4,\nx.ts\n"
    assert "URI must be a non-empty quoted string" in _playlist_refusal(text, "m3u8")


def test_dash_base_url_with_an_unbalanced_ipv6_bracket_is_playlist_invalid() -> None:
    """The playlist campaign's finding: the same urllib ValueError, from a DASH
    <BaseURL> resolved as the base of what it holds; the BaseURL is refused by name."""
    text = (
        '<?xml version="1.0"?>\n<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static">'
        "<BaseURL>http://[oops/v/</BaseURL><Period><AdaptationSet><Representation id='1' "
        "bandwidth='1'><BaseURL>a.mp4</BaseURL></Representation></AdaptationSet></Period></MPD>\n"
    )
    assert "<BaseURL>" in _playlist_refusal(text, "mpd")
    harness("playlist")((CORPUS / "playlist" / "regression-campaign-baseurl-4d28e00c").read_bytes())
