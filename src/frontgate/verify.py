"""Judge signed URLs and cookies as CloudFront's edge does, and say why (R25-R39).

>>> from frontgate import Signer, Verifier
>>> from frontgate.keys import generate_private_key, public_pem
>>> key = generate_private_key("ecdsa")
>>> signer = Signer(key, "K2JCJMDEHXQW5F")
>>> verifier = Verifier({"K2JCJMDEHXQW5F": public_pem(key)})
>>> url = signer.sign_url("https://d.example/a.pdf", expires_at=1767290400, now=1767290000)
>>> verifier.verify_url(url, now=1767290399).reason
<Reason.OK: 'ok'>
>>> d = verifier.verify_url(url, now=1767290400)
>>> d.allowed, d.reason.value, d.edge_code
(False, 'expired', 'AccessDenied')

A :class:`Verifier` never raises on what a request carries: every malformed URL, cookie,
policy or signature is a :class:`Decision` with a reason code (R38). It raises only when
it is misused (a naive ``now``) or the environment is broken (SHA-1 refused, P3).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Mapping
from enum import StrEnum
from functools import lru_cache
from typing import TYPE_CHECKING, Final, Literal, NamedTuple

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from ._types import HashName, When
from .encoding import cf_b64decode, percent_decode
from .errors import InputError
from .keys import KeyGroup, PrivateKey, PublicKey, describe_key, verify_signature
from .policy import (
    COOKIE_EXPIRES,
    COOKIE_HASH_ALGORITHM,
    COOKIE_KEY_PAIR_ID,
    COOKIE_POLICY,
    COOKIE_SIGNATURE,
    PARAM_EXPIRES,
    PARAM_HASH_ALGORITHM,
    PARAM_KEY_PAIR_ID,
    PARAM_POLICY,
    PARAM_SIGNATURE,
    RESERVED_PARAMS,
    Policy,
    PolicyError,
    ip_in_network,
    resource_covers,
    resource_warnings,
)
from .times import MAX_EPOCH, format_epoch, now_seconds

if TYPE_CHECKING:
    from ._types import PEMData

__all__ = ["Decision", "Reason", "RequestURL", "Verifier", "parse_cookie_header", "rebuild_url"]

Source = Literal["url", "cookies"]
PolicyKind = Literal["canned", "custom"]


class Reason(StrEnum):
    """Why a request is allowed or refused (R38), in the order the edge checks."""

    OK = "ok"
    MISSING_KEY = "missing-key"
    UNKNOWN_KEY = "unknown-key"
    MALFORMED_REQUEST = "malformed-request"
    MISSING_SIGNATURE = "missing-signature"
    UNSUPPORTED_HASH_ALGORITHM = "unsupported-hash-algorithm"
    MALFORMED_POLICY = "malformed-policy"
    BAD_SIGNATURE = "bad-signature"
    RESOURCE_MISMATCH = "resource-mismatch"
    EXPIRED = "expired"
    NOT_YET_VALID = "not-yet-valid"
    IP_MISMATCH = "ip-mismatch"
    CLIENT_IP_REQUIRED = "client-ip-required"


# R38 table: the edge code of each refusal; the rest are AccessDenied (OP17)
_EDGE_CODES: Final = {
    Reason.MISSING_KEY: "MissingKey",
    Reason.UNKNOWN_KEY: "InvalidKey",
    Reason.MALFORMED_POLICY: "MalformedPolicy",
}
#: CloudFront's message for each of its 403 error codes (R41)
EDGE_MESSAGES: Final = {
    "MissingKey": "Missing Key-Pair-Id query parameter or cookie value",
    "InvalidKey": "Unknown Key",
    "MalformedPolicy": "Malformed Policy",
    "AccessDenied": "Access denied",
}


class Decision(NamedTuple):
    """The verdict on one request, with the facts a person needs to act on it.

    Immutable (a named tuple: built once per request, so it must be cheap);
    ``bool(decision)`` is ``decision.allowed``.
    """

    #: True when CloudFront would serve the request
    allowed: bool
    #: the R38 reason code
    reason: Reason
    #: one sentence saying why, and what to do
    message: str
    #: where the signature came from: the URL, the cookies, or nowhere
    source: Source | None = None
    #: canned or custom policy
    policy: PolicyKind | None = None
    key_pair_id: str | None = None
    hash_algorithm: HashName | None = None
    #: the request URL as CloudFront rebuilds it (R26)
    resource: str | None = None
    #: the custom policy's Resource pattern
    policy_resource: str | None = None
    expires: int | None = None
    not_before: int | None = None
    ip_address: str | None = None
    warnings: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return self.allowed

    @property
    def edge_code(self) -> str | None:
        """CloudFront's error code for this refusal (R41), or None when allowed."""
        if self.allowed:
            return None
        return _EDGE_CODES.get(self.reason, "AccessDenied")

    def to_dict(self) -> dict[str, object]:
        """The JSON shape of ``frontgate verify --json`` (R39)."""
        code = self.edge_code
        return {
            "allowed": self.allowed,
            "reason": self.reason.value,
            "message": self.message,
            "source": self.source,
            "policy": self.policy,
            "key_pair_id": self.key_pair_id,
            "hash_algorithm": self.hash_algorithm,
            "resource": self.resource,
            "policy_resource": self.policy_resource,
            "expires": self.expires,
            "not_before": self.not_before,
            "ip_address": self.ip_address,
            "edge": None
            if code is None
            else {"status": 403, "code": code, "message": EDGE_MESSAGES[code]},
            "warnings": list(self.warnings),
        }


