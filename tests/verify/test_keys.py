"""Keys and signatures as the verifier sees them: key types (R17), RSA and ECDSA
signatures (R18, R19, OP15), ``Hash-Algorithm`` (R20, OP8), key ids (R21), key groups and
rotation (R22), the messages that explain a refusal, and the signature cache."""

from __future__ import annotations

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from frontgate.encoding import cf_b64encode
from frontgate.errors import KeyLoadError
from frontgate.keys import load_public_key
from frontgate.verify import Reason, Verifier, _diagnosing
from tests.verify.conftest import (
    EC_ID,
    KEY_IDS,
    NOW,
    REFUSED_PUBLIC,
    RSA_ID,
    D,
    HashName,
    KeyName,
    canned_bytes,
    canned_cookies,
    canned_url,
    custom_url,
    data_path,
    join,
    make_verifier,
    policy_doc,
    private_key,
    private_pem,
    public_pem,
    signer,
)

URL = f"{D}/a.jpg"
EXP = NOW + 3600


def url_with_signature(signature: bytes, key_pair_id: str = RSA_ID, tail: str = "") -> str:
    return join(
        URL, f"Expires={EXP}&Signature={cf_b64encode(signature)}&Key-Pair-Id={key_pair_id}{tail}"
    )


# -- R17: key types ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(REFUSED_PUBLIC))
def test_r17_verifier_refuses_other_keys(name: str) -> None:
    pem = data_path(REFUSED_PUBLIC[name]).read_bytes()
    with pytest.raises(KeyLoadError) as caught:
        Verifier({"KREFUSED": pem})
    assert caught.value.code == "key-unsupported"
    assert "KREFUSED" in caught.value.message
    assert "-----BEGIN" not in str(caught.value)


@pytest.mark.parametrize("name", sorted(REFUSED_PUBLIC))
def test_r17_verifier_refuses_other_key_objects(name: str) -> None:
    key = serialization.load_pem_public_key(data_path(REFUSED_PUBLIC[name]).read_bytes())
    with pytest.raises(KeyLoadError):
        Verifier({"KREFUSED": key})  # type: ignore[dict-item]


@pytest.mark.parametrize(
    "pem", [b"", b"garbage", b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"]
)
def test_r17_unreadable_public_key(pem: bytes) -> None:
    with pytest.raises(KeyLoadError) as caught:
        Verifier({RSA_ID: pem})
    assert caught.value.code == "key-unreadable"


@pytest.mark.parametrize("name", ["rsa", "ec"])
def test_r17_accepted_forms(name: KeyName) -> None:
    url = canned_url(URL, by=name)
    forms = [
        public_pem(name),
        public_pem(name).decode(),
        load_public_key(public_pem(name)),
        private_key(name),
        private_pem(name),
    ]
    for form in forms:
        verifier = Verifier({KEY_IDS[name]: form})
        assert verifier.verify_url(url, now=NOW).reason is Reason.OK


def test_r17_repr_names_ids_and_types_only(verifier: Verifier) -> None:
    text = repr(make_verifier("rsa", "ec"))
    assert RSA_ID in text
    assert "RSA-2048" in text
    assert "-----BEGIN" not in text


# -- R18 / R19: signature schemes --------------------------------------------------------------


def test_r18_rsa_pss_is_refused(verifier: Verifier) -> None:
    key = private_key("rsa")
    assert isinstance(key, rsa.RSAPrivateKey)
    sha1 = hashes.SHA1()  # noqa: S303 - CloudFront's default hash (R20)
    pss = padding.PSS(mgf=padding.MGF1(sha1), salt_length=padding.PSS.MAX_LENGTH)
    signature = key.sign(canned_bytes(URL, EXP), pss, sha1)
    assert verifier.verify_url(url_with_signature(signature), now=NOW).reason is (
        Reason.BAD_SIGNATURE
    )


def test_r18_truncated_rsa_signature_message(verifier: Verifier) -> None:
    signature = signer("rsa").sign(canned_bytes(URL, EXP))[:-3]
    decision = verifier.verify_url(url_with_signature(signature), now=NOW)
    assert decision.reason is Reason.BAD_SIGNATURE
    assert "253 bytes" in decision.message


def test_r19_raw_ecdsa_signature_refused_op15(verifier: Verifier) -> None:
    der = signer("ec").sign(canned_bytes(URL, EXP))
    r, s = decode_dss_signature(der)
    raw = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    assert verifier.verify_url(url_with_signature(der, EC_ID), now=NOW).reason is Reason.OK
    decision = verifier.verify_url(url_with_signature(raw, EC_ID), now=NOW)
    assert decision.reason is Reason.BAD_SIGNATURE
    assert "r||s" in decision.message
    assert "DER" in decision.message


def test_r19_ecdsa_with_either_hash(verifier: Verifier, hash_name: HashName) -> None:
    url = canned_url(URL, by="ec", hash_algorithm=hash_name)
    decision = verifier.verify_url(url, now=NOW)
    assert (decision.reason, decision.hash_algorithm) == (Reason.OK, hash_name)


# -- R20 / OP8: Hash-Algorithm ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("declared", "reason"),
    [
        ("SHA1", Reason.OK),
        ("", Reason.OK),
        ("%53HA1", Reason.OK),
        ("sha1", Reason.UNSUPPORTED_HASH_ALGORITHM),
        ("Sha1", Reason.UNSUPPORTED_HASH_ALGORITHM),
        ("SHA-1", Reason.UNSUPPORTED_HASH_ALGORITHM),
        ("SHA1%20", Reason.UNSUPPORTED_HASH_ALGORITHM),
        ("MD5", Reason.UNSUPPORTED_HASH_ALGORITHM),
    ],
)
def test_r20_exact_values_for_sha1(verifier: Verifier, declared: str, reason: Reason) -> None:
    url = canned_url(URL) + f"&Hash-Algorithm={declared}"
    assert verifier.verify_url(url, now=NOW).reason is reason


