"""Spam scoring: features, the verified :class:`~safecomment.spam.model.SpamModel`, training,
evaluation and the labelled corpora. Scoring needs numpy only; training imports scikit-learn."""
