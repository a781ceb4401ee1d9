"""``check --probe``: three live requests through a distribution, and what each answer means.

>>> report = probe("https://d111111abcdef8.cloudfront.net", "/a.pdf", signer)  # doctest: +SKIP
>>> [(a.label, a.ok) for a in report.attempts]                                  # doctest: +SKIP
[('signed', True), ('unsigned', True), ('tampered', True)]

A signed URL must be served (200, or 206 to the ``Range: bytes=0-0`` every request
carries, so nothing large is downloaded), the same URL unsigned refused with 403
``MissingKey`` and a tampered one with 403 ``AccessDenied``. Any other answer is
translated into its cause: S3's own refusals (origin access control, bucket policy,
missing object), a behaviour that does not require signing, a domain that is not
deployed yet, or CloudFront's refusal explained by :class:`frontgate.verify.Verifier`.
Standard library HTTP only: no AWS call is made here.
"""

from __future__ import annotations

import http.client
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, Literal
from urllib.parse import urlsplit

from frontgate.distribution import Distribution
from frontgate.errors import ErrorCode, InputError
from frontgate.responses import parse_error
from frontgate.signer import Signer
from frontgate.verify import Verifier, _diagnosing, rebuild_url

__all__ = ["MAX_BODY", "Answer", "Attempt", "ProbeReport", "fetch", "probe", "tamper"]

#: bytes of an answer's body kept (an error body is far smaller; a 206 is one byte)
MAX_BODY: Final = 64 * 1024
#: seconds for each request
TIMEOUT: Final = 10.0

Label = Literal["signed", "unsigned", "tampered"]


@dataclass(frozen=True, slots=True)
class Answer:
    """What came back: a status, lower-cased headers and the body's first bytes, or
    ``failure`` (in words) when no HTTP answer came at all."""

    status: int | None
    headers: dict[str, str]
    body: bytes
    failure: str | None = None

    @property
    def error(self) -> tuple[str, str, str | None] | None:
        """``(code, message, key)`` of an XML error body."""
        return parse_error(self.body)

    @property
    def from_s3(self) -> bool:
        """S3 wrote this answer (CloudFront passed it on), not CloudFront itself."""
        if self.headers.get("server", "").lower() == "amazons3":
            return True
        return b"<RequestId>" in self.body and b"<HostId>" in self.body

    def describe(self) -> str:
        """``403 AccessDenied (CloudFront)`` and the like."""
        if self.status is None:
            return "no answer"
        error = self.error
        who = "S3" if self.from_s3 else "CloudFront"
        return f"{self.status} {error[0]} ({who})" if error else str(self.status)


@dataclass(frozen=True, slots=True)
class Attempt:
    """One request of the probe and its meaning."""

    label: Label
    url: str
    answer: Answer
    ok: bool
    #: what the answer means, in one sentence
    meaning: str


@dataclass(frozen=True, slots=True)
class ProbeReport:
    """The three attempts (fewer when the first could not connect)."""

    base_url: str
    path: str
    attempts: list[Attempt]

    @property
    def ok(self) -> bool:
        """Signed served, unsigned and tampered refused."""
        return len(self.attempts) == 3 and all(a.ok for a in self.attempts)