@pytest.mark.parametrize(
    ("declared", "reason"),
    [
        ("SHA256", Reason.OK),
        ("SHA%32%35%36", Reason.OK),
        ("sha256", Reason.UNSUPPORTED_HASH_ALGORITHM),
        ("SHA-256", Reason.UNSUPPORTED_HASH_ALGORITHM),
        ("Sha256", Reason.UNSUPPORTED_HASH_ALGORITHM),
        ("SHA384", Reason.UNSUPPORTED_HASH_ALGORITHM),
    ],
)
def test_r20_exact_values_for_sha256(verifier: Verifier, declared: str, reason: Reason) -> None:
    url = canned_url(URL, hash_algorithm="SHA256").replace(
        "Hash-Algorithm=SHA256", f"Hash-Algorithm={declared}"
    )
    assert verifier.verify_url(url, now=NOW).reason is reason


def test_r20_unsupported_value_shown(verifier: Verifier) -> None:
    decision = verifier.verify_url(canned_url(URL) + "&Hash-Algorithm=sha256", now=NOW)
    assert "'sha256'" in decision.message


def _explaining(verifier: Verifier, kind: KeyName) -> Verifier:
    """The verifier that names the other hash: any for RSA, a diagnosing one for ECDSA
    (each such question costs an ECDSA verification)."""
    return verifier if kind == "rsa" else _diagnosing(make_verifier())


def test_r20_sha256_signature_declared_sha1(verifier: Verifier, kind: KeyName) -> None:
    url = canned_url(URL, by=kind, hash_algorithm="SHA256").replace("&Hash-Algorithm=SHA256", "")
    verifier = _explaining(verifier, kind)
    decision = verifier.verify_url(url, now=NOW)
    assert decision.reason is Reason.BAD_SIGNATURE
    assert "SHA256" in decision.message
    assert "add Hash-Algorithm=SHA256" in decision.message
    explicit = verifier.verify_url(url + "&Hash-Algorithm=SHA1", now=NOW)
    assert explicit.reason is Reason.BAD_SIGNATURE


def test_r20_sha1_signature_declared_sha256(verifier: Verifier, kind: KeyName) -> None:
    url = canned_url(URL, by=kind) + "&Hash-Algorithm=SHA256"
    decision = _explaining(verifier, kind).verify_url(url, now=NOW)
    assert decision.reason is Reason.BAD_SIGNATURE
    assert "made with SHA1" in decision.message
    assert "drop Hash-Algorithm" in decision.message


def test_r20_custom_cookies_hash_confusion(verifier: Verifier) -> None:
    from tests.verify.conftest import custom_cookies

    cookies = custom_cookies(policy_doc(), by="ec", hash_algorithm="SHA256")
    del cookies["CloudFront-Hash-Algorithm"]
    decision = _diagnosing(make_verifier()).verify_cookies(URL, cookies, now=NOW)
    assert decision.reason is Reason.BAD_SIGNATURE
    assert "SHA256" in decision.message
    serving = verifier.verify_cookies(URL, cookies, now=NOW)
    assert serving.reason is Reason.BAD_SIGNATURE
    assert "the other hash" in serving.message
    assert "`frontgate verify` tells which" in serving.message


