"""Signed HLS and DASH playlists (contract, "Streaming"): every URI a player fetches
verifies with frontgate's Verifier (R11 wildcard match), every other byte is unchanged,
one signature per playlist, and the refusals name the line.

The playlists under tests/data/playlists are written the way packagers write them
(master, AES-128 media with byte ranges, LL-HLS parts, FairPlay, DASH templates with
$Number$ and $Time$, segment lists, prefixed namespaces). URIs are found and resolved here
independently of frontgate: line by line for HLS, with ElementTree for DASH.
"""

from __future__ import annotations

import re
import warnings
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from frontgate import Distribution, FrontgateWarning, InputError, Signer, Verifier, streaming
from frontgate.encoding import cf_b64decode
from frontgate.keys import LocalKey, load_private_key
from frontgate.policy import MAX_URL_BYTES, Policy, prepare_url
from frontgate.streaming import MAX_PLAYLIST_CHARS, playlist_kind, sign_playlist
from tests.conftest import KEY_PAIR_ID, NOW, key_bytes, public_pem

PLAYLISTS = Path(__file__).parent / "data" / "playlists"
D = "https://d111111abcdef8.cloudfront.net"
DASH_NS = "{urn:mpeg:dash:schema:mpd:2011}"
#: the signing query, in plain or XML-escaped form
SIGNING_QUERY = re.compile(
    r"Policy=[A-Za-z0-9\-_~]+&(?:amp;)?Signature=[A-Za-z0-9\-_~]+&(?:amp;)?Key-Pair-Id=[A-Z0-9]+"
    r"(?:&(?:amp;)?Hash-Algorithm=SHA256)?"
)

#: fixture -> (the URL it is served at, how many URLs a player fetches signed, the resource)
FIXTURES: dict[str, tuple[str, int, str]] = {
    "master.m3u8": (f"{D}/videos/42/master.m3u8", 13, f"{D}/*"),
    "media_aes_byterange.m3u8": (f"{D}/videos/42/v360/index.m3u8", 7, f"{D}/videos/*"),
    "media_fmp4_llhls.m3u8": (f"{D}/live/7/2M/index.m3u8", 13, f"{D}/live/7/*"),
    "media_fairplay_data.m3u8": (f"{D}/videos/42/fps/index.m3u8", 2, f"{D}/videos/42/fps/*"),
    "dash_number.mpd": (f"{D}/videos/42/manifest.mpd", 6, f"{D}/videos/42/*"),
    "dash_time_prefixed.mpd": (f"{D}/videos/43/manifest.mpd", 5, f"{D}/videos/43/*"),
    "dash_segment_list.mpd": (f"{D}/videos/44/manifest.mpd", 9, f"{D}/videos/44/*"),
    "dash_segment_url_runs.mpd": (f"{D}/videos/45/manifest.mpd", 10, f"{D}/videos/45/*"),
}


def fixture(name: str) -> str:
    # bytes, decoded: a byte order mark and CRLF stay as they are in the file
    return (PLAYLISTS / name).read_bytes().decode("utf-8")


@pytest.fixture(scope="module")
def rsa() -> Signer:
    return Signer.from_pem(key_bytes("rsa2048_pkcs1.pem"), KEY_PAIR_ID)


@pytest.fixture(scope="module")
def verifier() -> Verifier:
    return Verifier({KEY_PAIR_ID: public_pem("rsa"), "KECDSA": public_pem("ecdsa")})


def sign(text: str, url: str, signer: Signer, **options: Any) -> str:
    """sign_playlist at the fixed clock, warnings recorded rather than raised."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FrontgateWarning)
        return sign_playlist(text, url, signer, expires_in=3600, now=NOW, **options)


def unsign(text: str) -> str:
    """The text with every appended signing query removed (one query for the playlist)."""
    queries = set(SIGNING_QUERY.findall(text))
    assert len(queries) <= 1, "one signature per playlist"
    for query in queries:
        for separator in ("&amp;", "&", "?", ""):
            text = text.replace(separator + query, "")
    return text


def policy_of(text: str) -> Policy:
    match = re.search(r"Policy=([A-Za-z0-9\-_~]+)", text)
    assert match is not None
    return Policy.from_json(cf_b64decode(match.group(1)))


# -- finding URIs independently ---------------------------------------------------------

_HLS_URI_ATTRIBUTE = re.compile(r'(?:^|,)URI="([^"]*)"')


def hls_uris(text: str, url: str) -> list[str]:
    """The absolute URL of every URI of an HLS playlist (fragments dropped)."""
    found = []
    for line in text.lstrip("\ufeff").splitlines():
        line = line.strip()
        if not line:
            continue
        if line.startswith("#"):
            tag, _, attributes = line.partition(":")
            if tag in {
                "#EXT-X-KEY",
                "#EXT-X-MAP",
                "#EXT-X-MEDIA",
                "#EXT-X-I-FRAME-STREAM-INF",
                "#EXT-X-SESSION-KEY",
                "#EXT-X-SESSION-DATA",
                "#EXT-X-PART",
                "#EXT-X-PRELOAD-HINT",
                "#EXT-X-RENDITION-REPORT",
            }:
                found += _HLS_URI_ATTRIBUTE.findall(attributes)
            continue
        found.append(line)
    return [urljoin(url, uri).partition("#")[0] for uri in found]


def _parse_xml(data: bytes) -> ET.Element:
    # our own fixtures and frontgate's output of them: no entity declarations to expand
    return ET.fromstring(data)  # noqa: S314


def _substitute(template: str, representation: ET.Element) -> str:
    template = template.replace("$RepresentationID$", representation.get("id", ""))
    template = template.replace("$Bandwidth$", representation.get("bandwidth", ""))
    template = re.sub(r"\$Number%0(\d)d\$", lambda m: "1".zfill(int(m.group(1))), template)
    return template.replace("$Number$", "7").replace("$Time$", "180000")


def dash_uris(text: str, url: str) -> list[str]:
    """The absolute URL of every URI a DASH player fetches: BaseURLs, then templates
    expanded per Representation, segment lists and indexes."""
    root = _parse_xml(text.encode("utf-8"))
    found: list[str] = []

    def walk(element: ET.Element, base: str, templates: dict[str, str]) -> None:
        bases = [b.text.strip() for b in element.findall(f"{DASH_NS}BaseURL") if b.text]
        found.extend(urljoin(base, b) for b in bases)
        if bases:
            base = urljoin(base, bases[0])
        template = element.find(f"{DASH_NS}SegmentTemplate")
        if template is not None:
            templates = {
                **templates,
                **{
                    k: v
                    for k, v in template.attrib.items()
                    if k in ("media", "initialization", "index")
                },
            }
        if element.tag == f"{DASH_NS}Representation":
            found.extend(urljoin(base, _substitute(v, element)) for v in templates.values())
        for holder in ("SegmentList", "SegmentBase"):
            for part in element.findall(f"{DASH_NS}{holder}"):
                for child in part:
                    for attribute in ("media", "index", "sourceURL"):
                        if attribute in child.attrib:
                            found.append(urljoin(base, child.attrib[attribute]))
        for child in element:
            if child.tag in (
                f"{DASH_NS}Period",
                f"{DASH_NS}AdaptationSet",
                f"{DASH_NS}Representation",
            ):
                walk(child, base, templates)

    walk(root, url, {})
    return found


def uris_of(text: str, url: str) -> list[str]:
    return hls_uris(text, url) if playlist_kind(text) == "hls" else dash_uris(text, url)


def assert_verifies(signed: str, url: str, verifier: Verifier, expected: int) -> list[str]:
    """Every signed URI verifies at the edge's clock; returns the unsigned ones."""
    signed_count = 0
    unsigned = []
    for uri in uris_of(signed, url):
        if "Signature=" not in uri:
            unsigned.append(uri)
            continue
        decision = verifier.verify_url(uri, now=NOW + 1)
        assert decision.allowed, (uri, decision.reason, decision.message)
        signed_count += 1
    assert signed_count == expected
    return unsigned


# -- the fixtures: verify, byte-identical, one signature ---------------------------------


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_r11_every_signed_uri_verifies_and_other_bytes_are_unchanged(
    name: str, rsa: Signer, verifier: Verifier
) -> None:
    url, count, resource = FIXTURES[name]
    text = fixture(name)
    signed = sign(text, url, rsa)
    assert unsign(signed) == text
    assert policy_of(signed).resource == resource
    unsigned = assert_verifies(signed, url, verifier, count)
    for uri in unsigned:  # only other hosts and non-http schemes stay unsigned
        assert not uri.startswith(D) or "Policy=" in uri


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_absolute_writes_absolute_signed_urls(name: str, rsa: Signer, verifier: Verifier) -> None:
    url, count, _ = FIXTURES[name]
    signed = sign(fixture(name), url, rsa, absolute=True)
    # resolved against an unrelated URL, the signed URIs still name the CDN
    elsewhere = "https://app.example.com/player/manifest"
    assert_verifies(signed, elsewhere, Verifier({KEY_PAIR_ID: public_pem("rsa")}), count)
    assert_verifies(signed, url, verifier, count)


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_sha256_and_ecdsa(name: str) -> None:
    url, count, _ = FIXTURES[name]
    signer = Signer.from_pem(key_bytes("p256_sec1.pem"), "KECDSA", hash_algorithm="SHA256")
    text = fixture(name)
    signed = sign(text, url, signer)
    assert "Hash-Algorithm=SHA256" in signed
    assert unsign(signed) == text
    assert_verifies(signed, url, Verifier({"KECDSA": public_pem("ecdsa")}), count)


