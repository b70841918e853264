"""Batch runs over archives: streaming, with an errors sidecar."""

from .runner import RunStats, run

__all__ = ["run", "RunStats"]
