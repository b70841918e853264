"""Coded errors and warnings. Every message says what went wrong and how to fix it.

``InputError`` is about one record and never stops a batch: readers hand it to
``on_error`` and go on. ``ConfigError`` stops before any work starts. ``ModelError``
covers missing or corrupt models.
"""

from __future__ import annotations

from typing import Any


class Errors:
    """Message templates. The code is the attribute name and is part of the message."""

    E001 = "E001 {source}: cannot be read as {format}: {reason}"
    E002 = "E002 {where}: metadata must be a mapping, got {got}."
    E003 = "E003 {where}: metadata is not JSON-serialisable ({reason}). Keep metadata to strings, numbers, lists and dicts."
    E004 = "E004 {where}: timestamp must be a datetime, got {got}. Give ISO 8601 text such as 2024-05-01T10:02:11Z."
    E005 = "E005 {where}: turn index must be a non-negative integer."
    E006 = "E006 {where}: unknown role {role!r}. Use one of {roles}, or map your labels with --columns role=<column>."
    E007 = "E007 {where}: text must be a string, got {got}."
    E008 = "E008 {where}: text is {n} characters, over the limit of {limit}. Split the message or raise MAX_TURN_CHARS."
    E009 = "E009 conversation id must be a non-empty string, got {got!r}."
    E010 = "E010 no text field (looked for {fields}). Map one with --columns text=<column>."
    E011 = "E011 {where}: turn at position {position} has index {index}; indices must be 0..n-1 in order."
    E012 = "E012 {where}: unknown channel {channel!r}. Use one of {channels}."
    E013 = "E013 malformed JSON: {reason}."
    E014 = "E014 cannot decode the bytes as {encoding}: {reason}. Save the file as UTF-8 or declare its charset."
    E015 = "E015 empty file: nothing to read."
    E016 = "E016 binary content: this does not look like a {format} file."
    E017 = "E017 unsafe archive member {member!r}: absolute paths and '..' are refused."
    E018 = "E018 archive member {member!r} expands past {limit} bytes (ratio {ratio:.0f}:1): refused as a possible zip bomb."
    E019 = "E019 conversation has no turns."
    E020 = "E020 unknown format {format!r}. Use one of {formats}."
    E021 = "E021 bad timestamp {value!r}: {reason}. Use ISO 8601 (2024-05-01T10:02:11Z) or epoch seconds."
    E022 = "E022 missing field {field!r}. Map it with --columns {field}=<column>."
    E023 = "E023 bad --columns mapping {text!r}: expected name=column pairs separated by commas."
    E024 = "E024 no such file or directory: {path}."
    E025 = "E025 cannot parse this line as a transcript turn; expected 'Speaker: text' or '[hh:mm:ss] Name (role): text'."
    E026 = "E026 email has no body text."
    E027 = "E027 {reason}"
    E031 = "E031 model {path}: checksum mismatch (expected {expected}, got {got}). Re-train or restore the file from the repo."
    E032 = "E032 model {path}: not found. Train it with `analyzer train {name}` or restore models/ from the repo."
    E033 = "E033 sentence encoder for the accurate tier: {detail}."
    E040 = "E040 unknown {kind} {name!r}.{hint} Available: {available}."
    E041 = "E041 {kind} {name!r} is already registered; registering it again would silently replace it."
    E050 = "E050 {path}: {problems}"
    # E060-E072: the HTTP service's errors (analyzer/service/api_errors.py)
    E080 = ("E080 only {n} reviews match the conversations and carry a score or a pass/fail; calibration "
            "needs at least {need} ({folds} folds). Review more conversations, or check that the review ids "
            "match the conversation ids.")


class Warnings:
    W012 = "W012 model {path} was saved with {library} {saved}, this is {current}: results may differ. Re-train to silence this."
    W013 = "W013 no accurate-tier model for {name} in {path}: it is scored with the fast tier."
    W020 = "W020 {where}: role inferred as {role!r} ({how})."


class AnalyzerError(Exception):
    """Base of every error the analyzer raises on purpose."""

    @property
    def code(self) -> str:
        message = str(self)
        return message.split(" ", 1)[0] if message[:1] in "EW" else "E000"


class InputError(AnalyzerError, ValueError):
    """A bad input record. Carries where it came from so that it can be written to the errors file.

    Args:
        reason: the coded message.
        source: file (or ``archive.zip!member``) the record came from.
        record: line number, row number, message id or conversation id within the source.
    """

    def __init__(self, reason: str, source: str | None = None, record: Any = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.source = source
        self.record = record

    def located(self, source: str | None = None, record: Any = None) -> "InputError":
        """A copy with the location filled in where it was missing."""
        return InputError(
            self.reason,
            source=self.source if self.source is not None else source,
            record=self.record if self.record is not None else record,
        )

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "record": self.record, "code": self.code, "reason": self.reason}

    def __str__(self) -> str:
        where = ":".join(str(p) for p in (self.source, self.record) if p is not None)
        return f"{where}: {self.reason}" if where else self.reason

    @property
    def code(self) -> str:
        return self.reason.split(" ", 1)[0] if self.reason[:1] == "E" else "E000"


class ConfigError(AnalyzerError, ValueError):
    """A bad configuration or standards file; raised before any work starts."""


class ModelError(AnalyzerError, RuntimeError):
    """A model that is missing, corrupt or does not fit this library."""