# ---------------------------------------------------------------------------
# Reading requests (R25, R26, R33)


class RequestURL(NamedTuple):
    """A request URL split the way CloudFront reads it."""

    #: the URL CloudFront rebuilds: reserved parameters removed (R26)
    rebuilt: str
    #: raw values of the reserved parameters present (R25)
    params: dict[str, str]
    #: a reserved parameter that occurs twice (OP6), if any
    duplicate: str | None


def rebuild_url(url: str) -> RequestURL | None:
    """Split a request URL into its rebuilt form and its reserved parameters (R25, R26).

    Returns None when ``url`` is not an absolute http(s) URL.

    >>> r = rebuild_url("HTTPS://D.example:443/a.html?&Expires=1&x=%41")
    >>> r.rebuilt, r.params
    ('https://d.example/a.html?&x=%41', {'Expires': '1'})
    """
    split = _rebuild(url)
    return None if split is None else RequestURL(*split)


def _rebuild(url: str) -> tuple[str, dict[str, str], str | None] | None:
    # The hot path of every verification: plain string operations, no regex.
    if not isinstance(url, str):  # untyped callers (the CLI, frameworks) may pass anything
        return None  # type: ignore[unreachable]
    scheme, sep, rest = url.partition("://")
    if scheme != "https" and scheme != "http":
        scheme = scheme.lower()
        if not sep or (scheme != "https" and scheme != "http"):
            return None
    if "#" in rest:
        rest = rest[: rest.index("#")]
    qpos = rest.find("?")
    head = rest if qpos < 0 else rest[:qpos]
    slash = head.find("/")
    if slash < 0:
        host, path = head, "/"
    else:
        host, path = head[:slash], head[slash:]
    if "@" in host:
        host = host.rpartition("@")[2]
    if not host:
        return None
    host = host.lower()
    if host[-4:] == ":443" if scheme == "https" else host[-3:] == ":80":
        host = host.rpartition(":")[0]
    base = f"{scheme}://{host}{path}"
    params: dict[str, str] = {}
    if qpos < 0:
        return base, params, None
    duplicate = None
    query = rest[qpos + 1 :]
    if query.count("&") >= _MANY_SEGMENTS:
        return _rebuild_long(base, query)
    kept = []
    for segment in query.split("&"):
        name, _, value = segment.partition("=")
        if name in RESERVED_PARAMS:
            if name in params:
                duplicate = duplicate or name
            else:
                params[name] = value
        else:
            kept.append(segment)
    return (f"{base}?{'&'.join(kept)}" if kept else base), params, duplicate


#: a query of more segments than this is split by _rebuild_long
_MANY_SEGMENTS: Final = 16
# reserved segments (R25, OP4: exact raw names) each up to the next &, in "&" + query + "&":
# a name followed by = or & (a longer name is another parameter), then its value. Literal
# alternatives and runs of non-& characters, so a failed attempt costs O(1); a run of them
# is one match (atomic, possessive: nothing is given back), so 1,000 in a row cost one
# replacement, not 1,000.
_RESERVED_SEGMENTS: Final = re.compile(
    r"(?>&(?:Expires|Policy|Signature|Key-Pair-Id|Hash-Algorithm)(?=[=&])[^&]*+)++"
)
#: one pattern per reserved name, in a fixed order (sorted, whatever the hash seed)
_RESERVED_NAMED: Final = tuple(
    (name, re.compile(rf"&{name}(?=[=&])")) for name in sorted(RESERVED_PARAMS)
)


def _rebuild_long(base: str, query: str) -> tuple[str, dict[str, str], str | None]:
    """The end of :func:`_rebuild` for a query of many segments (10,000 ``&x``): two
    regex searches per reserved name, and the Python work is per reserved segment.

    A regex search, not ``str.find``: its literal-prefix scan stays one step a character
    on any text (``find`` slows several-fold on text made of the name's own letters).
    """
    padded = f"&{query}&"
    spans = []
    for name, pattern in _RESERVED_NAMED:
        first = pattern.search(padded)
        if first is None:
            continue
        at = first.start()
        end = padded.find("&", at + len(name) + 1)
        if pattern.search(padded, end) is not None:  # repeated: refused anyway (OP6)
            return _rebuild_repeated(base, query, padded)
        spans.append((at, end, name))
    spans.sort()
    params = {name: padded[at + len(name) + 2 : end] for at, end, name in spans}
    pieces = []
    last = 0
    for at, end, _name in spans:
        pieces.append(padded[last:at])
        last = end
    pieces.append(padded[last:])
    kept = query.count("&") + 1 - len(spans)
    return (f"{base}?{''.join(pieces)[1:-1]}" if kept else base), params, None


def _rebuild_repeated(base: str, query: str, padded: str) -> tuple[str, dict[str, str], str | None]:
    """:func:`_rebuild_long` when a reserved name repeats (1,000 ``&Expires``): two
    searches per name for its first two occurrences, one regex pass to drop them all."""
    spans = []
    duplicate: str | None = None
    repeated_at = len(padded)
    for name, pattern in _RESERVED_NAMED:
        first = pattern.search(padded)
        if first is None:
            continue
        end = padded.find("&", first.end())
        spans.append((first.start(), end, name))
        # (room past repeated_at for the look-ahead of a match starting before it)
        again = pattern.search(padded, end, repeated_at + len(name) + 2)
        if again is not None and again.start() < repeated_at:
            repeated_at, duplicate = again.start(), name  # its second comes first (OP6)
    spans.sort()
    params = {name: padded[at + len(name) + 2 : end] for at, end, name in spans}
    # "&" + every kept segment with its "&" + the closing "&"
    stripped = _RESERVED_SEGMENTS.sub("", padded)
    kept = stripped.count("&") - 1
    return (f"{base}?{stripped[1:-1]}" if kept else base), params, duplicate


