"""The archive walker, through ``analyzer.read``: real .zip/.tar.gz files built in tmp_path."""

from __future__ import annotations

import base64
import builtins
import io
import os
import struct
import tarfile
import zipfile
from pathlib import Path

import pytest

from analyzer import InputError, read
from analyzer.ingest import ReadOptions

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples" / "transcripts"
GOOD = b"Customer: Hi, where is my parcel?\nAgent: Let me check that for you.\n"


def _read(path, **kwargs):
    errors: list[InputError] = []
    convs = list(read(path, on_error=errors.append, **kwargs))
    return convs, errors


def _digest(convs):
    """What a conversation says, independent of where the file lay."""
    return sorted((c.id, c.channel, tuple((t.role, t.speaker, t.text, t.timestamp) for t in c.turns)) for c in convs)


def _tar_add(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    archive.addfile(info, io.BytesIO(data))


def test_sources_zip_and_tar_read_the_same_conversations_as_the_directory(tmp_path):
    files = sorted(SAMPLES.iterdir())
    from_dir, errors = _read(SAMPLES)
    assert errors == [] and len(from_dir) >= 9
    zip_path, tar_path = tmp_path / "samples.zip", tmp_path / "samples.tar.gz"
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in files:
            zf.write(f, f"transcripts/{f.name}")
    with tarfile.open(tar_path, "w:gz") as tf:
        for f in files:
            tf.add(f, f"transcripts/{f.name}")
    for archive in (zip_path, tar_path):
        convs, errors = _read(archive)
        assert errors == []
        assert _digest(convs) == _digest(from_dir)
        assert all(c.meta["file"].startswith(f"{archive}!transcripts/") for c in convs)


@pytest.mark.parametrize("kind", ["zip", "tar.gz"])
def test_sources_unsafe_member_paths_are_refused_and_the_rest_read(tmp_path, kind):
    path = tmp_path / f"unsafe.{kind}"
    members = {"/etc/evil.txt": GOOD, "../escape.txt": GOOD, "inbox/ok.txt": GOOD}
    if kind == "zip":
        with zipfile.ZipFile(path, "w") as zf:
            for name, data in members.items():
                zf.writestr(name, data)
    else:
        with tarfile.open(path, "w:gz") as tf:
            for name, data in members.items():
                _tar_add(tf, name, data)
    convs, errors = _read(path)
    assert sorted(e.code for e in errors) == ["E017", "E017"]
    assert sorted(e.source for e in errors) == sorted(f"{path}!{m}" for m in ("/etc/evil.txt", "../escape.txt"))
    assert [c.id for c in convs] == ["ok.txt#1"]
    assert not (tmp_path.parent / "escape.txt").exists()


def test_sources_zip_bomb_is_refused_and_reading_goes_on(tmp_path):
    path = tmp_path / "bomb.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a_bomb.txt", bytes(50_000_000))
        zf.writestr("b_ok.txt", GOOD)
    assert path.stat().st_size < 1_000_000
    convs, errors = _read(path, options=ReadOptions(max_member_bytes=10_000_000))
    assert [(e.code, e.source) for e in errors] == [("E018", f"{path}!a_bomb.txt")]
    assert [c.id for c in convs] == ["b_ok.txt#1"]


def test_sources_ratio_limit_refuses_a_member_under_the_size_limit(tmp_path):
    path = tmp_path / "ratio.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("zeros.txt", bytes(5_000_000))  # under 10 MB, but ~1000:1
        zf.writestr("ok.txt", GOOD)
    convs, errors = _read(path, options=ReadOptions(max_member_bytes=10_000_000))
    assert [e.code for e in errors] == ["E018"]
    assert len(convs) == 1


def test_sources_tar_gz_bomb_is_refused_and_reading_goes_on(tmp_path):
    path = tmp_path / "bomb.tar.gz"
    with tarfile.open(path, "w:gz") as tf:
        _tar_add(tf, "a_bomb.txt", bytes(30_000_000))
        _tar_add(tf, "b_ok.txt", GOOD)
    convs, errors = _read(path, options=ReadOptions(max_member_bytes=10_000_000))
    assert [(e.code, e.source) for e in errors] == [("E018", f"{path}!a_bomb.txt")]
    assert [c.id for c in convs] == ["b_ok.txt#1"]