def test_fixture_details_are_kept(rsa: Signer) -> None:
    url = FIXTURES["media_aes_byterange.m3u8"][0]
    signed = sign(fixture("media_aes_byterange.m3u8"), url, rsa)
    assert signed.startswith("\ufeff#EXTM3U\r\n")
    assert signed.count("\r\n") == fixture("media_aes_byterange.m3u8").count("\r\n")
    lines = signed.split("\r\n")
    query = r"Policy=[^&]+&Signature=[^&]+&Key-Pair-Id=\w+"
    assert re.fullmatch(rf"seg-0003\.ts\?track=main&{query}", lines[19])
    # the query goes before a fragment
    assert re.fullmatch(rf"seg-0004\.ts\?{query}#t=0\.5", lines[21])
    assert '#EXT-X-KEY:METHOD=AES-128,URI="../../keys/42/k1.key?Policy=' in signed


def test_dash_query_is_xml_escaped_and_templates_keep_identifiers(rsa: Signer) -> None:
    url = FIXTURES["dash_number.mpd"][0]
    signed = sign(fixture("dash_number.mpd"), url, rsa)
    media = re.search(r'media="(video/[^"]+)"', signed)
    assert media is not None
    assert media.group(1).startswith("video/$RepresentationID$/seg-$Number%05d$.m4s?Policy=")
    assert "&amp;Signature=" in media.group(1)
    assert "&Signature" not in signed
    assert 'media="audio/seg-$Number$.m4s?lang=en&amp;v=2&amp;Policy=' in signed
    _parse_xml(signed.encode())  # still well-formed XML


MIXED_BASES = """<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static">
  <BaseURL>media/</BaseURL>
  <Period>
    <AdaptationSet mimeType="video/mp4">
      <SegmentTemplate media="$RepresentationID$-$Number$.m4s"
                       initialization="init-$RepresentationID$.mp4"/>
      <Representation id="low" bandwidth="1"/>
      <Representation id="high" bandwidth="2"><BaseURL>high/</BaseURL></Representation>
    </AdaptationSet>
  </Period>
</MPD>
"""


def test_dash_absolute_with_a_base_url_per_representation(rsa: Signer, verifier: Verifier) -> None:
    # the template serves two Representations with different bases: it stays relative,
    # and the BaseURLs become absolute, so each Representation still resolves to the CDN
    url = f"{D}/videos/9/manifest.mpd"
    signed = sign(MIXED_BASES, url, rsa, absolute=True)
    assert f"<BaseURL>{D}/videos/9/media/?Policy=" in signed
    assert f"<BaseURL>{D}/videos/9/media/high/?Policy=" in signed
    assert 'media="$RepresentationID$-$Number$.m4s?Policy=' in signed
    app = "https://app.example.com/watch/9/manifest.mpd"
    assert_verifies(signed, app, verifier, 6)
    assert all(uri.startswith(f"{D}/videos/9/media/") for uri in dash_uris(signed, app))


def test_dash_namespace_in_the_old_spelling(rsa: Signer) -> None:
    text = fixture("dash_number.mpd").replace(
        'xmlns="urn:mpeg:dash:schema:mpd:2011"', 'xmlns="urn:mpeg:DASH:schema:MPD:2011"'
    )
    signed = sign(text, FIXTURES["dash_number.mpd"][0], rsa)
    assert unsign(signed) == text
    assert signed.count("Policy=") == 4


def test_elements_of_other_namespaces_are_left_alone(rsa: Signer) -> None:
    text = (
        '<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" xmlns:x="urn:example">'
        '<x:BaseURL>x/</x:BaseURL><Period><x:SegmentURL media="a.m4s"/>'
        '<AdaptationSet><SegmentTemplate media="$Number$.m4s"/></AdaptationSet>'
        "</Period></MPD>"
    )
    signed = sign(text, f"{D}/v/m.mpd", rsa)
    assert '<x:BaseURL>x/</x:BaseURL><Period><x:SegmentURL media="a.m4s"/>' in signed
    assert 'media="$Number$.m4s?Policy=' in signed


def test_dash_character_references_are_kept(rsa: Signer) -> None:
    url = FIXTURES["dash_segment_list.mpd"][0]
    signed = sign(fixture("dash_segment_list.mpd"), url, rsa)
    assert "<BaseURL>ondemand/video&#95;540p.mp4?Policy=" in signed
    assert '<![CDATA[ text <SegmentURL media="not-an-element.m4s"/> ]]>' in signed


def test_one_signature_for_ten_thousand_segments(verifier: Verifier) -> None:
    calls = []
    local = LocalKey(load_private_key(key_bytes("rsa2048_pkcs1.pem")))

    class CountingKey:
        """The real key, counting its signatures."""

        key_type = local.key_type
        description = local.description

        def signer_for(self, hash_algorithm: str) -> Callable[[bytes], bytes]:
            sign_bytes = local.signer_for(hash_algorithm)  # type: ignore[arg-type]

            def counted(data: bytes) -> bytes:
                calls.append(data)
                return sign_bytes(data)

            return counted

        def public_key(self) -> object:
            return local.public_key()

    signer = Signer(CountingKey(), KEY_PAIR_ID)  # type: ignore[arg-type]
    text = "#EXTM3U\n#EXT-X-TARGETDURATION:4\n" + "".join(
        f"#EXTINF:4.0,\nsegment-{n:05d}.ts\n" for n in range(10_000)
    )
    url = f"{D}/videos/long/index.m3u8"
    signed = sign(text, url, signer)
    assert len(calls) == 1
    assert unsign(signed) == text
    last = signed.splitlines()[-1]
    assert verifier.verify_url(urljoin(url, last), now=NOW).allowed


# -- which URIs are signed ----------------------------------------------------------------


def test_other_hosts_are_named_in_one_warning(rsa: Signer) -> None:
    text = "#EXTM3U\n#EXTINF:4,\na.ts\n#EXTINF:4,\nhttps://ads.example.net/1.ts\n#EXTINF:4,\nhttps://ads.example.net/2.ts\n"
    with pytest.warns(FrontgateWarning) as record:
        signed = sign_playlist(text, f"{D}/v/index.m3u8", rsa, expires_in=60, now=NOW)
    assert len(record) == 1
    assert record[0].filename == __file__  # the caller's line, not frontgate's
    message = str(record[0].message)
    assert "line 5: https://ads.example.net/1.ts" in message
    assert "line 7: https://ads.example.net/2.ts" in message
    assert "https://ads.example.net/1.ts\n" in signed
    assert "a.ts?Policy=" in signed


