"""The standards file: YAML, validated by pydantic, every problem reported with its line.

A standards file lists standards; each picks a rule by name (see :data:`.rules.RULES`)
and gives its params, with optional per-channel overrides. :func:`validate` returns every
problem at once as ``file:line: path -> to -> key: message``; :func:`load_standards`
raises :class:`~analyzer.errors.ConfigError` listing them.
"""

from __future__ import annotations

import difflib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Literal, Mapping

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import ConfigError, Errors
from .rules import RULES

DEFAULT_PATH = Path(__file__).with_name("default.yaml")

_CONTAINERS = (list, tuple, dict, typing.Union, types.UnionType)

SeverityName = Literal["info", "minor", "major", "critical"]
ChannelName = Literal["chat", "email", "call", "social", "other"]


class StandardSpec(BaseModel):
    """One entry of ``standards:`` as written in the file."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    rule: str
    description: str = ""
    enabled: bool = True
    severity: SeverityName = "minor"
    weight: float = Field(1.0, ge=0, le=100)
    params: dict[str, Any] = Field(default_factory=dict)
    channels: dict[ChannelName, dict[str, Any]] = Field(default_factory=dict)


class StandardsFile(BaseModel):
    """The whole file."""

    model_config = ConfigDict(extra="forbid")
    version: Literal[1] = 1
    description: str = ""
    standards: list[StandardSpec]


@dataclass(frozen=True)
class Standard:
    """A validated standard, ready to run: its rule function and its params per channel."""

    id: str
    rule: str
    severity: str
    weight: float
    params: Mapping[str, Any]
    channels: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    description: str = ""
    enabled: bool = True
    func: Callable[..., Any] | None = field(default=None, compare=False, repr=False)

    def params_for(self, channel: str) -> dict[str, Any]:
        """The params for a conversation of ``channel`` (the channel's override, else the defaults)."""
        return dict(self.channels.get(channel, self.params))


@dataclass(frozen=True)
class StandardsSet:
    """The standards of one file, in file order."""

    standards: tuple[Standard, ...]
    source: str = "<memory>"

    def __iter__(self) -> Iterator[Standard]:
        return iter(self.standards)

    def __len__(self) -> int:
        return len(self.standards)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.standards)

    def get(self, standard_id: str) -> Standard:
        for s in self.standards:
            if s.id == standard_id:
                return s
        raise KeyError(standard_id)

    def enabled(self) -> tuple[Standard, ...]:
        return tuple(s for s in self.standards if s.enabled)


# -- line numbers -------------------------------------------------------------------------

def _marks(node: yaml.Node, path: tuple, out: dict[tuple, int], dupes: list[tuple]) -> None:
    out.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen = set()
        for key_node, value_node in node.value:
            key = key_node.value
            if key in seen:
                dupes.append((path + (key,), key_node.start_mark.line + 1))
            seen.add(key)
            _marks(value_node, path + (key,), out, dupes)
            out[path + (key,)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for position, item in enumerate(node.value):
            _marks(item, path + (position,), out, dupes)


def _line(lines: dict[tuple, int], loc: tuple) -> int:
    while loc and loc not in lines:
        loc = loc[:-1]
    return lines.get(loc, 1)


# -- error messages -----------------------------------------------------------------------

def _model_at(model: Any, loc: tuple) -> Any:
    """The pydantic model whose fields ``loc`` points into (for 'did you mean')."""
    current = model
    for part in (*loc, None):
        while typing.get_origin(current) in _CONTAINERS:  # list[X], tuple[X, ...], dict[K, X], X | None
            args = [a for a in typing.get_args(current) if a not in (type(None), Ellipsis)]
            current = args[-1] if args else None
        if part is None or isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)) or part not in current.model_fields:
            return None
        current = current.model_fields[part].annotation
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _num(value: Any) -> str:
    return f"{value:g}" if isinstance(value, (int, float)) else str(value)


def _message(error: Mapping[str, Any], model: Any, loc: tuple) -> str:
    kind, ctx, value = error["type"], error.get("ctx") or {}, error.get("input")
    if kind == "extra_forbidden":
        owner = _model_at(model, loc[:-1])
        allowed = sorted(owner.model_fields) if owner else []
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        return f"unknown key {loc[-1]!r}.{hint}" + (f" Allowed: {', '.join(allowed)}." if allowed else "")
    if kind == "missing":
        return "required key is missing"
    if kind == "less_than_equal":
        return f"must be ≤ {_num(ctx['le'])} (got {value!r})"
    if kind == "greater_than_equal":
        return f"must be ≥ {_num(ctx['ge'])} (got {value!r})"
    if kind == "less_than":
        return f"must be < {_num(ctx['lt'])} (got {value!r})"
    if kind == "greater_than":
        return f"must be > {_num(ctx['gt'])} (got {value!r})"
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected')} (got {value!r})"
    if kind == "string_pattern_mismatch":
        return f"must be lower-case letters, digits, '-', '_' or '.' (got {value!r})"
    message = str(error["msg"]).removeprefix("Value error, ")
    if kind == "value_error":
        return message
    return f"{message[:1].lower()}{message[1:]} (got {value!r})" if not isinstance(value, (dict, list)) else message