def fetch(url: str, *, timeout: float = TIMEOUT) -> Answer:
    """GET ``url`` with ``Range: bytes=0-0``; redirects are not followed."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection: http.client.HTTPConnection
    if parts.scheme == "https":
        connection = http.client.HTTPSConnection(
            host, parts.port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        connection = http.client.HTTPConnection(host, parts.port, timeout=timeout)
    try:
        connection.request("GET", target, headers={"Range": "bytes=0-0"})
        response = connection.getresponse()
        body = response.read(MAX_BODY)
        headers = {k.lower(): v for k, v in response.getheaders()}
        return Answer(response.status, headers, body)
    except socket.gaierror as exc:
        return Answer(
            None,
            {},
            b"",
            f"the name {host} does not resolve ({exc.strerror}): the distribution is not "
            "deployed yet (a new domain appears once it is Deployed), or the domain is wrong",
        )
    except ssl.SSLError as exc:
        return Answer(
            None,
            {},
            b"",
            f"TLS with {host} failed ({exc.reason or exc}): the distribution is not deployed "
            "yet, or this address does not speak https",
        )
    except (OSError, http.client.HTTPException) as exc:
        return Answer(None, {}, b"", f"could not reach {host}: {exc}")
    finally:
        connection.close()


def tamper(signed_url: str) -> str:
    """``signed_url`` with one character of its ``Signature`` changed.

    >>> tamper("https://d.example/a?Expires=1&Signature=abcd&Key-Pair-Id=K")
    'https://d.example/a?Expires=1&Signature=abBd&Key-Pair-Id=K'
    """
    start = signed_url.find("Signature=")
    if start < 0:
        raise InputError(ErrorCode.URL_INVALID, "The URL carries no Signature to tamper with.")
    start += len("Signature=")
    end = signed_url.find("&", start)
    end = len(signed_url) if end < 0 else end
    middle = (start + end) // 2
    old = signed_url[middle]
    new = "B" if old != "B" else "C"
    return signed_url[:middle] + new + signed_url[middle + 1 :]


def probe(
    base_url: str,
    path: str,
    signer: Signer,
    *,
    get: Callable[[str], Answer] = fetch,
    expires_in: int = 300,
) -> ProbeReport:
    """Request ``path`` under ``base_url`` signed, unsigned and tampered; judge each."""
    cdn = Distribution(base_url, signer)
    signed = cdn.url(path, expires_in=expires_in)
    rebuilt = rebuild_url(signed)
    unsigned = rebuilt.rebuilt if rebuilt else signed
    key = urlsplit(unsigned).path.lstrip("/")
    verifier = _diagnosing(Verifier({signer.key_pair_id: signer.public_key()}))
    attempts = []
    answer = get(signed)
    attempts.append(
        Attempt("signed", signed, answer, *_judge_signed(answer, signed, key, signer, verifier))
    )
    if answer.failure is not None:
        return ProbeReport(base_url, path, attempts)
    for label, url in (("unsigned", unsigned), ("tampered", tamper(signed))):
        answer = get(url)
        attempts.append(Attempt(label, url, answer, *_judge_refused(label, answer)))  # type: ignore[arg-type]
    return ProbeReport(base_url, path, attempts)


_NOT_SIGNING: Final = (
    "the behaviour for this path does not require signing (no trusted key group): "
    "anyone can download it"
)


def _judge_signed(
    answer: Answer, url: str, key: str, signer: Signer, verifier: Verifier
) -> tuple[bool, str]:
    if answer.failure is not None:
        return False, answer.failure
    status, error = answer.status, answer.error
    if status in (200, 206):
        return True, f"served ({status})"
    code = error[0] if error else None
    if answer.from_s3:
        if code == "NoSuchKey":
            missing = (error[2] if error else None) or key
            return False, (
                f"CloudFront let the request through, but the bucket has no object {missing!r} "
                "(NoSuchKey): upload it or probe another path"
            )
        if code == "AccessDenied":
            return False, (
                "CloudFront let the request through, but S3 itself refused it (AccessDenied "
                "from S3): the origin access control or the bucket policy is wrong; the "
                "origin must use the origin access control and the bucket policy statement "
                "frontgate-cloudfront-read must allow this distribution (running 'frontgate "
                "aws setup' again adds it)"
            )
        return False, f"S3 answered {answer.describe()}: {error[1] if error else ''}".rstrip(": ")
    if status == 403 and code is not None:
        return False, _explain_refusal(code, answer, url, signer, verifier)
    if status in (301, 302, 307, 308):
        where = answer.headers.get("location", "")
        return False, f"redirected ({status}) to {where}: probe the https:// address"
    return False, f"unexpected answer: {answer.describe()}"


def _explain_refusal(
    code: str, answer: Answer, url: str, signer: Signer, verifier: Verifier
) -> str:
    kid = signer.key_pair_id
    said = answer.headers.get("x-frontgate-reason")
    edge = f" (the edge says: {said})" if said else ""
    decision = verifier.verify_url(url)
    if not decision.allowed:
        return f"CloudFront refused the signed URL ({code}){edge}: {decision.message}"
    if code == "InvalidKey":
        return (
            f"CloudFront refused the signed URL (InvalidKey){edge}: no key group of the "
            f"behaviour for this path trusts the key {kid} (R21)"
        )
    if code == "MissingKey":
        return (
            f"CloudFront saw no Key-Pair-Id (MissingKey){edge}: something between here and "
            "the edge dropped the query string"
        )
    return (
        f"CloudFront refused the signed URL ({code}){edge}, though it verifies with this "
        f"private key: the public key uploaded as {kid} is not this key's, or the clock of "
        "this machine is off"
    )


def _judge_refused(label: Label, answer: Answer) -> tuple[bool, str]:
    wanted = "MissingKey" if label == "unsigned" else "AccessDenied"
    if answer.failure is not None:
        return False, answer.failure
    error = answer.error
    if answer.status == 403 and error and error[0] == wanted and not answer.from_s3:
        return True, f"refused (403 {wanted}), as it must be"
    if answer.status in (200, 206):
        what = "without a signature" if label == "unsigned" else "with a tampered signature"
        return False, f"served {what}: {_NOT_SIGNING}"
    if answer.from_s3:
        return False, (
            f"CloudFront passed the {label} request on to S3 ({answer.describe()}): {_NOT_SIGNING}"
        )
    return False, f"refused with {answer.describe()} instead of 403 {wanted}"