def test_data_and_skd_uris_are_left_alone_without_warning(rsa: Signer) -> None:
    url = FIXTURES["media_fairplay_data.m3u8"][0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        signed = sign_playlist(
            fixture("media_fairplay_data.m3u8"), url, rsa, expires_in=60, now=NOW
        )
    assert 'URI="skd://fps.example.com/42"' in signed
    assert 'URI="data:text/plain;base64,AAECAwQFBgcICQoLDA0ODw=="' in signed


def test_resource_given_leaves_uris_outside_it_unsigned(rsa: Signer, verifier: Verifier) -> None:
    url, _, _ = FIXTURES["master.m3u8"]
    with pytest.warns(FrontgateWarning, match=r"line 7: .*/videos/42/meta/chapters\.json"):
        signed = sign_playlist(
            fixture("master.m3u8"),
            url,
            rsa,
            expires_in=60,
            now=NOW,
            resource=f"{D}/videos/42/v*",
        )
    assert policy_of(signed).resource == f"{D}/videos/42/v*"
    assert_verifies(signed, url, verifier, 8)  # the variants and I-frame playlists under v*
    assert 'URI="meta/chapters.json"' in signed


def test_resource_given_may_cover_another_host(rsa: Signer) -> None:
    text = "#EXTM3U\n#EXTINF:4,\nhttps://CDN2.example.com/x/1.ts\n"
    signed = sign(text, f"{D}/v/index.m3u8", rsa, resource="https://cdn2.example.com/x/*")
    assert signed.splitlines()[2].startswith("https://CDN2.example.com/x/1.ts?Policy=")


def test_resource_given_with_inner_wildcards_uses_r11(rsa: Signer, verifier: Verifier) -> None:
    text = "#EXTM3U\n#EXTINF:4,\na/1.ts\n#EXTINF:4,\nb/1.ts\n#EXTINF:4,\na/1.aac\n"
    with pytest.warns(FrontgateWarning, match="line 7"):
        signed = sign_playlist(
            text, f"{D}/v/i.m3u8", rsa, expires_in=60, now=NOW, resource=f"{D}/v/*/1.ts"
        )
    assert_verifies(signed, f"{D}/v/i.m3u8", verifier, 2)


def test_resource_that_does_not_admit_templates_leaves_them_unsigned(rsa: Signer) -> None:
    url = FIXTURES["dash_number.mpd"][0]
    with pytest.warns(FrontgateWarning):
        signed = sign_playlist(
            fixture("dash_number.mpd"),
            url,
            rsa,
            expires_in=60,
            now=NOW,
            resource=f"{D}/videos/42/*.mp4",
        )
    assert 'media="video/$RepresentationID$/seg-$Number%05d$.m4s"' in signed
    assert 'initialization="audio/init.mp4?Policy=' in signed


def test_nested_keep_leaves_other_playlists_as_written(rsa: Signer, verifier: Verifier) -> None:
    url, _, _ = FIXTURES["master.m3u8"]
    text = fixture("master.m3u8")
    signed = sign(text, url, rsa, nested="keep", absolute=True)
    for line in text.splitlines():
        if line.endswith(".m3u8") or "index.m3u8?" in line:
            assert line in signed.splitlines()
    assert 'URI="audio/en/index.m3u8"' in signed
    assert 'URI="v360/iframes.m3u8"' in signed
    # only the session key and the session data are media here, and the default resource
    # ignores the playlists
    assert policy_of(signed).resource == f"{D}/*"
    assert f'URI="{D}/videos/42/meta/chapters.json?Policy=' in signed
    assert_verifies(signed, url, verifier, 2)


def test_nested_keep_narrows_the_default_resource(rsa: Signer) -> None:
    text = (
        '#EXTM3U\n#EXT-X-SESSION-DATA:DATA-ID="t",URI="meta/t.json"\n'
        "#EXT-X-STREAM-INF:BANDWIDTH=1\n../../other/low.m3u8\n"
    )
    url = f"{D}/videos/42/master.m3u8"
    assert policy_of(sign(text, url, rsa)).resource == f"{D}/*"
    assert policy_of(sign(text, url, rsa, nested="keep")).resource == f"{D}/videos/42/*"


def test_nested_keep_with_nothing_to_sign_returns_the_text(rsa: Signer) -> None:
    text = "#EXTM3U\r\n#EXT-X-STREAM-INF:BANDWIDTH=1\r\nlow/index.m3u8\r\n"
    assert sign(text, f"{D}/v/master.m3u8", rsa, nested="keep") is text


def test_media_uri_ending_in_m3u8_counts_as_a_playlist(rsa: Signer) -> None:
    text = '#EXTM3U\n#EXT-X-KEY:METHOD=AES-128,URI="k.key"\n#EXTINF:4,\nsub/x.M3U8?v=1\n'
    signed = sign(text, f"{D}/v/i.m3u8", rsa, nested="keep")
    assert "sub/x.M3U8?v=1\n" in signed
    assert 'URI="k.key?Policy=' in signed


def test_options_reach_the_policy(rsa: Signer) -> None:
    signed = sign(
        "#EXTM3U\n#EXTINF:4,\na.ts\n",
        f"{D}/v/i.m3u8",
        rsa,
        ip_address="203.0.113.7",
        not_before=NOW - 10,
    )
    policy = policy_of(signed)
    assert (policy.expires, policy.not_before, policy.ip_address) == (
        NOW + 3600,
        NOW - 10,
        "203.0.113.7/32",
    )


def test_a_past_expiry_warns_as_sign_url_does(rsa: Signer) -> None:
    with pytest.warns(FrontgateWarning, match="already past"):
        sign_playlist(
            "#EXTM3U\n#EXTINF:4,\na.ts\n", f"{D}/v/i.m3u8", rsa, expires_at=NOW - 1, now=NOW
        )


def test_distribution_signs_a_path_with_its_expiry(verifier: Verifier) -> None:
    signer = Signer(
        load_private_key(key_bytes("rsa2048_pkcs1.pem")), KEY_PAIR_ID, clock=lambda: NOW
    )
    cdn = Distribution(D, signer, expires_in=120)
    signed = cdn.sign_playlist("videos/q3 keynote/index.m3u8", "#EXTM3U\n#EXTINF:4,\na.ts\n")
    assert policy_of(signed).resource == f"{D}/videos/q3%20keynote/*"
    assert policy_of(signed).expires == NOW + 120
    assert verifier.verify_url(f"{D}/videos/q3%20keynote/{signed.split()[2]}", now=NOW).allowed


# -- refusals -------------------------------------------------------------------------------


def refused(text: str, **options: Any) -> str:
    with pytest.raises(InputError) as caught:
        sign_playlist(
            text,
            f"{D}/v/i.m3u8",
            Signer.from_pem(key_bytes("p256_sec1.pem"), "K1"),
            expires_in=60,
            now=NOW,
            **options,
        )
    assert caught.value.code == "playlist-invalid"
    return caught.value.message


@pytest.mark.parametrize(
    "text",
    [
        "",
        "hello",
        "#EXTM3UX\nseg.ts\n",
        " #EXTM3U\n",
        '{"EXTM3U": 1}',
        "<html><body>#EXTM3U</body></html>",
        '<?xml version="1.0"?><Manifest/>',
    ],
)
def test_neither_hls_nor_dash(text: str) -> None:
    assert "neither" in refused(text) or "not a DASH" in refused(text)


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\n", "line 2"),
        (
            "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\n#EXT-X-STREAM-INF:BANDWIDTH=2\na.m3u8\n",
            "line 2",
        ),
        ('#EXTM3U\n#EXT-X-KEY:METHOD=AES-128,URI="k.key\n', "line 2"),
        ("#EXTM3U\n#EXT-X-MAP:URI=init.mp4\n", "line 2"),
        ('#EXTM3U\n#EXT-X-MAP:URI=""\n', "line 2"),
        ('#EXTM3U\n#EXT-X-MAP:URI="a.mp4",URI="b.mp4"\n', "line 2"),
        ('#EXTM3U\n#EXT-X-PART:DURATION=1 URI="p.m4s"\n', "line 2"),
        ("#EXTM3U\n#EXTINF:4,\nseg 1.ts\n", "line 3"),
        ("#EXTM3U\n#EXTINF:4,\nségment.ts\n", "line 3"),
        ("#EXTM3U\n#EXTINF:4,\nseg.ts?Signature=abc\n", "line 3"),
        ("#EXTM3U\n#EXTINF:4,\n%2e%2e/seg.ts\n", "line 3"),
        ("#EXTM3U\n#EXTINF:4,\nhttps://user@d.example/seg.ts\n", "line 3"),
    ],
)
def test_malformed_hls_names_the_line(text: str, where: str) -> None:
    assert refused(text).startswith(where + ":")


DASH_HEAD = '<MPD xmlns="urn:mpeg:dash:schema:mpd:2011"><Period><AdaptationSet>'
DASH_TAIL = "</AdaptationSet></Period></MPD>"


@pytest.mark.parametrize(
    ("body", "what"),
    [
        ('<SegmentTemplate media="a.m4s"></AdaptationSet>', "end tag"),
        ('<SegmentTemplate media="a.m4s', "not closed"),
        ('<SegmentTemplate media="a&nbsp;b.m4s"/>', "&amp;"),
        ('<SegmentTemplate media="a&#0;b.m4s"/>', "&amp;"),
        ('<SegmentTemplate media="a.m4s" media="b.m4s"/>', "twice"),
        ("<SegmentTemplate media=a.m4s/>", "malformed start tag"),
        ("<BaseURL>a/<!-- no --></BaseURL>", "only its URL"),
        ("<BaseURL>seg one/</BaseURL>", "%20"),
        ("<!-- open", "unterminated comment"),
        ("< SegmentTemplate/>", "starts no element"),
    ],
)
def test_malformed_dash_names_the_line(body: str, what: str) -> None:
    text = f'<?xml version="1.0"?>\n{DASH_HEAD}\n{body}\n{DASH_TAIL}\n'
    message = refused(text)
    assert message.startswith(("line 2", "line 3")), message
    assert what in message


def test_dash_unclosed_root_and_content_after_it() -> None:
    assert "never closed" in refused(DASH_HEAD)
    assert "after the end" in refused(DASH_HEAD + DASH_TAIL + "<MPD/>")


def test_entity_expansion_is_refused_before_any_expansion() -> None:
    laughs = (
        '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
        + "".join(
            f'<!ENTITY lol{i} "{"&lol" + str(i - 1) + ";" if i > 1 else "&lol;"}' * 10 + '">'
            for i in range(1, 10)
        )
        + ']>\n<MPD xmlns="urn:mpeg:dash:schema:mpd:2011"><BaseURL>&lol9;</BaseURL></MPD>'
    )
    assert "document type declarations" in refused(laughs)


def test_r43_a_signed_uri_over_8192_bytes_is_refused() -> None:
    long_name = "a" * (MAX_URL_BYTES - 200)
    message = refused(f"#EXTM3U\n#EXTINF:4,\nshort.ts\n#EXTINF:4,\n{long_name}.ts\n")
    assert message.startswith("line 5:")
    assert "R43" in message