# -- R21: key ids -----------------------------------------------------------------------------


def test_r21_unknown_key_lists_the_trusted_ids(verifier: Verifier) -> None:
    decision = verifier.verify_url(canned_url(URL, key_pair_id="APKAEIBAERJR2EXAMPLE"), now=NOW)
    assert decision.reason is Reason.UNKNOWN_KEY
    assert decision.edge_code == "InvalidKey"
    assert RSA_ID in decision.message
    assert EC_ID in decision.message
    assert "key group id" in decision.message


def test_r21_unknown_key_with_an_empty_key_group() -> None:
    decision = Verifier({}).verify_url(canned_url(URL), now=NOW)
    assert decision.reason is Reason.UNKNOWN_KEY
    assert "none" in decision.message


# -- R22: key groups and rotation -----------------------------------------------------------


def test_r22_every_key_of_the_group_verifies() -> None:
    group = make_verifier("rsa", "rsa_b", "ec", "ec_b")
    for name in ("rsa", "rsa_b", "ec", "ec_b"):
        decision = group.verify_url(canned_url(URL, by=name), now=NOW)
        assert (decision.reason, decision.key_pair_id) == (Reason.OK, KEY_IDS[name])


def test_r22_other_key_of_the_group_named(verifier: Verifier) -> None:
    group = make_verifier("rsa", "rsa_b", "ec")
    url = canned_url(URL, by="rsa_b", key_pair_id=RSA_ID)
    decision = group.verify_url(url, now=NOW)
    assert decision.reason is Reason.BAD_SIGNATURE
    assert KEY_IDS["rsa_b"] in decision.message
    assert "R21" in decision.message


@pytest.mark.parametrize("name", ["rsa", "rsa_b", "ec", "ec_b"])
def test_r22_signed_by_finds_the_signing_key(name: KeyName, hash_name: HashName) -> None:
    group = make_verifier("rsa", "rsa_b", "ec", "ec_b")
    url = canned_url(URL, by=name, hash_algorithm=hash_name, key_pair_id="KWRONG")
    assert group.signed_by(url) == KEY_IDS[name]
    custom = custom_url(policy_doc(), by=name, hash_algorithm=hash_name)
    assert group.signed_by(custom) == KEY_IDS[name]
    cookies = canned_cookies(URL, by=name)
    assert group.signed_by(URL, cookies) == KEY_IDS[name]
    header = "; ".join(f"{k}={v}" for k, v in cookies.items())
    assert group.signed_by(URL, header) == KEY_IDS[name]


def test_r22_signed_by_none_for_untrusted_or_unsigned() -> None:
    group = make_verifier("rsa", "ec")
    assert group.signed_by(canned_url(URL, by="rsa_b")) is None
    assert group.signed_by(URL) is None
    assert group.signed_by("not a url") is None
    assert group.signed_by(canned_url(URL).replace("Signature=", "Signature=!")) is None


def test_r22_rotation_old_and_new_keys_during_the_overlap() -> None:
    old, new = canned_url(URL, by="rsa"), canned_url(URL, by="rsa_b")
    during = make_verifier("rsa", "rsa_b")
    after = make_verifier("rsa_b")
    assert (during.verify_url(old, now=NOW).allowed, during.verify_url(new, now=NOW).allowed) == (
        True,
        True,
    )
    assert after.verify_url(old, now=NOW).reason is Reason.UNKNOWN_KEY
    assert after.verify_url(new, now=NOW).reason is Reason.OK


# -- messages a person can act on -------------------------------------------------------------


def test_message_canned_bad_signature_shows_the_rebuilt_url(verifier: Verifier) -> None:
    url = canned_url(URL, resource=f"{D}/b.jpg")
    decision = verifier.verify_url(url, now=NOW)
    assert URL in decision.message
    assert "changed after signing" in decision.message


@pytest.mark.parametrize(
    ("signed_for", "requested", "fragment"),
    [
        (URL.replace("https:", "http:"), URL, "signed for http, requested over https"),
        (URL, URL.replace("https:", "http:"), "signed for https, requested over http"),
        (URL, f"{URL}?x=1", "query string was added"),
    ],
)
def test_message_canned_variant_found(
    verifier: Verifier, signed_for: str, requested: str, fragment: str
) -> None:
    decision = verifier.verify_url(canned_url(requested, resource=signed_for), now=NOW)
    assert decision.reason is Reason.BAD_SIGNATURE
    assert fragment in decision.message
    assert signed_for in decision.message


