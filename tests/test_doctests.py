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


# ------------------------------------------------------------------ the public API's docstrings (numpydoc)
# numpydoc section order (the subset used here); a section is its title underlined by dashes
SECTION_ORDER = ("Parameters", "Attributes", "Returns", "Raises", "Examples")


def _sections(doc: str) -> list[str]:
    import re

    return [m.group(1) for m in re.finditer(r"^[ \t]*([A-Z][A-Za-z ]*?)[ \t]*\n[ \t]*(-+)[ \t]*$", doc, re.M)
            if len(m.group(2)) == len(m.group(1))]


def _public_doc(obj) -> str:
    """The docstring a user reads: the object's own (not inherited), plus ``__init__``'s for a class."""
    import inspect

    doc = inspect.cleandoc(obj.__dict__.get("__doc__") or "") if inspect.isclass(obj) else \
        inspect.cleandoc(obj.__doc__ or "")
    init = obj.__dict__.get("__init__") if inspect.isclass(obj) else None
    if init is not None and init.__doc__:
        doc += "\n\n" + inspect.cleandoc(init.__doc__)
    return doc


@pytest.mark.parametrize("name", sorted(metacot._EXPORTS))
def test_public_name_is_documented(name):
    """Every name `metacot` exports has a numpydoc docstring with a doctested Examples block, collected by
    test_docstring_examples above; functions and classes also document their parameters (classes in the class
    docstring or ``__init__``), functions their return value. Exceptions need a summary paragraph and Examples."""
    import inspect

    obj = getattr(metacot, name)
    doc = _public_doc(obj)
    sections = _sections(doc)
    assert doc.split("\n\n")[0].strip(), f"{name}: no summary paragraph"
    assert "Examples" in sections, f"{name}: no Examples section"
    assert ">>>" in doc.split("Examples\n--------", 1)[-1], f"{name}: the Examples section has no doctest"
    order = [s for s in sections if s in SECTION_ORDER]
    assert order == sorted(order, key=SECTION_ORDER.index), f"{name}: sections out of numpydoc order: {order}"
    if not (inspect.isclass(obj) and issubclass(obj, BaseException)):
        assert "Parameters" in sections, f"{name}: no Parameters section"
        if not inspect.isclass(obj):
            assert "Returns" in sections, f"{name}: no Returns section"
    # the examples run in the default test run: the home module is one test_docstring_examples collects
    assert obj.__module__ == metacot._EXPORTS[name], f"{name} is defined in {obj.__module__}"
    assert obj.__module__ in _modules(), f"{obj.__module__} is not collected by test_docstring_examples"
