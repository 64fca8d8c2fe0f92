"""Out-of-domain negatives for the English passage judge: 3,000 sentences of the Python standard
library's docstrings (text about software, unlike any policy; the ``this`` module is left out),
each paired with a random element question, label none; appended to the pairs files.

    python tools/device/ood_negatives.py   # reads build/support/{heldout,full}-v3.jsonl

Without them the judge was sure of itself on aphorisms ("Errors should never pass silently.")."""
import gzip, inspect, json, pkgutil, random, re, importlib, sys, warnings
warnings.filterwarnings("ignore")
rng = random.Random(7)
sents = []
skip = {"this", "antigravity", "idlelib", "tkinter", "turtledemo", "test", "lib2to3", "ensurepip", "venv", "pydoc_data"}
for m in sorted(pkgutil.iter_modules(), key=lambda m: m.name):
    if m.name.startswith("_") or m.name in skip or not m.module_finder.path.startswith(sys.base_prefix):
        continue
    try:
        mod = importlib.import_module(m.name)
    except Exception:
        continue
    objs = [mod] + [getattr(mod, a, None) for a in dir(mod)[:60]]
    for o in objs:
        d = inspect.getdoc(o) if o is not None else None
        if not d:
            continue
        for para in d.split("\n\n"):
            para = " ".join(para.split())
            for s in re.split(r"(?<=[.!?])\s+", para):
                if 30 <= len(s) <= 300 and not re.search(r"[(){}\[\]=>]{2,}|::|\bdef\b|>>>", s):
                    sents.append(s)
sents = list(dict.fromkeys(sents))
rng.shuffle(sents)
print(len(sents), "sentences", file=sys.stderr)
qs = {}
for line in open("build/support/full-v3.jsonl", encoding="utf-8"):
    r = json.loads(line); qs[r["element"]] = r["query"]
els = sorted(qs)
out = []
for s in sents[:3000]:
    e = rng.choice(els)
    out.append({"element": e, "query": qs[e], "text": s, "label": 0, "kind": "neg_ood"})
for name in ("heldout-v3", "full-v3"):
    rows = [json.loads(l) for l in open(f"build/support/{name}.jsonl", encoding="utf-8")] + out
    rng.shuffle(rows)
    with gzip.open(f"build/support/{name}.jsonl.gz", "wt", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    with open(f"build/support/{name}-ood.jsonl", "w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
print(out[:3], file=sys.stderr)
