"""``frontgate verify`` (judge with keys) and ``frontgate inspect`` (decode without keys)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from ._common import add_public_key_option, key_group_from_args, now_arg

if TYPE_CHECKING:
    from frontgate.verify import Decision

__all__ = ["register"]


def register(sub: Any) -> None:
    """Add verify and inspect."""
    verify = sub.add_parser(
        "verify",
        help="judge a signed URL or cookies as CloudFront would",
        description=(
            "Judge a signed URL (or a URL plus signed cookies) as CloudFront's edge would, "
            "and say why. Exit 0: it would be served; 1: refused; 2: the command could "
            "not run."
        ),
    )
    verify.add_argument("--url", required=True, help="the (signed) URL requested")
    verify.add_argument(
        "--cookie",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a cookie as it appears in the Cookie header (repeatable)",
    )
    add_public_key_option(verify)
    verify.add_argument("--client-ip", metavar="IP", help="the viewer's IP address")
    verify.add_argument("--now", type=now_arg, metavar="WHEN", help="judge at this time")
    verify.add_argument("--json", action="store_true", help="print one JSON object (R39)")
    verify.set_defaults(run=run_verify)
    # contract: every --url value is judged, even one argparse would take for an option
    verify.__class__ = type("VerifyParser", (_URLValueFirst, type(verify)), {})

    inspect = sub.add_parser(
        "inspect",
        help="decode a signed URL or cookies without any key",
        description=(
            "Show the policy, times and parameters of a signed URL or cookie set. The "
            "signature is NOT checked: use 'frontgate verify' for that."
        ),
    )
    inspect.add_argument(
        "value",
        metavar="URL_OR_COOKIES",
        help="a signed URL, a Cookie header value, or the JSON printed by sign-cookies",
    )
    inspect.add_argument("--now", type=now_arg, metavar="WHEN", help="relative to this time")
    inspect.add_argument("--json", action="store_true", help="print one JSON object")
    inspect.set_defaults(run=run_inspect)


class _URLValueFirst:
    """Parser mixin: ``--url VALUE`` always takes VALUE, even ``-x`` or ``--json``."""

    def parse_known_args(self, args: Any = None, namespace: Any = None) -> Any:
        if args is not None:
            args = _glue_url(list(args))
        return super().parse_known_args(args, namespace)  # type: ignore[misc]


def _glue_url(args: list[str]) -> list[str]:
    glued: list[str] = []
    rest = iter(args)
    for arg in rest:
        if arg == "--":
            glued.append(arg)
            glued.extend(rest)
            break
        value = next(rest, None) if arg == "--url" else None
        glued.append(arg if value is None else f"--url={value}")
    return glued


def _write(text: str) -> None:
    """Print ``text``; a character the terminal cannot encode is escaped, never fatal."""
    try:
        sys.stdout.write(text)
    except UnicodeEncodeError:
        encoding = sys.stdout.encoding or "utf-8"
        sys.stdout.write(text.encode(encoding, "backslashreplace").decode(encoding))


def _verifier(pairs: list[tuple[str, str]]) -> Any:
    from frontgate.verify import Verifier, _diagnosing

    # one request, a person reading: every refusal explained in full, ECDSA ones included
    return _diagnosing(Verifier(key_group_from_args(pairs)))


def run_verify(args: argparse.Namespace) -> int:
    import json

    from frontgate.times import now_seconds

    verifier = _verifier(args.public_key)
    now = now_seconds(args.now)
    if args.cookie:
        decision = verifier.verify_cookies(
            args.url, "; ".join(args.cookie), client_ip=args.client_ip, now=now
        )
    else:
        decision = verifier.verify_url(args.url, client_ip=args.client_ip, now=now)
    if args.json:
        _write(json.dumps(decision.to_dict(), indent=2) + "\n")
    else:
        _write(report(decision, now, trusted=list(verifier.keys)))
    return 0 if decision.allowed else 1


# R38 steps as a person reads them: (reason that fails the step, what the step checks)
_STEPS = (
    ("malformed-request", "the URL is well-formed, no CloudFront parameter repeated"),
    ("missing-key", "a Key-Pair-Id is present"),
    ("unknown-key", "the key is trusted"),
    ("missing-signature", "a signature is present"),
    ("unsupported-hash-algorithm", "the hash algorithm is SHA1 or SHA256"),
    ("malformed-policy", "the policy is well-formed"),
    ("bad-signature", "the signature matches the policy"),
    ("resource-mismatch", "the policy's resource covers the request"),
    ("expired", "not expired"),
    ("not-yet-valid", "already valid (DateGreaterThan)"),
    ("client-ip-required", "the viewer's IP is known"),
    ("ip-mismatch", "the viewer's IP is allowed"),
)


def _when(epoch: int | None, now: float) -> str:
    from frontgate.times import format_epoch

    if epoch is None:
        return "-"
    delta = epoch - now
    span = abs(delta)
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min")):
        if span >= size:
            amount = f"{span / size:.0f} {unit}"
            break
    else:
        amount = f"{span:.0f} s"
    return f"{format_epoch(epoch)}  ({'in ' + amount if delta > 0 else amount + ' ago'})"


def report(decision: Decision, now: float, trusted: list[str] | None = None) -> str:
    """The person-readable verdict: headline, facts, and each R38 check with ✔/✘."""
    lines = []
    if decision.allowed:
        lines.append(f"✔ allowed: {decision.message}")
    else:
        from frontgate.responses import EDGE_MESSAGES

        code = decision.edge_code or "AccessDenied"
        lines.append(f"✘ refused ({decision.reason.value}): {decision.message}")
        lines.append(f"  CloudFront would answer 403 {code}: {EDGE_MESSAGES[code]}")
    lines.append("")
    facts = [
        ("source", decision.source or "-"),
        ("policy", decision.policy or "-"),
        ("request URL", decision.resource or "-"),
        ("policy resource", decision.policy_resource or "-"),
        ("key pair id", decision.key_pair_id or "-"),
        ("hash algorithm", decision.hash_algorithm or "-"),
        ("expires", _when(decision.expires, now)),
        ("not before", _when(decision.not_before, now)),
        ("IP condition", decision.ip_address or "-"),
    ]
    if trusted is not None:
        facts.append(("trusted keys", ", ".join(trusted) or "-"))
    lines.extend(f"  {name:<16}{value}" for name, value in facts)
    lines.append("")
    lines.append("  checks:")
    failed = decision.reason.value
    passed = True
    for reason, text in _STEPS:
        known = decision.policy is not None
        if reason == "resource-mismatch" and decision.policy == "canned":
            continue  # the resource is inside a canned signature (R4)
        if reason == "not-yet-valid" and known and decision.not_before is None:
            continue
        no_ip = decision.ip_address is None
        if no_ip and (reason == "client-ip-required" or (known and reason == "ip-mismatch")):
            continue
        if reason == failed:
            lines.append(f"    ✘ {text}")
            passed = False
        elif passed:
            lines.append(f"    ✔ {text}")
        else:
            lines.append(f"    · {text} (not checked)")
    for warning in decision.warnings:
        lines.append(f"  warning: {warning}")
    return "\n".join(lines) + "\n"


def inspect_value(value: str, now: float) -> dict[str, Any]:
    """Decode a signed URL, a Cookie header or sign-cookies JSON; check nothing."""
    import json

    from frontgate.encoding import cf_b64decode, percent_decode
    from frontgate.errors import InputError
    from frontgate.policy import Policy, PolicyError
    from frontgate.times import MAX_EPOCH
    from frontgate.verify import _COOKIE_TO_PARAM, parse_cookie_header, rebuild_url

    text = value.strip()
    source = "url"
    request = rebuild_url(text)
    if request is not None:
        params = {name: percent_decode(raw) for name, raw in request.params.items()}
        resource: str | None = request.rebuilt
    else:
        source = "cookies"
        resource = None
        jar: dict[str, str]
        if text.startswith("{"):
            try:
                loaded = json.loads(text)
            except (ValueError, RecursionError):  # RecursionError: nested 1,000 deep
                loaded = None
            if not isinstance(loaded, dict):
                raise _usage("the JSON must be an object {cookie name: value}")
            jar = {str(k): str(v) for k, v in loaded.items() if k in _COOKIE_TO_PARAM}
        else:
            jar = parse_cookie_header(text)
        if not jar:
            raise _usage("give a signed URL, a Cookie header value, or sign-cookies JSON")
        params = {_COOKIE_TO_PARAM[k]: percent_decode(v) for k, v in jar.items()}
    result: dict[str, Any] = {
        "signature_checked": False,
        "source": source,
        "resource": resource,
        "parameters": params,
        "key_pair_id": params.get("Key-Pair-Id"),
        "hash_algorithm": params.get("Hash-Algorithm") or ("SHA1" if params else None),
        "policy": None,
        "policy_document": None,
        "problems": [],
    }
    problems: list[str] = result["problems"]
    policy: Policy | None = None
    if "Policy" in params:
        result["policy"] = "custom"
        try:
            raw = cf_b64decode(params["Policy"])
            result["policy_document"] = raw.decode("utf-8", "replace")
            policy = Policy.from_json(raw)
        except PolicyError as exc:
            problems.append(exc.message)
        except InputError:
            problems.append("Policy is not CloudFront base64 (R2).")
    elif "Expires" in params:
        result["policy"] = "canned"
        expires_text = params["Expires"]
        # ASCII digits only: "²".isdigit() is true, but int() refuses it; at most R5's
        # ten digits, checked before int() (which refuses over 4,300)
        if (
            expires_text.isascii()
            and expires_text.isdigit()
            and len(expires_text) <= len(str(MAX_EPOCH))
            and int(expires_text) <= MAX_EPOCH
            and resource is not None
        ):
            policy = Policy(resource, int(expires_text))
            result["policy_document"] = policy.to_json()
        else:
            shown = expires_text if len(expires_text) <= 40 else expires_text[:37] + "..."
            problems.append(f"Expires {shown!r} is not epoch seconds (R5).")
    if policy is not None:
        result.update(
            policy_resource=policy.resource,
            expires=policy.expires,
            expires_utc=_when(policy.expires, now),
            not_before=policy.not_before,
            not_before_utc=_when(policy.not_before, now) if policy.not_before else None,
            ip_address=policy.ip_address,
            expired=now >= policy.expires,
        )
    return result


def _usage(message: str) -> Exception:
    from . import CommandError

    return CommandError(message)


def run_inspect(args: argparse.Namespace) -> int:
    import json

    from frontgate.times import now_seconds

    now = now_seconds(args.now)
    result = inspect_value(args.value, now)
    if args.json:
        _write(json.dumps(result, indent=2) + "\n")
        return 0
    out = ["The signature was NOT checked (no key): use 'frontgate verify' to judge it.", ""]
    for name in ("source", "resource", "policy", "key_pair_id", "hash_algorithm"):
        out.append(f"  {name:<16}{result.get(name) or '-'}")
    for name in ("policy_resource", "expires_utc", "not_before_utc", "ip_address"):
        if name in result:
            out.append(f"  {name.replace('_utc', ''):<16}{result[name] or '-'}")
    if result["policy_document"]:
        out.append("")
        out.append("  policy document:")
        try:
            pretty = json.dumps(json.loads(result["policy_document"]), indent=2)
        except ValueError:
            pretty = result["policy_document"]
        out.extend("    " + line for line in pretty.splitlines())
    if result["problems"]:
        out.append("")
        out.extend(f"  problem: {p}" for p in result["problems"])
    _write("\n".join(out) + "\n")
    return 0
