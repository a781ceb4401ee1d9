"""Sign many URLs at once: KMS signing is one network round trip per URL.

>>> from frontgate import Signer
>>> from frontgate.keys import generate_private_key
>>> signer = Signer(generate_private_key("ecdsa"), "K2JCJMDEHXQW5F")
>>> urls = [f"https://d111111abcdef8.cloudfront.net/{n}.jpg" for n in range(3)]
>>> signed = sign_urls(signer, urls, expires_in=300, max_workers=2)
>>> [u.split("?")[0][-5:] for u in signed]
['0.jpg', '1.jpg', '2.jpg']
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor

from frontgate._types import Duration, When
from frontgate.signer import Signer

__all__ = ["sign_urls"]


def sign_urls(
    signer: Signer,
    urls: Iterable[str],
    *,
    max_workers: int = 8,
    expires_at: When | None = None,
    expires_in: Duration | None = None,
    not_before: When | None = None,
    ip_address: str | None = None,
    resource: str | None = None,
    allow_any_resource: bool = False,
    now: When | None = None,
) -> list[str]:
    """Sign ``urls`` with at most ``max_workers`` signatures in flight; results keep order.

    The keywords are those of :meth:`Signer.sign_url`. ``now`` is read once, so every
    URL of a batch gets the same expiry. Worth it for network-bound keys (``kms:``);
    a local key is CPU-bound and gains little. The first error stops the batch.
    """
    todo = list(urls)
    moment = signer.clock() if now is None else now

    def one(url: str) -> str:
        return signer.sign_url(
            url,
            expires_at=expires_at,
            expires_in=expires_in,
            not_before=not_before,
            ip_address=ip_address,
            resource=resource,
            allow_any_resource=allow_any_resource,
            now=moment,
        )

    workers = max(1, min(max_workers, len(todo)))
    if workers == 1:
        return [one(url) for url in todo]
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="frontgate-sign") as pool:
        return list(pool.map(one, todo))
