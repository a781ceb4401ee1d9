"""A drop-in for botocore's ``CloudFrontSigner``, built on frontgate's core.

Same constructor, same ``generate_presigned_url`` and ``build_policy``, and the same
bytes for every input botocore accepts, so it is usable as django-storages'
``cloudfront_signer``. botocore itself is not needed.

>>> from datetime import datetime
>>> from frontgate import Signer
>>> from frontgate.keys import generate_private_key
>>> key_pair_id = "K2JCJMDEHXQW5F"
>>> signer = CloudFrontSigner(key_pair_id, Signer(generate_private_key("rsa"), key_pair_id))
>>> url = signer.generate_presigned_url(
...     "https://d111111abcdef8.cloudfront.net/a.pdf", date_less_than=datetime(2026, 1, 1, 18))
>>> url.split("&")[0]
'https://d111111abcdef8.cloudfront.net/a.pdf?Expires=1767290400'

Where the native :class:`~frontgate.Signer` would refuse an input (a bare resource, a URL
CloudFront rebuilds differently, a policy that does not cover the URL, an IPv6 address, an
expiry out of range, a key id CloudFront never issues), this class signs it as botocore
does and emits a :class:`~frontgate.errors.FrontgateWarning` that names the rule and the
403 to expect. What botocore refuses stays refused: both or neither of
``date_less_than`` and ``policy`` raise a ``ValueError``
(:class:`~frontgate.errors.InputError`).

Differences from botocore: a key id must need no URL encoding (``[A-Za-z0-9._~-]``, as
botocore writes it into the URL unencoded); times may also be epoch seconds; with a
frontgate :class:`~frontgate.Signer` the key may be ECDSA and the hash SHA-256 (R20).
Naive datetimes count as UTC, as botocore reads them.
"""

from __future__ import annotations

import json
import math
import re
import warnings
from collections.abc import Callable
from datetime import datetime, timedelta

from .._types import When
from ..encoding import cf_b64encode
from ..errors import ConfigError, ErrorCode, FrontgateWarning, InputError
from ..policy import (
    PARAM_EXPIRES,
    PARAM_HASH_ALGORITHM,
    PARAM_KEY_PAIR_ID,
    PARAM_POLICY,
    PARAM_SIGNATURE,
    Policy,
    check_resource,
    normalize_ip,
    policy_json,
    prepare_url,
    resource_warnings,
)
from ..signer import Signer
from ..times import MAX_EPOCH

__all__ = ["CloudFrontSigner"]

# RFC 3986 unreserved: the characters a query value carries without encoding
_URL_SAFE_ID = re.compile(r"[A-Za-z0-9._~\-]*")
_CLOUDFRONT_ID = re.compile(r"[A-Za-z0-9]+")
_EPOCH_NAIVE = datetime(1970, 1, 1)  # botocore counts from a naive epoch
_FORBIDDEN = "CloudFront will answer 403"


def _warn(text: str) -> None:
    # stacklevel 4: _warn <- a _check helper <- the public method <- its caller
    warnings.warn(text, FrontgateWarning, stacklevel=4)


def _epoch(when: When, name: str) -> int:
    """Epoch seconds as botocore computes them: naive is UTC, the fraction truncated.

    Epoch numbers (not accepted by botocore) are floored, as the native API does.
    """
    if isinstance(when, datetime):
        offset = when.utcoffset() if when.tzinfo is not None else timedelta(0)
        if offset is None:
            raise InputError(ErrorCode.TIME_INVALID, f"{name} has a time zone without an offset.")
        # timedelta.total_seconds() then int(), exactly as botocore (a float, so a date
        # near year 9999 may round up to the next second there and here alike)
        seconds = int((when.replace(tzinfo=None) - offset - _EPOCH_NAIVE).total_seconds())
    elif isinstance(when, int | float) and not isinstance(when, bool):
        if not math.isfinite(when):
            raise InputError(ErrorCode.TIME_INVALID, f"{name} must be a finite number.")
        seconds = math.floor(when)
    else:
        raise InputError(
            ErrorCode.TIME_INVALID,
            f"{name} must be a datetime or epoch seconds, not {type(when).__name__}.",
        )
    if not 0 <= seconds <= MAX_EPOCH:
        _warn(
            f"{name} is {seconds} epoch seconds, outside 0..{MAX_EPOCH}: signed as botocore "
            f"does, but {_FORBIDDEN} (MalformedPolicy or expired, R5, R13)."
        )
    return seconds


