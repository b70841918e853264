"""analyzer: contact-centre conversation quality analysis.

Public API::

    import analyzer
    for conv in analyzer.read("data/samples"):
        ...
"""

from .errors import AnalyzerError, ConfigError, InputError, ModelError
from . import io
from .ingest import read
from .pipeline import Analyzer, load
from .types import Analysis, Conversation, Flag, Span, Turn, TurnScore

__version__ = "0.1.0"

__all__ = [
    "read", "load", "Analyzer", "io", "Conversation", "Turn", "Span", "TurnScore", "Flag", "Analysis",
    "AnalyzerError", "InputError", "ConfigError", "ModelError", "__version__",
]
