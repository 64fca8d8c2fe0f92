"""The inputs: RDR 2020 data (companies, sources, element results) and the OTA versions repository."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from .common import fail, log, parse_date, read_csv, source_language
from .text import cited_sources, quote_fragments

@dataclass
class Version:
    commit: str
    when: dt.datetime  # commit date, UTC
    subject: str

    @property
    def date(self) -> dt.date:
        return self.when.date()


class OtaRepo:
    """A clone of an OTA versions repository: the history of every ``<Service>/<Type>.md``."""

    def __init__(self, bundle: Path, clone: Path, collection: str = "contrib"):
        self.collection = collection
        self.path = clone
        self._ensure_clone(bundle, clone)
        self.head = self._git("rev-parse", "HEAD").strip()
        self.history: dict[str, list[Version]] = self._read_history()
        self._blob_of: dict[tuple[str, str], str] = {}
        self._texts: dict[str, str] = {}
        self._batch: subprocess.Popen | None = None

    @staticmethod
    def _run(*args: str, cwd: Path | None = None) -> str:
        try:
            res = subprocess.run(args, cwd=cwd, capture_output=True, check=True)
        except FileNotFoundError:
            fail("git is not installed (it is needed to read the OTA bundle)")
        except subprocess.CalledProcessError as exc:
            fail(f"{' '.join(args[:3])} failed: {exc.stderr.decode('utf-8', 'replace').strip()}")
        return res.stdout.decode("utf-8")

    def _git(self, *args: str) -> str:
        return self._run("git", "-C", str(self.path), *args)

    def _ensure_clone(self, bundle: Path, clone: Path) -> None:
        heads = self._run("git", "bundle", "list-heads", str(bundle)).split()
        want = heads[0] if heads else ""
        if (clone / ".git").is_dir():
            have = self._run("git", "-C", str(clone), "rev-parse", "HEAD").strip()
            if have == want:
                return
            log(f"clone {clone} is at {have[:12]}, bundle at {want[:12]}: cloning again")
            shutil.rmtree(clone)
        elif clone.exists() and any(clone.iterdir()):
            fail(f"--clone {clone} exists and is not a git clone; remove it or choose another folder")
        clone.parent.mkdir(parents=True, exist_ok=True)
        log(f"cloning {bundle.name} into {clone} (once; about a minute) ...")
        self._run("git", "clone", "--quiet", "--no-checkout", str(bundle), str(clone))

    def _read_history(self) -> dict[str, list[Version]]:
        out = self._git("-c", "core.quotepath=off", "log", "--format=\x01%H %cI %s", "--name-status", "--no-renames", "HEAD")
        hist: dict[str, list[Version]] = defaultdict(list)
        cur: Version | None = None
        for line in out.splitlines():
            if line.startswith("\x01"):
                commit, when, *subject = line[1:].split(" ", 2)
                cur = Version(commit, dt.datetime.fromisoformat(when).astimezone(dt.timezone.utc), subject[0] if subject else "")
            elif line and cur is not None:
                status, _, path = line.partition("\t")
                if path.endswith(".md") and "/" in path and status[:1] in "AM":
                    hist[path].append(cur)
        for versions in hist.values():
            versions.sort(key=lambda v: (v.when, v.commit))
        return dict(hist)

    def blob(self, path: str, commit: str) -> str:
        """The blob id of ``path`` at ``commit`` (identical texts share one)."""
        key = (path, commit)
        if key not in self._blob_of:
            if self._batch is None:
                self._batch = subprocess.Popen(
                    ["git", "-C", str(self.path), "cat-file", "--batch"], stdin=subprocess.PIPE, stdout=subprocess.PIPE
                )
            assert self._batch.stdin and self._batch.stdout
            self._batch.stdin.write(f"{commit}:{path}\n".encode("utf-8"))
            self._batch.stdin.flush()
            header = self._batch.stdout.readline().decode("utf-8").split()
            if len(header) < 3 or header[1] != "blob":
                fail(f"cannot read {path} at {commit} from the OTA clone")
            data = self._batch.stdout.read(int(header[2]))
            self._batch.stdout.read(1)
            self._blob_of[key] = header[0]
            self._texts.setdefault(header[0], data.decode("utf-8"))
        return self._blob_of[key]

    def forget_texts(self) -> None:
        self._texts.clear()
        self._blob_of.clear()

    def text(self, path: str, commit: str) -> str:
        return self._texts[self.blob(path, commit)]

    def close(self) -> None:
        if self._batch is not None:
            assert self._batch.stdin
            self._batch.stdin.close()
            self._batch.wait()
            self._batch = None


@dataclass
class Source:
    company: str
    nr: int
    title: str
    url: str
    accessed_raw: str
    accessed: dt.date | None
    date_note: str

    @property
    def language(self) -> str:
        return source_language(self.title, self.url)


@dataclass
class ElementRow:
    company: str
    level: str
    indicator: str
    element: str
    result: str
    score: str
    comment: str
    cited: list[int] = field(default_factory=list)
    quotes: list[str] = field(default_factory=list)


@dataclass
class Company:
    id: str
    name: str
    type: str
    services: list[tuple[str, str]]  # (service id, kind)
    columns: list[str]  # Group, OpCom, services, as in the element scores
    sources: dict[int, Source]
    rows: list[ElementRow]
    levels_by_source: dict[int, list[str]]


def load_rdr(data: Path, companies: list[str] | None, exclude: set[str]) -> list[Company]:
    rdr = data / "rdr" / "2020"
    site = data / "rdr" / "site-csv"
    needed = [rdr / "company-sources", rdr / "element-scores", rdr / "2020-indicator-sources-by-column.csv",
              site / "2020-service-specs.csv", site / "2020-company-specs.csv"]
    for p in needed:
        if not p.exists():
            fail(f"missing {p} (is --data the shared data folder?)")
    all_ids = sorted(p.name[len("2020-rdr-index-"):-len("-sources.csv")] for p in (rdr / "company-sources").glob("2020-rdr-index-*-sources.csv"))
    if companies:
        unknown = sorted(set(companies) - set(all_ids))
        if unknown:
            fail(f"unknown company id(s) {', '.join(unknown)}; RDR 2020 has {', '.join(all_ids)}")
        clash = sorted(set(companies) & exclude)
        if clash:
            fail(f"in the evaluation pack, so not allowed in a training pack: {', '.join(clash)}")
        ids = sorted(companies)
    else:
        ids = [c for c in all_ids if c not in exclude]
    specs = {r["companyClean"]: r for r in read_csv(site / "2020-company-specs.csv")}
    sheet_to_id = {r["company"]: r["companyClean"] for r in specs.values()}
    by_col: dict[str, dict[int, set[str]]] = defaultdict(lambda: defaultdict(set))
    for r in read_csv(rdr / "2020-indicator-sources-by-column.csv"):
        cid = sheet_to_id.get(r["CompanySheet"], r["CompanySheet"])
        for n in re.findall(r"\d+", r["SourceRefs"] or ""):
            by_col[cid][int(n)].add(r["ColumnLabel"])
    service_specs = read_csv(site / "2020-service-specs.csv")
    out = []
    for cid in ids:
        sources: dict[int, Source] = {}
        for r in read_csv(rdr / "company-sources" / f"2020-rdr-index-{cid}-sources.csv"):
            try:
                nr = int(r["SourceNr"])
            except ValueError:
                continue
            d, note = parse_date(r["DateAccessed"])
            sources[nr] = Source(cid, nr, r["DocumentTitle"].strip(), r["URL"].strip(), r["DateAccessed"], d, note)
        scores = read_csv(rdr / "element-scores" / f"2020-rdr-index-06-element-scores-{cid}.csv")
        columns: list[str] = []
        rows = []
        for r in scores:
            if r["Service"] not in columns:
                columns.append(r["Service"])
            result = r["Result"].strip()
            if result.upper() == "NA" or not result:
                continue
            comment = r["Comment"] if r["Comment"] != "NA" else ""
            rows.append(ElementRow(cid, r["Service"], r["Indicator"], r["Element"], result.lower(), r["Score"], comment,
                                   cited_sources(comment), quote_fragments(comment)))
        services = [(s["Label"], s["Class"]) for s in service_specs
                    if s["CompanyClean"] == cid and s["Class"] not in ("Group", "OpCom") and s["Label"] in columns]
        levels = {}
        for nr in sources:
            cols = [c for c in columns if c in by_col[cid].get(nr, set())]
            levels[nr] = cols
        out.append(Company(cid, specs.get(cid, {}).get("company", cid), scores[0]["CompanyType"] if scores else "",
                           services, columns, sources, rows, levels))
    return out
