"""`rightsindex corpus …` as a user runs it: real documents, hostile and broken inputs."""

import gzip
import io
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import yaml

from .conftest import FIXTURES, ROOT
from .test_corpus_store import small_manifest

BUNDLE = FIXTURES / "ota" / "contrib-versions-sample.bundle"
EXTRACT = FIXTURES / "extract"


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path == "/robots.txt":
            body = b"User-agent: *\nAllow: /\n"
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
        elif self.path == "/bomb.html":
            buf = io.BytesIO()
            with gzip.GzipFile(fileobj=buf, mode="wb", compresslevel=9) as gz:
                chunk = b"<p>" + b"A" * (2**20) + b"</p>"
                for _ in range(64):  # 64 MiB once inflated, ~64 KiB on the wire
                    gz.write(chunk)
            body = buf.getvalue()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Encoding", "gzip")
        elif self.path == "/policy.html":
            body = (EXTRACT / "deepseek-privacy.html").read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("ETag", '"v1"')
        else:
            body = b"not found"
            self.send_response(404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_bad_documents_fail_one_by_one_and_the_rest_is_ingested(cli, tmp_path, server):
    huge = tmp_path / "docs" / "huge.html"
    huge.parent.mkdir(parents=True)
    with huge.open("wb") as fh:  # 100 MiB of HTML
        fh.write(b"<html><body>")
        block = b"<p>" + b"x" * 1021 + b"</p>"
        for _ in range(100 * 1024):
            fh.write(block)
    bad = [
        ("corrupt.pdf", EXTRACT / "truncated.pdf"),
        ("encrypted.pdf", EXTRACT / "encrypted.pdf"),
        ("empty.html", None),
        ("binary.html", EXTRACT / "binary.html"),
        ("invalid-utf8.txt", None),
    ]
    docs = []
    for name, src in bad:
        dst = tmp_path / "docs" / name
        if src is None:
            dst.write_bytes(b"" if name == "empty.html" else b"Privacy \xff\xfe\xfd policy " * 50 + b"\xc3\x28" * 400)
        else:
            shutil.copyfile(src, dst)
        docs.append({"path": f"docs/{name}", "title": name})
    docs.append({"path": "docs/huge.html", "title": "huge"})
    for name in ("jd-privacy-gb18030.html", "hostile.html", "baidu-privacy-big5.html"):
        shutil.copyfile(EXTRACT / name, tmp_path / "docs" / name)
        docs.append({"path": f"docs/{name}", "title": name})
    docs.append({"url": f"{server}/bomb.html", "title": "bomb"})
    docs.append({"url": f"{server}/policy.html", "title": "fetched policy"})
    manifest = {
        "index": "test",
        "methodology": "rdr-2022",
        "companies": [{"id": "Example", "name": "Example", "type": "Digital Platform",
                       "services": [{"id": "App", "kind": "social network"}], "documents": docs}],
    }
    mpath = tmp_path / "manifest.yaml"
    mpath.write_text(yaml.safe_dump(manifest), "utf-8")
    db = f"sqlite:///{tmp_path / 'db.sqlite'}"

    res = cli("corpus", "add", mpath, "--db", db, "--allow-private")
    assert res.returncode == 1  # errors are not silent
    lines = res.stdout.strip().splitlines()
    assert lines[-1] == "documents: 4  new versions: 4  errors: 7"
    err = " ".join(res.stderr.split())
    for name, reason in [
        ("corrupt.pdf", "corrupt PDF"),
        ("encrypted.pdf", "encrypted PDF"),
        ("empty.html", "empty"),
        ("binary.html", "binary"),
        ("invalid-utf8.txt", "undecodable"),
        ("huge.html", "larger than the 20 MiB cap"),
        ("bomb.html", "20 MiB cap"),
    ]:
        assert name in err, (name, res.stderr)
        assert any(name in l and reason in l for l in res.stderr.replace("\n ", " ").splitlines()), (name, reason, res.stderr)

    listing = cli("corpus", "list", "--db", db)
    assert "jd-privacy-gb18030.html" in listing.stdout and "zh" in listing.stdout
    shown = cli("corpus", "show", "docs/jd-privacy-gb18030.html", "--db", db)
    assert "个人信息" in shown.stdout  # decoded from GB18030, not mojibake
    hostile = cli("corpus", "show", "docs/hostile.html", "--db", db)
    assert hostile.returncode == 0
    for payload in ("<script", "onerror", "javascript:", "alert(", "<iframe"):
        assert payload not in hostile.stdout

    again = cli("corpus", "add", mpath, "--db", db, "--allow-private")
    assert again.stdout.strip().splitlines()[-1] == "documents: 4  new versions: 0  errors: 7"


def test_corpus_add_list_show_diff_on_real_policies(cli, tmp_path):
    mpath = small_manifest(tmp_path, companies=("Baidu",))
    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    first = cli("corpus", "add", mpath, "--db", db)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip().splitlines()[-1] == "documents: 2  new versions: 2  errors: 0"
    second = cli("corpus", "add", mpath, "--db", db)
    assert second.stdout.strip().splitlines()[-1] == "documents: 2  new versions: 0  errors: 0"

    doc = tmp_path / "docs/Baidu/baidu-netdisk-privacy-policy-zh.md"
    text = doc.read_text("utf-8")
    assert "我们会收集您必要的个人信息" in text
    doc.write_text(text.replace("我们会收集您必要的个人信息", "我们只会收集您必要的个人信息"), "utf-8")
    third = cli("corpus", "add", mpath, "--db", db)
    assert third.stdout.strip().splitlines()[-1] == "documents: 2  new versions: 1  errors: 0"

    diff = cli("corpus", "diff", "docs/Baidu/baidu-netdisk-privacy-policy-zh.md", "--from", "1", "--to", "2", "--db", db)
    assert diff.returncode == 1, diff.stderr  # as diff(1): the versions differ
    assert "changed: 1  added: 0  removed: 0" in diff.stdout
    assert "{+只+}" in diff.stdout  # character-level mark inside the changed Chinese passage

    shown = cli("corpus", "show", "docs/Baidu/baidu-netdisk-privacy-policy-zh.md", "--version", "1", "--db", db)
    assert "我们会收集您必要的个人信息" in shown.stdout
    missing = cli("corpus", "show", "docs/nope.md", "--db", db)
    assert missing.returncode != 0 and "no document 'docs/nope.md'" in missing.stderr


def test_manifest_errors_name_company_document_and_field(cli, tmp_path):
    mpath = small_manifest(tmp_path, companies=("Apple",))
    raw = yaml.safe_load(mpath.read_text("utf-8"))
    raw["companies"][0]["documents"][1]["levels"] = ["Group", "iPhone"]
    mpath.write_text(yaml.safe_dump(raw), "utf-8")
    res = cli("corpus", "add", mpath, "--db", f"sqlite:///{tmp_path / 'db.sqlite'}")
    assert res.returncode != 0
    msg = " ".join(res.stderr.split())
    assert "company 'Apple'" in msg and "levels: unknown level 'iPhone'" in msg
    raw["companies"][0]["documents"][1]["levels"] = ["Group"]
    raw["companies"][0]["documents"][0]["path"] = "docs/Apple/missing.md"
    mpath.write_text(yaml.safe_dump(raw), "utf-8")
    res = cli("corpus", "add", mpath, "--db", f"sqlite:///{tmp_path / 'db.sqlite'}")
    assert res.returncode != 0 and "document 'docs/Apple/missing.md': path: file not found" in " ".join(res.stderr.split())


def test_import_ota_history_and_diff_between_dates(cli, tmp_path):
    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    res = cli("corpus", "import-ota", BUNDLE, "--service", "WeChat", "--company", "Tencent", "--db", db)
    assert res.returncode == 0, res.stderr
    assert "new versions: 38" in res.stdout
    assert "extraction-only commit" in res.stderr
    again = cli("corpus", "import-ota", BUNDLE, "--service", "WeChat", "--company", "Tencent", "--db", db)
    assert "new versions: 0, already stored: 38" in again.stdout

    diff = cli("corpus", "diff", "ota:WeChat/Privacy Policy", "--from", "2020-09-15", "--to", "2022-01-01", "--db", db)
    assert diff.returncode == 1, diff.stderr  # as diff(1): the versions differ
    head = diff.stdout.splitlines()[:2]
    assert "(2020-" in head[0] and "(2021-" in head[0] or "(2020-" in head[0] and "(2022-" in head[0]
    counts = dict(part.split(": ") for part in head[1].split("  "))
    assert int(counts["changed"]) + int(counts["added"]) + int(counts["removed"]) > 0
    assert "CHANGED" in diff.stdout or "ADDED" in diff.stdout
