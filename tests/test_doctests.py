"""Every docstring example of the installed ``metacot`` package runs (numpydoc ``Examples`` blocks).

The modules are imported by their installed names (``metacot.numerics.…``), so the examples run
against exactly the objects users import.
"""
import doctest
import importlib
import pkgutil

import pytest

import metacot

# the command-line modules print to stdout and are exercised by the CLI tests instead
SKIP_PREFIXES = ("metacot.numerics.cli",)


def _modules():
    names = ["metacot"]
    for info in pkgutil.walk_packages(metacot.__path__, "metacot."):
        names.append(info.name)
    for pkg in ("metacot.theory", "metacot.numerics"):
        mod = importlib.import_module(pkg)
        names += [pkg] + [i.name for i in pkgutil.walk_packages(mod.__path__, pkg + ".")]
    return sorted({n for n in names if not n.startswith(SKIP_PREFIXES) and n != "metacot.__main__"})


@pytest.mark.parametrize("name", _modules())
def test_docstring_examples(name):
    mod = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in finder.find(mod, name):
        runner.run(test)
    res = runner.summarize(verbose=False)
    assert res.failed == 0, f"{res.failed} docstring example(s) failed in {name}"
