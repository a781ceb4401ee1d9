"""A drop-in for botocore's ``CloudFrontSigner``, built on frontgate's core.

Same constructor, same ``generate_presigned_url`` and ``build_policy``, the same bytes
for every URL that CloudFront can serve (R3, R9), and usable as django-storages'
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

Differences from botocore, each one a link CloudFront would refuse:

- a URL that CloudFront rebuilds differently (upper-case host, default port, empty path,
  spaces, non-ASCII, a fragment, a reserved parameter; R26, R44) raises
  :class:`~frontgate.errors.InputError` (a ``ValueError``) instead of signing it;
- a custom policy that is malformed or whose resource does not cover the URL raises too;
- ``build_policy`` checks the resource (R46), refuses IPv6 (R15), writes a range with host
  bits set as its network (R47) and rounds ``date_greater_than`` up (R45).

Naive datetimes count as UTC, as botocore reads them (``botocore.utils.datetime2timestamp``).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from datetime import UTC, datetime

from .._types import When
from ..encoding import cf_b64encode
from ..errors import ConfigError, ErrorCode, FrontgateWarning, InputError
from ..keys import check_key_pair_id
from ..policy import (
    PARAM_EXPIRES,
    PARAM_HASH_ALGORITHM,
    PARAM_KEY_PAIR_ID,
    PARAM_POLICY,
    PARAM_SIGNATURE,
    Policy,
    check_resource,
    normalize_ip,
    prepare_url,
    resource_warnings,
)
from ..signer import Signer
from ..times import expiry_epoch, start_epoch

__all__ = ["CloudFrontSigner"]


def _epoch(when: When, name: str, *, start: bool = False) -> int:
    # botocore reads a naive datetime as UTC; the native API refuses it (R45)
    if isinstance(when, datetime) and when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return start_epoch(when, name) if start else expiry_epoch(when, name)


class CloudFrontSigner:
    """botocore's ``CloudFrontSigner(key_id, rsa_signer)``, signing through frontgate.

    ``rsa_signer`` is botocore's callable (policy bytes in, RSA SHA-1 signature out) or a
    frontgate :class:`~frontgate.Signer`, whose key (RSA or ECDSA) and hash are then used;
    with SHA256 the URL also carries ``Hash-Algorithm=SHA256`` (R20). Safe to share
    between threads when ``rsa_signer`` is.

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
        self.key_id: str = check_key_pair_id(key_id)
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
        elif callable(rsa_signer):
            self._sign = rsa_signer
            self.hash_algorithm = "SHA1"
        else:
            raise ConfigError(
                ErrorCode.CONFIG_INVALID,
                "rsa_signer must be a callable (policy bytes -> signature) or a frontgate Signer.",
            )
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
        raises) for both or neither, a URL CloudFront would rebuild differently (R44), an
        expiry out of range (R5), or a policy that is malformed or does not cover ``url``.
        """
        if (date_less_than is None) == (policy is None):
            raise InputError(
                ErrorCode.POLICY_INVALID,
                "Need to provide either date_less_than or policy, but not both.",
            )
        _check_url(url)
        separator = "&" if "?" in url else "?"
        if date_less_than is not None:
            expires = _epoch(date_less_than, "date_less_than")
            # R3: the canned policy, with the URL exactly as it will be requested
            data = Policy(url, expires).to_bytes()
            head = f"{PARAM_EXPIRES}={expires}"
        else:
            data = policy.encode("utf-8") if isinstance(policy, str) else bytes(policy or b"")
            if not Policy.from_json(data).covers(url):
                raise InputError(
                    ErrorCode.RESOURCE_INVALID,
                    f"The policy's resource does not cover the URL {url!r}, so CloudFront "
                    "would refuse it (R11).",
                )
            head = f"{PARAM_POLICY}={cf_b64encode(data)}"
        signature = cf_b64encode(self._sign(data))
        return f"{url}{separator}{head}&{PARAM_SIGNATURE}={signature}{self._tail}"

    def build_policy(
        self,
        resource: str,
        date_less_than: When,
        date_greater_than: When | None = None,
        ip_address: str | None = None,
    ) -> str:
        """Compact custom-policy JSON, byte-identical to botocore's for valid input (R9).

        >>> from datetime import datetime
        >>> CloudFrontSigner("K1", lambda p: b"").build_policy(
        ...     "https://d.example/*", datetime(2026, 1, 1, 18), ip_address="192.0.2.1")
        '{"Statement":[{"Resource":"https://d.example/*","Condition":{"DateLessThan":{"AWS:EpochTime":1767290400},"IpAddress":{"AWS:SourceIp":"192.0.2.1/32"}}}]}'
        """
        pattern = check_resource(resource, self._allow_any_resource)
        for text in resource_warnings(pattern):
            if "every" not in text:
                warnings.warn(text, FrontgateWarning, stacklevel=2)
        expires = _epoch(date_less_than, "date_less_than")
        # botocore tests truthiness here, so an empty string or 0 means "none"
        start = (
            _epoch(date_greater_than, "date_greater_than", start=True)
            if date_greater_than
            else None
        )
        if start is not None and start >= expires:
            raise InputError(
                ErrorCode.TIME_INVALID,
                f"date_greater_than ({start}) must be earlier than date_less_than ({expires}).",
            )
        ip = normalize_ip(ip_address) if ip_address else None
        return Policy(pattern, expires, start, ip).to_json()


def _check_url(url: str) -> None:
    prepared = prepare_url(url)
    # botocore signs the URL as given; a lone trailing "?" still works (the edge rebuilds
    # "...?&Expires=..." as "...?", OP2), anything else CloudFront rebuilds differently
    if prepared != url and prepared != url.removesuffix("?"):
        raise InputError(
            ErrorCode.URL_INVALID,
            f"CloudFront rebuilds this URL as {prepared!r}, so a signature over {url!r} "
            "would never match; sign the rebuilt form (R26, R44).",
        )
