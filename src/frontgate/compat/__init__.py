"""Look-alikes of other libraries' signers, built on frontgate's core.

:mod:`frontgate.compat.botocore` holds a drop-in for botocore's ``CloudFrontSigner``.
"""