class CloudFrontSigner:
    """botocore's ``CloudFrontSigner(key_id, rsa_signer)``, signing through frontgate.

    ``rsa_signer`` is botocore's callable (policy bytes in, RSA SHA-1 signature out) or a
    frontgate :class:`~frontgate.Signer`, whose key (RSA or ECDSA) and hash are then used;
    with SHA256 the URL also carries ``Hash-Algorithm=SHA256`` (R20). Safe to share
    between threads when ``rsa_signer`` is. ``allow_any_resource=True`` silences the
    warning for a resource that admits every URL (R12).

    >>> CloudFrontSigner("K2JCJMDEHXQW5F", lambda policy: b"sig")
    CloudFrontSigner(key_id='K2JCJMDEHXQW5F', hash_algorithm='SHA1')
    """

    __slots__ = ("_allow_any_resource", "_sign", "_tail", "hash_algorithm", "key_id", "rsa_signer")

    def __init__(
        self,
        key_id: str,
        rsa_signer: Callable[[bytes], bytes] | Signer,
        *,
        allow_any_resource: bool = False,
    ) -> None:
        if not isinstance(key_id, str) or not _URL_SAFE_ID.fullmatch(key_id):
            raise InputError(
                ErrorCode.KEY_PAIR_ID_INVALID,
                f"key_id {key_id!r} would need URL encoding in Key-Pair-Id; CloudFront key "
                "ids are letters and digits, e.g. K2JCJMDEHXQW5F (R21).",
            )
        if not _CLOUDFRONT_ID.fullmatch(key_id):
            warnings.warn(
                f"key_id {key_id!r} is not a CloudFront key id (letters and digits, e.g. "
                f"K2JCJMDEHXQW5F): {_FORBIDDEN} (MissingKey or InvalidKey, R21).",
                FrontgateWarning,
                stacklevel=2,
            )
        self.key_id: str = key_id
        self.rsa_signer = rsa_signer
        self._allow_any_resource = allow_any_resource
        if isinstance(rsa_signer, Signer):
            if rsa_signer.key_pair_id != key_id:
                raise ConfigError(
                    ErrorCode.CONFIG_CONFLICT,
                    f"key_id {key_id!r} differs from the Signer's key_pair_id "
                    f"{rsa_signer.key_pair_id!r}; give the id of the Signer's public key.",
                )
            self._sign: Callable[[bytes], bytes] = rsa_signer.sign
            self.hash_algorithm = rsa_signer.hash_algorithm
        else:
            # as botocore: anything goes until a URL is signed (build_policy needs no key)
            self._sign = rsa_signer
            self.hash_algorithm = "SHA1"
        self._tail = f"&{PARAM_KEY_PAIR_ID}={self.key_id}" + (
            f"&{PARAM_HASH_ALGORITHM}=SHA256" if self.hash_algorithm == "SHA256" else ""
        )

    def __repr__(self) -> str:
        return f"CloudFrontSigner(key_id={self.key_id!r}, hash_algorithm={self.hash_algorithm!r})"

    def generate_presigned_url(
        self,
        url: str,
        date_less_than: When | None = None,
        policy: str | bytes | None = None,
    ) -> str:
        """A signed URL: canned with ``date_less_than``, custom with ``policy`` (one of them).

        Raises :class:`~frontgate.errors.InputError` (a ``ValueError``, as botocore
        raises) for both or neither. Warns (:class:`~frontgate.errors.FrontgateWarning`)
        for a URL CloudFront rebuilds differently (R26, R44), an expiry out of range (R5),
        or a policy that is malformed (R8) or does not cover ``url`` (R11).
        """
        if (date_less_than is None) == (policy is None):
            raise InputError(
                ErrorCode.POLICY_INVALID,
                "Need to provide either date_less_than or policy, but not both.",
            )
        clean = _check_url(url)
        if date_less_than is not None:
            expires = _epoch(date_less_than, "date_less_than")
            # R3: a URL that passed R44 has no character JSON would escape
            text = policy_json(url, expires) if clean else _policy_text(url, expires)
            data = text.encode()
            head = f"{PARAM_EXPIRES}={expires}"
        else:
            if isinstance(policy, str):
                data = policy.encode("utf-8")
            elif isinstance(policy, bytes | bytearray | memoryview):
                data = bytes(policy)
            else:
                raise InputError(ErrorCode.POLICY_INVALID, "policy must be str or bytes.")
            _check_policy(data, url, clean)
            head = f"{PARAM_POLICY}={cf_b64encode(data)}"
        signature = cf_b64encode(self._sign(data))
        separator = "&" if "?" in url else "?"
        return f"{url}{separator}{head}&{PARAM_SIGNATURE}={signature}{self._tail}"

    def build_policy(
        self,
        resource: str,
        date_less_than: When,
        date_greater_than: When | None = None,
        ip_address: str | None = None,
    ) -> str:
        """Compact custom-policy JSON, byte-identical to botocore's (R9).

        Warns for a resource (R46), IP (R15, R47) or time window (R5, R14) that the
        native signer would refuse; the policy is still written as botocore writes it.

        >>> from datetime import datetime
        >>> CloudFrontSigner("K1", lambda p: b"").build_policy(
        ...     "https://d.example/*", datetime(2026, 1, 1, 18), ip_address="192.0.2.1")
        '{"Statement":[{"Resource":"https://d.example/*","Condition":{"DateLessThan":{"AWS:EpochTime":1767290400},"IpAddress":{"AWS:SourceIp":"192.0.2.1/32"}}}]}'
        """
        _check_resource(resource, self._allow_any_resource)
        expires = _epoch(date_less_than, "date_less_than")
        # botocore tests truthiness here, so an empty string or 0 means "none"
        start = _epoch(date_greater_than, "date_greater_than") if date_greater_than else None
        _check_window(start, expires)
        ip = None
        if ip_address:
            ip = ip_address if "/" in ip_address else f"{ip_address}/32"
            _check_ip(ip)
        return _policy_text(resource, expires, start, ip)