@pytest.mark.parametrize(
    ("ago", "words"),
    [
        (1, "1 second ago"),
        (180, "3 minutes ago"),
        (7200, "2 hours ago"),
        (3 * 86400, "3 days ago"),
    ],
)
def test_message_expired_says_how_long_ago(verifier: Verifier, ago: int, words: str) -> None:
    for url in (canned_url(URL, NOW - ago), custom_url(policy_doc(expires=NOW - ago))):
        decision = verifier.verify_url(url, now=NOW)
        assert decision.reason is Reason.EXPIRED
        assert f"expired {words}" in decision.message
        assert ("clock" in decision.message) is (ago < 600)


def test_message_expired_cookies(verifier: Verifier) -> None:
    decision = verifier.verify_cookies(URL, canned_cookies(URL, NOW - 120), now=NOW)
    assert "cookies expired 2 minutes ago" in decision.message


def test_message_not_yet_valid_says_when(verifier: Verifier) -> None:
    decision = verifier.verify_url(custom_url(policy_doc(not_before=NOW + 300)), now=NOW)
    assert "5 minutes from now" in decision.message
    assert "2026-01-01T18:05:00Z" in decision.message


def test_message_resource_mismatch_names_the_section(verifier: Verifier) -> None:
    cases = {
        f"http://{D[8:]}/*": "signed for http://",
        "https://cdn.example.com/*": "host cdn.example.com",
        f"{D}/videos/*": "path /a.jpg is outside /videos/*",
        f"{D}/a.jpg": "end the pattern with *",
    }
    for pattern, fragment in cases.items():
        decision = verifier.verify_url(custom_url(policy_doc(pattern), f"{URL}?x=1"), now=NOW)
        assert decision.reason is Reason.RESOURCE_MISMATCH
        assert fragment in decision.message, decision.message


def test_message_s3_endpoint_resource(verifier: Verifier) -> None:
    pattern = "https://bucket.s3.amazonaws.com/*"
    decision = verifier.verify_url(custom_url(policy_doc(pattern)), now=NOW)
    assert decision.reason is Reason.RESOURCE_MISMATCH
    assert "S3 endpoint" in decision.message


def test_message_ok_names_key_type_hash_and_expiry(verifier: Verifier) -> None:
    decision = verifier.verify_url(canned_url(URL, by="ec", hash_algorithm="SHA256"), now=NOW)
    assert "ECDSA P-256" in decision.message
    assert "SHA256" in decision.message
    assert "2026-01-01T19:00:00Z" in decision.message


# -- the signature cache ------------------------------------------------------------------------


def test_cache_gives_the_same_decisions() -> None:
    plain, cached = make_verifier(), make_verifier(cache_size=8)
    wide = custom_url(policy_doc(f"{D}/*", NOW + 60, ip="192.0.2.0/24"))
    requests = [
        (canned_url(URL, NOW + 60), None, NOW),
        (canned_url(URL, NOW + 60), None, NOW + 60),  # same signature, now expired
        (canned_url(URL, NOW + 60).replace("a.jpg", "b.jpg"), None, NOW),
        (wide, "192.0.2.1", NOW),
        (wide, "198.51.100.1", NOW),  # cached signature, other viewer
        (wide.replace("/a.jpg?", "/b.jpg?"), "192.0.2.1", NOW),
        (wide.replace(D, "https://other.example"), "192.0.2.1", NOW),  # resource mismatch
        (canned_url(URL, by="ec"), None, NOW),
        (canned_url(URL, by="ec"), None, NOW),
    ] * 3
    for url, client, now in requests:
        assert cached.verify_url(url, client_ip=client, now=now) == plain.verify_url(
            url, client_ip=client, now=now
        )


def test_cache_is_bounded_and_keyed_by_key_id() -> None:
    cached = make_verifier("rsa", "rsa_b", cache_size=2)
    url = canned_url(URL)
    assert cached.verify_url(url, now=NOW).allowed
    # the signature cached for rsa must not pass for another id
    moved = url.replace(f"Key-Pair-Id={RSA_ID}", f"Key-Pair-Id={KEY_IDS['rsa_b']}")
    assert cached.verify_url(moved, now=NOW).reason is Reason.BAD_SIGNATURE
    for n in range(5):
        assert cached.verify_url(canned_url(f"{D}/{n}.jpg"), now=NOW).allowed


