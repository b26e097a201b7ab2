"""The one zip guard: every archive that comes in (an XLSX workbook, a zipped Shapefile) is
opened through ``unzip``.

An archive is hostile until read. Its central directory is checked first (member count, paths
that escape the archive, names given twice, encrypted members, symbolic links, devices and other
members that are not plain files or folders, declared sizes and compression ratios); then every
member is really decompressed, in chunks, counting the bytes that come out, so a member whose
header understates its size, or an archive whose members overlap, is stopped at the cap instead
of filling memory, and a member that gives fewer bytes than it declares, or bytes that fail its
CRC, is refused as damaged. Whatever the zip reader raises on a hostile archive comes out as an
``ArchiveError``: no traceback, no 500.
"""

from __future__ import annotations

import io
import stat
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from gridwatch.ingest.errors import LocalisedError, Phrase, say

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


_READ_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, RuntimeError,
                NotImplementedError, ValueError, OSError, struct.error, KeyError, IndexError,
                OverflowError)
"""What the zip reader raises on a damaged or hostile archive (a wrong CRC, a truncated stream,
encryption, an unknown compression method or zip version, a member that overlaps another, a
name that is not UTF-8...)."""

_MASK_ENCRYPTED = 0x1  # general purpose bit 0: the member is encrypted
_MASK_UTF8 = 0x800  # general purpose bit 11: the member's name is UTF-8
_LOCAL_FLAGS = struct.Struct("<4s2xH")  # a local file header's signature and flags

_SPECIAL = {stat.S_IFLNK: say("zip.kind.symlink"), stat.S_IFCHR: say("zip.kind.device"),
            stat.S_IFBLK: say("zip.kind.device"), stat.S_IFIFO: say("zip.kind.fifo"),
            stat.S_IFSOCK: say("zip.kind.socket")}
"""Unix file types a member may claim (``external_attr >> 16``) that are not plain files or
folders, and the words for them; any other type that is not a file or a folder reads
``zip.kind.other``."""


def member_name(info: zipfile.ZipInfo) -> str:
    """A member's name as its writer meant it.

    A name without the UTF-8 flag is read as CP437 by the zip reader (the format's old
    default); Chinese Windows tools (the Explorer's compressed folders, WinRAR, 7-Zip, most GIS
    software) write such names in the system code page, GBK, so ``乡镇.shp`` would read as
    ``╧τ╒≥.shp``. Such a name is decoded as UTF-8 when its bytes are valid UTF-8 (tools that
    write UTF-8 without setting the flag), else as GB18030 (a superset of GBK) when they are
    valid there, else left as read.
    """
    name = info.filename
    if info.flag_bits & _MASK_UTF8 or name.isascii():
        return name
    try:
        raw = name.encode("cp437")
    except UnicodeEncodeError:  # not a CP437 reading: leave it
        return name
    for encoding in ("utf-8", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return name


def _escapes(path: str) -> bool:
    parts = path.replace("\\", "/").split("/")
    return path.startswith(("/", "\\")) or ".." in parts or ":" in parts[0]


def _special(info: zipfile.ZipInfo) -> Phrase | None:
    """What a member is when it is neither a plain file nor a folder (a symbolic link, a
    device...), by the Unix mode in its external attributes; None for files and folders."""
    kind = stat.S_IFMT(info.external_attr >> 16)
    if kind in (0, stat.S_IFREG, stat.S_IFDIR):  # 0: no Unix mode given (DOS, Windows tools)
        return None
    return _SPECIAL.get(kind, say("zip.kind.other"))


def _encrypted(data: bytes, info: zipfile.ZipInfo) -> bool:
    """Whether the central directory or the member's own local header says it is encrypted
    (the zip reader trusts the central directory alone)."""
    if info.flag_bits & _MASK_ENCRYPTED:
        return True
    start = info.header_offset
    header = data[start:start + _LOCAL_FLAGS.size]
    if len(header) < _LOCAL_FLAGS.size:
        return False  # no local header there: the read reports the archive as damaged
    signature, flags = _LOCAL_FLAGS.unpack(header)
    return signature == b"PK\x03\x04" and bool(flags & _MASK_ENCRYPTED)


def check_members(archive: zipfile.ZipFile, name: str, limits: ZipLimits = STRICT,
                  data: bytes | None = None) -> None:
    """Refuse an archive by its central directory: too many members, paths escaping the
    archive, a name given twice, an encrypted member, a member that is a symbolic link, a
    device or anything else but a file or a folder, a member that declares a zip-bomb ratio,
    or a declared total over the cap. With the archive's bytes (``data``), each member's local
    header is checked for encryption too.

    Raises
    ------
    ArchiveError
    """
    members = archive.infolist()
    if len(members) > limits.members:
        raise ArchiveError("zip.members", name=name, n=len(members), max=limits.members)
    total = 0
    seen: set[str] = set()
    for info in members:
        decoded = member_name(info)
        member = decoded[:80]
        if _escapes(info.filename) or _escapes(decoded):
            raise ArchiveError("zip.escape", name=name, member=member)
        key = decoded.replace("\\", "/")
        if key in seen:
            raise ArchiveError("zip.duplicate_member", name=name, member=member)
        seen.add(key)
        special = _special(info)
        if special is not None:
            raise ArchiveError("zip.special_member", name=name, member=member, kind=special)
        if info.flag_bits & _MASK_ENCRYPTED or (data is not None and _encrypted(data, info)):
            raise ArchiveError("zip.encrypted", name=name, member=member)
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
        Every member that is a file, by its path in the archive (decoded by
        ``member_name``); None for members ``keep`` declined.

    Raises
    ------
    ArchiveError
        When the file is not a readable zip archive or breaks a limit, naming the problem.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except _READ_ERRORS as exc:
        raise ArchiveError("zip.damaged", name=name, detail=str(exc)[:120]) from None
    out: dict[str, bytes | None] = {}
    with archive:
        check_members(archive, name, limits, data)
        budget = limits.total_bytes
        for info in archive.infolist():
            if info.is_dir():
                continue
            path = member_name(info)
            wanted = keep is None or keep(path)
            content, size = _read_member(archive, info, name, budget, wanted)
            budget -= size
            out[path] = content
    return out


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, budget: int,
                 wanted: bool) -> tuple[bytes | None, int]:
    """Decompress one member in chunks; stop as soon as it gives more than it declared or
    more than the archive's remaining budget, and refuse it when it gives fewer bytes than it
    declared or the zip reader finds it damaged."""
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
    except _READ_ERRORS:
        # A wrong CRC after the declared size (CPython stops there), encryption, an unknown
        # compression method or a truncated stream: the member is not what its header says.
        raise ArchiveError("zip.member_unreadable", name=name,
                           member=member_name(info)[:80]) from None
    if size != info.file_size:  # fewer bytes than declared: the header lies about the size
        raise ArchiveError("zip.member_unreadable", name=name, member=member_name(info)[:80])
    return (b"".join(chunks) if wanted else None), size
