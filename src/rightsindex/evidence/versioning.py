"""The model version every judgment carries: the grader, the embeddings, the passage judge and
the way evidence is chosen. Stored judgments made under another version are graded again rather
than reused, and every worker of a distributed run must have the same one."""

from __future__ import annotations

__all__ = ["EVIDENCE_VERSION", "model_version"]


# How evidence is chosen and cut, apart from the models: part of the model version, so stored
# judgments of an earlier way are graded again rather than reused (2: lists cited whole).
EVIDENCE_VERSION = 3  # 3: credit only on a passage the judge reads as disclosing


def model_version(grader=None) -> str:
    from .embed import model_fingerprint
    from .grader import Grader
    from .support import SupportJudge

    g = grader or Grader.load()
    return f"{g.version}+emb.{model_fingerprint()}+sup.{SupportJudge.default().version}+ev.{EVIDENCE_VERSION}"
