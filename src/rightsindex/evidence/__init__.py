"""Evidence: find the passages that answer each element and grade them.

- ``embed``      sentence embeddings (MiniLM int8 ONNX for English, USE multilingual for Chinese)
- ``knowledge``  per-element queries, researchers' quotes (learned expansions) and priors
- ``passages``   a company's candidate passages with cached vectors
- ``features``   element × passage relevance features; judgment features
- ``grader``     the swappable grader (fit / predict_proba / predict / explain)
- ``judge``      ``grade_company``: every element at every level, with cited passages
- ``train``      training and company-split cross-validation on an evaluation pack
- ``evaluate``   agreement, κ, evidence recall, indicator error
"""
