"""Per-turn scorers: one module per dimension (politeness, empathy, sentiment, complaint, ownership).

Each module exposes ``load(model_dir=None, tier="fast") -> Scorer``; see :mod:`analyzer.scorers.base`.
"""