def test_ecdsa_rsa_key_id_swap(verifier: Verifier) -> None:
    url = canned_url(URL, by="ec").replace(f"Key-Pair-Id={EC_ID}", f"Key-Pair-Id={RSA_ID}")
    decision = verifier.verify_url(url, now=NOW)
    assert decision.reason is Reason.BAD_SIGNATURE
    assert EC_ID in decision.message


def test_ecdsa_p256_only_accepts_der_of_the_right_curve(verifier: Verifier) -> None:
    other = ec.generate_private_key(ec.SECP256R1())
    signature = other.sign(canned_bytes(URL, EXP), ec.ECDSA(hashes.SHA1()))  # noqa: S303
    decision = verifier.verify_url(url_with_signature(signature, EC_ID), now=NOW)
    assert decision.reason is Reason.BAD_SIGNATURE


# -- R18: the RSA check recovers the signed DigestInfo; as strict as a verify -----------


def _raw_rsa_signature(key: rsa.RSAPrivateKey, encoded: bytes) -> bytes:
    """An RSA signature over an arbitrary EMSA-PKCS1-v1_5 payload (RFC 8017, 9.2)."""
    size = key.key_size // 8
    block = b"\x00\x01" + b"\xff" * (size - len(encoded) - 3) + b"\x00" + encoded
    numbers = key.private_numbers()
    value = pow(int.from_bytes(block, "big"), numbers.d, numbers.public_numbers.n)
    return value.to_bytes(size, "big")


@pytest.mark.parametrize(
    ("label", "digest_info"),
    [
        # SHA-1 AlgorithmIdentifier without its NULL parameters: a loose encoding
        ("no NULL", bytes.fromhex("301f300706052b0e03021a0414")),
        # the SHA-256 identifier in front of a SHA-1 digest
        ("wrong OID", bytes.fromhex("3021300906096086480165030402010500") + b"\x04\x14"),
    ],
)
def test_r18_only_the_canonical_digest_info_verifies(label: str, digest_info: bytes) -> None:
    import hashlib

    key = private_key("rsa")
    assert isinstance(key, rsa.RSAPrivateKey)
    url = canned_url(URL)
    data = canned_bytes(URL, NOW + 3600)
    digest = hashlib.sha1(data, usedforsecurity=False).digest()
    unsigned = url.split("Signature=")[0]
    loose = _raw_rsa_signature(key, digest_info + digest)
    with pytest.raises(InvalidSignature):  # OpenSSL's own verify refuses it too
        key.public_key().verify(loose, data, padding.PKCS1v15(), hashes.SHA1())  # noqa: S303
    forged = f"{unsigned}Signature={cf_b64encode(loose)}&Key-Pair-Id={RSA_ID}"
    assert make_verifier("rsa").verify_url(forged, now=NOW).reason is Reason.BAD_SIGNATURE
    # and the canonical encoding built the same way does verify: the test can tell them apart
    canonical = _raw_rsa_signature(key, bytes.fromhex("3021300906052b0e03021a05000414") + digest)
    signed = f"{unsigned}Signature={cf_b64encode(canonical)}&Key-Pair-Id={RSA_ID}"
    assert make_verifier("rsa").verify_url(signed, now=NOW).allowed


class _Counting:
    """A public key that counts its public-key operations (a test double over a real
    key, registered below with the public key ABC of its type)."""

    def __init__(self, key: object) -> None:
        self._key = key
        self.operations = 0

    def __getattr__(self, name: str) -> object:
        return getattr(self._key, name)

    def verify(self, *args: object) -> None:
        self.operations += 1
        self._key.verify(*args)  # type: ignore[attr-defined]


class _CountingKey(_Counting):
    """An RSA one, which also recovers what a signature carries."""

    def recover_data_from_signature(self, *args: object) -> bytes:
        self.operations += 1
        return self._key.recover_data_from_signature(*args)  # type: ignore[attr-defined,no-any-return]


rsa.RSAPublicKey.register(_CountingKey)