def _policy_text(
    resource: object, expires: int, start: int | None = None, ip: str | None = None
) -> str:
    """botocore's JSON for any resource: escaped by ``json.dumps`` where R3 would insert
    it verbatim (only for strings the native signer refuses), members in R9's order."""
    condition: dict[str, object] = {"DateLessThan": {"AWS:EpochTime": expires}}
    if ip is not None:
        condition["IpAddress"] = {"AWS:SourceIp": ip}
    if start is not None:
        condition["DateGreaterThan"] = {"AWS:EpochTime": start}
    document = {"Statement": [{"Resource": resource, "Condition": condition}]}
    return json.dumps(document, separators=(",", ":"))


def _check_url(url: str) -> bool:
    """Warn unless CloudFront rebuilds ``url`` as given (R26, R44); tell whether it does."""
    try:
        prepared = prepare_url(url)
    except InputError as exc:
        _warn(f"{exc.message} Signed as botocore does, but {_FORBIDDEN}.")
        return False
    # a lone trailing "?" still works: the edge rebuilds "...?&Expires=..." as "...?" (OP2)
    if prepared != url and prepared != url.removesuffix("?"):
        _warn(
            f"CloudFront rebuilds this URL as {prepared!r}, so a signature over {url!r} "
            f"never matches: {_FORBIDDEN} (R26, R44). Sign the rebuilt form."
        )
        return False
    return True


def _check_policy(data: bytes, url: str, clean: bool) -> None:
    try:
        parsed = Policy.from_json(data)
    except InputError as exc:
        _warn(f"{exc.message} Signed as botocore does, but {_FORBIDDEN} (MalformedPolicy, R8).")
        return
    target = prepare_url(url) if clean else url
    if not parsed.covers(target):
        _warn(
            f"The policy's resource {parsed.resource!r} does not cover the URL {url!r}: "
            f"{_FORBIDDEN} (AccessDenied, R11)."
        )


def _check_resource(resource: object, allow_any_resource: bool) -> None:
    if not isinstance(resource, str):
        _warn(f"The resource must be a string (R7): {_FORBIDDEN} (MalformedPolicy, R8).")
        return
    if not resource.startswith(("http://", "https://", "*")):
        _warn(
            f"The bare resource {resource!r} matches no http or https URL: {_FORBIDDEN} "
            "(AccessDenied, R11, R46). Give the URL or pattern, e.g. "
            "https://d111111abcdef8.cloudfront.net/videos/*."
        )
        return
    try:
        check_resource(resource, allow_any_resource)
    except InputError as exc:
        if "every" in exc.message:  # "*" or "https://*": it works, everywhere (R12)
            _warn(f"{exc.message} Signed as botocore does.")
        else:
            _warn(f"{exc.message} Signed as botocore does, but {_FORBIDDEN}.")
        return
    for text in resource_warnings(resource):
        if "every" not in text:
            _warn(text)


def _check_window(start: int | None, expires: int) -> None:
    if start is not None and start >= expires:
        _warn(
            f"date_greater_than ({start}) is not earlier than date_less_than ({expires}), "
            f"so no moment satisfies the policy: {_FORBIDDEN} (R13, R14)."
        )


def _check_ip(ip: str) -> None:
    try:
        network = normalize_ip(ip)
    except InputError as exc:
        _warn(f"{exc.message} Signed as botocore does, but {_FORBIDDEN} (MalformedPolicy, R8).")
        return
    if network != ip:
        _warn(
            f"ip_address {ip!r} is not written as its network {network!r} (R47); CloudFront "
            "documents no reading of it and may answer 403 (R15)."
        )
