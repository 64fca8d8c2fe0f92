"""`rightsindex score`: the JSON contract, and clear errors for bad input with nothing written."""

import csv
import io
import json

import pytest

ATT = "tests/fixtures/rdr2020/element-scores/2020-rdr-index-06-element-scores-ATT.csv"
TWITTER = "tests/fixtures/rdr2020/element-scores/2020-rdr-index-06-element-scores-Twitter.csv"


def read_rows(path):
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        return reader.fieldnames, list(reader)


def write_rows(path, header, rows):
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=header, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def test_json_shape(cli):
    from .conftest import ROOT

    res = cli("score", ATT, TWITTER, "--methodology", "rdr-2020", "--format", "json", cwd=ROOT)
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    att = data["companies"]["ATT"]
    assert att["total"] == 36.61
    assert att["categories"] == {"G": 57.37, "F": 22.97, "P": 38.2}
    assert att["indicators"]["G04"] == 6.7 and att["indicators"]["G04a"] == 27.27
    assert att["indicators"]["F12"] is None  # not asked of telcos
    assert att["levels"]["Group"]["G01"] == 83.33
    assert att["levels"]["Prepaid mobile"]["G02"] == 100
    assert data["companies"]["Twitter"]["total"] == 53.19
    # ranked order: Twitter before AT&T
    assert list(data["companies"]) == ["Twitter", "ATT"]


def test_csv_format_and_atomic_output_file(cli, tmp_path):
    from .conftest import ROOT

    out = tmp_path / "scores.csv"
    res = cli("score", ATT, "--methodology", "rdr-2020", "--format", "csv", "--output", out, cwd=ROOT)
    assert res.returncode == 0, res.stderr
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    total = [r for r in rows if r["Kind"] == "total"]
    assert total[0]["Score"] == "36.61"
    assert any(r["Kind"] == "level" and r["Level"] == "Fixed-line broadband" for r in rows)
    assert [p.name for p in tmp_path.iterdir()] == ["scores.csv"]  # no temp files left


def test_table_format_prints_a_ranking(cli):
    from .conftest import ROOT

    res = cli("score", "tests/fixtures/rdr2020/element-scores", "--methodology", "rdr-2020", "--format", "table", cwd=ROOT)
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert any("Twitter" in l and "53.19" in l for l in lines)
    assert [l for l in lines if "Twitter" in l or "AT&T" in l or "Alibaba" in l][0].count("Twitter") == 1


def _mutated(tmp_path, mutate, name="bad.csv"):
    header, rows = read_rows(TWITTER_PATH)
    header, rows = mutate(header, rows)
    return write_rows(tmp_path / name, header, rows)


from .conftest import ROOT as _ROOT

TWITTER_PATH = _ROOT / TWITTER


def _set(i, field, value):
    def mutate(header, rows):
        rows[i][field] = value
        return header, rows
    return mutate