@pytest.mark.parametrize(
    "tamper",
    ["forged", "url-changed", "scheme-changed", "hash-declared-wrong"],
)
def test_r18_a_refused_rsa_signature_costs_one_public_key_operation(tamper: str) -> None:
    # explaining bad-signature asks several questions (other hash, other URL); with RSA
    # they are answered from the one recovered DigestInfo, so a forged request cannot make
    # the verifier do several public-key operations for the price of one
    public = load_public_key(public_pem("rsa"))
    assert isinstance(public, rsa.RSAPublicKey)
    counting = _CountingKey(public)
    verifier = Verifier({RSA_ID: counting})  # type: ignore[dict-item]
    url = canned_url(URL)
    assert verifier.verify_url(url, now=NOW).allowed
    counting.operations = 0
    request = {
        "forged": url.split("Signature=")[0] + f"Signature={cf_b64encode(bytes(256))}"
        f"&Key-Pair-Id={RSA_ID}",
        "url-changed": url.replace("/a.jpg", "/b.jpg"),
        "scheme-changed": url.replace("https://", "http://"),
        "hash-declared-wrong": url + "&Hash-Algorithm=SHA256",
    }[tamper]
    decision = verifier.verify_url(request, now=NOW)
    assert decision.reason is Reason.BAD_SIGNATURE
    assert counting.operations == 1
    if tamper == "scheme-changed":
        assert "signed for https" in decision.message
    if tamper == "hash-declared-wrong":
        assert "made with SHA1" in decision.message


class _CountingEcKey(_Counting):
    """An ECDSA one."""


ec.EllipticCurvePublicKey.register(_CountingEcKey)


@pytest.mark.parametrize(
    "tamper",
    ["forged", "url-changed", "scheme-changed", "query-added", "hash-declared-wrong"],
)
def test_r19_a_refused_ecdsa_signature_costs_one_verification(tamper: str) -> None:
    # an ECDSA signature cannot be recovered: each question about a refusal (other hash,
    # other URL, other key of the group) would be a verification, three RSA ones each;
    # a serving verifier asks none, a diagnosing one (frontgate verify) asks them all
    counted: dict[KeyName, _CountingEcKey] = {
        name: _CountingEcKey(load_public_key(public_pem(name))) for name in ("ec", "ec_b")
    }
    keys = {KEY_IDS[name]: key for name, key in counted.items()}
    url = canned_url(URL, by="ec")
    request = {
        "forged": url.split("Signature=")[0] + f"Signature={cf_b64encode(bytes(70))}"
        f"&Key-Pair-Id={EC_ID}",
        "url-changed": url.replace("/a.jpg", "/b.jpg"),
        "scheme-changed": url.replace("https://", "http://"),
        "query-added": url.replace("?", "?x=1&", 1),
        "hash-declared-wrong": url + "&Hash-Algorithm=SHA256",
    }[tamper]
    serving = Verifier({**keys, RSA_ID: public_pem("rsa")})  # type: ignore[dict-item]
    decision = serving.verify_url(request, now=NOW)
    assert decision.reason is Reason.BAD_SIGNATURE
    assert (counted["ec"].operations, counted["ec_b"].operations) == (1, 0)
    assert "`frontgate verify` tells which" in decision.message
    diagnosing = _diagnosing(Verifier({**keys, RSA_ID: public_pem("rsa")}))  # type: ignore[dict-item]
    explained = diagnosing.verify_url(request, now=NOW).message
    cause = {
        "scheme-changed": "signed for https, requested over http",
        "query-added": "a query string was added after signing",
        "hash-declared-wrong": "made with SHA1",
    }
    assert cause.get(tamper, "does not match this key") in explained


def test_r18_a_signature_not_256_bytes_long_is_refused_with_no_public_key_operation() -> None:
    # RFC 8017 8.2.2 step 1, as cryptography's verify is: a signature whose leading zero
    # byte was dropped (255 bytes) is refused, and a short forged one costs no modexp
    s = signer("rsa", "SHA1")
    expires = next(e for e in range(NOW + 3600, NOW + 9000) if s.sign(canned_bytes(URL, e))[0] == 0)
    signature = s.sign(canned_bytes(URL, expires))[1:]
    public = load_public_key(public_pem("rsa"))
    assert isinstance(public, rsa.RSAPublicKey)
    with pytest.raises(InvalidSignature):
        public.verify(signature, canned_bytes(URL, expires), padding.PKCS1v15(), hashes.SHA1())  # noqa: S303 (R18's default hash)
    counting = _CountingKey(public)
    verifier = Verifier({RSA_ID: counting})  # type: ignore[dict-item]
    for short in (signature, signature[:72]):
        url = join(URL, f"Expires={expires}&Signature={cf_b64encode(short)}&Key-Pair-Id={RSA_ID}")
        decision = verifier.verify_url(url, now=NOW)
        assert decision.reason is Reason.BAD_SIGNATURE
        assert f"The signature has {len(short)} bytes" in decision.message
    assert counting.operations == 0
