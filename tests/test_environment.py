"""The installed environment: same pins everywhere, nbgrader's extensions alive."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib

import yaml

from conftest import ROOT

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def pyproject_dependencies() -> list[str]:
    with open(ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["project"]["dependencies"]


def test_binder_environment_pins_the_same_packages():
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    pip_lists = [d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d]
    assert pip_lists, "environment.yml has no pip section"
    assert pip_lists[0] == pyproject_dependencies()
    assert "python=3.12" in env["dependencies"]


def jupyter(*args: str) -> str:
    result = subprocess.run(["jupyter", *args], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    return ANSI.sub("", result.stdout + result.stderr)


def test_nbgrader_lab_extension_is_enabled_and_ok():
    listing = jupyter("labextension", "list")
    assert re.search(r"@jupyter/nbgrader v0\.9\.6 enabled OK", listing), listing
    assert "incompatible" not in listing.lower() and " X" not in listing, listing


def test_nbgrader_server_extensions_are_enabled_and_ok():
    listing = jupyter("server", "extension", "list")
    for name in ("formgrader", "validate_assignment", "assignment_list", "course_list"):
        assert re.search(rf"nbgrader\.server_extensions\.{name} enabled", listing), listing
        assert re.search(rf"nbgrader\.server_extensions\.{name}\s+OK", listing), listing


def test_installing_twice_does_nothing():
    # `make -q` exits 0 only when the target is up to date: no reinstall. VENV: this run's environment
    # (CI keeps one per Python).
    result = subprocess.run(["make", "-q", "install", f"VENV={sys.prefix}"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, "make install would run again although pyproject.toml did not change"


def test_nothing_slow_to_import_is_installed():
    """coursekit.start removes what makes every Jupyter start 3 s slower, and jsonschema works without it."""
    import importlib.util

    from coursekit.start import SLOW_TO_IMPORT

    for name in SLOW_TO_IMPORT:
        assert importlib.util.find_spec(name.replace("-", "_")) is None, f"{name} is installed"
    import jsonschema

    jsonschema.Draft7Validator({"type": "string", "format": "iri"}, format_checker=jsonschema.FormatChecker()).validate("x")
