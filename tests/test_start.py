"""coursekit.start, the one installer: what it says before the long install."""

from __future__ import annotations

import os

from coursekit import start


def test_as_root_it_says_so_before_installing(monkeypatch, capsys, tmp_path):
    said_before = []

    def install(folder, extras=""):
        said_before.append(capsys.readouterr().out)
        raise SystemExit(0)  # stop here: the test is about what came first

    monkeypatch.setattr(start, "install", install)
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    try:
        start.main(["--venv", str(tmp_path / "venv")])
    except SystemExit:
        pass
    assert said_before and "--allow-root" in said_before[0]

    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    said_before.clear()
    try:
        start.main(["--venv", str(tmp_path / "venv")])
    except SystemExit:
        pass
    assert said_before == [""]