def test_size_bound() -> None:
    assert "at most" in refused("#EXTM3U\n" + "#" * MAX_PLAYLIST_CHARS)


def test_bad_arguments() -> None:
    assert "nested" in refused("#EXTM3U\n", nested="sometimes")
    with pytest.raises(InputError) as caught:
        sign_playlist(
            b"#EXTM3U\n",  # type: ignore[arg-type]
            f"{D}/v/i.m3u8",
            Signer.from_pem(key_bytes("p256_sec1.pem"), "K1"),
            expires_in=60,
        )
    assert caught.value.code == "playlist-invalid"
    with pytest.raises(InputError) as caught:
        sign_playlist(
            "#EXTM3U\n",
            "/v/i.m3u8",
            Signer.from_pem(key_bytes("p256_sec1.pem"), "K1"),
            expires_in=60,
        )
    assert caught.value.code == "url-invalid"


# -- hostile input stays linear (the check is that these finish; no timing is asserted) --


@pytest.mark.parametrize(
    "text",
    [
        "#EXTM3U\n" + '#EXT-X-KEY:URI="' + "a," * 200_000 + "\n",
        "#EXTM3U\n" + "\n" * 400_000 + "#EXT-X-STREAM-INF:B=1\n",
        DASH_HEAD + "<a " * 200_000,
        DASH_HEAD + '<SegmentURL media="' + "x" * 400_000,
        DASH_HEAD + "<" * 400_000,
        DASH_HEAD + "<BaseURL>" + "&amp" * 200_000 + "</BaseURL>" + DASH_TAIL,
        DASH_HEAD + "<x>" * 100_000,
        DASH_HEAD + "<!--" + "-" * 400_000,
    ],
)
def test_hostile_input_is_refused(text: str) -> None:
    refused(text)


def test_blank_lines_stay_blank(rsa: Signer) -> None:
    text = "#EXTM3U\r\n\r\n#EXTINF:4,\r\nseg.ts\r\n\r\n  \r\n"
    signed = sign(text, f"{D}/v/i.m3u8", rsa)
    lines = signed.split("\r\n")
    assert (lines[1], lines[4], lines[5]) == ("", "", "  ")
    assert unsign(signed) == text


@pytest.mark.parametrize("end", ["\n", "\r\n"])
@pytest.mark.parametrize("odd", [".", "..", "./a.ts", "../a.ts", ".hidden.ts", "a//b.ts"])
def test_dot_segments_resolve_as_players_do(
    odd: str, end: str, rsa: Signer, verifier: Verifier
) -> None:
    text = end.join(["#EXTM3U", "#EXTINF:4,", "a.ts", "#EXTINF:4,", odd, "#EXTINF:4,", "b.ts", ""])
    url = f"{D}/v/42/index.m3u8"
    signed = sign(text, url, rsa)
    assert unsign(signed) == text
    assert_verifies(signed, url, verifier, 3)


def test_long_attribute_lists_are_read_once() -> None:
    text = "#EXTM3U\n#EXT-X-MAP:" + "A=1," * 200_000 + 'URI="init.mp4"\n'
    signed = sign(text, f"{D}/v/i.m3u8", Signer.from_pem(key_bytes("p256_sec1.pem"), "K1"))
    assert signed.endswith('URI="init.mp4?' + SIGNING_QUERY.findall(signed)[0] + '"\n')


def test_deep_nesting_is_refused() -> None:
    assert "nested more than" in refused(DASH_HEAD + "<x>" * 1000 + "</x>" * 1000 + DASH_TAIL)


# -- properties -----------------------------------------------------------------------------

_NAME = st.text(alphabet="abcxyz0189-_~", min_size=1, max_size=8)
_RELATIVE = st.builds(
    lambda parts, ext: "/".join(parts) + ext,
    st.lists(_NAME, min_size=1, max_size=3),
    st.sampled_from([".ts", ".m4s", ".aac", ".vtt", ".key", ".mp4", ""]),
)
_URI = st.one_of(
    _RELATIVE,
    _RELATIVE.map(lambda u: "../" + u),
    _RELATIVE.map(lambda u: "/videos/" + u),
    _RELATIVE.map(lambda u: u + "?v=1&n=x"),
    _RELATIVE.map(lambda u: u + "?"),
    _RELATIVE.map(lambda u: f"{D}/videos/{u}"),
    _RELATIVE.map(lambda u: f"HTTPS://D111111ABCDEF8.cloudfront.net:443/{u}"),
    _RELATIVE.map(lambda u: f"https://other.example/{u}"),
    st.just("data:text/plain,hello"),
    st.just("skd://key-1"),
)
_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=20)
_HLS_LINE = st.one_of(
    _URI,
    _URI.map(lambda u: f"  {u}\t"),
    st.just(""),
    st.just("   "),
    _TEXT.map(lambda t: "#" + t),
    _TEXT.map(lambda t: f"#EXTINF:4.000,{t}"),
    st.just("#EXT-X-BYTERANGE:1000@20"),
    st.just("#EXT-X-DISCONTINUITY"),
    _URI.map(lambda u: f'#EXT-X-KEY:METHOD=AES-128,URI="{u}",IV=0x01'),
    _URI.map(lambda u: f'#EXT-X-MAP:URI="{u}",BYTERANGE="720@0"'),
    _URI.map(lambda u: f'#EXT-X-PART:DURATION=1.0,URI="{u}",INDEPENDENT=YES'),
    _URI.map(lambda u: f'#EXT-X-PRELOAD-HINT:TYPE=PART,URI="{u}"'),
    _URI.map(lambda u: f'#EXT-X-RENDITION-REPORT:URI="{u}",LAST-MSN=1'),
    _URI.map(lambda u: f'#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="a",NAME="x, y",URI="{u}"'),
    _URI.map(lambda u: f'#EXT-X-ACME:URI="{u}"'),
    _URI.map(lambda u: f"#EXT-X-STREAM-INF:BANDWIDTH=1\n{u}"),
)


@st.composite
def hls_playlists(draw: st.DrawFn) -> str:
    lines = draw(st.lists(_HLS_LINE, max_size=25))
    ends = draw(
        st.lists(st.sampled_from(["\n", "\r\n"]), min_size=len(lines) + 1, max_size=len(lines) + 1)
    )
    head = draw(st.sampled_from(["", "\ufeff"])) + "#EXTM3U" + ends[0]
    body = "".join(line.replace("\n", end) + end for line, end in zip(lines, ends[1:], strict=True))
    return head + body + draw(st.sampled_from(["", "#EXT-X-ENDLIST"]))


_VALUE = _URI.map(lambda u: u.replace("&", "&amp;"))
_SPACE = st.sampled_from([" ", "\n  ", "\r\n\t", "  "])


@st.composite
def dash_manifests(draw: st.DrawFn) -> str:
    def attribute(name: str) -> str:
        quote = draw(st.sampled_from(['"', "'"]))
        return (
            f"{draw(_SPACE)}{name}{draw(st.sampled_from(['=', ' = ']))}{quote}{draw(_VALUE)}{quote}"
        )

    def noise() -> str:
        return draw(
            st.sampled_from(["", "<!-- c -->", "\n", "<![CDATA[<x>]]>", "<Label>a &amp; b</Label>"])
        )

    head = draw(st.sampled_from(["", "\ufeff", '<?xml version="1.0"?>\n']))
    parts = [head, draw(st.sampled_from(["", "<!-- c -->\n"]))]
    parts.append(f'<MPD xmlns="urn:mpeg:dash:schema:mpd:2011"{draw(_SPACE)}type="static">')
    if draw(st.booleans()):
        parts.append(f"<BaseURL>{draw(_SPACE)}{draw(_VALUE)}{draw(_SPACE)}</BaseURL>")
    parts.append(f"<Period>{noise()}<AdaptationSet>")
    parts.append(
        f"<SegmentTemplate{attribute('media')}{attribute('initialization')} startNumber='1'/>"
    )
    parts.append(f"<Representation id='r'{draw(_SPACE)}>{noise()}<SegmentList>")
    for _ in range(draw(st.integers(0, 4))):
        parts.append(f"<SegmentURL{attribute('media')}{draw(_SPACE)}/>{noise()}")
    parts.append("</SegmentList></Representation></AdaptationSet></Period></MPD>\n")
    return "".join(parts)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=hls_playlists(), absolute=st.booleans())
