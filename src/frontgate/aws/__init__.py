"""The AWS side of frontgate (needs ``frontgate[aws]``): keys held in KMS, Secrets Manager
or SSM, the CloudFront setup behind ``frontgate aws ...``, and S3 presigned URLs.

>>> from frontgate.aws import sign_urls          # doctest: +SKIP
>>> signer = Signer.from_source("kms:alias/cdn", key_pair_id="K2JCJMDEHXQW5F")  # doctest: +SKIP
>>> sign_urls(signer, urls, expires_in=300, max_workers=8)                      # doctest: +SKIP

boto3 is imported only inside this package; without it, importing it raises
:class:`~frontgate.errors.ConfigError` (``extra-missing``) with the install line.
"""

from __future__ import annotations

try:
    import boto3 as _boto3  # noqa: F401 - the extra's presence check
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    from frontgate.errors import extra_missing

    raise extra_missing("The AWS features need boto3", "aws") from exc

from .batch import sign_urls as sign_urls
from .kms import KmsKey as KmsKey
from .session import AwsSession as AwsSession

__all__ = ["AwsSession", "KmsKey", "sign_urls"]