def _problems(exc: ValidationError, model: Any, prefix: tuple, name: str, lines: dict[tuple, int]) -> list[str]:
    out = []
    for error in exc.errors():
        loc = tuple(p for p in error["loc"] if p != "[key]")
        where = prefix + loc
        out.append(f"{name}:{_line(lines, where)}: {' -> '.join(map(str, where))}: {_message(error, model, loc)}")
    return out


def _line_number(problem: str, name: str) -> int:
    head = problem[len(name) + 1 :].split(":", 1)[0]
    return int(head) if head.isdigit() else 0


def _resolve_rule(name: str) -> Callable[..., Any]:
    if name in RULES:
        return RULES[name]
    from ..registry import rules as registry

    try:
        return registry.get(name)
    except ConfigError:
        available = sorted(set(RULES) | set(registry.names()))
        close = difflib.get_close_matches(name, available, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ConfigError(Errors.E040.format(kind="rule", name=name, hint=hint, available=", ".join(available))) from None


# -- validation ---------------------------------------------------------------------------

def _check(text: str, name: str) -> tuple[list[str], StandardsSet | None]:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        return [f"{name}:{line}: not valid YAML: {getattr(exc, 'problem', None) or exc}"], None
    lines: dict[tuple, int] = {}
    dupes: list[tuple] = []
    if node is not None:
        _marks(node, (), lines, dupes)
    problems = [f"{name}:{line}: {' -> '.join(map(str, path))}: duplicate key" for path, line in dupes]
    if not isinstance(data, dict):
        return problems + [f"{name}:1: the file must be a mapping with a 'standards' list"], None
    try:
        spec = StandardsFile.model_validate(data)
    except ValidationError as exc:
        problems += _problems(exc, StandardsFile, (), name, lines)
        spec = None
    raw = data.get("standards") if isinstance(data.get("standards"), list) else []
    seen: dict[str, int] = {}
    built: list[Standard] = []
    for position, item in enumerate(raw):
        if not isinstance(item, dict):
            continue
        here = ("standards", position)
        sid = item.get("id")
        if isinstance(sid, str):
            if sid in seen:
                problems.append(f"{name}:{_line(lines, here + ('id',))}: {' -> '.join(map(str, here + ('id',)))}: "
                                f"duplicate id {sid!r} (first at standards -> {seen[sid]})")
            seen.setdefault(sid, position)
        rule_name = item.get("rule")
        if not isinstance(rule_name, str):
            continue
        try:
            func = _resolve_rule(rule_name)
        except ConfigError as exc:
            problems.append(f"{name}:{_line(lines, here + ('rule',))}: {' -> '.join(map(str, here + ('rule',)))}: {exc}")
            continue
        built.append(_build(item, func, here, name, lines, problems))
    if problems or spec is None:
        return sorted(problems, key=lambda p: _line_number(p, name)), None
    return [], StandardsSet(tuple(built), source=name)


def _build(item: dict, func: Callable[..., Any], here: tuple, name: str, lines: dict[tuple, int], problems: list[str]) -> Standard:
    params_model = getattr(func, "Params", None)
    raw_params = item.get("params") if isinstance(item.get("params"), dict) else {}
    raw_channels = item.get("channels") if isinstance(item.get("channels"), dict) else {}

    def checked(values: dict, prefix: tuple, own: set) -> dict[str, Any]:
        if params_model is None:
            return dict(values)
        try:
            parsed = params_model.model_validate(values)
        except ValidationError as exc:
            for error in exc.errors():
                loc = tuple(error["loc"])
                if loc and loc[0] not in own and prefix[-2] == "channels":
                    continue  # a problem of the defaults, reported once under params
                where = prefix + loc
                message = f"{name}:{_line(lines, where)}: {' -> '.join(map(str, where))}: {_message(error, params_model, loc)}"
                if message not in problems:
                    problems.append(message)
            return {}
        return {key: getattr(parsed, key) for key in type(parsed).model_fields}

    params = checked(raw_params, here + ("params",), set(raw_params))
    channels = {}
    for channel, override in raw_channels.items():
        if isinstance(override, dict):
            channels[channel] = checked({**raw_params, **override}, here + ("channels", channel), set(override))
    return Standard(
        id=str(item.get("id")), rule=str(item.get("rule")), severity=str(item.get("severity", "minor")),
        weight=float(item.get("weight", 1.0)) if isinstance(item.get("weight", 1.0), (int, float)) else 1.0,
        params=params, channels=channels, description=str(item.get("description", "")),
        enabled=bool(item.get("enabled", True)), func=func,
    )


def validate(path: str | Path) -> list[str]:
    """Every problem of a standards file, each as ``file:line: path -> key: message``; ``[]`` if valid.

    Example:
        >>> validate(DEFAULT_PATH)
        []
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return [Errors.E024.format(path=path)]
    return _check(text, str(path))[0]


def load_standards(path: str | Path | None = None) -> StandardsSet:
    """Load and validate a standards file (default: the shipped ``default.yaml``).

    Raises:
        ConfigError: ``E050`` listing every problem with its line.

    Example:
        >>> "security" in load_standards().ids
        True
    """
    path = Path(path) if path is not None else DEFAULT_PATH
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        raise ConfigError(Errors.E024.format(path=path)) from None
    problems, standards = _check(text, str(path))
    if standards is None:
        listing = "\n  ".join(problems)
        raise ConfigError(Errors.E050.format(path=path, problems=f"{len(problems)} problem(s):\n  {listing}"))
    return standards
