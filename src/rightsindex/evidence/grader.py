"""The grader: a passage ranker and an element decision model, both linear, and the rule's thresholds.

One interface for any grader (scikit-learn style): ``fit(X, y)``, ``predict_proba(X)``,
``predict(X)``, ``explain(x)``; a better model drops in by implementing the same surface and
serialising to the same JSON document (``evidence/data/grader.json``).

Models are stored as plain JSON (standardisation, coefficients, intercepts), not pickles, so a
model file is inspectable, diffable and independent of the scikit-learn version.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .decision import DECISION_FEATURES
from .features import PASSAGE_FEATURES
from .knowledge import DATA_DIR, RESULT_CLASSES
from .reading import READER_FEATURES

GRADER_FILE = DATA_DIR / "grader.json"


@dataclass
class LinearModel:
    """Standardised (multinomial) logistic regression: ``softmax(((x - mean) / scale) @ coef.T + b)``."""

    features: tuple[str, ...]
    classes: tuple[str, ...]
    mean: np.ndarray = field(default_factory=lambda: np.zeros(0))
    scale: np.ndarray = field(default_factory=lambda: np.ones(0))
    coef: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    intercept: np.ndarray = field(default_factory=lambda: np.zeros(0))
    temperature: float = 1.0
    C: float = 1.0

    def fit(self, X: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None = None, class_weight=None) -> "LinearModel":
        from sklearn.linear_model import LogisticRegression

        X = np.asarray(X, dtype=np.float64)
        self.mean = X.mean(axis=0)
        self.scale = X.std(axis=0)
        self.scale[self.scale < 1e-9] = 1.0
        clf = LogisticRegression(C=self.C, max_iter=2000, class_weight=class_weight)
        clf.fit((X - self.mean) / self.scale, y, sample_weight=sample_weight)
        present = [self.classes[int(c)] if not isinstance(c, str) else c for c in clf.classes_]
        coef = clf.coef_
        intercept = clf.intercept_
        if len(present) == 2 and len(self.classes) == 2:
            coef = np.vstack([-coef[0] / 2, coef[0] / 2])
            intercept = np.array([-intercept[0] / 2, intercept[0] / 2])
        full_coef = np.zeros((len(self.classes), X.shape[1]))
        full_b = np.full(len(self.classes), -30.0)  # classes never seen in training stay improbable
        for i, c in enumerate(present):
            j = self.classes.index(c)
            full_coef[j] = coef[i]
            full_b[j] = intercept[i]
        self.coef, self.intercept = full_coef, full_b
        return self

    def logits(self, X: np.ndarray) -> np.ndarray:
        X = np.atleast_2d(np.asarray(X, dtype=np.float64))
        return ((X - self.mean) / self.scale) @ self.coef.T + self.intercept

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        z = self.logits(X) / self.temperature
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        return p / p.sum(axis=1, keepdims=True)

    def predict(self, X: np.ndarray) -> list[str]:
        return [self.classes[i] for i in self.predict_proba(X).argmax(axis=1)]

    def explain(self, x: np.ndarray, cls: str | None = None, top: int = 5) -> list[tuple[str, float]]:
        """The features that pushed one row towards ``cls`` (default: its prediction) the most."""
        x = np.asarray(x, dtype=np.float64)
        p = self.predict_proba(x[None, :])[0]
        j = self.classes.index(cls) if cls else int(p.argmax())
        contrib = ((x - self.mean) / self.scale) * (self.coef[j] - self.coef.mean(axis=0))
        order = np.argsort(-np.abs(contrib))[:top]
        return [(self.features[i], round(float(contrib[i]), 3)) for i in order]

    def calibrate(self, X: np.ndarray, y: list[str]) -> float:
        """Fit the softmax temperature on held-out rows (minimum log loss); returns it."""
        z = self.logits(X)
        yi = np.array([self.classes.index(c) for c in y])
        best, best_loss = 1.0, np.inf
        for t in np.exp(np.linspace(np.log(0.3), np.log(5.0), 60)):
            zz = z / t
            zz = zz - zz.max(axis=1, keepdims=True)
            logp = zz - np.log(np.exp(zz).sum(axis=1, keepdims=True))
            loss = -logp[np.arange(len(yi)), yi].mean()
            if loss < best_loss:
                best, best_loss = float(t), loss
        self.temperature = best
        return best

    def to_dict(self) -> dict:
        return {
            "features": list(self.features),
            "classes": list(self.classes),
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
            "coef": self.coef.tolist(),
            "intercept": self.intercept.tolist(),
            "temperature": self.temperature,
            "C": self.C,
        }

    @classmethod
    def from_dict(cls, d: dict) -> "LinearModel":
        return cls(
            features=tuple(d["features"]),
            classes=tuple(d["classes"]),
            mean=np.array(d["mean"]),
            scale=np.array(d["scale"]),
            coef=np.array(d["coef"]),
            intercept=np.array(d["intercept"]),
            temperature=float(d.get("temperature", 1.0)),
            C=float(d.get("C", 1.0)),
        )


DEFAULT_RANKER = {"z_bm25_quote_terms": 1.0, "z_sent_sim_quote_max": 1.0, "z_sim_quote_centroid": 0.5}


@dataclass
class Grader:
    """Passage ranker + element decision model + the thresholds of the rule.

    - ``candidates``: how many of the best-ranked units the passage judge reads per element and level;
    - ``support_threshold``: support (partial or full) the best cited unit needs for a credit answer;
    - ``refusal_threshold``: refusal probability a unit needs for a "no";
    - ``closeness_floor``: how close (MiniLM, best sentence) a passage read by the English judge must
      come to what researchers quoted for the element, or to their centroid, to earn credit — the
      cross-encoder is sure of itself on text unlike any policy (aphorisms, code comments); 98 % of
      the pack's credit answers come closer than 0.40, the lines of the Zen of Python do not;
    - ``prior_support``: support a passage needs to keep last edition's credit answer when the
      passages it rested on cannot be found (``--prior``);
    - ``access_confidence``: confidence of the answers to access elements (from the pack);
    - ``reader``: the reading model (``reading``) whose probability is the support the rule and
      the decision use (None: the passage judge's own support);
    - ``judge_floor``: with a reader, the support the passage judge itself must give a unit for it
      to earn credit (0.1: on the 2020 pack, company-split, 0.05–0.3 trade a little agreement on
      rows whose documents are present for much less credit where RDR found no disclosure).

    The ranker is a weighted sum of passage features that are already relative to the company's
    other passages (z-scores per element): lexical matches with the words of researchers' quotes,
    the best sentence's similarity to those quotes, the passage's similarity to their centroid…
    Its few weights are chosen by company-split cross-validation (``train``); on the 2020 pack
    this generalised across companies better than logistic, pairwise or LambdaRank models fitted
    on the same features (evidence recall@5 0.45 against 0.37–0.44).
    """

    classifier: LinearModel
    ranker: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_RANKER))
    override_threshold: float = 0.9  # with --prior: confidence needed to overrule an unchanged prior
    candidates: int = 6
    support_threshold: float = 0.5
    refusal_threshold: float = 0.5
    prior_support: float = 0.2
    closeness_floor: float = 0.4
    judge_floor: float = 0.1
    multilingual_temperature: float | None = None
    access_confidence: dict = field(default_factory=lambda: {"yes": 0.9, "partial": 0.6, "no disclosure found": 0.7})
    reader: LinearModel | None = None  # ``reading``: the support the rule uses (None: the judge's own)
    version: str = "untrained"
    trained_on: dict = field(default_factory=dict)

    @classmethod
    def new(cls, C_grade: float = 0.3) -> "Grader":
        return cls(classifier=LinearModel(features=DECISION_FEATURES, classes=RESULT_CLASSES, C=C_grade))

    def relevance(self, F: np.ndarray) -> np.ndarray:
        """Relevance score of each passage for each element, from features (n_features, E, P)."""
        out = np.zeros(F.shape[1:], dtype=np.float32)
        for name, w in self.ranker.items():
            if w:
                out += np.float32(w) * F[PASSAGE_FEATURES.index(name)]
        return out

    # the scikit-learn-like surface, over decision feature rows (see decision.DECISION_FEATURES)
    def fit(self, X: np.ndarray, y, sample_weight: np.ndarray | None = None) -> "Grader":
        self.classifier.fit(X, np.asarray(y), sample_weight=sample_weight)
        return self

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Calibrated per language: rows whose best passage the multilingual judge read use their own
        softmax temperature (``multilingual_temperature``), the others the classifier's."""
        X = np.atleast_2d(np.asarray(X, dtype=np.float64))
        z = self.classifier.logits(X)
        t = np.full(len(X), self.classifier.temperature)
        if "multilingual_1" in self.classifier.features and self.multilingual_temperature:
            t[X[:, self.classifier.features.index("multilingual_1")] > 0.5] = self.multilingual_temperature
        z = z / t[:, None]
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        return p / p.sum(axis=1, keepdims=True)

    def predict(self, X: np.ndarray) -> list[str]:
        return [self.classifier.classes[i] for i in self.predict_proba(X).argmax(axis=1)]

    def explain(self, x: np.ndarray, result: str | None = None, top: int = 5) -> list[tuple[str, float]]:
        """The decision features that pushed one judgment towards ``result`` the most."""
        return self.classifier.explain(x, result, top)

    def save(self, path: Path = GRADER_FILE) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        doc = {
            "version": self.version,
            "trained_on": self.trained_on,
            "override_threshold": self.override_threshold,
            "candidates": self.candidates,
            "support_threshold": self.support_threshold,
            "refusal_threshold": self.refusal_threshold,
            "prior_support": self.prior_support,
            "closeness_floor": self.closeness_floor,
            "judge_floor": self.judge_floor,
            "multilingual_temperature": self.multilingual_temperature,
            "access_confidence": self.access_confidence,
            "ranker": self.ranker,
            "classifier": self.classifier.to_dict(),
            "reader": self.reader.to_dict() if self.reader is not None else None,
        }
        path.write_text(json.dumps(doc, indent=1) + "\n", "utf-8")

    @classmethod
    def load(cls, path: Path = GRADER_FILE) -> "Grader":
        if not Path(path).is_file():
            raise FileNotFoundError(f"{path} is missing: run `rightsindex train` (see README)")
        d = json.loads(Path(path).read_text("utf-8"))
        got = tuple(d.get("classifier", {}).get("features") or ())
        if got != tuple(DECISION_FEATURES):
            raise FileNotFoundError(
                f"{path} was written for other decision features ({len(got)}, this version reads {len(DECISION_FEATURES)}): "
                "run `rightsindex train` to rebuild it (see README)"
            )
        reader = d.get("reader")
        if reader and tuple(reader.get("features") or ()) != tuple(READER_FEATURES):
            raise FileNotFoundError(f"{path} was written for another reader: run `rightsindex train` to rebuild it (see README)")
        return cls(
            ranker={k: float(v) for k, v in d["ranker"].items()},
            classifier=LinearModel.from_dict(d["classifier"]),
            override_threshold=float(d.get("override_threshold", 0.9)),
            candidates=int(d.get("candidates", 6)),
            support_threshold=float(d.get("support_threshold", 0.5)),
            refusal_threshold=float(d.get("refusal_threshold", 0.5)),
            prior_support=float(d.get("prior_support", 0.2)),
            closeness_floor=float(d.get("closeness_floor", 0.4)),
            judge_floor=float(d.get("judge_floor", 0.0)),
            multilingual_temperature=d.get("multilingual_temperature"),
            access_confidence=dict(d.get("access_confidence") or {"yes": 0.9, "partial": 0.6, "no disclosure found": 0.7}),
            reader=LinearModel.from_dict(d["reader"]) if d.get("reader") else None,
            version=d.get("version", "unknown"),
            trained_on=d.get("trained_on", {}),
        )
