"""Coverage-guided fuzzing of everything that reads untrusted input.

One module per target; each defines ``test_one_input(data: bytes)``, which raises
:class:`AssertionError` when a promise breaks: only a ``Decision`` or a
``FrontgateError`` comes out, nothing is allowed that an independent check refuses, and
no input costs more than a fixed budget of work.

``python -m fuzz [--seconds N] [TARGET ...]`` runs them under atheris (``make fuzz``);
``tests/test_fuzz_corpus.py`` replays the committed corpus (``fuzz/corpus/TARGET/``) and a
fixed-seed mutation run on every ``make test``. ``python -m fuzz.seeds`` rebuilds the
seed corpus from the project's own valid URLs, cookies and policies.
"""

#: every target, in the order ``make fuzz`` runs them
TARGETS = (
    "verify_url",
    "verify_cookies",
    "policy",
    "verify_request",
    "cookie_header",
    "signer",
    "keys",
    "gate",
    "config",
    "edge",
    "playlist",
)