@pytest.mark.parametrize(
    "mutate, expected",
    [
        (_set(4, "Element", "G01.09"), r"bad.csv, line 6, field Element: unknown element 'G01.09'"),
        (_set(4, "Indicator", "G02"), r"bad.csv, line 6, field Indicator: 'G02' but element G01.03 belongs to G01"),
        (_set(4, "Indicator", "X77"), r"bad.csv, line 6, field Indicator: unknown indicator 'X77'"),
        (_set(2, "Result", "maybe"), r"bad.csv, line 4, field Result: result 'maybe' is not one of"),
        (_set(0, "Score", "50"), r"bad.csv, line 2, field Score: 50 does not match Result 'yes'"),
        (_set(7, "Index", "2019"), r"bad.csv, line 9, field Index: edition '2019' mixed with '2020'"),
        (_set(0, "Branch", "Somewhere"), r"bad.csv, line 2, field Branch: 'Somewhere' is not Company or Services"),
        (_set(0, "CompanyType", "Bank"), r"bad.csv, line 2, field CompanyType: unknown company type 'Bank'"),
        (lambda h, rows: (h, rows + [dict(rows[3])]), r"duplicate row for Twitter / G01.02 / OpCom \(first at .*bad.csv, line 5\)"),
        (lambda h, rows: ([c for c in h if c != "Result"], [{k: v for k, v in x.items() if k != "Result"} for x in rows]), r"bad.csv: not an RDR element-results CSV: missing column\(s\) Result"),
        (lambda h, rows: (h, []), r"bad.csv: header only, no rows"),
    ],
)
def test_bad_input_is_named_and_nothing_is_written(cli, tmp_path, mutate, expected):
    bad = _mutated(tmp_path, mutate)
    out = tmp_path / "out.json"
    res = cli("score", bad, "--methodology", "rdr-2020", "--output", out)
    assert res.returncode != 0
    assert res.stdout == ""
    import re

    assert re.search(expected, " ".join(res.stderr.split())), res.stderr
    assert not out.exists()


def test_empty_file(cli, tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    res = cli("score", empty, "--methodology", "rdr-2020")
    assert res.returncode != 0 and "empty.csv: empty file" in res.stderr


def test_missing_file(cli, tmp_path):
    res = cli("score", tmp_path / "nope.csv", "--methodology", "rdr-2020")
    assert res.returncode != 0 and "nope.csv: file not found" in " ".join(res.stderr.split())


def test_not_utf8(cli, tmp_path):
    p = tmp_path / "latin1.csv"
    p.write_bytes(TWITTER_PATH.read_text("utf-8").replace("Twitter", "Tw\u00eftter").encode("latin-1", "replace"))
    res = cli("score", p, "--methodology", "rdr-2020")
    assert res.returncode != 0 and "not UTF-8" in res.stderr


def test_second_file_bad_means_nothing_printed(cli, tmp_path):
    bad = _mutated(tmp_path, _set(10, "Result", "sometimes"))
    res = cli("score", TWITTER_PATH, bad, "--methodology", "rdr-2020")
    assert res.returncode != 0 and res.stdout == ""


def test_unknown_methodology(cli):
    res = cli("score", TWITTER_PATH, "--methodology", "rdr-1999")
    assert res.returncode != 0 and "unknown methodology 'rdr-1999'" in res.stderr


def _relabelled(tmp_path, label):
    from .conftest import ROOT

    header, rows = read_rows(ROOT / ATT)
    for r in rows:
        r["CompanyLabel"] = label
    return write_rows(tmp_path / "att.csv", header, rows)


def test_hidden_characters_in_a_company_label_are_shown_in_the_csv_written(cli, tmp_path):
    """A right-to-left override would make a label read backwards in a spreadsheet, a zero-width
    space makes two labels look alike: every CSV cell we write shows them as [U+XXXX]."""
    src = _relabelled(tmp_path, "AT\u202e&T\u200b Inc.")
    out = tmp_path / "scores.csv"
    res = cli("score", src, "--methodology", "rdr-2020", "--format", "csv", "--output", out)
    assert res.returncode == 0, res.stderr
    text = out.read_text("utf-8")
    assert "\u202e" not in text and "\u200b" not in text
    assert "AT[U+202E]&T[U+200B] Inc." in text


def test_escape_sequences_never_reach_the_terminal_raw(cli, tmp_path):
    """An ESC sequence in a label would clear or recolour the analyst's terminal."""
    src = _relabelled(tmp_path, "AT&T\x1b[2J\x1b]0;pwned\x07")
    res = cli("score", src, "--methodology", "rdr-2020", "--format", "table")
    assert res.returncode == 0, res.stderr
    assert "\x1b" not in res.stdout and "\x07" not in res.stdout
    assert "[U+001B][2J" in res.stdout.replace("\n", "").replace(" ", "") or "[U+001B]" in res.stdout