def test_property_hls_only_uris_change(text: str, absolute: bool) -> None:
    signer = Signer.from_pem(key_bytes("p256_sec1.pem"), "KECDSA")
    url = f"{D}/videos/42/v1/index.m3u8"
    signed = sign(text, url, signer, absolute=absolute)
    if not absolute:
        assert unsign(signed) == text
    checker = Verifier({"KECDSA": public_pem("ecdsa")})
    for uri in uris_of(signed, url):
        if "Signature=" in uri:
            assert checker.verify_url(uri, now=NOW).allowed, uri
        else:
            assert not uri.lower().startswith("https://d111111abcdef8"), uri


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=dash_manifests())
def test_property_dash_only_uris_change(text: str) -> None:
    signer = Signer.from_pem(key_bytes("p256_sec1.pem"), "KECDSA")
    url = f"{D}/videos/42/manifest.mpd"
    signed = sign(text, url, signer)
    assert unsign(signed) == text
    _parse_xml(signed.lstrip("\ufeff").encode())
    checker = Verifier({"KECDSA": public_pem("ecdsa")})
    for uri in uris_of(signed, url):
        if "Signature=" in uri:
            assert checker.verify_url(uri, now=NOW).allowed, uri


_PLAIN_SEGMENT = st.builds(
    lambda parts, ext: "/".join(parts) + ext,
    st.lists(_NAME, min_size=1, max_size=3),
    st.sampled_from([".ts", ".m4s", ".aac"]),
)


@settings(max_examples=40, deadline=None)
@given(
    segments=st.lists(st.one_of(_PLAIN_SEGMENT, st.just("")), min_size=1, max_size=30),
    end=st.sampled_from(["\n", "\r\n"]),
    absolute=st.booleans(),
)
def test_property_plain_segment_lines_match_the_general_path(
    segments: list[str], end: str, absolute: bool
) -> None:
    # plain segment lines take the bulk path; one dot segment sends the whole playlist
    # down the general path, which must write the same bytes for them
    signer = Signer.from_pem(key_bytes("rsa2048_pkcs1.pem"), KEY_PAIR_ID)  # deterministic
    url = f"{D}/videos/42/v1/index.m3u8"
    # an empty name stands for a blank line
    body = "".join(f"#EXTINF:4.0,{end}{segment}{end}" if segment else end for segment in segments)
    plain = sign(f"#EXTM3U{end}{body}", url, signer, absolute=absolute)
    general = sign(
        f"#EXTM3U{end}{body}#EXTINF:4.0,{end}./zz.ts{end}", url, signer, absolute=absolute
    )
    assert general.startswith(plain)
    query = SIGNING_QUERY.findall(general)[0]
    last = f"{D}/videos/42/v1/zz.ts" if absolute else "./zz.ts"
    assert general[len(plain) :] == f"#EXTINF:4.0,{end}{last}?{query}{end}"


# -- the bulk paths: the usual layout, absolute and root-relative segment lines -----------

_EXTRA_TAGS = [
    "#EXT-X-BYTERANGE:1000@0",
    "#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:00.000Z",
    "#EXT-X-DISCONTINUITY",
    "#EXT-X-GAP",
]
_FORMS: dict[str, Callable[[str], str]] = {
    "relative": lambda path: path,
    "root": lambda path: "/videos/42/" + path,
    "other-folder": lambda path: "/media/" + path,
    "origin": lambda path: f"{D}/videos/42/v1/" + path,
    "other-host": lambda path: "https://other.example/v/" + path,
}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    paths=st.lists(_PLAIN_SEGMENT, min_size=1, max_size=12),
    form=st.sampled_from(sorted(_FORMS)),
    query=st.sampled_from(["", "?v=1", "?v=1&n=x/y", "?", "?a&&b", "?Expires=1", "?a=b?c:d"]),
    mixed=st.booleans(),
    extra=st.lists(st.sampled_from(_EXTRA_TAGS), max_size=3),
    ragged=st.booleans(),
    end=st.sampled_from(["\n", "\r\n"]),
    header=st.sampled_from(
        ["", '#EXT-X-MAP:URI="init.mp4"', '#EXT-X-KEY:METHOD=AES-128,URI="../k/1.key"']
    ),
    closing=st.sampled_from(["", "#EXT-X-ENDLIST{end}", "#EXT-X-ENDLIST{end}{end}# done{end}"]),
    absolute=st.booleans(),
    resource=st.sampled_from([None, f"{D}/videos/*", f"{D}/videos/42/v1/*"]),
)
def test_property_bulk_paths_match_the_general_path(
    paths: list[str],
    form: str,
    query: str,
    mixed: bool,
    extra: list[str],
    ragged: bool,
    end: str,
    header: str,
    closing: str,
    absolute: bool,
    resource: str | None,
) -> None:
    # the bulk paths (the usual layout split at its line ends, or the regular-expression
    # split) must write the bytes the per-line path writes: one "./" line sends the
    # whole playlist down the per-line path
    signer = Signer.from_pem(key_bytes("rsa2048_pkcs1.pem"), KEY_PAIR_ID)  # deterministic
    url = f"{D}/videos/42/v1/index.m3u8"
    uris = [_FORMS[form](path) + query for path in paths]
    if mixed:  # one line of another form
        uris[-1] = _FORMS["relative" if form != "relative" else "root"](paths[-1])
    segments = []
    for number, uri in enumerate(uris):
        tags = extra[: number % (len(extra) + 1)] if ragged else extra
        segments.append("".join(f"{tag}{end}" for tag in ["#EXTINF:4.0,", *tags]) + uri + end)
    head = f"#EXTM3U{end}" + (f"{header}{end}" if header else "")
    tail = closing.format(end=end)
    options: dict[str, Any] = {"absolute": absolute, "resource": resource}
    odd = f"#EXTINF:4.0,{end}./zz.ts{end}"

    def outcome(text: str) -> str:
        try:
            return sign(text, url, signer, **options)
        except InputError as refusal:  # e.g. a query naming a CloudFront parameter (R23)
            return f"refused: {refusal.message}"

    general = outcome(head + "".join(segments) + odd + tail)
    plain = outcome(head + "".join(segments) + tail)
    if general.startswith("refused: "):
        assert plain == general
        return
    last = f"{D}/videos/42/v1/zz.ts" if absolute else "./zz.ts"
    odd = f"#EXTINF:4.0,{end}{last}?{SIGNING_QUERY.findall(general)[0]}{end}"  # covered
    assert general == plain[: len(plain) - len(tail)] + odd + tail


@pytest.mark.parametrize(
    ("form", "folder"), [("root", f"{D}/videos/42/"), ("origin", f"{D}/videos/42/v1/")]
)
def test_absolute_and_root_relative_segment_lines_are_signed_as_written(
    form: str, folder: str, rsa: Signer, verifier: Verifier
) -> None:
    url = f"{D}/videos/42/v1/index.m3u8"
    uris = [_FORMS[form](f"seg-{n}.ts") for n in range(3)]
    text = "#EXTM3U\n" + "".join(f"#EXTINF:4,\n{uri}\n" for uri in uris) + "#EXT-X-ENDLIST\n"
    signed = sign(text, url, rsa)
    assert unsign(signed) == text
    query = SIGNING_QUERY.findall(signed)[0]
    assert signed.splitlines()[2] == f"{uris[0]}?{query}"
    # the deepest folder holding the playlist and its segments
    assert policy_of(signed).resource == folder + "*"
    assert_verifies(signed, url, verifier, 3)


def test_segments_in_another_folder_widen_the_resource(rsa: Signer, verifier: Verifier) -> None:
    url = f"{D}/videos/42/v1/index.m3u8"
    text = "#EXTM3U\n" + "".join(f"#EXTINF:4,\n/media/a/{n}.ts\n" for n in range(3))
    signed = sign(text, url, rsa)
    assert policy_of(signed).resource == f"{D}/*"
    assert_verifies(signed, url, verifier, 3)


def test_the_usual_layout_with_byte_ranges_and_a_key_per_segment(
    rsa: Signer, verifier: Verifier
) -> None:
    # a URI-carrying tag between the segments: each line is read on its own
    url = f"{D}/videos/42/v1/index.m3u8"
    body = "".join(
        f'#EXT-X-KEY:METHOD=AES-128,URI="k{n}.key"\n#EXTINF:4,\n#EXT-X-BYTERANGE:100@{n}00\n'
        "all.ts\n"
        for n in range(4)
    )
    text = f"#EXTM3U\n{body}#EXT-X-ENDLIST\n"
    signed = sign(text, url, rsa)
    assert unsign(signed) == text
    assert_verifies(signed, url, verifier, 8)


def test_r43_in_the_usual_layout_names_the_line() -> None:
    long_name = "a" * (MAX_URL_BYTES - 200)
    text = "#EXTM3U\n" + "".join(f"#EXTINF:4,\ns{n}.ts\n" for n in range(40))
    message = refused(text + f"#EXTINF:4,\n{long_name}.ts\n#EXTINF:4,\nlast.ts\n")
    assert message.startswith("line 83:")
    assert "R43" in message


