"""The core imports only the standard library, cryptography and itself (style: Layout)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

CORE = [
    "frontgate",
    "frontgate.errors",
    "frontgate._types",
    "frontgate.encoding",
    "frontgate.times",
    "frontgate.policy",
    "frontgate.keys",
    "frontgate.signer",
    "frontgate.distribution",
    "frontgate.streaming",
    "frontgate.sources",
    "frontgate.verify",
    "frontgate.responses",
    "frontgate.compat.botocore",
    "frontgate.cli",
]
FORBIDDEN = [
    "django",
    "flask",
    "starlette",
    "fastapi",
    "uvicorn",
    "boto3",
    "botocore",
    "click",
    "httpx",
]
_PROBE = """
import importlib, json, sys
importlib.import_module(sys.argv[1])
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""


@pytest.mark.parametrize("module", CORE)
def test_core_module_imports_no_framework(module: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, module], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    loaded = set(json.loads(done.stdout))
    assert not loaded & set(FORBIDDEN), f"{module} imports {sorted(loaded & set(FORBIDDEN))}"


def test_sign_command_imports_nothing_heavy() -> None:
    # the signing path of the CLI: what `frontgate sign` imports beyond the core
    code = (
        "import sys, json\n"
        "from frontgate.cli import build_parser\n"
        "import frontgate.signer, frontgate.sources\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    loaded = set(json.loads(done.stdout))
    heavy = {"frontgate.verify", "frontgate.aws", "frontgate.edge", "asyncio", "ssl", "email"}
    assert not loaded & heavy