def _patch_central_size(data: bytes, member: bytes, size: int) -> bytes:
    """Rewrite the uncompressed size that the central directory records for ``member``."""
    buf = bytearray(data)
    at = buf.find(b"PK\x01\x02")
    while at != -1:
        name_len = struct.unpack("<H", buf[at + 28 : at + 30])[0]
        if bytes(buf[at + 46 : at + 46 + name_len]) == member:
            buf[at + 24 : at + 28] = struct.pack("<I", size)
            return bytes(buf)
        at = buf.find(b"PK\x01\x02", at + 4)
    raise AssertionError("member not found")


def test_sources_member_whose_header_lies_about_its_size_is_stopped(tmp_path):
    body = b"Customer: hello?\nAgent: hello\n" * 1_500_000  # 45 MB of text that compresses ~500:1
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a_liar.txt", body)
        zf.writestr("b_ok.txt", GOOD)
    path = tmp_path / "liar.zip"
    path.write_bytes(_patch_central_size(buf.getvalue(), b"a_liar.txt", 4_000))  # claims 4 kB
    with zipfile.ZipFile(path) as zf:
        assert zf.getinfo("a_liar.txt").file_size == 4_000  # the check before reading is fooled
    convs, errors = _read(path, options=ReadOptions(max_member_bytes=10_000_000))
    assert len(errors) == 1
    assert errors[0].source == f"{path}!a_liar.txt" and errors[0].code in {"E001", "E018"}
    assert [c.id for c in convs] == ["b_ok.txt#1"]  # nothing half-read from the liar


def test_sources_corrupt_member_is_an_error_not_a_crash(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a_corrupt.txt", GOOD * 200)
        zf.writestr("b_ok.txt", GOOD)
    data = bytearray(buf.getvalue())
    start = 30 + len("a_corrupt.txt")  # first member's data follows its local header
    data[start + 5 : start + 40] = bytes(range(35))
    path = tmp_path / "corrupt.zip"
    path.write_bytes(bytes(data))
    convs, errors = _read(path)
    assert [(e.code, e.source) for e in errors] == [("E001", f"{path}!a_corrupt.txt")]
    assert [c.id for c in convs] == ["b_ok.txt#1"]


def test_sources_truncated_tar_gz_is_an_error_not_a_crash(tmp_path):
    full = tmp_path / "full.tar.gz"
    with tarfile.open(full, "w:gz") as tf:
        _tar_add(tf, "a.txt", GOOD)
        _tar_add(tf, "b.txt", b"Customer: " + base64.b64encode(os.urandom(150_000)))  # text that does not compress
    path = tmp_path / "cut.tar.gz"
    path.write_bytes(full.read_bytes()[:-60_000])
    convs, errors = _read(path)
    assert [c.id for c in convs] == ["a.txt#1"]
    assert errors and all(e.code == "E001" for e in errors)
    assert errors[0].source == f"{path}!b.txt"


@pytest.mark.parametrize("name, data, code", [
    ("empty.txt", b"", "E015"),
    ("image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" * 20, "E016"),
])
def test_sources_empty_and_binary_files(tmp_path, name, data, code):
    (tmp_path / name).write_bytes(data)
    (tmp_path / "ok.txt").write_bytes(GOOD)
    convs, errors = _read(tmp_path)
    assert [(e.code, e.source) for e in errors] == [(code, str(tmp_path / name))]
    assert [c.id for c in convs] == ["ok.txt#1"]


def test_sources_missing_path_is_e024(tmp_path):
    convs, errors = _read([tmp_path / "nope.txt", SAMPLES / "hy_call.txt"])
    assert [(e.code, e.source) for e in errors] == [("E024", str(tmp_path / "nope.txt"))]
    assert [c.id for c in convs] == ["HY-CALL-9"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_sources_named_pipe_is_skipped_not_opened(tmp_path):
    os.mkfifo(tmp_path / "a_pipe.txt")  # opening it would block forever
    (tmp_path / "b.txt").write_bytes(GOOD)
    convs, errors = _read(tmp_path)
    assert [e.code for e in errors] == ["E027"]
    assert len(convs) == 1


def test_sources_directory_walk_is_lazy(tmp_path, monkeypatch):
    for i in range(300):
        (tmp_path / f"chat_{i:03d}.txt").write_bytes(GOOD)
    opened: list[str] = []
    real_open = builtins.open

    def counting_open(file, *args, **kwargs):
        if str(file).startswith(str(tmp_path)):
            opened.append(str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", counting_open)
    stream = iter(read(tmp_path))
    first = next(stream)
    assert first.id == "chat_000.txt#1"
    assert opened == [str(tmp_path / "chat_000.txt")]
    second = next(stream)
    assert second.id == "chat_001.txt#1" and len(opened) == 2
