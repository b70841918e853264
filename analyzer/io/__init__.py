"""Results out: row schema, writers and frames."""

from .frame import (
    arrow_to_conversations,
    conversations_to_arrow,
    conversations_to_frame,
    frame_to_conversations,
    to_pandas,
)
from .rows import SCHEMA_VERSION
from .writers import RowWriter

__all__ = ["to_pandas", "conversations_to_frame", "frame_to_conversations", "conversations_to_arrow",
           "arrow_to_conversations", "RowWriter", "SCHEMA_VERSION"]