_COOKIE_TO_PARAM: Final = {
    COOKIE_EXPIRES: PARAM_EXPIRES,
    COOKIE_POLICY: PARAM_POLICY,
    COOKIE_SIGNATURE: PARAM_SIGNATURE,
    COOKIE_KEY_PAIR_ID: PARAM_KEY_PAIR_ID,
    COOKIE_HASH_ALGORITHM: PARAM_HASH_ALGORITHM,
}


def parse_cookie_header(headers: str | Iterable[str]) -> dict[str, str]:
    """The CloudFront cookies in ``Cookie`` header values, first occurrence of each (R33).

    Values are kept raw: quotes are part of the value (OP19).

    >>> parse_cookie_header("a=1; CloudFront-Key-Pair-Id=K1; CloudFront-Key-Pair-Id=K2")
    {'CloudFront-Key-Pair-Id': 'K1'}
    """
    found: dict[str, str] = {}
    for header in [headers] if isinstance(headers, str) else headers:
        if not isinstance(header, str):  # untyped callers may pass bytes
            continue  # type: ignore[unreachable]
        if header.count(";") >= _MANY_SEGMENTS:
            # thousands of cookies: one C-speed pass finds the CloudFront ones
            for name, value in _CLOUDFRONT_COOKIE.findall(f";{header}"):
                if name not in found:
                    found[name] = value.strip()
            continue
        for item in header.split(";"):
            name, sep, value = item.strip().partition("=")
            if sep and name in _COOKIE_TO_PARAM and name not in found:
                found[name] = value.strip()
    return found


# a CloudFront cookie (R31) as the loop above reads one: blanks (\s is str.isspace) after
# the ; that starts the item, the exact name, =, the value up to the next ;. Searched in
# ";" + header: starting with a literal, the regex is tried only where a ; is
_CLOUDFRONT_COOKIE: Final = re.compile(
    r";\s*+(CloudFront-(?:Expires|Policy|Signature|Key-Pair-Id|Hash-Algorithm))=([^;]*)"
)


# ---------------------------------------------------------------------------
# Messages


