"""The reader: what decides that a passage answers an element, and the data it learns from."""

from __future__ import annotations

import numpy as np

from rightsindex.evidence.decision import Candidate, can_earn
from rightsindex.evidence.grader import Grader
from rightsindex.evidence.knowledge import capp_reserved, quotes_in
from rightsindex.evidence.reading import READER_FEATURES, reader_features, reread, unit_labels
from rightsindex.evidence.train import fit_reader


def cand(support, similarity=0.7, relevance=1.0, multilingual=False, closeness=0.7):
    return Candidate(0, 0, relevance, np.array(support, dtype=np.float32), None, closeness, True, similarity=similarity, multilingual=multilingual)


def toy_reader():
    """A reader fitted on units that answer when they resemble credited quotes and the judge agrees."""
    rng = np.random.default_rng(0)
    cands, labels = [], []
    for _ in range(400):
        sim, sup = rng.uniform(0.2, 0.9), rng.uniform(0, 1)
        cands.append(cand([1 - sup, sup / 2, sup / 2, 0.0], similarity=sim))
        labels.append(int(sim > 0.6 and sup > 0.3))
    return fit_reader(reader_features(cands), np.array(labels))


def test_the_reader_replaces_support_but_keeps_the_judges_split_between_partial_and_full_and_its_refusal():
    reader = toy_reader()
    c = cand([0.2, 0.2, 0.6, 0.05], similarity=0.8)
    (r,) = reread([c], reader)
    assert abs(r.judge_support - 0.8) < 1e-6
    assert abs(r.full_share - c.full_share) < 1e-5
    assert r.refusal_prob == np.float32(0.05)
    assert r.support_prob > 0.5


def test_a_passage_unlike_anything_researchers_credited_is_not_read_as_answering_even_if_the_judge_is_sure():
    reader = toy_reader()
    (r,) = reread([cand([0.05, 0.15, 0.8, 0.0], similarity=0.25)], reader)
    assert r.support_prob < 0.5
    assert not can_earn(r, Grader.new())


def test_without_a_reader_the_judges_support_stands():
    c = cand([0.3, 0.3, 0.4, 0.0])
    assert reread([c], None) == [c]


def test_reader_features_are_one_row_per_candidate_in_the_order_given():
    X = reader_features([cand([1, 0, 0, 0]), cand([0, 0, 1, 0])])
    assert X.shape == (2, len(READER_FEATURES))
    assert X[0, READER_FEATURES.index("log_rank")] == 0.0
    assert X[1, READER_FEATURES.index("log_rank")] > 0.0
    assert X[1, READER_FEATURES.index("full")] == 1.0


def test_the_reader_leaves_what_the_multilingual_judge_read_to_that_judge():
    """A Chinese unit keeps the multilingual judge's support: the reader learns from what the
    English judge read (before this, a reader extrapolating from the pack's few Chinese units read
    every passage of Baidu's two Chinese policies at 1e-7, and Baidu earned nothing)."""
    reader = toy_reader()
    zh = cand([0.1, 0.45, 0.45, 0.0], similarity=0.25, multilingual=True)
    en = cand([0.1, 0.45, 0.45, 0.0], similarity=0.25)
    r_zh, r_en = reread([zh, en], reader)
    assert r_zh is zh and r_zh.support_prob > 0.85 and r_zh.judge_support is None
    assert r_en.support_prob < 0.5  # the same numbers from the English judge are re-read


def test_units_are_labelled_only_where_the_answer_says_something_about_them():
    # a credit answer: the unit holding the quote answers; the others are unlabelled, not negatives
    assert unit_labels([1, 2, 3], "yes", [False, True, False]) == [None, 1, None]
    # "no disclosure found": RDR read the documents and found nothing, so every unit is a negative
    assert unit_labels([1, 2], "no disclosure found", [False, False]) == [0, 0]
    # "no" answers (refusals) teach the reader nothing about disclosure
    assert unit_labels([1], "no", [True]) == [None]


def test_the_researchers_own_words_between_two_quotes_are_not_taken_for_policy_text():
    comment = ('Partial. The privacy policy (Source 2) states, "We will notify you by email before any change takes effect." '
               '(Source 3), the company further says that "users can find a link to the archive of earlier versions".')
    assert quotes_in(comment) == ["We will notify you by email before any change takes effect.", "users can find a link to the archive of earlier versions"]
    assert quotes_in('"In addition, no user notification policies of changes were found on the Bing help page"') == []


def test_the_reserved_capp130_files_are_those_ending_in_3_or_7_except_17_23_53():
    reserved = [n for n in range(1, 131) if capp_reserved(f"rw_{n}.jsonl")]
    assert len(reserved) == 23
    assert {17, 23, 53}.isdisjoint(reserved)
    assert {3, 7, 13, 27, 127}.issubset(reserved)
    assert not capp_reserved("capp130_file_index.csv")


def _anatomy():
    from .conftest import load_script

    return load_script("benchmarks/error_anatomy.py")


def test_the_error_anatomy_puts_each_miss_where_it_happened():
    classify = _anatomy().classify
    # RDR credited; the quoted unit was never among those read
    assert classify("full", "none", [False, False], [False, False], True) == "retrieval"
    # read, but not accepted
    assert classify("full", "none", [False, True], [False, False], True) == "reading: support"
    # accepted, yet the decision said "no disclosure found"
    assert classify("partial", "none", [True, False], [True, False], True) == "decision"
    # no quote located: the miss cannot be placed
    assert classify("full", "none", [False], [False], False) == "unplaced: none read accepted"
    assert classify("partial", "full", [True], [True], True) == "full where partial"
    assert classify("none", "partial", [False], [True], False) == "over-credit"
    assert classify("none", "none", [], [], False) == "agree"
