"""CloudFront policies: the bytes that get signed, and what a policy grants.

A :class:`Policy` is the one model of both kinds: a canned policy is a policy whose only
condition is the expiry and whose resource is the exact URL (R3, R4).

>>> p = Policy("https://d111111abcdef8.cloudfront.net/image.jpg?color=red&size=medium",
...            expires=1767290400)
>>> p.to_json()
'{"Statement":[{"Resource":"https://d111111abcdef8.cloudfront.net/image.jpg?color=red&size=medium","Condition":{"DateLessThan":{"AWS:EpochTime":1767290400}}}]}'
>>> resource_matches("https://d111111abcdef8.cloudfront.net/videos/*",
...                  "https://d111111abcdef8.cloudfront.net/videos/a/b.ts?x=1")
True
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from socket import inet_aton
from typing import Any, Final, NamedTuple

from .encoding import cf_b64encode, split_query
from .errors import ErrorCode, InputError
from .times import MAX_EPOCH

__all__ = [
    "COOKIE_EXPIRES",
    "COOKIE_HASH_ALGORITHM",
    "COOKIE_KEY_PAIR_ID",
    "COOKIE_NAMES",
    "COOKIE_POLICY",
    "COOKIE_SIGNATURE",
    "MAX_COOKIE_BYTES",
    "MAX_URL_BYTES",
    "PARAM_EXPIRES",
    "PARAM_HASH_ALGORITHM",
    "PARAM_KEY_PAIR_ID",
    "PARAM_POLICY",
    "PARAM_SIGNATURE",
    "RESERVED_PARAMS",
    "Policy",
    "PolicyError",
    "check_resource",
    "ip_in_network",
    "literal_prefix",
    "normalize_ip",
    "policy_json",
    "prepare_url",
    "resource_covers",
    "resource_matches",
    "resource_warnings",
]

# R23: the reserved query parameters, spelled once
PARAM_EXPIRES: Final = "Expires"
PARAM_POLICY: Final = "Policy"
PARAM_SIGNATURE: Final = "Signature"
PARAM_KEY_PAIR_ID: Final = "Key-Pair-Id"
PARAM_HASH_ALGORITHM: Final = "Hash-Algorithm"
RESERVED_PARAMS: Final = frozenset(
    {PARAM_EXPIRES, PARAM_POLICY, PARAM_SIGNATURE, PARAM_KEY_PAIR_ID, PARAM_HASH_ALGORITHM}
)

# R31: the cookie names
COOKIE_EXPIRES: Final = "CloudFront-Expires"
COOKIE_POLICY: Final = "CloudFront-Policy"
COOKIE_SIGNATURE: Final = "CloudFront-Signature"
COOKIE_KEY_PAIR_ID: Final = "CloudFront-Key-Pair-Id"
COOKIE_HASH_ALGORITHM: Final = "CloudFront-Hash-Algorithm"
COOKIE_NAMES: Final = frozenset(
    {COOKIE_EXPIRES, COOKIE_POLICY, COOKIE_SIGNATURE, COOKIE_KEY_PAIR_ID, COOKIE_HASH_ALGORITHM}
)

#: R43: the longest URL CloudFront accepts, and the largest cookie browsers must keep
MAX_URL_BYTES: Final = 8192
MAX_COOKIE_BYTES: Final = 4096


class PolicyError(InputError):
    """A policy document CloudFront would answer with ``MalformedPolicy`` (R8)."""


@dataclass(frozen=True, slots=True)
class Policy:
    """One statement: a resource pattern and its conditions (R7).

    ``resource`` is ``None`` when the policy omits it (R12); ``ip_address`` is a
    normalised IPv4 CIDR (``192.0.2.0/24``). Times are epoch seconds.
    """

    #: the resource URL or pattern, or None for "every resource" (R12)
    resource: str | None
    #: DateLessThan: the request must arrive before this (R13)
    expires: int
    #: DateGreaterThan: the request must arrive after this (R14)
    not_before: int | None = None
    #: AWS:SourceIp as a CIDR (R15)
    ip_address: str | None = None

    @property
    def is_canned(self) -> bool:
        """True when this policy can travel as a canned policy (only an expiry, R4)."""
        return (
            self.not_before is None
            and self.ip_address is None
            and self.resource is not None
            and "*" not in self.resource
        )

    def to_json(self) -> str:
        """Compact JSON in botocore's member order (R3, R9); canned bytes when canned.

        Resources are inserted verbatim: :func:`check_resource` and :func:`prepare_url`
        refuse ``"``, ``\\`` and non-ASCII, so this equals JSON serialisation (R3).
        """
        return policy_json(self.resource, self.expires, self.not_before, self.ip_address)

    def to_bytes(self) -> bytes:
        """The bytes a signature covers: :meth:`to_json` in UTF-8."""
        return self.to_json().encode()

    def encode(self) -> str:
        """The ``Policy`` parameter / ``CloudFront-Policy`` cookie value (R1)."""
        return cf_b64encode(self.to_bytes())

    def covers(self, request_url: str) -> bool:
        """Tell whether the resource pattern admits ``request_url`` (R11, R12)."""
        return self.resource is None or resource_matches(self.resource, request_url)

    @classmethod
    def from_json(cls, data: bytes) -> Policy:
        """Parse a custom policy strictly (R7, R8); raise :class:`PolicyError`.

        >>> Policy.from_json(b'{"Statement":[{"Condition":{"DateLessThan":'
        ...                  b'{"AWS:EpochTime":10}}}]}')
        Policy(resource=None, expires=10, not_before=None, ip_address=None)
        """
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise _malformed("the policy is not UTF-8 text") from None
        known = _from_template(text)
        if known is not None:
            return known
        if _containers(text) > _MAX_CONTAINERS:
            raise _malformed(
                "it nests more objects and arrays than a policy has (R7); nothing is read that deep"
            )
        import json  # only the verifier parses policies; `frontgate sign` starts faster

        try:
            doc = json.loads(
                text,
                object_pairs_hook=_unique_members,
                parse_int=_epoch_digits,
                parse_float=_refuse_float,
                parse_constant=_refuse_constant,
            )
        except PolicyError:
            raise
        except (ValueError, RecursionError):
            raise _malformed("the policy is not valid JSON") from None
        return _policy_from_doc(doc)


# The compact form policy_json (and botocore) write, read without a JSON parser: a
# resource with no character JSON escapes, canonical epochs, an IPv4 CIDR. One linear
# pass (each group stops at a character it cannot contain); anything else is parsed.
_TEMPLATE = re.compile(
    r'\{"Statement":\[\{"Resource":"([ !#-\[\]-~]*)","Condition":\{"DateLessThan":'
    r'\{"AWS:EpochTime":(0|[1-9][0-9]{0,9})\}(?:,"IpAddress":\{"AWS:SourceIp":"([0-9./]{1,18})"\})?'
    r'(?:,"DateGreaterThan":\{"AWS:EpochTime":(0|[1-9][0-9]{0,9})\})?\}\}\]\}'
)


def _from_template(text: str) -> Policy | None:
    """The policy in ``text`` when it has exactly the compact form, else None."""
    match = _TEMPLATE.fullmatch(text)
    if match is None:
        return None
    resource, expires_text, ip, start_text = match.groups()
    expires = int(expires_text)
    start = None if start_text is None else int(start_text)
    if expires > MAX_EPOCH or (start is not None and start > MAX_EPOCH):
        return None  # the full reading explains the range (R5)
    if ip is not None:
        try:
            ip = normalize_ip(ip)
        except InputError:
            return None  # the full reading explains it (R15)
    return Policy(resource, expires, start, ip)


def policy_json(
    resource: str | None,
    expires: int,
    not_before: int | None = None,
    ip_address: str | None = None,
) -> str:
    """The bytes of :meth:`Policy.to_json` without building a :class:`Policy` (R3, R9).

    >>> policy_json("https://d.example/a", 10)
    '{"Statement":[{"Resource":"https://d.example/a","Condition":{"DateLessThan":{"AWS:EpochTime":10}}}]}'
    """
    # Formatted by hand, not json.dumps: this runs once per signed URL. The member order
    # is botocore's: DateLessThan, IpAddress, DateGreaterThan (R9).
    ip = "" if ip_address is None else f',"IpAddress":{{"AWS:SourceIp":"{ip_address}"}}'
    start = "" if not_before is None else f',"DateGreaterThan":{{"AWS:EpochTime":{not_before:d}}}'
    head = '{"Statement":[{' if resource is None else f'{{"Statement":[{{"Resource":"{resource}",'
    return f'{head}"Condition":{{"DateLessThan":{{"AWS:EpochTime":{expires:d}}}{ip}{start}}}}}]}}'


# ---------------------------------------------------------------------------
# strict JSON reading (R7, R8, OP13)


def _malformed(why: str) -> PolicyError:
    return PolicyError(ErrorCode.POLICY_INVALID, f"Malformed policy: {why}.")


def _unique_members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name, value in pairs:
        if name in result:
            raise _malformed(f"member {name!r} appears twice")
        result[name] = value
    return result


#: A policy has at most 7 objects and arrays (R7: the document, Statement and its one
#: statement, Condition and its three conditions); twice that still parses far enough to
#: name a duplicate member. More can only be refused, so they are refused before json.loads,
#: whose recursion would otherwise go as deep as the input does.
_MAX_CONTAINERS: Final = 16
# the digits of MAX_EPOCH, with room for a sign and the millisecond hint of _epoch
_MAX_INT_DIGITS: Final = 20


def _containers(text: str) -> int:
    """How many ``{`` and ``[`` open objects and arrays (outside strings) in JSON text.

    Only C-speed string methods, linear in ``len(text)``. Exact for valid JSON; for
    anything else json.loads refuses the text anyway.
    """
    count = text.count("{") + text.count("[")
    if count <= _MAX_CONTAINERS:
        return count
    # drop escaped backslashes, then escaped quotes: every " left delimits a string
    bare = text.replace("\\\\", "").replace('\\"', "")
    outside = "".join(bare.split('"')[::2])
    return outside.count("{") + outside.count("[")


def _epoch_digits(text: str) -> int:
    # json.loads would convert any number of digits (quadratic time, then Python's
    # int-string limit); a policy's only numbers are epochs of at most 10 digits (R5)
    if len(text) > _MAX_INT_DIGITS:
        raise _malformed(f"a number of {len(text)} digits is not a time in seconds (R5)")
    return int(text)


def _refuse_float(text: str) -> Any:
    raise _malformed(f"number {text} is not a whole number of seconds")


def _refuse_constant(text: str) -> Any:
    raise _malformed(f"{text} is not allowed")


def _members(obj: object, where: str, allowed: frozenset[str]) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise _malformed(f"{where} must be a JSON object")
    unknown = sorted(set(obj) - allowed)
    if unknown:
        raise _malformed(f"{where} has the unknown member {unknown[0]!r}")
    return obj


def _epoch(obj: object, where: str) -> int:
    members = _members(obj, where, frozenset({"AWS:EpochTime"}))
    if "AWS:EpochTime" not in members:
        raise _malformed(f'{where} needs "AWS:EpochTime"')
    value = members["AWS:EpochTime"]
    if isinstance(value, bool) or not isinstance(value, int):
        raise _malformed(f"{where} must be a JSON integer (not quoted), got {value!r}")
    if value < 0 or value > MAX_EPOCH:
        hint = " (milliseconds? CloudFront wants seconds)" if value > 10**12 else ""
        raise _malformed(f"{where} {value} is outside 0..{MAX_EPOCH}{hint}")
    return value


def _policy_from_doc(doc: object) -> Policy:
    top = _members(doc, "the policy", frozenset({"Statement"}))
    if "Statement" not in top:
        raise _malformed('there is no "Statement"')
    statements = top["Statement"]
    if isinstance(statements, dict):  # the single-object form of older AWS pages (OP13)
        statements = [statements]
    if not isinstance(statements, list) or len(statements) != 1:
        raise _malformed('"Statement" must hold exactly one statement')
    statement = _members(statements[0], "the statement", frozenset({"Resource", "Condition"}))
    resource = statement.get("Resource")
    if "Resource" in statement and not isinstance(resource, str):
        raise _malformed('"Resource" must be a string')
    if "Condition" not in statement:
        raise _malformed('the statement has no "Condition"')
    condition = _members(
        statement["Condition"],
        '"Condition"',
        frozenset({"DateLessThan", "DateGreaterThan", "IpAddress"}),
    )
    if "DateLessThan" not in condition:
        raise _malformed('"Condition" has no "DateLessThan"')
    expires = _epoch(condition["DateLessThan"], '"DateLessThan"')
    not_before = None
    if "DateGreaterThan" in condition:
        not_before = _epoch(condition["DateGreaterThan"], '"DateGreaterThan"')
    ip = None
    if "IpAddress" in condition:
        ip_members = _members(condition["IpAddress"], '"IpAddress"', frozenset({"AWS:SourceIp"}))
        source = ip_members.get("AWS:SourceIp")
        if not isinstance(source, str):
            raise _malformed('"IpAddress" needs "AWS:SourceIp" as one string')
        try:
            # normalize_ip forgives spaces around signer input; a signed policy gets no
            # such reading: " 192.0.2.1" is not one IPv4 address (R8, R15)
            if source != source.strip():
                raise _malformed("white space around the address")
            ip = normalize_ip(source)
        except InputError as exc:
            raise _malformed(f'"AWS:SourceIp" {source!r} is not one IPv4 address or range') from exc
    return Policy(resource, expires, not_before, ip)


# ---------------------------------------------------------------------------
# IP conditions (R15, R47)

_IPV4 = re.compile(r"(?:0|[1-9][0-9]{0,2})(?:\.(?:0|[1-9][0-9]{0,2})){3}(?:/[0-9]{1,2})?")


@lru_cache(maxsize=1024)
def normalize_ip(value: str) -> str:
    """An IPv4 address or CIDR as CloudFront wants it: ``a.b.c.d/n`` (R15, R47).

    >>> normalize_ip("192.0.2.10"), normalize_ip("192.0.2.10/24")
    ('192.0.2.10/32', '192.0.2.0/24')
    """
    text = value.strip() if isinstance(value, str) else value
    if not isinstance(text, str) or not text:
        raise InputError(ErrorCode.IP_INVALID, "ip_address must be an IPv4 address or CIDR.")
    if ":" in text:
        raise InputError(
            ErrorCode.IP_INVALID,
            f"ip_address {value!r} is IPv6; CloudFront IP conditions support IPv4 only "
            "(R15), and an IP-restricted distribution should not enable IPv6.",
        )
    if not _IPV4.fullmatch(text):
        raise InputError(
            ErrorCode.IP_INVALID,
            f"ip_address {value!r} is not an IPv4 address or CIDR such as 203.0.113.0/24.",
        )
    import ipaddress  # lazily: most policies carry no IP, and CLI start-up counts

    try:
        network = ipaddress.IPv4Network(text, strict=False)
    except ValueError:
        raise InputError(
            ErrorCode.IP_INVALID,
            f"ip_address {value!r} is not an IPv4 address or CIDR such as 203.0.113.0/24.",
        ) from None
    return str(network)


def ip_in_network(client_ip: str, cidr: str) -> bool | None:
    """Tell whether ``client_ip`` is inside ``cidr``; None when it is not an IP at all.

    IPv4-mapped IPv6 addresses count as IPv4; any other IPv6 address never matches (R15).

    >>> ip_in_network("203.0.113.7", "203.0.113.0/24"), ip_in_network("::1", "0.0.0.0/0")
    (True, False)
    """
    quad = _dotted_quad(client_ip)
    if quad is not None:
        network, mask = _network(cidr)
        return quad & mask == network
    import ipaddress

    try:
        address = ipaddress.ip_address(client_ip.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is None:
            return False
        address = address.ipv4_mapped
    return address in ipaddress.IPv4Network(cidr)


_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
# what ipaddress accepts as an IPv4 address: four decimal octets, no leading zero
_DOTTED_QUAD = re.compile(rf"{_OCTET}(?:\.{_OCTET}){{3}}")


def _dotted_quad(text: str) -> int | None:
    """A plain ``a.b.c.d`` as an integer; None for anything else (the full path)."""
    if _DOTTED_QUAD.fullmatch(text) is None:
        return None
    # only the strict form reaches inet_aton, which alone would also take "1.2" or "0x7f.1"
    return int.from_bytes(inet_aton(text), "big")


@lru_cache(maxsize=1024)
def _network(cidr: str) -> tuple[int, int]:
    import ipaddress

    network = ipaddress.IPv4Network(cidr)
    return int(network.network_address), int(network.netmask)


# ---------------------------------------------------------------------------
# URL and resource hygiene (R44, R46)

_URL = re.compile(
    r"(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*)://(?P<authority>[^/?#]*)"
    r"(?P<path>[^?#]*)(?:\?(?P<query>[^#]*))?(?P<fragment>#.*)?",
    re.DOTALL,
)
_HOST = re.compile(
    r"(?P<host>[A-Za-z0-9](?:[A-Za-z0-9\-.]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])(?::(?P<port>[0-9]{1,5}))?"
)
# RFC 3986 characters allowed in path and query, with %HH (R44): one character-class run
# (fast in the regex engine), then the escapes only when there is a %
_SAFE_RUN = re.compile(r"[A-Za-z0-9\-._~!$&'()*+,;=:@/?%]*")
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_BAD_CHAR = re.compile(r"%(?![0-9A-Fa-f]{2})|[^A-Za-z0-9\-._~!$&'()*+,;=:@/?%]")
# A URL already in the form prepare_url returns: lower-case http(s) scheme and host, no
# port, a path, no fragment, a query that is not empty, has no raw ' and names no reserved
# parameter (R23). One linear pass: each run stops at the character that ends it.
_QUERY_CHARS = r"A-Za-z0-9\-._~!$()*+,;=:@/?%"
_NOT_RESERVED = r"(?!(?:Expires|Policy|Signature|Key-Pair-Id|Hash-Algorithm)(?:[=&]|$))"
_PREPARED = re.compile(
    r"https?://[a-z0-9](?:[a-z0-9\-.]*[a-z0-9])?/[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*"
    rf"(?:\?(?=.){_NOT_RESERVED}[{_QUERY_CHARS}]*(?:&{_NOT_RESERVED}[{_QUERY_CHARS}]*)*)?",
    re.DOTALL,
)


def _safe(text: str) -> bool:
    """Only RFC 3986 characters and well-formed %HH escapes (R44)."""
    return _SAFE_RUN.fullmatch(text) is not None and (
        "%" not in text or _BAD_PERCENT.search(text) is None
    )


def _default_port(scheme: str) -> str:
    return "443" if scheme == "https" else "80"


def _explain_char(text: str, what: str) -> InputError:
    match = _BAD_CHAR.search(text)
    char = match.group(0) if match else "?"
    if char == "%":
        hint = "a % must start a %HH escape"
    elif char == " ":
        hint = "write a space as %20"
    elif ord(char) > 127:
        hint = "percent-encode non-ASCII characters as UTF-8 (%C3%A9 for é)"
    else:
        hint = f"percent-encode it as %{ord(char):02X}"
    return InputError(
        ErrorCode.URL_INVALID if what == "url" else ErrorCode.RESOURCE_INVALID,
        f"The {what.replace('url', 'URL')} contains {char!r}, which browsers and CloudFront "
        f"would change; {hint} (R44).",
    )


def _reserved_in(query: str) -> str | None:
    for name, _ in split_query(query):
        if name in RESERVED_PARAMS:
            return name
    return None


@lru_cache(maxsize=4096)
def is_loopback_host(host: str) -> bool:
    """Tell whether a URL host is this machine (``localhost``, ``127.0.0.1``, ``[::1]``)."""
    host = host.strip("[]")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    import ipaddress

    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def prepare_url(url: str) -> str:
    """Check a URL to sign (R44) and return it normalised as CloudFront rebuilds it (R26).

    Scheme and host are lower-cased, the default port and a lone trailing ``?`` dropped,
    an empty path becomes ``/``; nothing else is re-encoded.

    >>> prepare_url("HTTPS://D111111abcdef8.cloudfront.net:443/a%20b.pdf?")
    'https://d111111abcdef8.cloudfront.net/a%20b.pdf'
    """
    # The common case, every signed URL: a URL already in its rebuilt form is returned
    # after one regex pass (no cache: applications sign a different URL each time).
    if (
        type(url) is str
        and _PREPARED.fullmatch(url) is not None
        and ("%" not in url or _BAD_PERCENT.search(url) is None)
    ):
        return url
    return _prepare_url(url)


@lru_cache(maxsize=1024)
def _prepare_url(url: str) -> str:
    if not isinstance(url, str):
        raise InputError(ErrorCode.URL_INVALID, "The URL must be a string.")
    match = _URL.fullmatch(url)
    if match is None:
        raise InputError(
            ErrorCode.URL_INVALID,
            f"{_shorten(url)!r} is not an absolute http:// or https:// URL (R44).",
        )
    scheme = match["scheme"].lower()
    if scheme not in ("http", "https"):
        raise InputError(
            ErrorCode.URL_INVALID, f"The URL scheme must be http or https, not {scheme!r} (R44)."
        )
    if match["fragment"] is not None:
        raise InputError(
            ErrorCode.URL_INVALID,
            "The URL has a #fragment, which browsers never send; remove it (R44).",
        )
    authority = match["authority"]
    if "@" in authority:
        raise InputError(
            ErrorCode.URL_INVALID, "The URL carries user info (user@host); remove it (R44)."
        )
    host_match = _HOST.fullmatch(authority)
    if host_match is None:
        raise InputError(
            ErrorCode.URL_INVALID, f"The URL host {_shorten(authority)!r} is not a valid host name."
        )
    host = host_match["host"].lower()
    port = host_match["port"]
    if port is not None and port != _default_port(scheme):
        host = f"{host}:{port}"
    path = match["path"] or "/"
    query = match["query"] or ""
    if not _safe(path):
        raise _explain_char(path, "url")
    if not _safe(query):
        raise _explain_char(query, "url")
    if "'" in query:
        raise InputError(
            ErrorCode.URL_INVALID,
            "The URL query contains a raw ', which browsers send as %27; write %27 (R27, R44).",
        )
    reserved = _reserved_in(query) if query else None
    if reserved is not None:
        raise InputError(
            ErrorCode.URL_INVALID,
            f"The URL already carries the CloudFront parameter {reserved!r}; sign the URL "
            "without it, and rename any own parameter that uses that name (R23, R44).",
        )
    return f"{scheme}://{host}{path}?{query}" if query else f"{scheme}://{host}{path}"


_S3_HOST = re.compile(r"(?:^|\.)s3(?:[.\-][a-z0-9\-]+)?\.amazonaws\.com(?:\.cn)?$")


def check_resource(resource: str, allow_any_resource: bool = False) -> str:
    """Check a custom-policy resource pattern (R46) and return it.

    ``*``, and patterns whose domain section is only ``*``, admit every URL of every
    distribution that trusts the key: refused unless ``allow_any_resource=True``.
    """
    if not isinstance(resource, str):
        raise InputError(ErrorCode.RESOURCE_INVALID, "The resource must be a string.")
    if not _safe(resource):
        raise _explain_char(resource, "resource")
    if resource == "*":
        if allow_any_resource:
            return resource
        raise InputError(
            ErrorCode.RESOURCE_INVALID,
            "Resource '*' admits every file of every distribution that trusts this key; "
            "name the files (e.g. https://cdn.example.com/videos/*) or pass "
            "allow_any_resource=True (R12, R46).",
        )
    if not resource.startswith(("http://", "https://", "*://", "*")):
        raise InputError(
            ErrorCode.RESOURCE_INVALID,
            f"The resource {_shorten(resource)!r} must start with http://, https://, *:// or * "
            "(R46).",
        )
    _, sep, rest = resource.partition("://")
    domain, slash, tail = (rest if sep else resource).partition("/")
    if domain.strip("*") == "" and not allow_any_resource:
        raise InputError(
            ErrorCode.RESOURCE_INVALID,
            f"The resource {_shorten(resource)!r} matches every host; name the CloudFront "
            "domain, or pass allow_any_resource=True (R46).",
        )
    if slash and "?" in tail:
        reserved = _reserved_in(tail.partition("?")[2])
        if reserved is not None:
            raise InputError(
                ErrorCode.RESOURCE_INVALID,
                f"The resource names the CloudFront parameter {reserved!r}; the edge removes "
                "it before matching, so the policy would never match (R26).",
            )
    return resource


def resource_warnings(resource: str | None) -> list[str]:
    """Warnings for a resource that works but is probably not meant (R46, P1)."""
    if resource is None or resource == "*":
        return ["The policy admits every file of every distribution that trusts this key."]
    _, sep, rest = resource.partition("://")
    domain = (rest if sep else resource).partition("/")[0].lower()
    if domain and not domain.endswith("*") and "amazonaws" not in domain:
        return []  # the usual case, without the regex
    warnings = []
    if domain.strip("*") == "":
        warnings.append("The resource matches every host.")
    elif domain.endswith("*"):
        warnings.append(
            f"The resource's domain {domain!r} ends with *, so it also matches look-alike "
            f"hosts such as {domain.rstrip('*')}.attacker.example (R11)."
        )
    if _S3_HOST.search(domain.split(":", 1)[0]):
        warnings.append(
            f"The resource names the S3 endpoint {domain!r}; sign the CloudFront or "
            "alternate domain that viewers request (R46)."
        )
    return warnings


def _shorten(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


# ---------------------------------------------------------------------------
# Resource pattern matching (R11)


class _Segment(NamedTuple):
    """Text between two ``*`` of a section pattern: a literal, or (when it holds ``?``
    wildcards) a fixed-width regex of literals and ``.``, which cannot backtrack."""

    width: int
    literal: str
    wild: re.Pattern[str] | None


@lru_cache(maxsize=1024)
def _compile_glob(pattern: str, question_mark: bool) -> tuple[_Segment, ...]:
    segments = []
    for text in pattern.split("*"):
        if question_mark and "?" in text:
            regex = ".".join(re.escape(literal) for literal in text.split("?"))
            segments.append(_Segment(len(text), text, re.compile(regex, re.DOTALL)))
        else:
            segments.append(_Segment(len(text), text, None))
    return tuple(segments)


def _at(segment: _Segment, text: str, pos: int) -> bool:
    if segment.wild is None:
        return text.startswith(segment.literal, pos)
    return segment.wild.match(text, pos) is not None


def glob_match(
    pattern: str, text: str, question_mark: bool = True, meter: list[int] | None = None
) -> bool:
    """Tell whether a section pattern matches all of ``text`` (R11): ``*`` is any run of
    characters, ``?`` any one character when ``question_mark`` is set.

    No backtracking: the first and last ``*``-separated segments are anchored, and each
    middle one takes its leftmost place after the one before (leftmost never leaves less
    room for the rest). So the work is one ``startswith``/``find`` (or, for a segment with
    ``?``, one fixed-width ``match``/``search``) per segment, each over a disjoint stretch
    of ``text``: O(len(text)) for literal segments, O(len(text) x width) for ``?`` ones.
    ``meter[0]``, when given, adds up the length of text each operation is handed: never
    more than ``len(text) + len(pattern)``.

    >>> glob_match("a*b?d*", "a-b-cbcd-"), glob_match("/*a*b", "/" * 5000, False)
    (True, False)
    """
    segments = _compile_glob(pattern, question_mark)
    first = segments[0]
    size = len(text)
    if len(segments) == 1:
        if meter is not None:
            meter[0] += min(first.width, size)
        return first.width == size and _at(first, text, 0)
    last = segments[-1]
    tail = size - last.width
    if first.width > tail:
        return False
    if meter is not None:
        meter[0] += first.width + last.width
    if not _at(first, text, 0) or not _at(last, text, tail):
        return False
    pos = first.width
    for segment in segments[1:-1]:
        if not segment.width:
            continue
        if segment.wild is None:
            found = text.find(segment.literal, pos, tail)
        else:
            match = segment.wild.search(text, pos, tail)
            found = -1 if match is None else match.start()
        if meter is not None:  # the stretch this search was handed, up to where it stops
            meter[0] += (tail if found < 0 else found + segment.width) - pos
        if found < 0:
            return False
        pos = found + segment.width
    return True


@lru_cache(maxsize=1024)
def _sections(pattern: str) -> tuple[str, str, str, str] | None:
    """Split a resource pattern into (protocol, domain, path, query) patterns (R11)."""
    if "://" in pattern:
        protocol, rest = pattern.split("://", 1)
    elif pattern.startswith("*"):
        protocol, rest = "*", pattern
    else:
        return None
    if "/" not in rest:
        domain = rest
        if domain.endswith("*"):
            return protocol, domain, "/*", "*"
        return protocol, domain, "/", ""
    slash = rest.index("/")
    domain, tail = rest[:slash], rest[slash:]
    if "?" in tail:
        path, query = tail.split("?", 1)
    else:
        path, query = tail, ("*" if tail.endswith("*") else "")
    return protocol, domain, path, query


def _split_request(url: str) -> tuple[str, str, str, str]:
    scheme, _, rest = url.partition("://")
    slash = rest.find("/")
    qmark = rest.find("?")
    end = len(rest)
    if slash == -1 or (qmark != -1 and qmark < slash):
        cut = qmark if qmark != -1 else end
        host, path = rest[:cut], "/"
        tail = rest[cut:]
    else:
        host = rest[:slash]
        tail = rest[slash:]
        qpos = tail.find("?")
        path = tail if qpos == -1 else tail[:qpos]
        tail = "" if qpos == -1 else tail[qpos:]
    query = tail[1:] if tail.startswith("?") else ""
    return scheme, host, path, query


@lru_cache(maxsize=4096)
def literal_prefix(pattern: str) -> str | None:
    """The text before the one trailing ``*`` of a pattern such as ``https://d/videos/*``
    (lower-case protocol and domain, no other wildcard, a ``/`` after the domain), or None.

    For such a pattern R11 reduces to a prefix test of the rebuilt URL: protocol and
    domain are literal, ``*`` at the end of the path also admits any query.

    >>> literal_prefix("https://d.example/videos/*"), literal_prefix("https://d.example/*.ts")
    ('https://d.example/videos/', None)
    """
    body = pattern[:-1]
    if not pattern.endswith("*") or "*" in body or "?" in body:
        return None
    protocol, sep, rest = body.partition("://")
    slash = rest.find("/")
    if not sep or slash < 0:
        return None
    head = body[: len(protocol) + 3 + slash]
    return body if head == head.lower() else None


def resource_covers(pattern: str, url: str) -> bool:
    """:func:`resource_matches` for a URL in the form CloudFront rebuilds (R26: scheme and
    host lower-case), as :func:`prepare_url` and the verifier produce; the usual
    ``.../folder/*`` pattern is a prefix test.

    >>> resource_covers("https://d.example/videos/*", "https://d.example/videos/a.ts?x=1")
    True
    """
    prefix = literal_prefix(pattern)
    if prefix is not None:
        return url.startswith(prefix)
    return resource_matches(pattern, url)


def resource_matches(pattern: str, request_url: str) -> bool:
    """Tell whether a policy's resource pattern admits a request URL (R11).

    ``request_url`` is the URL CloudFront rebuilds (R26): reserved parameters removed.

    >>> resource_matches("https://d.example/hello*world", "https://d.example/hello-world")
    True
    >>> resource_matches("https://d.example/hello*world", "https://d.example/hello?world")
    False
    """
    if pattern == "*":
        return True
    sections = _sections(pattern)
    if sections is None:
        return False
    protocol, domain, path, query = sections
    scheme, host, req_path, req_query = _split_request(request_url)
    return (
        glob_match(protocol.lower(), scheme.lower())
        and glob_match(domain.lower(), host.lower())
        and glob_match(path, req_path, False)
        and glob_match(query, req_query)
    )
