"""Walk paths, directories, .zip and .tar(.gz) archives into a stream of file entries.

Nothing is unpacked to disk and nothing is read before it is needed, so memory does
not grow with the archive. Members with absolute paths or ``..`` are refused, and so
are members that expand past a limit (a zip bomb): each becomes an :class:`InputError`
and the walk goes on.
"""

from __future__ import annotations

import io
import os
import tarfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Callable, Iterator

from ..errors import Errors, InputError
from .options import ReadOptions

ARCHIVE_SUFFIXES = (".zip", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz")


@dataclass(frozen=True, slots=True)
class Entry:
    """One file to read: its display name (``archive.zip!dir/a.eml``) and how to open it."""

    name: str
    open: Callable[[], BinaryIO]


_READ_ERRORS = (zipfile.BadZipFile, tarfile.TarError, zlib.error, EOFError, OSError, RuntimeError, NotImplementedError)
"""What a corrupt or lying member raises while it is read (bad CRC, truncated stream, bad deflate data)."""


class _LimitedReader(io.RawIOBase):
    """Stops a stream that expands past ``limit`` bytes, whatever its header claimed.

    Errors raised while decompressing a corrupt member become an :class:`InputError`
    (E001), so one bad member never stops the walk.
    """

    def __init__(self, raw: BinaryIO, limit: int, member: str, compressed: int, kind: str = "zip") -> None:
        self._raw, self._limit, self._member, self._compressed, self._read = raw, limit, member, compressed, 0
        self._kind = kind

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        try:
            data = self._raw.read(len(buffer))
        except _READ_ERRORS as exc:
            raise InputError(Errors.E001.format(source=self._member, format=f"a {self._kind} member", reason=exc)) from None
        self._read += len(data)
        if self._read > self._limit:
            ratio = self._read / max(self._compressed, 1)
            raise InputError(Errors.E018.format(member=self._member, limit=self._limit, ratio=ratio))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._raw.close()
        super().close()


def _is_unsafe(member: str) -> bool:
    path = PurePosixPath(member.replace("\\", "/"))
    return path.is_absolute() or ".." in path.parts or (len(member) > 1 and member[1] == ":")


def _is_archive(name: str) -> bool:
    return name.lower().endswith(ARCHIVE_SUFFIXES)


def walk(path: str | os.PathLike, options: ReadOptions) -> Iterator[Entry | InputError]:
    """Every readable file under ``path``, in a stable (sorted) order."""
    root = Path(path)
    if not root.exists():
        yield InputError(Errors.E024.format(path=root), str(root))
        return
    if root.is_dir():
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for filename in sorted(filenames):
                if filename.startswith(".") or filename == "errors.jsonl":
                    continue
                yield from walk(Path(dirpath) / filename, options)
        return
    if not root.is_file():  # a FIFO or device would block or never end
        yield InputError(Errors.E027.format(reason="not a regular file; only files, directories and archives are read."), str(root))
    elif root.name.lower().endswith(".zip"):
        yield from _walk_zip(root, options)
    elif _is_archive(root.name):
        yield from _walk_tar(root, options)
    else:
        yield Entry(str(root), lambda p=root: open(p, "rb"))


def _walk_zip(path: Path, options: ReadOptions) -> Iterator[Entry | InputError]:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        yield InputError(Errors.E001.format(source=path, format="zip", reason=exc), str(path))
        return
    with archive:
        for info in sorted(archive.infolist(), key=lambda i: i.filename):
            if info.is_dir() or PurePosixPath(info.filename).name.startswith("."):
                continue
            name = f"{path}!{info.filename}"
            if _is_unsafe(info.filename):
                yield InputError(Errors.E017.format(member=info.filename), name)
                continue
            ratio = info.file_size / max(info.compress_size, 1)
            too_big = info.file_size > options.max_member_bytes
            if too_big or (ratio > options.max_ratio and info.file_size > 1 << 20):
                yield InputError(Errors.E018.format(member=info.filename, limit=options.max_member_bytes, ratio=ratio), name)
                continue
            if _is_archive(info.filename):
                yield InputError(Errors.E027.format(reason="archives inside archives are not read; unpack the outer one."), name)
                continue

            def opener(info=info) -> BinaryIO:
                try:
                    raw = archive.open(info)
                except (RuntimeError, NotImplementedError, zipfile.BadZipFile, zlib.error) as exc:  # encrypted, unknown method
                    raise OSError(f"cannot open {info.filename!r}: {exc}") from None
                return io.BufferedReader(_LimitedReader(raw, options.max_member_bytes, info.filename, info.compress_size))

            yield Entry(name, opener)


def _walk_tar(path: Path, options: ReadOptions) -> Iterator[Entry | InputError]:
    try:
        # Random-access mode, still walked lazily member by member. Stream mode ("r|*") skips a member by
        # re-slicing its decompression buffer on every block, which is quadratic on highly compressed data
        # (a 30 MB gzip bomb took ~9 s just to skip); gzip's own reader skips it in linear time.
        archive = tarfile.open(path, mode="r:*")
    except (tarfile.TarError, OSError) as exc:
        yield InputError(Errors.E001.format(source=path, format="tar", reason=exc), str(path))
        return
    with archive:
        try:
            for member in archive:
                name = f"{path}!{member.name}"
                if not member.isfile() or PurePosixPath(member.name).name.startswith("."):
                    if member.issym() or member.islnk():
                        yield InputError(Errors.E017.format(member=member.name), name)
                    continue
                if _is_unsafe(member.name):
                    yield InputError(Errors.E017.format(member=member.name), name)
                    continue
                if member.size > options.max_member_bytes:
                    yield InputError(Errors.E018.format(member=member.name, limit=options.max_member_bytes, ratio=0), name)
                    continue
                stream = archive.extractfile(member)
                if stream is None:
                    continue
                limited = io.BufferedReader(_LimitedReader(stream, options.max_member_bytes, member.name, member.size, "tar"))
                yield Entry(name, lambda s=limited: s)  # valid until the walk moves on
        except (tarfile.TarError, OSError, EOFError) as exc:
            yield InputError(Errors.E001.format(source=path, format="tar", reason=exc), str(path))
