"""The pipeline: normalize → score → check, batch-first.

:class:`Analyzer` is what the CLI, the Python API, the service and the batch engines
all run, so a conversation gets the same result whichever way it comes in.
"""

from __future__ import annotations

import itertools
import logging
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Sequence

from .errors import Errors, InputError, ModelError
from .ingest.options import ReadOptions
from .ingest.records import conversation_from_dict
from .normalize.roles import infer_roles
from .summary import counts, response_times, score_aggregates
from .types import Analysis, Conversation, Turn, TurnScore

log = logging.getLogger(__name__)

DIMENSIONS = ("politeness", "empathy", "sentiment", "complaint", "ownership")
MODELS_DIR = Path(__file__).resolve().parents[1] / "models"


def _normalize_language(conversation: Conversation) -> Conversation:
    try:
        from .normalize.language import detect_languages
    except ImportError:  # pragma: no cover - language support is part of the package
        return conversation
    return detect_languages(conversation)


class Analyzer:
    """Scores conversations and checks them against service standards.

    Build one with :func:`analyzer.load`; it is thread-safe for scoring.

    Args:
        scorers: scorer objects (see ``analyzer.scorers.base``), one per dimension.
        standards: a loaded standards set, or ``None`` to skip the checks.
        options: how to infer roles (agent names/addresses).
    """

    def __init__(self, scorers: Sequence[Any] = (), standards: Any = None, options: ReadOptions | None = None) -> None:
        self.scorers = tuple(scorers)
        self.standards = standards
        self.options = options or ReadOptions()

    @property
    def dimensions(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.scorers)

    def normalize(self, conversation: Conversation) -> Conversation:
        conversation = infer_roles(conversation, self.options.agent_names, self.options.agent_addresses)
        return _normalize_language(conversation)

    def analyze(self, conversation: Conversation | Mapping[str, Any] | Sequence[tuple[str, str]]) -> Analysis:
        """Analyse one conversation: a :class:`Conversation`, a dict in the JSON layout, or ``(role, text)`` pairs.

        Example:
            >>> qa = Analyzer()
            >>> a = qa.analyze([("customer", "My parcel never came."), ("agent", "I'm sorry, I'll check now.")])
            >>> a.summary["n_agent_turns"]
            1
        """
        return next(self.pipe([coerce(conversation)]))

    def pipe(self, conversations: Iterable[Any], batch_size: int = 256) -> Iterator[Analysis]:
        """Analyse many conversations lazily, scoring each chunk's turns in one call per model.

        Args:
            conversations: an iterable of anything :meth:`analyze` takes, or a pandas DataFrame /
                Hugging Face ``Dataset`` with one row per message (read as :func:`analyzer.read` does).
        """
        from .ingest import _is_dataframe, _is_hf_dataset, read

        if _is_dataframe(conversations) or _is_hf_dataset(conversations):
            conversations = read(conversations, options=self.options)
        iterator = iter(conversations)
        while chunk := list(itertools.islice(iterator, batch_size)):
            yield from self._analyze_chunk([self.normalize(coerce(c)) for c in chunk])

    def _analyze_chunk(self, conversations: list[Conversation]) -> Iterator[Analysis]:
        turns: list[Turn] = [t for c in conversations for t in c.turns]
        owners = [i for i, c in enumerate(conversations) for _ in c.turns]
        per_conv: list[list[TurnScore]] = [[] for _ in conversations]
        for scorer in self.scorers:
            results = scorer.score(turns)
            if len(results) != len(turns):
                raise ModelError(f"scorer {scorer.name!r} returned {len(results)} results for {len(turns)} turns")
            for owner, score in zip(owners, results):
                if score is not None:
                    per_conv[owner].append(score)
        for conv, scores in zip(conversations, per_conv):
            yield self._finish(conv, tuple(scores))

    def _finish(self, conv: Conversation, scores: tuple[TurnScore, ...]) -> Analysis:
        first_response, longest_wait = response_times(conv)
        summary: dict[str, Any] = {**counts(conv), "first_response_s": first_response,
                                   "longest_customer_wait_s": longest_wait}
        summary.update(score_aggregates(conv, scores, self.dimensions))
        if self.standards is None:
            return Analysis(conv, scores, (), None, None, summary)
        from .standards import check

        result = check(conv, scores, self.standards)
        summary["standards_evaluated"] = ";".join(result.evaluated)
        return Analysis(conv, scores, tuple(result.flags), result.qa_score, result.passed, summary)


