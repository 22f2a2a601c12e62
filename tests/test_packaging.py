"""Packaging (issue 12): the wheel installs exactly one top-level package, `metacot`, and nothing named
`theory` or `numerics` becomes importable outside the checkout."""
import os
import subprocess
import sys
import zipfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", ROOT, "--no-deps", "-q",
                        "-w", str(out)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    (whl,) = [p for p in out.iterdir() if p.suffix == ".whl"]
    return whl


def test_wheel_holds_only_the_metacot_package(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names}
    assert tops == {"metacot", f"{wheel.name.split('-')[0]}-{wheel.name.split('-')[1]}.dist-info"}
    assert "metacot/numerics/verify/claims/hitting.py" in names and "metacot/theory/hitting.py" in names
    assert "metacot/numerics/cli/commands/core.py" in names


def test_installed_layout_imports_metacot_and_not_numerics(wheel, tmp_path):
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    env = dict(os.environ, PYTHONPATH=str(site))
    code = ("import importlib.util, metacot; assert metacot.__file__.startswith(%r); metacot.ring(3, 2, 1);"
            "assert importlib.util.find_spec('numerics') is None and importlib.util.find_spec('theory') is None;"
            "print('ok')" % str(site))
    r = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr
    r = subprocess.run([sys.executable, "-m", "metacot", "--version"], cwd=tmp_path, env=env, capture_output=True,
                       text=True)
    assert r.returncode == 0 and r.stdout.startswith("metacot "), r.stderr
