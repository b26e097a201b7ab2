"""The one zip guard: every archive that comes in (an XLSX workbook, a zipped Shapefile) is
opened through ``unzip``.

An archive is hostile until read. Its central directory is checked first (member count, paths
that escape the archive, declared sizes and compression ratios); then every member is really
decompressed, in chunks, counting the bytes that come out, so a member whose header understates
its size, or an archive whose members overlap, is stopped at the cap instead of filling memory.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from gridwatch.ingest.errors import LocalisedError

MiB = 1024 * 1024
CHUNK = 64 * 1024


@dataclass(frozen=True)
class ZipLimits:
    """What an archive may hold.

    Parameters
    ----------
    members : int
        The most members (files and folders).
    total_bytes : int
        The most bytes all members together may decompress to (really read, not declared).
    ratio : int
        The largest decompressed/compressed ratio of a member larger than ``ratio_from``.
    ratio_from : int
        Members up to this size may compress as well as they like (a few repeated XML lines).
    """

    members: int = 200
    total_bytes: int = 64 * MiB
    ratio: int = 100
    ratio_from: int = 1 * MiB


STRICT = ZipLimits()
"""The limits every caller uses: the stricter of the two guards this one replaced (the table
upload's 64 MiB total, the boundary import's 200 members and ratio 100). A county's complete
boundary set as Shapefiles is about 1 MiB unzipped and a 5000-row workbook a few MiB, so neither
caller needs more."""


class ArchiveError(LocalisedError):
    """An archive refused by the guard; ``message(lang)`` names the archive and the problem."""


def _escapes(path: str) -> bool:
    parts = path.replace("\\", "/").split("/")
    return path.startswith(("/", "\\")) or ".." in parts or ":" in parts[0]


def check_members(archive: zipfile.ZipFile, name: str, limits: ZipLimits = STRICT) -> None:
    """Refuse an archive by its central directory: too many members, paths escaping the
    archive, a member that declares a zip-bomb ratio, or a declared total over the cap.

    Raises
    ------
    ArchiveError
    """
    members = archive.infolist()
    if len(members) > limits.members:
        raise ArchiveError("zip.members", name=name, n=len(members), max=limits.members)
    total = 0
    for info in members:
        if _escapes(info.filename):
            raise ArchiveError("zip.escape", name=name, member=info.filename[:80])
        total += info.file_size
        if info.file_size > limits.ratio_from \
                and info.file_size / max(info.compress_size, 1) > limits.ratio:
            raise ArchiveError("zip.bomb", name=name)
    if total > limits.total_bytes:
        raise ArchiveError("zip.too_big", name=name, mb=total // MiB,
                           max=limits.total_bytes // MiB)


def unzip(data: bytes, name: str, limits: ZipLimits = STRICT,
          keep: Callable[[str], bool] | None = None) -> dict[str, bytes | None]:
    """Check an archive and decompress its members, never reading more than ``limits`` allow.

    Parameters
    ----------
    data : bytes
        The archive.
    name : str
        Its file name, for messages.
    limits : ZipLimits
        The caller's limits (``STRICT`` unless the caller documents why it needs more).
    keep : callable, optional
        Which members' bytes to return (by path); the others are decompressed all the same, to
        count what they really hold, and dropped chunk by chunk. Default: all.

    Returns
    -------
    dict of str to bytes or None
        Every member that is a file, by its path in the archive; None for members ``keep``
        declined.

    Raises
    ------
    ArchiveError
        When the file is not a readable zip archive or breaks a limit, naming the problem.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as exc:
        raise ArchiveError("zip.damaged", name=name, detail=str(exc)[:120]) from None
    out: dict[str, bytes | None] = {}
    with archive:
        check_members(archive, name, limits)
        budget = limits.total_bytes
        for info in archive.infolist():
            if info.is_dir():
                continue
            wanted = keep is None or keep(info.filename)
            content, size = _read_member(archive, info, name, budget, wanted)
            budget -= size
            out[info.filename] = content
    return out


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, budget: int,
                 wanted: bool) -> tuple[bytes | None, int]:
    """Decompress one member in chunks; stop as soon as it gives more than it declared or
    more than the archive's remaining budget."""
    allowed = min(info.file_size, budget)
    chunks, size = [], 0
    try:
        with archive.open(info) as member:
            while True:
                chunk = member.read(min(CHUNK, allowed + 1 - size))
                if not chunk:
                    break
                size += len(chunk)
                if size > allowed:  # more than the header declared, or than the total allows
                    raise ArchiveError("zip.bomb", name=name)
                if wanted:
                    chunks.append(chunk)
    except ArchiveError:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, RuntimeError, NotImplementedError,
            ValueError, OSError):
        # A wrong CRC after the declared size (CPython stops there), encryption, an unknown
        # compression method or a truncated stream: the member is not what its header says.
        raise ArchiveError("zip.member_unreadable", name=name,
                           member=info.filename[:80]) from None
    return (b"".join(chunks) if wanted else None), size
