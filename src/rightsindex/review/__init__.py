"""The review room: analysts' decisions, research steps, comments and the append-only audit log.

Decisions are stored apart from the automated judgments (``review_decision``), keyed by
methodology, company key, level and element — not by assessment — so they carry over to every
later assessment of the same company and a re-run of ``assess`` never overwrites them. Each
decision records the assessment it was made on and the automated grade the analyst saw.

Research steps follow RDR's process: ``primary`` research, ``review`` (secondary review and
reconciliation) and ``final``. Only the ``final`` step feeds scoring (``final_decisions``, which
``results.element_rows`` applies ahead of the automated grades). A decision begins from the one
at the step before it, or from the automated judgment.

Every change — accept, change grade, attach or detach a passage, comment, a re-review flag — is
appended to ``review_audit`` (who, when, action, before, after). The audit log and the comments
are append-only: the ORM, SQLAlchemy's engine and the database (triggers of migration 0003) all
refuse UPDATE and DELETE on them.

When a newer document version no longer contains a passage a decision rests on, the decision is
flagged "needs re-review" (``flag_stale_decisions``, run after ingest); any analyst action on the
decision confirms it against the latest versions and clears the flag.

    with store.session() as s:
        change_grade(s, "alice", assessment_id=3, company_key="Apple", level="Group",
                     element="P01.01", result="partial", step="final", comment="only some services")
"""

from . import accounts, decisions, results  # noqa: F401  (results: the rows every export reads)
from .accounts import *  # noqa: F403  (the face shows the modules' public names)
from .decisions import *  # noqa: F403
from .results import assessment_rows, element_rows

__all__ = [*accounts.__all__, *decisions.__all__, "assessment_rows", "element_rows"]