def _ago(seconds: float) -> str:
    seconds = abs(seconds)
    if seconds < 1:
        return "under a second"
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds >= size:
            count = int(seconds // size)
            return f"{count} {unit}{'s' if count != 1 else ''}"
    count = int(seconds)
    return f"{count} second{'s' if count != 1 else ''}"


def _where(source: Source) -> str:
    # the subject with its verb: "The URL carries", "The cookies carry"
    return "URL carries" if source == "url" else "cookies carry"


def _prefix(source: Source) -> str:
    return "" if source == "url" else "CloudFront-"


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


_CANONICAL_EPOCH: Final = re.compile(r"0|[1-9][0-9]*")
_EPOCH_DIGITS: Final = len(str(MAX_EPOCH))
# SHA-1 is what CloudFront defaults to (R20), not a choice made here
_HASH_OBJECTS: Final = {"SHA1": hashes.SHA1(), "SHA256": hashes.SHA256()}  # noqa: S303
_PKCS1: Final = padding.PKCS1v15()
_ECDSA: Final = {name: ec.ECDSA(algorithm) for name, algorithm in _HASH_OBJECTS.items()}


class Verifier:
    """Decides whether CloudFront would serve a request, for a set of trusted keys (R22).

    ``keys`` maps key pair ids to public keys (PEM text or bytes, key objects, or private
    keys whose public half is used). ``cache_size`` > 0 keeps that many verified
    signatures, so repeated cookies or segment requests skip the public-key operation;
    times, resource and IP are still checked on every request. One instance can serve
    every thread.
    """

    __slots__ = ("_check", "_checks", "_ok_messages", "_thorough", "keys")

    def __init__(
        self,
        keys: Mapping[str, PEMData | PublicKey | PrivateKey] | KeyGroup,
        *,
        cache_size: int = 0,
    ) -> None:
        self.keys = keys if isinstance(keys, KeyGroup) else KeyGroup(keys)
        self._ok_messages: dict[tuple[str, str, str], str] = {}
        #: explain a refused ECDSA signature with further verifications (see _diagnosing)
        self._thorough = False
        # one ready-made check per (key, hash): isinstance on the key ABCs costs more than
        # the rest of a verification's Python, so it happens once, here
        self._checks = {
            (key_id, name): _checker(public, name)
            for key_id, public in self.keys.items()
            for name in ("SHA1", "SHA256")
        }
        self._check: Callable[[str, bytes, bytes, HashName], Verdict] = (
            lru_cache(maxsize=cache_size)(self._check_signature)
            if cache_size > 0
            else self._check_signature
        )

    def __repr__(self) -> str:
        return f"Verifier({self.keys!r})"

    def cache_info(self) -> tuple[int, int, int, int] | None:
        """The signature cache's ``(hits, misses, entries, capacity)``; None without one."""
        info = getattr(self._check, "cache_info", None)
        if info is None:
            return None
        hits, misses, capacity, entries = info()
        return hits, misses, entries, capacity or 0

    # -- entry points ------------------------------------------------------------------

    def verify_url(
        self, url: str, client_ip: str | None = None, now: When | None = None
    ) -> Decision:
        """Judge a signed URL (R38); cookies are not considered."""
        request = _rebuild(url)
        if request is None:
            return _malformed_url(url)
        return self._judge_request(request, None, client_ip, now_seconds(now))

    def verify_cookies(
        self,
        url: str,
        cookies: Mapping[str, str] | str,
        client_ip: str | None = None,
        now: When | None = None,
    ) -> Decision:
        """Judge a request for ``url`` carrying ``cookies`` (a mapping or a raw ``Cookie``
        header value). A URL with any reserved parameter is judged as a signed URL and
        the cookies are ignored (R29, R36)."""
        request = _rebuild(url)
        if request is None:
            return _malformed_url(url)
        if isinstance(cookies, Mapping):
            jar = {k: v for k, v in cookies.items() if k in _COOKIE_TO_PARAM}
        else:
            jar = parse_cookie_header(cookies)
        return self._judge_request(request, jar, client_ip, now_seconds(now))

    def verify_request(
        self,
        url: str,
        cookie_headers: Iterable[str] = (),
        *,
        client_ip: str | None = None,
        now: When | None = None,
    ) -> Decision:
        """Judge a request as the edge sees it: its URL and all its ``Cookie`` headers."""
        request = _rebuild(url)
        if request is None:
            return _malformed_url(url)
        return self._judge_request(
            request, parse_cookie_header(cookie_headers), client_ip, now_seconds(now)
        )

    def signed_by(self, url: str, cookies: Mapping[str, str] | str | None = None) -> str | None:
        """Which trusted key made the signature, whatever ``Key-Pair-Id`` says (rotation aid).

        Returns the key pair id, or None when no trusted key made it.
        """
        request = rebuild_url(url)
        if request is None:
            return None
        params = request.params
        if not params and cookies is not None:
            jar = (
                parse_cookie_header(cookies)
                if isinstance(cookies, str)
                else {k: v for k, v in cookies.items() if k in _COOKIE_TO_PARAM}
            )
            params = {_COOKIE_TO_PARAM[k]: v for k, v in jar.items()}
        data = _policy_bytes(params, request.rebuilt)
        signature = _signature_bytes(params)
        if data is None or signature is None:
            return None
        for key_id, public in self.keys.items():
            for name in ("SHA1", "SHA256"):
                if _verify(public, signature, data, name):
                    return key_id
        return None

    # -- the R38 steps -----------------------------------------------------------------

    def _judge_request(
        self,
        request: tuple[str, dict[str, str], str | None],
        cookies: Mapping[str, str] | None,
        client_ip: str | None,
        now: float,
    ) -> Decision:
        rebuilt, params, duplicate = request
        # steps 1-3: a URL with any reserved name is a signed URL (R29); else cookies
        if params or duplicate:
            if duplicate is not None:
                return Decision(
                    False,
                    Reason.MALFORMED_REQUEST,
                    f"The URL carries {duplicate} more than once; sign the URL "
                    "without CloudFront parameters (was it signed twice?) (OP6).",
                    source="url",
                    resource=rebuilt,
                )
            return self._judge(params, "url", rebuilt, client_ip, now)
        if cookies:
            from_cookies = {_COOKIE_TO_PARAM[name]: value for name, value in cookies.items()}
            return self._judge(from_cookies, "cookies", rebuilt, client_ip, now)
        return Decision(
            False,
            Reason.MISSING_KEY,
            "The request carries no signed-URL parameters and no CloudFront cookies; sign "
            "the URL, or check that the cookies' Domain and Path cover this host (R37).",
            resource=rebuilt,
        )

    def _judge(
        self,
        params: Mapping[str, str],
        source: Source,
        request_url: str,
        client_ip: str | None,
        now: float,
    ) -> Decision:
        # step 4-5: the key
        key_pair_id = params.get(PARAM_KEY_PAIR_ID) or ""
        if "%" in key_pair_id:
            key_pair_id = percent_decode(key_pair_id)
        if not key_pair_id:
            where, prefix = _where(source), _prefix(source)
            extra = ""
            if source == "url" and set(params) <= {PARAM_EXPIRES}:
                extra = (
                    " Its only CloudFront name is Expires: if that parameter belongs to your "
                    "application, rename it, since CloudFront reserves it (R29, P10)."
                )
            return Decision(
                False,
                Reason.MISSING_KEY,
                f"The {where} no {prefix}Key-Pair-Id.{extra}",
                source=source,
                resource=request_url,
            )
        public = self.keys.get(key_pair_id)
        if public is None:
            return Decision(
                False,
                Reason.UNKNOWN_KEY,
                f"Key-Pair-Id {_short(key_pair_id)!r} is not trusted here (trusted: "
                f"{', '.join(self.keys) or 'none'}); use the public key id, not the key group "
                "id or an IAM access key id, and check the key group is on this behaviour "
                "(R21).",
                source=source,
                key_pair_id=key_pair_id,
                resource=request_url,
            )
        # step 6-7: signature present, hash known
        signature_text = params.get(PARAM_SIGNATURE) or ""
        if "%" in signature_text:
            signature_text = percent_decode(signature_text)
        if not signature_text:
            where, prefix = _where(source), _prefix(source)
            return Decision(
                False,
                Reason.MISSING_SIGNATURE,
                f"The {where} no {prefix}Signature (OP12).",
                source=source,
                key_pair_id=key_pair_id,
                resource=request_url,
            )
        declared = params.get(PARAM_HASH_ALGORITHM) or ""
        if "%" in declared:
            declared = percent_decode(declared)
        hash_name: HashName
        if declared == "" or declared == "SHA1":
            hash_name = "SHA1"
        elif declared == "SHA256":
            hash_name = "SHA256"
        else:
            return Decision(
                False,
                Reason.UNSUPPORTED_HASH_ALGORITHM,
                f"{_prefix(source)}Hash-Algorithm is {_short(declared)!r}; CloudFront accepts "
                "exactly "
                "SHA1 or SHA256 (R20).",
                source=source,
                key_pair_id=key_pair_id,
                resource=request_url,
            )
        # step 8: the policy; a canned one is just its expiry (R3, R4)
        policy: Policy | int
        kind: PolicyKind
        policy_text = params.get(PARAM_POLICY)
        if policy_text is not None:
            kind = "custom"
            parsed = _parse_policy(policy_text)
            if isinstance(parsed, str):
                problem = parsed.replace("{prefix}", _prefix(source))
                return self._malformed(
                    problem, source, key_pair_id, hash_name, request_url, "custom"
                )
            policy, data = parsed
        elif PARAM_EXPIRES in params:
            kind = "canned"
            expires_text = params[PARAM_EXPIRES]
            if "%" in expires_text:
                expires_text = percent_decode(expires_text)
            # R5: canonical decimal digits only, at most MAX_EPOCH; the length is checked
            # before int(), which is quadratic in the digits and refuses over 4,300 of them
            if (
                len(expires_text) > _EPOCH_DIGITS
                or not (expires_text.isascii() and expires_text.isdigit())
                or (expires_text[0] == "0" and expires_text != "0")
                or int(expires_text) > MAX_EPOCH
            ):
                hint = (
                    " It looks like milliseconds: CloudFront wants seconds."
                    if 13 <= len(expires_text) <= 16 and expires_text.isdigit()
                    else ""
                )
                return self._malformed(
                    f"{_prefix(source)}Expires {_short(expires_text)!r} is not whole seconds "
                    f"since 1970 (0 to {MAX_EPOCH}, digits only) (R5).{hint}",
                    source, key_pair_id, hash_name, request_url, "canned",
                )  # fmt: skip
            policy = int(expires_text)
            data = (
                '{"Statement":[{"Resource":"%s","Condition":{"DateLessThan":'
                '{"AWS:EpochTime":%d}}}]}' % (request_url, policy)
            ).encode("utf-8", "surrogatepass")
        else:
            where, prefix = _where(source), _prefix(source)
            return self._malformed(
                f"The {where} neither {prefix}Policy nor {prefix}Expires (OP11).",
                source, key_pair_id, hash_name, request_url,
            )  # fmt: skip
        # step 9: the signature (R18-R20)
        try:
            signature = cf_b64decode(signature_text)
        except InputError:
            hint = (
                " It uses the standard base64 alphabet: map + = / to - _ ~ (R1)."
                if any(c in signature_text for c in "+/=")
                else ""
            )
            return _decide(
                Reason.BAD_SIGNATURE,
                f"{_prefix(source)}Signature is not CloudFront base64 (R2).{hint}",
                source, kind, key_pair_id, hash_name, request_url, policy,
            )  # fmt: skip
        verdict = self._check(key_pair_id, signature, data, hash_name)
        if verdict is not True:
            return _decide(
                Reason.BAD_SIGNATURE,
                self._explain_bad_signature(
                    key_pair_id, public, signature, data, hash_name, request_url, policy, verdict
                ),
                source, kind, key_pair_id, hash_name, request_url, policy,
            )  # fmt: skip
        # step 10: the conditions (OP16 order)
        if isinstance(policy, int):
            refusal = _expired(policy, source, now)
            expires = policy
            warnings: tuple[str, ...] = ()
        else:
            refusal = _conditions(policy, source, request_url, client_ip, now)
            expires = policy.expires
            warnings = _resource_notes(policy.resource)
        if refusal is not None:
            return _decide(
                refusal[0], refusal[1], source, kind, key_pair_id, hash_name, request_url, policy
            )
        ok = self._ok_messages.get((kind, key_pair_id, hash_name))
        if ok is None:
            ok = (
                f"CloudFront would serve this: {kind} policy signed by {key_pair_id} "
                f"({describe_key(public)}, {hash_name}), valid until "
            )
            self._ok_messages[(kind, key_pair_id, hash_name)] = ok
        return _decide(
            Reason.OK,
            f"{ok}{format_epoch(expires)}.",
            source, kind, key_pair_id, hash_name, request_url, policy, warnings,
        )  # fmt: skip

    def _check_signature(
        self, key_pair_id: str, signature: bytes, data: bytes, hash_name: HashName
    ) -> Verdict:
        return self._checks[key_pair_id, hash_name](signature, data)

    def _malformed(
        self,
        message: str,
        source: Source,
        key_pair_id: str,
        hash_name: HashName,
        request_url: str,
        kind: PolicyKind | None = None,
    ) -> Decision:
        return Decision(
            False,
            Reason.MALFORMED_POLICY,
            message,
            source=source,
            policy=kind,
            key_pair_id=key_pair_id,
            hash_algorithm=hash_name,
            resource=request_url,
        )

    def _explain_bad_signature(
        self,
        key_pair_id: str,
        public: PublicKey,
        signature: bytes,
        data: bytes,
        hash_name: HashName,
        request_url: str,
        policy: Policy | int,
        verdict: Verdict,
    ) -> str:
        # Only refusals pay for these extra checks; each names a common real mistake. With
        # RSA each is a hash or an RSA verification; with ECDSA each is an ECDSA
        # verification (three RSA ones), which a forged request must not be able to buy
        # several of: only a diagnosing verifier (frontgate verify) asks them all.
        thorough = self._thorough
        asks = thorough or isinstance(public, rsa.RSAPublicKey)
        if asks:
            signs = _signs(public, signature, verdict)
            other: HashName = "SHA256" if hash_name == "SHA1" else "SHA1"
            if signs(data, other):
                if hash_name == "SHA1":
                    declared, fix = "declares no Hash-Algorithm (SHA1)", "add Hash-Algorithm=SHA256"
                else:
                    declared, fix = "declares SHA256", "drop Hash-Algorithm"
                return (
                    f"The signature was made with {other}, but the request {declared}; {fix} (R20)."
                )
        # ECDSA verifications still affordable: one, after an RSA check (a third of one)
        spare = 1 if isinstance(public, rsa.RSAPublicKey) else 0
        for other_id, other_key in self.keys.items():
            if other_id == key_pair_id or not _could_sign(other_key, signature):
                continue
            if not thorough and not isinstance(other_key, rsa.RSAPublicKey):
                if not spare:
                    continue
                spare -= 1
            if _verify(other_key, signature, data, hash_name):
                return (
                    f"The signature was made with key {other_id}, not {key_pair_id} named in "
                    "Key-Pair-Id; send the id of the key that signed (R21)."
                )
        if isinstance(public, ec.EllipticCurvePublicKey) and len(signature) == 64:
            return (
                "The signature is 64 raw bytes (r||s, IEEE P1363); CloudFront expects a DER "
                "ECDSA signature, as openssl and the AWS SDKs make (R19, OP15)."
            )
        if isinstance(public, rsa.RSAPublicKey) and len(signature) != public.key_size // 8:
            return (
                f"The signature has {len(signature)} bytes, but an RSA-{public.key_size} "
                "signature has 256: it was cut or altered in transit (R18)."
            )
        if not asks:
            return _ecdsa_refusal(request_url, policy)
        if isinstance(policy, int):
            for variant, what in _url_variants(request_url):
                # surrogatepass as for the request itself: any str may arrive (R38)
                candidate = Policy(variant, policy).to_json().encode("utf-8", "surrogatepass")
                if signs(candidate, hash_name):
                    return (
                        f"The signature is for {variant}, but the request is for {request_url} "
                        f"({what}); a canned policy covers one exact URL (R4, R27)."
                    )
            return (
                "The signature does not match this key and the canned policy for "
                f"{request_url}; the usual cause is a URL changed after signing (scheme, "
                "host, query string, encoding) or the wrong private key (R4, R27)."
            )
        return (
            "The signature does not match this key and policy: the policy was edited after "
            "signing, or another private key signed it (R10)."
        )


def _diagnosing(verifier: Verifier) -> Verifier:
    """The verifier, made to explain a refused ECDSA signature as a refused RSA one is:
    signed with the other hash, by another key of the group, for another URL (each an
    ECDSA verification more, so not for serving requests). ``frontgate verify`` uses it.

    >>> _diagnosing(Verifier({})).verify_url("https://d.example/a").reason.value
    'missing-key'
    """
    verifier._thorough = True
    return verifier


def _ecdsa_refusal(request_url: str, policy: Policy | int) -> str:
    """Why an ECDSA signature was refused, asking no further verification."""
    changed = (
        f"the canned policy for {request_url}: the URL was changed after signing (scheme, "
        "host, query string, encoding)"
        if isinstance(policy, int)
        else "policy: the policy was edited after signing"
    )
    rules = "R4, R20, R27" if isinstance(policy, int) else "R10, R20"
    return (
        f"The signature does not match this key and {changed}, another private key signed "
        f"it, or Hash-Algorithm names the other hash than the one it was made with ({rules}); "
        "`frontgate verify` tells which."
    )


@lru_cache(maxsize=1024)
def _parse_policy(text: str) -> tuple[Policy, bytes] | str:
    """A custom policy value decoded and parsed (R2, R7, R8), or why it is malformed.

    Cached: cookies and HLS segments send the same policy on every request.
    """
    try:
        data = cf_b64decode(percent_decode(text) if "%" in text else text) if text else b""
        if not data:
            return "Malformed policy: it is empty."
        return Policy.from_json(data), data
    except PolicyError as exc:
        return exc.message
    except InputError:
        return "{prefix}Policy is not CloudFront base64 (R2)."


@lru_cache(maxsize=1024)
def _resource_notes(resource: str | None) -> tuple[str, ...]:
    # per resource pattern, which many policies share (one per expiry)
    return tuple(resource_warnings(resource))


def _decide(
    reason: Reason,
    message: str,
    source: Source,
    kind: PolicyKind,
    key_pair_id: str,
    hash_name: HashName,
    request_url: str,
    policy: Policy | int,
    warnings: tuple[str, ...] = (),
) -> Decision:
    # a canned policy travels as its expiry alone: no Policy object on the hot path
    if isinstance(policy, int):
        return Decision(
            reason is Reason.OK, reason, message, source, kind, key_pair_id, hash_name,
            request_url, None, policy, None, None, warnings,
        )  # fmt: skip
    return Decision(
        reason is Reason.OK, reason, message, source, kind, key_pair_id, hash_name,
        request_url, policy.resource, policy.expires, policy.not_before, policy.ip_address,
        warnings,
    )  # fmt: skip


def _expired(expires: int, source: Source, now: float) -> tuple[Reason, str] | None:
    if now < expires:
        return None
    late = now - expires
    clock = " If it was just made, check the signing server's clock (P7)." if late < 600 else ""
    what = "link" if source == "url" else "cookies"
    return (
        Reason.EXPIRED,
        f"The {what} expired {_ago(late)} ago (at {format_epoch(expires)}); sign a new one.{clock}",
    )


def _conditions(
    policy: Policy,
    source: Source,
    request_url: str,
    client_ip: str | None,
    now: float,
) -> tuple[Reason, str] | None:
    """Step 10 of R38 for a custom policy: resource, expiry, start, IP (OP16)."""
    if policy.resource is not None and not resource_covers(policy.resource, request_url):
        return Reason.RESOURCE_MISMATCH, _explain_mismatch(policy.resource or "", request_url)
    if now >= policy.expires:
        late = now - policy.expires
        clock = " If it was just made, check the signing server's clock (P7)." if late < 600 else ""
        what = "link" if source == "url" else "cookies"
        return (
            Reason.EXPIRED,
            f"The {what} expired {_ago(late)} ago (at {format_epoch(policy.expires)}); "
            f"sign a new one.{clock}",
        )
    if policy.not_before is not None and now <= policy.not_before:
        return (
            Reason.NOT_YET_VALID,
            f"The policy is valid only after {format_epoch(policy.not_before)}, "
            f"{_ago(policy.not_before - now)} from now; let not_before lag behind the signing "
            "time a little (R14, P7).",
        )
    if policy.ip_address is None:
        return None
    if not client_ip:
        return (
            Reason.CLIENT_IP_REQUIRED,
            f"The policy admits only {policy.ip_address}; give the viewer's IP address to "
            "judge it (R15).",
        )
    inside = ip_in_network(client_ip, policy.ip_address)
    if inside:
        return None
    if inside is None:
        why = f"the client IP {_short(client_ip)!r} is not an IP address"
    elif ":" in client_ip and not client_ip.lower().startswith("::ffff:"):
        why = (
            f"the viewer came over IPv6 ({_short(client_ip)}), which never matches an IPv4 "
            "condition; turn IPv6 off on IP-restricted distributions"
        )
    else:
        why = f"the viewer's address {_short(client_ip)} is outside it"
    return Reason.IP_MISMATCH, f"The policy admits only {policy.ip_address}, and {why} (R15, P12)."


def still_allowed(decision: Decision, client_ip: str | None, now: float) -> bool:
    """Whether an allowed ``decision`` holds for the same request again from ``client_ip``
    at ``now``: the step-10 conditions that change between identical requests (expiry,
    start, IP; R38, OP16). A memo of decisions checks these on every request.

    >>> d = Decision(True, Reason.OK, "", expires=2_000_000_000, ip_address="10.0.0.0/8")
    >>> still_allowed(d, "10.1.2.3", 1e9), still_allowed(d, "192.0.2.1", 1e9)
    (True, False)
    """
    expires = decision.expires
    if not decision.allowed or expires is None or now >= expires:
        return False
    if decision.not_before is not None and now <= decision.not_before:
        return False
    network = decision.ip_address
    return network is None or (bool(client_ip) and ip_in_network(client_ip or "", network) is True)


#: what checking a signature found: True when it verifies; otherwise, for RSA, the
#: DigestInfo the signature carries (b"" when it carries none), else False
Verdict = bool | bytes


def _checker(public: PublicKey, hash_name: str) -> Callable[[bytes, bytes], Verdict]:
    """``check(signature, data)``: the :data:`Verdict` on one signature (R18, R19).

    RSA recovers the signed DigestInfo (one public-key operation) and compares it with the
    digest of ``data``: as strict as a verify, a little faster, and a refusal keeps what
    the signature carries, so explaining it needs no second public-key operation.
    """
    if isinstance(public, rsa.RSAPublicKey):
        recover, prefix = public.recover_data_from_signature, _DIGEST_INFO[hash_name]
        digest = hashlib.sha1 if hash_name == "SHA1" else hashlib.sha256
        size = public.key_size // 8

        def check_rsa(signature: bytes, data: bytes) -> Verdict:
            if len(signature) != size:
                # RFC 8017 8.2.2 step 1, as strict verifiers are (OpenSSL would left-pad
                # a short one, at the price of a public-key operation)
                return b""
            try:
                signed = recover(signature, _PKCS1, None)
            except (InvalidSignature, ValueError):
                return b""
            if signed == prefix + digest(data, usedforsecurity=False).digest():
                return True
            return signed

        return check_rsa
    ec_verify, ecdsa = public.verify, _ECDSA[hash_name]

    def check_ecdsa(signature: bytes, data: bytes) -> Verdict:
        try:
            ec_verify(signature, data, ecdsa)
        except InvalidSignature:
            return False
        except UnsupportedAlgorithm:
            # SHA-1 switched off in this environment (P3): an error, never a refusal
            named: HashName = "SHA1" if hash_name == "SHA1" else "SHA256"
            return verify_signature(public, signature, data, named)
        return True

    return check_ecdsa


def _verify(public: PublicKey, signature: bytes, data: bytes, hash_name: str) -> bool:
    try:
        if isinstance(public, rsa.RSAPublicKey):
            public.verify(signature, data, _PKCS1, _HASH_OBJECTS[hash_name])
        else:
            public.verify(signature, data, _ECDSA[hash_name])
    except InvalidSignature:
        return False
    except UnsupportedAlgorithm:
        # SHA-1 switched off in this environment (P3): an error, never a refusal
        return verify_signature(
            public, signature, data, "SHA1" if hash_name == "SHA1" else "SHA256"
        )
    return True


def _could_sign(public: PublicKey, signature: bytes) -> bool:
    """Whether ``signature`` has a length ``public`` can make: RSA's is the modulus size,
    a DER ECDSA P-256 signature 8 to 72 bytes (R18, R19). No public-key operation."""
    if isinstance(public, rsa.RSAPublicKey):
        return len(signature) == public.key_size // 8
    return 8 <= len(signature) <= 72


#: the DER DigestInfo before the digest in a PKCS #1 v1.5 signature (RFC 8017, 9.2 note 1)
_DIGEST_INFO: Final = {
    "SHA1": bytes.fromhex("3021300906052b0e03021a05000414"),
    "SHA256": bytes.fromhex("3031300d060960864801650304020105000420"),
}


def _signs(
    public: PublicKey, signature: bytes, verdict: Verdict = False
) -> Callable[[bytes, str], bool]:
    """``signs(data, hash_name)``: whether ``signature`` is ``public``'s over ``data``.

    For RSA one public-key operation recovers the signed DigestInfo, so each further
    question (another hash, another URL) costs a hash, not a public-key operation: a
    forged signature cannot buy several for the price of one request. ECDSA cannot be
    recovered; each question is a verification.
    """
    if not isinstance(public, rsa.RSAPublicKey):
        return lambda data, hash_name: _verify(public, signature, data, hash_name)
    if isinstance(verdict, bytes):
        signed = verdict  # recovered by the check that refused it
    else:
        try:
            signed = public.recover_data_from_signature(signature, _PKCS1, None)
        except (InvalidSignature, ValueError):
            signed = b""
    if not signed:
        return lambda data, hash_name: False  # not this key's signature over anything

    def signs(data: bytes, hash_name: str) -> bool:
        prefix = _DIGEST_INFO[hash_name]
        if not signed.startswith(prefix):
            return False  # made with the other hash: no need to hash anything
        digest = hashlib.sha1 if hash_name == "SHA1" else hashlib.sha256
        return signed[len(prefix) :] == digest(data, usedforsecurity=False).digest()

    return signs


def _url_variants(url: str) -> list[tuple[str, str]]:
    variants = []
    if url.startswith("https://"):
        variants.append(("http://" + url[8:], "signed for http, requested over https"))
    elif url.startswith("http://"):
        variants.append(("https://" + url[7:], "signed for https, requested over http"))
    if "?" in url:
        variants.append((url.split("?", 1)[0], "a query string was added after signing"))
    return variants


def _explain_mismatch(pattern: str, request_url: str) -> str:
    from .policy import _S3_HOST, _sections, _split_request, glob_match

    sections = _sections(pattern)
    if sections is None:
        return (
            f"The policy's Resource {pattern!r} starts with neither a protocol nor *, so it "
            "matches nothing (R11)."
        )
    protocol, domain, path, query = sections
    scheme, host, req_path, req_query = _split_request(request_url)
    if not glob_match(protocol.lower(), scheme.lower()):
        what = f"it was signed for {protocol}://, the request came over {scheme}://"
    elif not glob_match(domain.lower(), host.lower()):
        what = f"it was signed for host {domain}, the request is for {host}"
        if _S3_HOST.search(domain.lower().split(":")[0]):
            what += " (sign the CloudFront or alternate domain, not the S3 endpoint)"
    elif not glob_match(path, req_path, False):
        what = f"the path {req_path} is outside {path}"
    else:
        what = (
            f"the query {req_query!r} is not admitted by {query!r}"
            if req_query
            else f"the pattern requires the query {query!r}"
        )
        if req_query and not query:
            what += " (end the pattern with * to admit query strings)"
    return f"The policy's Resource {pattern} does not cover {request_url}: {what} (R11)."


def _malformed_url(url: object) -> Decision:
    shown = _short(url) if isinstance(url, str) else type(url).__name__
    return Decision(
        False,
        Reason.MALFORMED_REQUEST,
        f"{shown!r} is not an absolute http:// or https:// URL.",
    )


def _policy_bytes(params: Mapping[str, str], request_url: str) -> bytes | None:
    if PARAM_POLICY in params:
        try:
            return cf_b64decode(percent_decode(params[PARAM_POLICY]))
        except InputError:
            return None
    text = percent_decode(params.get(PARAM_EXPIRES, ""))
    if len(text) <= _EPOCH_DIGITS and _CANONICAL_EPOCH.fullmatch(text) and int(text) <= MAX_EPOCH:
        return Policy(request_url, int(text)).to_json().encode("utf-8", "surrogatepass")
    return None


def _signature_bytes(params: Mapping[str, str]) -> bytes | None:
    try:
        return cf_b64decode(percent_decode(params.get(PARAM_SIGNATURE, "")))
    except InputError:
        return None
