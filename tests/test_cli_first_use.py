"""The command line as a new user meets it (issue 20, items 7 and 23): errors exit 2 (never 1, which
``watch`` uses for "a grade moved"), Ctrl-C says what was kept, mistakes are named, and output fits
a terminal."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
import yaml

from .conftest import ROOT, example_subset, run_cli


def test_an_unexpected_error_exits_2_in_one_line(monkeypatch, capsys):
    from rightsindex.cli import common

    @common.app.command("boom-for-test", hidden=True)
    def boom() -> None:
        raise ValueError("All strings must be XML compatible")

    try:
        monkeypatch.setattr(sys, "argv", ["rightsindex", "boom-for-test"])
        with pytest.raises(SystemExit) as exit_:
            common.run()
        assert exit_.value.code == 2
        err = capsys.readouterr().err
        assert "internal error: ValueError: All strings must be XML compatible" in err and "Traceback" not in err
    finally:
        common.app.registered_commands[:] = [c for c in common.app.registered_commands if c.name != "boom-for-test"]


def test_user_add_refuses_an_unknown_role_before_asking_for_the_password(tmp_path):
    res = subprocess.run([sys.executable, "-m", "rightsindex", "user", "add", "bob", "--role", "superuser", "--db",
                          f"sqlite:///{tmp_path / 'u.sqlite'}"], capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120)
    assert res.returncode == 2, (res.stdout, res.stderr)
    assert "superuser" in res.stderr and "viewer, analyst, admin" in res.stderr
    assert "password" not in (res.stdout + res.stderr).lower()


def _manifest(tmp_path, mutate) -> str:
    raw = {"index": "t", "methodology": "rdr-2022", "companies": [{
        "id": "Acme", "name": "Acme", "type": "Digital Platform", "services": [{"id": "Mail", "kind": "email"}],
        "documents": [{"path": "a.md", "title": "A", "levels": ["Group"]}]}]}
    (tmp_path / "a.md").write_text("# Privacy\n\nWe collect your name.\n", "utf-8")
    mutate(raw)
    path = tmp_path / "manifest.yaml"
    path.write_text(yaml.safe_dump(raw), "utf-8")
    return str(path)


def test_a_misspelt_levels_is_an_error_not_every_level(tmp_path):
    from rightsindex.corpus.manifest import ManifestError, load_manifest

    def typo(raw):
        raw["companies"][0]["documents"][0]["level"] = raw["companies"][0]["documents"][0].pop("levels")

    with pytest.raises(ManifestError, match=r"levels: missing \(found 'level': did you mean levels\?\)"):
        load_manifest(_manifest(tmp_path, typo))


@pytest.mark.parametrize("where, wrong, right", [
    (lambda raw: raw, "methodolgy", "methodology"),
    (lambda raw: raw["companies"][0], "tpye", "type"),
    (lambda raw: raw["companies"][0], "docments", "documents"),
])
def test_a_misspelt_required_key_names_the_closest_one(tmp_path, where, wrong, right):
    from rightsindex.corpus.manifest import ManifestError, load_manifest

    def typo(raw):
        d = where(raw)
        d[wrong] = d.pop(right)

    with pytest.raises(ManifestError, match=rf"{right}: missing \(found '{wrong}': did you mean {right}\?\)"):
        load_manifest(_manifest(tmp_path, typo))


def test_corpus_diff_documents_and_keeps_its_exit_status(tmp_path, cli):
    help_ = cli("corpus", "diff", "--help")
    assert help_.returncode == 0 and "0 the versions read the same, 1 they differ, 2 error" in " ".join(help_.stdout.split())
    db = f"sqlite:///{tmp_path / 'd.sqlite'}"
    manifest = _manifest(tmp_path, lambda raw: None)
    assert cli("corpus", "add", manifest, "--db", db).returncode == 0
    (tmp_path / "a.md").write_text("# Privacy\n\nWe collect your name and address.\n", "utf-8")
    assert cli("corpus", "add", manifest, "--db", db).returncode == 0
    assert cli("corpus", "diff", "a.md", "--from", "1", "--to", "2", "--db", db).returncode == 1
    assert cli("corpus", "diff", "a.md", "--from", "2", "--to", "2", "--db", db).returncode == 0
    assert cli("corpus", "diff", "nothing.md", "--from", "1", "--db", db).returncode == 2


def _interruptible() -> None:
    """A process started from a background job inherits SIGINT ignored (POSIX: asynchronous lists
    of a shell without job control), and Python then never raises KeyboardInterrupt: give the
    child the default disposition, as a terminal's foreground job has."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_says_what_was_kept_and_how_to_resume(tmp_path):
    manifest = example_subset(tmp_path, ["Apple", "Amazon"])
    proc = subprocess.Popen([sys.executable, "-m", "rightsindex", "assess", str(manifest), "--out", str(tmp_path / "out")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUTF8": "1"},
                            preexec_fn=_interruptible)
    deadline = time.monotonic() + 300
    while not (tmp_path / "out" / "rightsindex.sqlite").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(3)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 130, (out, err[-2000:])
    assert "interrupted:" in err and "run the same command again to continue" in err and "rightsindex.sqlite" in err


def test_compare_prints_one_line_per_change_at_80_columns(monkeypatch, tmp_path):
    """109 moves with RDR-length comments and diffs: one line each on an 80-column terminal."""
    from typer.testing import CliRunner

    from rightsindex.cli import app
    from rightsindex.timeline import compare as compare_mod

    comment = ("This is an improvement to partial credit from no disclosure found after the 2021-08-19 update of the WeChat "
               "Privacy Policy (version 2) added: “How long we retain information for depends on the type of information …”.")
    moves = [compare_mod.Move(company="Tencent Holdings", level="WeChat", element=f"P{3 + i % 4}a.{i % 9 + 1}",
                              element_label=f"P{3 + i % 4}a.{i % 9 + 1}: Does the company clearly disclose what user information it collects?",
                              indicator="P3a", before="no disclosure found", after="partial", direction="improved", comment=comment,
                              diff=[{"document": "WeChat Privacy Policy", "status": "changed", "old": "x " * 200, "new": "y " * 200,
                                     "inline": [[0, "z " * 100]]}])
             for i in range(109)]
    cmp = compare_mod.Comparison(a={"id": 1, "label": "2021-08-19"}, b={"id": 2, "label": "2026-08-06"}, items=moves)
    monkeypatch.setattr(compare_mod, "compare", lambda *a, **k: cmp)
    monkeypatch.setenv("COLUMNS", "80")
    res = CliRunner().invoke(app, ["compare", "1", "2", "--db", f"sqlite:///{tmp_path / 'c.sqlite'}"], env={"COLUMNS": "80"})
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines() if hasattr(res, "stdout") else res.output.splitlines()
    assert len(lines) <= 109 + 6, len(lines)
    assert all(len(line) <= 80 for line in lines)
    assert sum("no discl. → partial (improved)" in line for line in lines) == 109
