"""Service-tone standards: a YAML standards file, rules that check a conversation, scorecards.

Example:
    >>> from analyzer.standards import load_standards, check
    >>> standards = load_standards()          # the shipped default.yaml
    >>> len(standards)
    12
"""

from .config import DEFAULT_PATH, Standard, StandardsSet, load_standards, validate
from .engine import CheckResult, check, qa_score
from ..normalize.redact import mask_pii
from .rules import RULES
from .scorecard import scorecard

__all__ = [
    "load_standards", "validate", "check", "scorecard", "mask_pii", "qa_score",
    "StandardsSet", "Standard", "CheckResult", "RULES", "DEFAULT_PATH",
]
