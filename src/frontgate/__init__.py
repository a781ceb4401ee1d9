"""frontgate: serve private files through CloudFront.

>>> from frontgate import Signer, Verifier
>>> from frontgate.keys import generate_private_key, public_pem
>>> key = generate_private_key("rsa")
>>> signer = Signer(key, "K2JCJMDEHXQW5F")
>>> url = signer.sign_url("https://d111111abcdef8.cloudfront.net/a.pdf", expires_in=60)
>>> Verifier({"K2JCJMDEHXQW5F": public_pem(key)}).verify_url(url).allowed
True
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "BackendError",
    "ConfigError",
    "Decision",
    "Distribution",
    "ErrorCode",
    "FrontgateError",
    "FrontgateWarning",
    "InputError",
    "KeyGroup",
    "KeyLoadError",
    "Policy",
    "Reason",
    "Signer",
    "Verifier",
    "__version__",
]

if TYPE_CHECKING:
    from .distribution import Distribution as Distribution
    from .errors import BackendError as BackendError
    from .errors import ConfigError as ConfigError
    from .errors import ErrorCode as ErrorCode
    from .errors import FrontgateError as FrontgateError
    from .errors import FrontgateWarning as FrontgateWarning
    from .errors import InputError as InputError
    from .errors import KeyLoadError as KeyLoadError
    from .keys import KeyGroup as KeyGroup
    from .policy import Policy as Policy
    from .signer import Signer as Signer
    from .verify import Decision as Decision
    from .verify import Reason as Reason
    from .verify import Verifier as Verifier

# Names load on first use, so `frontgate sign` imports only what signing needs.
_HOMES = {
    "BackendError": "errors",
    "ConfigError": "errors",
    "ErrorCode": "errors",
    "FrontgateError": "errors",
    "FrontgateWarning": "errors",
    "InputError": "errors",
    "KeyLoadError": "errors",
    "KeyGroup": "keys",
    "Policy": "policy",
    "Signer": "signer",
    "Distribution": "distribution",
    "Decision": "verify",
    "Reason": "verify",
    "Verifier": "verify",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'frontgate' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(f"frontgate.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
