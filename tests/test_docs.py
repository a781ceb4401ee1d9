"""Every docstring example in the package runs and shows what it says."""

from __future__ import annotations

import doctest
import importlib
import pkgutil
import warnings

import pytest

import frontgate

# Django's modules need configured settings; tests/integrations covers them.
SKIP = ("frontgate.integrations.django",)
MODULES = sorted(
    info.name
    for info in pkgutil.walk_packages(frontgate.__path__, "frontgate.")
    if not info.name.startswith(SKIP) and info.name != "frontgate.__main__"
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"
