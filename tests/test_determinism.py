"""The same inputs give the same element-scores.csv, whatever order documents were stored in and
however embeddings were batched — what makes a distributed run equal the serial one."""

from __future__ import annotations

import numpy as np
import yaml

from rightsindex.corpus.ingest import ingest_manifest
from rightsindex.corpus.manifest import load_manifest
from rightsindex.run import assess
from rightsindex.store import Store

from .test_assess import DOCS, make_manifest, rows_of


def test_citations_do_not_depend_on_the_order_documents_were_stored_in(tmp_path):
    """Two documents share their text, so every passage ties with its twin: the same one is cited
    in a database that stored them in the manifest's order and in one that stored them the other
    way round (as parallel ingestion may)."""
    mpath = make_manifest(tmp_path, {"docs/a.md": "Apple/apple-human-rights-policy.md", "docs/b.md": "Apple/apple-human-rights-policy.md"})
    raw = yaml.safe_load(mpath.read_text("utf-8"))
    first_b = dict(raw, companies=[dict(raw["companies"][0], documents=raw["companies"][0]["documents"][::-1])])
    (tmp_path / "reversed.yaml").write_text(yaml.safe_dump(first_b), "utf-8")
    backwards = tmp_path / "backwards.sqlite"
    store = Store.open(f"sqlite:///{backwards}")
    ingest_manifest(store, load_manifest(tmp_path / "reversed.yaml"))  # b.md gets the lower id
    store.close()

    one = rows_of(assess(mpath, tmp_path / "one").files["element-scores.csv"])
    two = rows_of(assess(mpath, tmp_path / "two", db=f"sqlite:///{backwards}").files["element-scores.csv"])
    assert one == two
    assert any(r["Result"] in ("yes", "partial", "no") for r in one)


def test_a_sentence_vector_depends_on_its_text_alone():
    """MiniLM's int8 graph quantises activations per run: embedded in a batch, a sentence's vector
    would change with its batch-mates (and with what the cache already held). One text per run."""
    from rightsindex.evidence.embed import encoder

    text = (DOCS / "Apple/apple-privacy-policy.md").read_text("utf-8")
    sentences = [s.strip() for s in text.split(".") if len(s.strip()) > 30][:24]
    model = encoder("minilm")
    alone = np.stack([model.encode([s])[0] for s in sentences])
    together = model.encode(sentences)
    reversed_ = model.encode(sentences[::-1])[::-1]
    assert np.array_equal(alone, together) and np.array_equal(alone, reversed_)