def coerce(value: Any) -> Conversation:
    """Accept a Conversation, a JSON-layout dict or a list of ``(role, text)`` pairs."""
    if isinstance(value, Conversation):
        return value
    if isinstance(value, Mapping):
        return conversation_from_dict(value, ReadOptions(), default_id="conversation")
    if isinstance(value, (list, tuple)) and all(isinstance(p, (list, tuple)) and len(p) == 2 for p in value):
        from .normalize.roles import role_from_label

        turns = tuple(Turn(i, role_from_label(r) or "unknown", text) for i, (r, text) in enumerate(value))
        return Conversation("conversation", turns)
    raise InputError(Errors.E027.format(reason=f"cannot analyse a {type(value).__name__}: give a Conversation, "
                                                "a dict in the JSON layout or a list of (role, text) pairs."))


def load_scorers(dimensions: Sequence[str] | None = None, tier: str = "fast", models_dir: Path | None = None,
                 multilingual: bool = True) -> list[Any]:
    """Load the scorers for ``dimensions`` (default: every dimension whose model is shipped).

    With ``multilingual=False`` the fast tier scores turns in every language itself instead of
    routing the languages it was not trained on to the multilingual encoder model (see
    :mod:`analyzer.scorers.routing`); such turns are still marked ``zero_shot``.
    """
    from .registry import scorers as registry

    root = Path(models_dir) if models_dir else MODELS_DIR
    wanted = DIMENSIONS if dimensions is None else tuple(dimensions)
    loaded = []
    for name in wanted:
        model_dir = root / name
        if dimensions is None and not (model_dir / "meta.json").exists():
            log.warning("no model for %s in %s: that dimension is not scored", name, root)
            continue
        scorer = registry.get(name)(model_dir=model_dir, tier=tier)
        loaded.append(scorer if multilingual else getattr(scorer, "fast", scorer))
    return loaded


def load(
    standards: str | Path | None | bool = None,
    tier: str = "fast",
    dimensions: Sequence[str] | None = None,
    models_dir: str | Path | None = None,
    agent_names: Sequence[str] = (),
    agent_addresses: Sequence[str] = (),
    multilingual: bool = True,
) -> Analyzer:
    """Build an :class:`Analyzer`: the shipped models plus a standards file.

    Args:
        standards: path to a standards YAML; ``None`` for the shipped default; ``False`` for none.
        tier: ``"fast"`` (default, archive speed) or ``"accurate"`` where a model ships one.
        dimensions: which dimensions to score (default: all shipped); ``()`` for none.
        models_dir: where the models are (default: the repo's ``models/``).
        agent_names, agent_addresses: used to infer roles when a source gives none.
        multilingual: route turns in languages a fast model was not trained on (Dutch,
            Korean...) to that dimension's multilingual encoder model (default). ``False`` scores them with the
            fast models, still marked ``zero_shot``: several times faster on archives with many
            such turns (the encoder reads ~27 turns/s per core), less accurate on those turns.

    Example:
        >>> import analyzer
        >>> qa = analyzer.load(dimensions=(), standards=False)
        >>> qa.analyze([("customer", "Hi"), ("agent", "Hello!")]).summary["n_turns"]
        2
    """
    scorers = load_scorers(dimensions, tier, Path(models_dir) if models_dir else None, multilingual)
    standards_set = None
    if standards is not False:
        from .standards import load_standards

        standards_set = load_standards(None if standards in (None, True) else standards)
    options = ReadOptions(agent_names=tuple(agent_names), agent_addresses=tuple(agent_addresses))
    return Analyzer(scorers, standards_set, options)
