"""Checks on uploaded files before anything reads them: size, and zip archives.

A zip is inspected from its central directory before a single byte is
extracted: entries with absolute paths, drive letters or `..` (zip slip),
links, too many entries, and zip bombs are refused with a message. A bomb is a
huge declared total, an archive whose entries together inflate far beyond the
archive's size (150 entries of 1 MiB of zeros in 170 KB), or one entry that
inflates far beyond its compressed size; whatever the size of each entry. Extraction
then goes only into a folder the caller owns (a TemporaryDirectory) and counts
the bytes really written, since a forged header may under-declare them.
"""
from __future__ import annotations

import stat
import zipfile
from pathlib import Path, PurePosixPath

import settings

MAX_ZIP_ENTRIES = 200
# Boundary files compress 2–10×; a run of zeros compresses about 1000×.
MAX_COMPRESSION_RATIO = 100
# Below this, ratios say nothing (a few hundred bytes of text may compress 100×) and cost nothing.
RATIO_FLOOR = 64 * 1024
_CHUNK = 1 << 20


class UnsafeUpload(ValueError):
    """The file is refused; the message says why, in words the uploader can act on."""


def max_upload_bytes() -> int:
    return settings.get_int("MAX_UPLOAD_MB") * 1024 * 1024


def max_uncompressed_bytes() -> int:
    """An archive may inflate to at most ten times the upload limit."""
    return 10 * max_upload_bytes()


def check_size(path: Path) -> int:
    """The file's size in bytes; UnsafeUpload when it is over MAX_UPLOAD_MB."""
    size = path.stat().st_size
    limit = settings.get_int("MAX_UPLOAD_MB")
    if size > max_upload_bytes():
        raise UnsafeUpload(f"{path.name} is {size / 1024 / 1024:.1f} MB; the limit is {limit} MB (MAX_UPLOAD_MB).")
    return size


def _unsafe_name(name: str) -> str | None:
    """Why an entry name is refused, or None when it stays inside the folder."""
    if "\x00" in name:
        return "contains a NUL character"
    posix = name.replace("\\", "/")
    if posix.startswith("/") or (len(posix) > 1 and posix[1] == ":"):
        return "is an absolute path"
    if ".." in PurePosixPath(posix).parts:
        return "contains '..'"
    return None


def check_zip(path: Path) -> list[zipfile.ZipInfo]:
    """The archive's file entries, after refusing zip slip, links and zip bombs (nothing extracted)."""
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise UnsafeUpload(f"{path.name} is not a readable zip archive ({exc}).") from None
    with archive:
        entries = archive.infolist()
    if len(entries) > MAX_ZIP_ENTRIES:
        raise UnsafeUpload(f"{path.name} has {len(entries)} entries; at most {MAX_ZIP_ENTRIES} are accepted.")
    total = 0
    for entry in entries:
        reason = _unsafe_name(entry.filename)
        if reason:
            raise UnsafeUpload(f"{path.name} refused: entry {entry.filename!r} {reason}.")
        if stat.S_ISLNK(entry.external_attr >> 16):
            raise UnsafeUpload(f"{path.name} refused: entry {entry.filename!r} is a symbolic link.")
        if entry.flag_bits & 0x1:
            raise UnsafeUpload(f"{path.name} refused: entry {entry.filename!r} is encrypted.")
        total += entry.file_size
    if total > max_uncompressed_bytes():
        raise UnsafeUpload(
            f"{path.name} refused as a zip bomb: it would inflate to {total / 1024 / 1024:.0f} MB "
            f"(limit {max_uncompressed_bytes() / 1024 / 1024:.0f} MB).")
    archive_size = max(path.stat().st_size, 1)
    if total > RATIO_FLOOR and total > MAX_COMPRESSION_RATIO * archive_size:
        raise UnsafeUpload(
            f"{path.name} refused as a zip bomb: its {len(entries)} entries would inflate to "
            f"{total / 1024 / 1024:.0f} MB from {archive_size / 1024:.0f} KB "
            f"({total / archive_size:.0f}×, limit {MAX_COMPRESSION_RATIO}×).")
    for entry in entries:
        if entry.file_size > RATIO_FLOOR and entry.file_size > MAX_COMPRESSION_RATIO * max(entry.compress_size, 1):
            raise UnsafeUpload(
                f"{path.name} refused as a zip bomb: {entry.filename!r} would inflate "
                f"{entry.file_size / max(entry.compress_size, 1):.0f}× (limit {MAX_COMPRESSION_RATIO}×).")
    return [entry for entry in entries if not entry.is_dir()]


def extract_zip(path: Path, folder: Path) -> list[Path]:
    """Check the archive, then extract its files under `folder` only; the paths written.

    Bytes are counted while writing, so an entry whose header lies about its
    size still stops at the limit.
    """
    entries = check_zip(path)
    root = folder.resolve()
    budget = max_uncompressed_bytes()
    written = []
    with zipfile.ZipFile(path) as archive:
        for entry in entries:
            target = (root / entry.filename.replace("\\", "/")).resolve()
            if root not in target.parents:
                raise UnsafeUpload(f"{path.name} refused: entry {entry.filename!r} leaves the folder.")
            target.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(entry) as source, open(target, "wb") as sink:
                while chunk := source.read(_CHUNK):
                    budget -= len(chunk)
                    if budget < 0:
                        raise UnsafeUpload(f"{path.name} refused as a zip bomb: it inflates beyond "
                                           f"{max_uncompressed_bytes() / 1024 / 1024:.0f} MB.")
                    sink.write(chunk)
            written.append(target)
    return written