def test_the_property_above_exercises_each_bulk_form() -> None:
    # the property compares the bulk paths with the per-line path: make sure the
    # playlists it draws do take them
    from frontgate.streaming import _HlsScan

    url = f"{D}/videos/42/v1/index.m3u8"
    for form, lead in (("relative", f"{D}/videos/42/v1/"), ("root", D), ("origin", "")):
        body = "".join(
            f"#EXTINF:4.0,\n#EXT-X-BYTERANGE:1000@0\n{_FORMS[form](f's{n}.ts')}\n" for n in range(3)
        )
        usual = _HlsScan(f"#EXTM3U\n{body}#EXT-X-ENDLIST\n", url, False)
        assert (usual.bulk, usual.stride, usual.lead) == (True, 3, lead)
        headed = _HlsScan(f"#EXTM3U\n#EXT-X-GAP\n{body}", url, False)
        assert (headed.bulk, headed.stride) == (True, 3)
        split = _HlsScan(f"#EXTM3U\n{body}#EXTINF:4.0,\n{_FORMS[form]('z.ts')}\n", url, False)
        assert (split.bulk, split.stride) == (True, 0)


@settings(max_examples=200, deadline=None)
@given(
    uri=st.one_of(
        _PLAIN_SEGMENT,
        _PLAIN_SEGMENT.map(lambda p: "../" + p),
        _PLAIN_SEGMENT.map(lambda p: "../../../../" + p),
        _PLAIN_SEGMENT.map(lambda p: "/" + p),
        _PLAIN_SEGMENT.map(lambda p: f"{D}/{p}"),
        _PLAIN_SEGMENT.map(lambda p: f"http://other.example/{p}"),
        st.text(alphabet="abc./:?#%/", max_size=12),
    ),
    base=st.sampled_from([f"{D}/", f"{D}/v/", f"{D}/v/42/x/", "http://h.example:8080/a/"]),
)
def test_property_plain_references_resolve_as_rfc_3986(uri: str, base: str) -> None:
    from frontgate.streaming import _join_reference, _plain_join

    joined = _plain_join(base, uri)
    if joined is not None:
        assert joined == _join_reference(base, uri.partition("#")[0])


# RFC 3986 5.4: every example without a fragment, against its base
_RFC_3986_BASE = "http://a/b/c/d;p?q"
_RFC_3986_EXAMPLES = {
    "g": "http://a/b/c/g",
    "./g": "http://a/b/c/g",
    "g/": "http://a/b/c/g/",
    "/g": "http://a/g",
    "//g": "http://g",
    "?y": "http://a/b/c/d;p?y",
    "g?y": "http://a/b/c/g?y",
    ";x": "http://a/b/c/;x",
    "g;x": "http://a/b/c/g;x",
    "": "http://a/b/c/d;p?q",
    ".": "http://a/b/c/",
    "./": "http://a/b/c/",
    "..": "http://a/b/",
    "../": "http://a/b/",
    "../g": "http://a/b/g",
    "../..": "http://a/",
    "../../": "http://a/",
    "../../g": "http://a/g",
    "../../../g": "http://a/g",
    "../../../../g": "http://a/g",
    "/./g": "http://a/g",
    "/../g": "http://a/g",
    "g.": "http://a/b/c/g.",
    ".g": "http://a/b/c/.g",
    "g..": "http://a/b/c/g..",
    "..g": "http://a/b/c/..g",
    "./../g": "http://a/b/g",
    "./g/.": "http://a/b/c/g/",
    "g/./h": "http://a/b/c/g/h",
    "g/../h": "http://a/b/c/h",
    "g;x=1/./y": "http://a/b/c/g;x=1/y",
    "g;x=1/../y": "http://a/b/c/y",
    "g?y/./x": "http://a/b/c/g?y/./x",
    "g?y/../x": "http://a/b/c/g?y/../x",
    "http:g": "http:g",
    # an empty segment names another object (urllib.parse.urljoin drops it)
    "g//h": "http://a/b/c/g//h",
    "..//g": "http://a/b//g",
}


@pytest.mark.parametrize(("reference", "target"), sorted(_RFC_3986_EXAMPLES.items()))
def test_references_resolve_as_rfc_3986_section_5_4(reference: str, target: str) -> None:
    from frontgate.streaming import _join_reference

    assert _join_reference(_RFC_3986_BASE, reference) == target


def test_an_empty_path_segment_is_kept_as_players_keep_it(rsa: Signer) -> None:
    url = f"{D}/v/42/index.m3u8"
    text = "#EXTM3U\n#EXTINF:4,\n./a//b.ts\n#EXTINF:4,\nc.ts\n"
    signed = sign(text, url, rsa, absolute=True)
    assert signed.splitlines()[2].startswith(f"{D}/v/42/a//b.ts?Policy=")


def test_a_result_many_times_the_playlist_is_refused_before_it_is_written() -> None:
    # a million two-character URI lines would each grow by the signing query (~300 MB)
    message = refused("#EXTM3U\n" + "#EXTINF:1,\na\n" * 1_000_000)
    assert message.startswith("The signed playlist would be about ")
    assert "at most 134,217,728 are written" in message


# -- DASH: runs of SegmentURL elements ------------------------------------------------------
# A run of SegmentURL elements of one shape with plain media URIs is checked and written
# in bulk; every other manifest, and a run the resource may not cover whole, is read
# element by element. Both must give the same bytes, warnings and refusals.


def outcome(text: str, url: str, signer: Signer, **options: Any) -> tuple[str, list[str]]:
    """The signed text (or the refusal) and the warnings of one sign_playlist call."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = sign_playlist(text, url, signer, expires_in=3600, now=NOW, **options)
        except InputError as exc:
            result = f"{exc.code}: {exc.message}"
    return result, [str(warning.message) for warning in caught]


def element_by_element(
    text: str, url: str, signer: Signer, **options: Any
) -> tuple[str, list[str]]:
    """outcome() with no SegmentURL run taken: every element read on its own."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(streaming, "_DASH_RUN_MIN", MAX_PLAYLIST_CHARS)
        return outcome(text, url, signer, **options)


