"""Evidence: find the passages that answer each element, read them, and grade.

- ``embed``      sentence embeddings (MiniLM int8 ONNX for English, USE multilingual for the rest)
- ``knowledge``  per-element queries, researchers' quotes (learned expansions) and priors
- ``passages``   a company's candidate passages (and documents) with cached vectors
- ``features``   element × passage relevance features (the ranker's and the multilingual judge's inputs)
- ``support``    the passage judge: does this text disclose what the element asks? (cross-encoder
                 for English, multilingual model for Chinese and other languages)
- ``reading``    the reader: the judge's support weighed with closeness to what researchers credited
                 elsewhere, into the support the rule uses (learned company-split on the pack)
- ``decision``   from what the judge read to an answer; the rule that credit needs a disclosing passage
- ``access``     access elements (easy to find, home language, understandable) from the documents
- ``previous_answers``  last edition's answers as the starting point (``--prior``), new services
                 included (not to be confused with the element prior in ``knowledge``: how often
                 other companies got credit, which calibrates the decision and never earns credit)
- ``judgment``   a judgment (one element at one level) and the answer classes
- ``versioning`` the model version every judgment carries
- ``citing``     evidence units and the evidence items a judgment stores
- ``grader``     the swappable grader (fit / predict_proba / predict / explain) and the rule's thresholds
- ``judge``      ``grade_company``: every element at every level, with cited passages
- ``train``      training and company-split cross-validation on an evaluation pack
- ``capp``       CAPP-130 Chinese sentences as training signal for the multilingual judge
- ``evaluate``   agreement, κ, evidence recall, indicator error
- ``frameworks`` notice duties (GDPR Art. 13/14, PIPL) graded from the same passages: item readers,
                 company × service × item judgments, their training and benchmark
"""

from .grader import Grader
from .judge import NO_READABLE, grade_company
from .judgment import CREDIT, NA, NDF, Judgment, credit_class
from .passages import CompanyPassages, embed_company, load_company_passages
from .previous_answers import Prior, read_prior
from .support import SupportJudge
from .versioning import EVIDENCE_VERSION, model_version

__all__ = [
    "CREDIT",
    "EVIDENCE_VERSION",
    "NA",
    "NDF",
    "NO_READABLE",
    "CompanyPassages",
    "Grader",
    "Judgment",
    "Prior",
    "SupportJudge",
    "credit_class",
    "embed_company",
    "grade_company",
    "load_company_passages",
    "model_version",
    "read_prior",
]