def runs_of(text: str, url: str, nested: str = "sign") -> list[int]:
    """How many SegmentURL elements each run the scanner takes holds."""
    scan = streaming._DashScan(text, prepare_url(url), nested == "keep")
    return [len(run.values) // len(run.uris) for run in scan.runs]


def segment_list_manifest(elements: str, *, base: str = "", head: str = "") -> str:
    return (
        f'<MPD xmlns="urn:mpeg:dash:schema:mpd:2011"{head} type="static">{base}<Period>'
        '<AdaptationSet mimeType="video/mp4"><Representation id="v" bandwidth="1">'
        f'<SegmentList duration="4"><Initialization sourceURL="init.mp4"/>{elements}'
        "\n    </SegmentList></Representation></AdaptationSet></Period></MPD>\n"
    )


def segment_urls(values: list[str], shape: str = '\n      <SegmentURL media="{}"/>') -> str:
    return "".join(shape.format(value) for value in values)


DASH_URL = f"{D}/videos/42/manifest.mpd"
SEGMENTS = [f"s/seg-{n:03d}.m4s" for n in range(6)]


RANGED = "".join(
    f'\n  <SegmentURL media="{s}" mediaRange="{n}00-{n}99"/>' for n, s in enumerate(SEGMENTS)
)
INDEXED = "".join(
    f"<SegmentURL\n index='/videos/42/i/{n}.sidx' mediaRange='{n}-{n}' media='{s}'/>"
    for n, s in enumerate(SEGMENTS)
)


@pytest.mark.parametrize(
    ("elements", "head"),
    [
        (segment_urls(SEGMENTS), ""),
        (segment_urls(SEGMENTS, "<SegmentURL media='{}' />"), ""),
        (segment_urls(SEGMENTS, '\r\n\t<SegmentURL\n  media = "{}"\r\n/>'), ""),
        (segment_urls([f"/videos/7/{s}" for s in SEGMENTS]), ""),
        (segment_urls([f"{D}/videos/42/{s}" for s in SEGMENTS]), ""),
        (segment_urls([f"{s}?v=1/2?x" for s in SEGMENTS]), ""),
        (
            segment_urls(SEGMENTS, '\n<d:SegmentURL media="{}"/>'),
            ' xmlns:d="urn:mpeg:dash:schema:mpd:2011"',
        ),
        (RANGED, ""),
        (RANGED.replace('mediaRange="500-599"', 'mediaRange="5&#48;0-599"'), ""),
        (INDEXED, ""),
    ],
    ids=[
        "relative",
        "quotes-and-spaces",
        "crlf-and-tabs",
        "root",
        "absolute",
        "queries",
        "prefixed",
        "media-range",
        "reference-in-a-range",
        "index-first",
    ],
)
@pytest.mark.parametrize("absolute", [False, True])
def test_dash_segment_url_runs_are_signed_as_one_by_one(
    elements: str, head: str, absolute: bool, rsa: Signer, verifier: Verifier
) -> None:
    text = segment_list_manifest(elements, head=head)
    assert runs_of(text, DASH_URL) == [len(SEGMENTS)]
    signed, warned = outcome(text, DASH_URL, rsa, absolute=absolute)
    assert (signed, warned) == element_by_element(text, DASH_URL, rsa, absolute=absolute)
    assert not warned
    if not absolute:
        assert unsign(signed) == text
    indexes = len(SEGMENTS) if "index=" in elements else 0
    assert_verifies(signed, DASH_URL, verifier, 1 + len(SEGMENTS) + indexes)


@pytest.mark.parametrize("absolute", [False, True])
def test_dash_the_runs_fixture_reads_its_lists_as_runs(absolute: bool, rsa: Signer) -> None:
    # the fixture tests above sign it through the runs
    url = FIXTURES["dash_segment_url_runs.mpd"][0]
    text = fixture("dash_segment_url_runs.mpd")
    assert runs_of(text, url) == [4, 3]
    signed, warned = outcome(text, url, rsa, absolute=absolute)
    assert (signed, warned) == element_by_element(text, url, rsa, absolute=absolute)
    # the first list serves Representations with different bases: it stays relative
    assert 'media="s/seg-0.m4s?v=1&amp;Policy=' in signed
    assert (f"media='{D}/videos/45/b/0.m4s?Policy=" in signed) is absolute


@pytest.mark.parametrize(
    "elements",
    [
        segment_urls(SEGMENTS[:3]) + '<SegmentURL media="x.m4s" mediaRange="0-99"/>',
        segment_urls(SEGMENTS[:3]) + '<SegmentURL media="x.m4s" index="x.sidx"/>',
        segment_urls(SEGMENTS, "<SegmentURL media=\"{}\" mediaRange='0-99'/>"),
        segment_urls(SEGMENTS, '<SegmentURL media="{}"></SegmentURL>'),
        INDEXED.replace("'/videos/42/i/5.sidx'", "'i/5.sidx'"),
        segment_urls(SEGMENTS[:3]) + "<!-- a -->" + segment_urls(SEGMENTS[3:]),
        segment_urls(SEGMENTS[:3]) + "<!-- a -->",
        segment_urls(SEGMENTS[:3]) + '<SegmentURL media="x&#46;m4s"/>',
        segment_urls(SEGMENTS[:3]) + "<SegmentURL media='x.m4s'/>",
        segment_urls(SEGMENTS[:3]) + '\n<SegmentURL media="x.m4s"/>',
        segment_urls(SEGMENTS[:3]) + "<Extra/>",
        segment_urls(["", *SEGMENTS[:3]]),
        segment_urls([*SEGMENTS[:3], ""]),
        segment_urls([*SEGMENTS[:3], "./x.m4s"]),
        segment_urls([*SEGMENTS[:3], "../x.m4s"]),
        segment_urls([*SEGMENTS[:3], "x.m4s?v=1"]),
        segment_urls([f"{segment}?v=1&amp;n=2" for segment in SEGMENTS]),
        segment_urls([*SEGMENTS[:3], "x%20y.m4s"]),
        segment_urls([*SEGMENTS[:3], "/videos/x.m4s"]),
        segment_urls(SEGMENTS, '<x:SegmentURL media="{}"/>'),
    ],
    ids=[
        "media-range-on-one",
        "index-on-one",
        "quotes-mixed-in-each",
        "not-empty",
        "index-of-two-forms",
        "comment-inside",
        "comment-after",
        "character-reference",
        "other-quote",
        "other-spacing",
        "another-element-after",
        "empty-first",
        "empty-last",
        "dot-segment",
        "parent",
        "one-with-a-query",
        "query-with-a-reference",
        "percent-escape",
        "mixed-forms",
        "other-namespace",
    ],
)
def test_dash_segment_urls_of_another_shape_are_read_one_by_one(
    elements: str, rsa: Signer, verifier: Verifier
) -> None:
    text = segment_list_manifest(elements, head=' xmlns:x="urn:example"')
    assert runs_of(text, DASH_URL) == []
    signed, warned = outcome(text, DASH_URL, rsa)
    assert (signed, warned) == element_by_element(text, DASH_URL, rsa)
    assert unsign(signed) == text


def test_dash_segment_urls_with_no_uri_are_read_once_and_left_alone(rsa: Signer) -> None:
    # byte ranges of the Representation's BaseURL: nothing in the list to sign
    elements = "".join(f'<SegmentURL mediaRange="{n}00-{n}99"/>' for n in range(2000))
    text = segment_list_manifest(elements, base="<BaseURL>all.mp4</BaseURL>")
    calls = []
    read = streaming._DashScan._attributes

    def counting(scan: Any, *args: Any) -> Any:
        calls.append(args[1])
        return read(scan, *args)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(streaming._DashScan, "_attributes", counting)
        assert runs_of(text, DASH_URL) == []
    assert len(calls) == 3  # MPD, Initialization, the first SegmentURL
    signed, warned = outcome(text, DASH_URL, rsa)
    assert (signed, warned) == element_by_element(text, DASH_URL, rsa)
    assert signed.count("Policy=") == 2
    assert unsign(signed) == text


@pytest.mark.parametrize(
    ("elements", "what"),
    [
        ('<SegmentURL media="a.m4s" media="b.m4s"/>' * 3, "appears twice"),
        ('<SegmentURL media="a<.m4s"/>' * 3, "not closed"),
        ('<SegmentURL media="a.m4s"/>' * 2 + '<SegmentURL media="b<.m4s"/>', "not closed"),
    ],
)
def test_malformed_segment_urls_are_refused_as_one_by_one(
    elements: str, what: str, rsa: Signer
) -> None:
    text = segment_list_manifest(elements)
    message, warned = outcome(text, DASH_URL, rsa)
    assert (message, warned) == element_by_element(text, DASH_URL, rsa)
    assert message.startswith("playlist-invalid: line 1: ")
    assert what in message


@pytest.mark.parametrize("odd", ["x y.m4s", "x\u00e9.m4s"])
def test_r44_a_segment_url_players_would_change_is_refused_as_one_by_one(
    odd: str, rsa: Signer
) -> None:
    text = segment_list_manifest(segment_urls([*SEGMENTS[:3], odd, *SEGMENTS]))
    assert runs_of(text, DASH_URL) == []
    message, warned = outcome(text, DASH_URL, rsa)
    assert (message, warned) == element_by_element(text, DASH_URL, rsa)
    assert message.startswith("playlist-invalid: line 5, <SegmentURL media>: The URL contains")
    assert "R44" in message


def test_r23_segment_urls_naming_a_cloudfront_parameter_are_refused_as_one_by_one(
    rsa: Signer,
) -> None:
    text = segment_list_manifest(segment_urls([f"{s}?Policy=x" for s in SEGMENTS]))
    assert runs_of(text, DASH_URL) == []
    message, warned = outcome(text, DASH_URL, rsa)
    assert (message, warned) == element_by_element(text, DASH_URL, rsa)
    assert message.startswith("playlist-invalid: line 2, <SegmentURL media>: The URL already")
    assert "R23" in message


def test_dash_run_a_given_resource_covers_in_part_is_read_one_by_one(rsa: Signer) -> None:
    text = segment_list_manifest(segment_urls(["a1.m4s", "b1.m4s", "a2.m4s"]))
    resource = f"{D}/videos/42/a*"
    assert runs_of(text, DASH_URL) == [3]
    signed, warned = outcome(text, DASH_URL, rsa, resource=resource)
    assert (signed, warned) == element_by_element(text, DASH_URL, rsa, resource=resource)
    assert 'media="a1.m4s?Policy=' in signed
    assert 'media="a2.m4s?Policy=' in signed
    assert 'media="b1.m4s"/>' in signed
    assert 'sourceURL="init.mp4"/>' in signed
    assert len(warned) == 1
    assert warned[0].startswith("2 URI(s) of the playlist left unsigned")


def test_dash_run_a_given_resource_covers_whole_is_signed(rsa: Signer) -> None:
    text = segment_list_manifest(segment_urls(["a/1.m4s", "a/2.m4s", "a/3.m4s"]))
    resource = f"{D}/videos/42/a/*"
    signed, warned = outcome(text, DASH_URL, rsa, resource=resource)
    assert (signed, warned) == element_by_element(text, DASH_URL, rsa, resource=resource)
    assert signed.count("Policy=") == 3  # the three segments, not the init section
    assert len(warned) == 1


def test_dash_run_on_another_host_stays_unsigned_and_named(rsa: Signer) -> None:
    text = segment_list_manifest(
        segment_urls(SEGMENTS), base="<BaseURL>https://other.example/v/</BaseURL>"
    )
    assert runs_of(text, DASH_URL) == [len(SEGMENTS)]
    signed, warned = outcome(text, DASH_URL, rsa)
    assert (signed, warned) == element_by_element(text, DASH_URL, rsa)
    assert signed == text
    assert len(warned) == 1
    assert warned[0].startswith(f"{2 + len(SEGMENTS)} URI(s) of the playlist left unsigned")
    assert f"and {len(SEGMENTS) - 3} more" in warned[0]
    # a resource on that host covers them all: the run is signed whole
    resource = "https://other.example/v/*"
    signed, warned = outcome(text, DASH_URL, rsa, resource=resource)
    assert (signed, warned) == element_by_element(text, DASH_URL, rsa, resource=resource)
    assert signed.count("Policy=") == 2 + len(SEGMENTS)


@pytest.mark.parametrize("nested", ["sign", "keep"])
def test_dash_run_naming_playlists(nested: str, rsa: Signer) -> None:
    # with nested="keep" a URI ending in .mpd is another playlist, left as written: such
    # a list is read element by element
    text = segment_list_manifest(segment_urls(["a.m4s", "b.mpd", "c.m4s"]))
    assert runs_of(text, DASH_URL, nested) == ([3] if nested == "sign" else [])
    signed, warned = outcome(text, DASH_URL, rsa, nested=nested)
    assert (signed, warned) == element_by_element(text, DASH_URL, rsa, nested=nested)
    assert ('media="b.mpd"/>' in signed) == (nested == "keep")


def test_r43_a_run_with_a_uri_over_8192_bytes_is_refused_as_one_by_one(rsa: Signer) -> None:
    long_name = "a" * (MAX_URL_BYTES - 200) + ".m4s"
    text = segment_list_manifest(segment_urls([*SEGMENTS, long_name, *SEGMENTS]))
    assert runs_of(text, DASH_URL) == [2 * len(SEGMENTS) + 1]
    message, warned = outcome(text, DASH_URL, rsa)
    assert (message, warned) == element_by_element(text, DASH_URL, rsa)
    assert message.startswith("playlist-invalid: line 8, <SegmentURL media>: the signed URI")
    assert "R43" in message
    # an earlier URI too long is named first, whichever way it is read
    text = text.replace('"init.mp4"', f'"{long_name}"')
    message, warned = outcome(text, DASH_URL, rsa)
    assert (message, warned) == element_by_element(text, DASH_URL, rsa)
    assert message.startswith("playlist-invalid: line 1, <Initialization sourceURL>:")


def test_dash_absolute_run_under_a_base_url_per_representation(
    rsa: Signer, verifier: Verifier
) -> None:
    # the list serves two Representations with different bases: its URIs stay relative
    text = (
        '<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static"><Period>'
        f"<AdaptationSet><SegmentList>{segment_urls(SEGMENTS)}</SegmentList>"
        '<Representation id="low" bandwidth="1"/>'
        '<Representation id="high" bandwidth="2"><BaseURL>high/</BaseURL></Representation>'
        "</AdaptationSet></Period></MPD>"
    )
    assert runs_of(text, DASH_URL) == [len(SEGMENTS)]
    signed, warned = outcome(text, DASH_URL, rsa, absolute=True)
    assert (signed, warned) == element_by_element(text, DASH_URL, rsa, absolute=True)
    assert f'media="{SEGMENTS[0]}?Policy=' in signed
    assert f"<BaseURL>{D}/videos/42/high/?Policy=" in signed


def test_a_result_many_times_the_manifest_is_refused_before_it_is_written() -> None:
    # the SegmentURLs of a run count one by one
    elements = '<SegmentURL media="a"/>' * 500_000
    message = refused(f"{DASH_HEAD}<SegmentList>{elements}</SegmentList>{DASH_TAIL}")
    assert message.startswith("The signed playlist would be about ")


def test_dash_a_segment_list_is_looked_at_once(rsa: Signer) -> None:
    # a stretch that is no run is read element by element, not looked at again from
    # each of its elements (which would be quadratic)
    calls = []
    looked_at = streaming._DashScan._run

    def counting(scan: Any, *args: Any) -> int:
        calls.append(args[0])
        return looked_at(scan, *args)

    segments = [f"seg-{n}.m4s" for n in range(2000)]
    text = segment_list_manifest(segment_urls(segments) + "<!-- end -->")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(streaming._DashScan, "_run", counting)
        signed = sign(text, DASH_URL, rsa)
    assert len(calls) == 1
    assert signed.count("Policy=") == 2001


_RUN_FORMS: list[Callable[[str], str]] = [
    lambda segment: segment,
    lambda segment: "/videos/42/" + segment,
    lambda segment: f"{D}/videos/42/" + segment,
    lambda segment: "https://other.example/v/" + segment,
]
# the attributes of each SegmentURL of a list, in order
_LAYOUTS = [
    ("media",),
    ("media",),
    ("media", "mediaRange"),
    ("mediaRange", "media"),
    ("media", "index"),
    ("index", "mediaRange", "media"),
    ("mediaRange",),
]
_ODD_VALUE = st.one_of(
    _PLAIN_SEGMENT.map(lambda u: "../" + u),
    _PLAIN_SEGMENT.map(lambda u: "a/./" + u),
    _PLAIN_SEGMENT.map(lambda u: u + "?v=1&amp;n=2"),
    _PLAIN_SEGMENT.map(lambda u: u + "?Expires=1"),
    _PLAIN_SEGMENT.map(lambda u: u[:-3] + "mpd"),
    _PLAIN_SEGMENT.map(lambda u: u[:-3] + "mpd?v=1"),
    _PLAIN_SEGMENT.map(lambda u: u.replace("a", "&#97;")),
    _PLAIN_SEGMENT.map(lambda u: f"HTTPS://D111111ABCDEF8.cloudfront.net/{u}"),
    st.just(""),
)
_BASE_URL = st.sampled_from(
    [
        "",
        "media/",
        "/videos/",
        "../up/",
        f"{D}/videos/42/x/",
        "https://other.example/v/",
        "list/index.mpd",
        f"{D}/videos/42/a?b=/c/",
    ]
)


@st.composite
def segment_list_manifests(draw: st.DrawFn) -> str:
    """A manifest with SegmentLists of SegmentURL elements: mostly runs of one shape and
    one form of URI, BaseURLs at any level, now and then an element that breaks the run."""

    def base_url() -> str:
        value = draw(_BASE_URL)
        return f"<BaseURL>{value}</BaseURL>" if value else ""

    def segment_list() -> str:
        layout = draw(st.sampled_from(_LAYOUTS))
        segments = draw(st.lists(_PLAIN_SEGMENT, min_size=1, max_size=8))
        query = draw(st.sampled_from(["", "", "?v=1", "?v=1&amp;n=x/y", "?", "?a?b=/c/d"]))
        media, index = draw(st.sampled_from(_RUN_FORMS)), draw(st.sampled_from(_RUN_FORMS))
        columns = {
            "media": [media(segment) + query for segment in segments],
            "index": [index(segment.rsplit(".", 1)[0] + ".sidx") for segment in segments],
            "mediaRange": [f"{n}00-{n}99" for n in range(len(segments))],
        }
        if draw(st.integers(0, 3)) == 0:
            column = columns[draw(st.sampled_from(layout))]
            column[draw(st.integers(0, len(column) - 1))] = draw(_ODD_VALUE)
        quote = draw(st.sampled_from(['"', "'"]))
        element = draw(st.sampled_from(["SegmentURL", "d:SegmentURL"]))
        before = draw(st.sampled_from(["", "\n   ", "\r\n\t", " "]))
        space = draw(st.sampled_from([" ", "\n", "  "]))
        equals = draw(st.sampled_from(["=", " = "]))
        end = draw(st.sampled_from(["/>", " />"]))
        elements = "".join(
            f"{before}<{element}"
            + "".join(f"{space}{name}{equals}{quote}{columns[name][n]}{quote}" for name in layout)
            + end
            for n in range(len(segments))
        )
        if draw(st.integers(0, 5)) == 0:
            cut = elements.index("<", 1) if "<" in elements[1:] else len(elements)
            odd = draw(st.sampled_from(["<!-- c -->", '<SegmentURL media="z.m4s" index="i"/>']))
            elements = elements[:cut] + odd + elements[cut:]
        init = draw(st.sampled_from(["", '<Initialization sourceURL="init.mp4"/>']))
        after = draw(st.sampled_from(["", "\n  "]))
        return f"<SegmentList duration='4'>{init}{elements}{after}</SegmentList>"

    representations = "".join(
        f"<Representation id='r{n}' bandwidth='1'>{base_url()}"
        f"{segment_list() if draw(st.integers(0, 3)) else ''}</Representation>"
        for n in range(draw(st.integers(1, 2)))
    )
    shared = segment_list() if draw(st.booleans()) else ""
    return (
        '<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" xmlns:d="urn:mpeg:dash:schema:mpd:2011"'
        f' type="static">{base_url()}<Period>{base_url()}<AdaptationSet>{shared}'
        f"{representations}</AdaptationSet></Period></MPD>"
    )


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=segment_list_manifests(),
    absolute=st.booleans(),
    nested=st.sampled_from(["sign", "keep"]),
    resource=st.sampled_from(
        [
            None,
            f"{D}/videos/*",
            f"{D}/videos/42/*",
            f"{D}/videos/42/a*",
            "https://other.example/*",
            f"{D}/videos/*/s*",
        ]
    ),
)
def test_property_segment_url_runs_match_the_general_path(
    text: str, absolute: bool, nested: str, resource: str | None
) -> None:
    signer = Signer.from_pem(key_bytes("rsa2048_pkcs1.pem"), KEY_PAIR_ID)  # deterministic
    options = {"absolute": absolute, "nested": nested, "resource": resource}
    assert outcome(text, DASH_URL, signer, **options) == element_by_element(
        text, DASH_URL, signer, **options
    )
