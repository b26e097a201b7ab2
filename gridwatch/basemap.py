"""An offline basemap: raster tiles read from one local file, MBTiles or PMTiles (no Flask).

``inspect(path)`` checks a file and says what it holds (``BasemapInfo``: format, zoom range,
bounds, attribution), or raises ``BasemapError`` with a message for a person (no such file,
not a tile file, vector tiles that Leaflet cannot draw as raster, ...). ``open_basemap(path)``
gives the process's reader of that file; ``Basemap.tile(z, x, y)`` the bytes of one tile in
the XYZ scheme Leaflet asks for (``y`` counted from the north), or None when the file has no
such tile.

Both formats are read-only and opened lazily, after gunicorn's fork: an MBTiles file (SQLite)
gets one read-only connection per thread of each process (waitress serves from a pool of
threads); a PMTiles file one descriptor per process, read with ``os.pread`` (no shared file
position between threads), its root directory decoded once and its leaf directories kept in a
small cache.

- MBTiles 1.3: a ``tiles`` table or view (``zoom_level``, ``tile_column``, ``tile_row`` in the
  TMS scheme, ``tile_data``) and a ``metadata`` table (``name``, ``format``, ``bounds``,
  ``minzoom``, ``maxzoom``, ``attribution``).
- PMTiles v3: a 127-byte header, directories of varint-coded entries keyed by Hilbert tile
  id (uncompressed or gzip), JSON metadata.
"""

from __future__ import annotations

import gzip
import hashlib
import html
import json
import os
import re
import sqlite3
import struct
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

FORMATS: dict[str, str] = {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp"}
"""The raster formats Leaflet draws in every browser, by the extension the tile URL carries."""

MAX_ZOOM = 30
"""No tile file goes deeper; a deeper request is refused before it is looked up."""

_FORMAT_NAMES = {"png": "png", "jpg": "jpg", "jpeg": "jpg", "webp": "webp"}
_VECTOR_NAMES = {"pbf", "mvt", "vector"}
_SQLITE_MAGIC = b"SQLite format 3\x00"
_PMTILES_MAGIC = b"PMTiles"


class BasemapError(ValueError):
    """A file that cannot serve as the basemap; the message says why, for a person."""


@dataclass(frozen=True)
class BasemapInfo:
    """What a tile file holds: enough for the map's tile layer and the tile route."""

    path: Path
    kind: str  # "mbtiles" or "pmtiles"
    format: str  # one of FORMATS
    minzoom: int
    maxzoom: int
    bounds: tuple[float, float, float, float] | None  # west, south, east, north (degrees)
    attribution: str  # plain text (any HTML of the file's metadata removed)
    name: str
    digest: str  # changes when the file does (path, size, modification time)

    @property
    def content_type(self) -> str:
        return FORMATS[self.format]

    @property
    def url_template(self) -> str:
        """The app's own tile URL for Leaflet (``web.tiles`` serves it)."""
        return "/basemap/{z}/{x}/{y}." + self.format

    def tilejson(self) -> dict:
        """The file's description as TileJSON 3.0 (``/basemap/metadata.json``)."""
        doc = {"tilejson": "3.0.0", "name": self.name, "attribution": self.attribution,
               "tiles": [self.url_template], "scheme": "xyz", "format": self.format,
               "minzoom": self.minzoom, "maxzoom": self.maxzoom}
        if self.bounds is not None:
            doc["bounds"] = list(self.bounds)
        return doc


def plain_text(value: object, limit: int = 500) -> str:
    """A metadata value as plain text: tags dropped, entities read, whitespace folded.

    Leaflet writes an attribution as HTML, so a file's own markup is never passed through.
    """
    text = html.unescape(re.sub(r"<[^>]*>", "", str(value or "")))
    return " ".join(text.split())[:limit]


def inspect(path: str | os.PathLike) -> BasemapInfo:
    """What the tile file at ``path`` holds; ``BasemapError`` when it cannot be the basemap."""
    path = Path(path)
    if not path.exists():
        raise BasemapError(f"no such file: {path}")
    if not path.is_file():
        raise BasemapError(f"{path} is not a file (give an .mbtiles or .pmtiles file)")
    try:
        with path.open("rb") as handle:
            head = handle.read(16)
        stat = path.stat()
    except OSError as exc:
        raise BasemapError(f"cannot read {path}: {exc.strerror or exc}") from None
    digest = hashlib.blake2b(f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}".encode(),
                             digest_size=8).hexdigest()
    if head.startswith(_SQLITE_MAGIC):
        return _inspect_mbtiles(path, digest)
    if head.startswith(_PMTILES_MAGIC):
        return _inspect_pmtiles(path, digest)
    raise BasemapError(f"{path} is not a tile file: neither MBTiles (SQLite) nor PMTiles")


def _check_zooms(path: Path, minzoom: int, maxzoom: int) -> None:
    if not 0 <= minzoom <= maxzoom <= MAX_ZOOM:
        raise BasemapError(f"{path}: zoom levels {minzoom} to {maxzoom} are not a range "
                           f"within 0 to {MAX_ZOOM}")


def _check_bounds(bounds: tuple[float, ...] | None) -> tuple[float, float, float, float] | None:
    if bounds is None or len(bounds) != 4:
        return None
    west, south, east, north = bounds
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        return None  # unusable bounds are ignored, not fatal: the tiles still draw
    return (west, south, east, north)


def _raster_format(path: Path, declared: str, sample: bytes | None) -> str:
    """The file's raster format from its metadata, else from a tile's first bytes."""
    name = declared.strip().lower()
    if name in _VECTOR_NAMES:
        raise BasemapError(f"{path} holds vector tiles ({name}); Leaflet draws only raster "
                           f"tiles: render it to PNG, JPEG or WebP first (see the README, "
                           f"Offline basemap)")
    if name in _FORMAT_NAMES:
        return _FORMAT_NAMES[name]
    if name:
        raise BasemapError(f"{path}: tile format {name!r} is not one Leaflet draws in every "
                           f"browser (png, jpg, webp)")
    sniffed = _sniff(sample or b"")
    if sniffed is None:
        raise BasemapError(f"{path}: its metadata names no tile format and its tiles are not "
                           f"PNG, JPEG or WebP images")
    return sniffed


def _sniff(data: bytes) -> str | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data.startswith(b"\x1f\x8b"):
        raise BasemapError("its tiles are gzip-compressed, as vector tiles are; Leaflet draws "
                           "only raster tiles (PNG, JPEG or WebP)")
    return None


# --- MBTiles ----------------------------------------------------------------------------------

def _connect_read_only(path: Path) -> sqlite3.Connection:
    uri = f"{path.resolve().as_uri()}?mode=ro"
    connection = sqlite3.connect(uri, uri=True, check_same_thread=False)
    connection.execute("PRAGMA query_only = ON")
    return connection


def _inspect_mbtiles(path: Path, digest: str) -> BasemapInfo:
    try:
        connection = _connect_read_only(path)
    except sqlite3.Error as exc:
        raise BasemapError(f"cannot open {path} as MBTiles: {exc}") from None
    try:
        names = {row[0] for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}
        if "tiles" not in names:
            raise BasemapError(f"{path} is an SQLite file but not MBTiles: it has no tiles "
                               f"table")
        metadata: dict[str, str] = {}
        if "metadata" in names:
            metadata = {str(k).lower(): str(v) for k, v in connection.execute(
                "SELECT name, value FROM metadata") if k is not None and v is not None}
        zooms = connection.execute("SELECT min(zoom_level), max(zoom_level) FROM tiles").fetchone()
        sample = connection.execute("SELECT tile_data FROM tiles LIMIT 1").fetchone()
    except sqlite3.Error as exc:
        raise BasemapError(f"{path} is not a readable MBTiles file: {exc}") from None
    finally:
        connection.close()
    if zooms is None or zooms[0] is None:
        raise BasemapError(f"{path} holds no tiles")
    if "json" in metadata and not metadata.get("format"):
        if "vector_layers" in metadata["json"]:
            raise BasemapError(f"{path} holds vector tiles (pbf); Leaflet draws only raster "
                               f"tiles: render it to PNG, JPEG or WebP first")
    fmt = _raster_format(path, metadata.get("format", ""), bytes(sample[0]) if sample else None)
    minzoom = _int(metadata.get("minzoom"), int(zooms[0]))
    maxzoom = _int(metadata.get("maxzoom"), int(zooms[1]))
    _check_zooms(path, minzoom, maxzoom)
    bounds = None
    try:
        parts = tuple(float(p) for p in metadata.get("bounds", "").split(","))
        bounds = _check_bounds(parts)
    except ValueError:
        bounds = None
    return BasemapInfo(path=path, kind="mbtiles", format=fmt, minzoom=minzoom, maxzoom=maxzoom,
                       bounds=bounds, attribution=plain_text(metadata.get("attribution")),
                       name=plain_text(metadata.get("name") or path.stem, 200), digest=digest)


def _int(value: str | None, default: int) -> int:
    try:
        return int(float(value)) if value not in (None, "") else default
    except (TypeError, ValueError, OverflowError):
        return default


# --- PMTiles v3 -------------------------------------------------------------------------------

_HEADER = struct.Struct("<7sB" + "Q" * 11 + "BBBBBB" + "iiii" + "Bii")
HEADER_LENGTH = 127
assert _HEADER.size == HEADER_LENGTH
_COMPRESSION = {0: "unknown", 1: "none", 2: "gzip", 3: "brotli", 4: "zstd"}
_TILE_TYPES = {0: "", 1: "mvt", 2: "png", 3: "jpg", 4: "webp", 5: "avif"}
_MAX_DEPTH = 4  # root + leaves: the format needs at most three levels
_MAX_DIRECTORY = 64 * 1024 * 1024  # the root is at most 16 KiB, leaves far less than this


@dataclass(frozen=True)
class _PMHeader:
    root_offset: int
    root_length: int
    metadata_offset: int
    metadata_length: int
    leaf_offset: int
    leaf_length: int
    data_offset: int
    data_length: int
    internal_compression: int
    tile_compression: int
    tile_type: int
    minzoom: int
    maxzoom: int
    bounds: tuple[float, float, float, float]


def _parse_header(data: bytes) -> _PMHeader:
    if len(data) < HEADER_LENGTH:
        raise BasemapError("too short for a PMTiles header")
    (magic, version, root_off, root_len, meta_off, meta_len, leaf_off, leaf_len, data_off,
     data_len, _addressed, _entries, _contents, _clustered, internal, tile_comp, tile_type,
     minzoom, maxzoom, min_lon, min_lat, max_lon, max_lat, _cz, _clon, _clat) = _HEADER.unpack(
        data[:HEADER_LENGTH])
    if magic != _PMTILES_MAGIC:
        raise BasemapError("not a PMTiles file")
    if version != 3:
        raise BasemapError(f"PMTiles version {version}; only version 3 is read (convert it with "
                           f"`pmtiles convert`)")
    return _PMHeader(root_off, root_len, meta_off, meta_len, leaf_off, leaf_len, data_off,
                     data_len, internal, tile_comp, tile_type, minzoom, maxzoom,
                     (min_lon / 1e7, min_lat / 1e7, max_lon / 1e7, max_lat / 1e7))


def _decompress(data: bytes, compression: int, what: str) -> bytes:
    if compression in (0, 1):
        return data
    if compression == 2:
        try:
            return gzip.decompress(data)
        except (OSError, EOFError, ValueError) as exc:
            raise BasemapError(f"its {what} is not valid gzip: {exc}") from None
    raise BasemapError(f"its {what} is {_COMPRESSION.get(compression, compression)}-compressed; "
                       f"only uncompressed or gzip PMTiles are read")


def _read_varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(data) or shift > 63:
            raise BasemapError("a PMTiles directory ends in the middle of a number")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


def parse_directory(data: bytes) -> list[tuple[int, int, int, int]]:
    """A decompressed PMTiles directory: (tile id, offset, length, run length) entries."""
    count, pos = _read_varint(data, 0)
    if count > len(data):  # every entry takes at least a byte per column
        raise BasemapError("a PMTiles directory claims more entries than it holds")
    columns = []
    for _ in range(3):
        column = []
        for _ in range(count):
            value, pos = _read_varint(data, pos)
            column.append(value)
        columns.append(column)
    ids, runs, lengths = columns
    offsets = []
    for i in range(count):
        value, pos = _read_varint(data, pos)
        if value == 0 and i > 0:
            offsets.append(offsets[i - 1] + lengths[i - 1])
        else:
            offsets.append(value - 1)
    entries, tile_id = [], 0
    for i in range(count):
        tile_id += ids[i]
        entries.append((tile_id, offsets[i], lengths[i], runs[i]))
    return entries


def tile_id(z: int, x: int, y: int) -> int:
    """The PMTiles id of tile z/x/y: the tiles of lower zooms, then the Hilbert index."""
    if not 0 <= z <= MAX_ZOOM or not (0 <= x < 1 << z and 0 <= y < 1 << z):
        raise ValueError(f"no tile {z}/{x}/{y}")
    acc = ((1 << (2 * z)) - 1) // 3
    d = 0
    s = 1 << z >> 1
    while s > 0:
        rx = 1 if x & s else 0
        ry = 1 if y & s else 0
        d += s * s * ((3 * rx) ^ ry)
        if ry == 0:  # rotate the quadrant (on the low bits, as the reference code does)
            if rx == 1:
                x = s - 1 - x
                y = s - 1 - y
            x, y = y, x
        s >>= 1
    return acc + d


def _find(entries: list[tuple[int, int, int, int]], wanted: int):
    lo, hi = 0, len(entries) - 1
    while lo <= hi:
        mid = (lo + hi) >> 1
        if entries[mid][0] < wanted:
            lo = mid + 1
        elif entries[mid][0] > wanted:
            hi = mid - 1
        else:
            return entries[mid]
    if hi >= 0:
        entry = entries[hi]
        if entry[3] == 0 or wanted - entry[0] < entry[3]:
            return entry
    return None


def _inspect_pmtiles(path: Path, digest: str) -> BasemapInfo:
    try:
        with path.open("rb") as handle:
            header = _parse_header(handle.read(HEADER_LENGTH))
            size = path.stat().st_size
            raw_meta = b""
            if (header.metadata_offset + header.metadata_length <= size
                    and header.metadata_length <= 16 * 1024 * 1024):
                handle.seek(header.metadata_offset)
                raw_meta = handle.read(header.metadata_length)
    except BasemapError as exc:
        raise BasemapError(f"{path}: {exc}") from None
    except (OSError, OverflowError) as exc:
        raise BasemapError(f"cannot read {path}: {exc}") from None
    kind = _TILE_TYPES.get(header.tile_type, "unknown")
    if kind == "mvt":
        raise BasemapError(f"{path} holds vector tiles (mvt); Leaflet draws only raster tiles: "
                           f"render it to PNG, JPEG or WebP first (see the README, Offline "
                           f"basemap)")
    metadata: dict = {}
    try:
        text = _decompress(raw_meta, header.internal_compression, "metadata")
        loaded = json.loads(text or b"{}")
        metadata = loaded if isinstance(loaded, dict) else {}
    except BasemapError as exc:
        raise BasemapError(f"{path}: {exc}") from None
    except (ValueError, UnicodeDecodeError, RecursionError):
        metadata = {}  # unreadable metadata costs the attribution and name, not the tiles
    if header.tile_compression not in (0, 1, 2):
        raise BasemapError(f"{path}: its tiles are "
                           f"{_COMPRESSION.get(header.tile_compression, '?')}-compressed; only "
                           f"uncompressed or gzip tiles are read")
    try:
        reader = _PMTilesReader(path, header)
    except OSError as exc:
        raise BasemapError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        reader.root()  # the root directory must read
        sample = reader.first_tile() if kind == "" else None
    except BasemapError as exc:
        raise BasemapError(f"{path}: {exc}") from None
    finally:
        reader.close()
    fmt = _raster_format(path, kind, sample)
    _check_zooms(path, header.minzoom, header.maxzoom)
    return BasemapInfo(path=path, kind="pmtiles", format=fmt, minzoom=header.minzoom,
                       maxzoom=header.maxzoom, bounds=_check_bounds(header.bounds),
                       attribution=plain_text(metadata.get("attribution")),
                       name=plain_text(metadata.get("name") or path.stem, 200), digest=digest)


class _PMTilesReader:
    """Reads one PMTiles file: ``os.pread`` on one descriptor, directories cached."""

    def __init__(self, path: Path, header: _PMHeader) -> None:
        self.path = path
        self.header = header
        self.size = path.stat().st_size
        self._fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        self._lock = threading.Lock()
        self._root: list | None = None
        self._leaves: OrderedDict[tuple[int, int], list] = OrderedDict()

    def close(self) -> None:
        try:
            os.close(self._fd)
        except OSError:
            pass

    def _read(self, offset: int, length: int) -> bytes:
        if offset < 0 or length < 0 or offset + length > self.size:
            raise BasemapError("a PMTiles entry points past the end of the file")
        if hasattr(os, "pread"):
            return os.pread(self._fd, length, offset)
        with self._lock:  # no pread (Windows): one shared file position
            os.lseek(self._fd, offset, os.SEEK_SET)
            return os.read(self._fd, length)

    def _directory(self, offset: int, length: int) -> list:
        if length > _MAX_DIRECTORY:
            raise BasemapError("a PMTiles directory is implausibly large")
        data = _decompress(self._read(offset, length), self.header.internal_compression,
                           "directory")
        return parse_directory(data)

    def root(self) -> list:
        if self._root is None:
            self._root = self._directory(self.header.root_offset, self.header.root_length)
        return self._root

    def _leaf(self, offset: int, length: int) -> list:
        key = (offset, length)
        with self._lock:
            if key in self._leaves:
                self._leaves.move_to_end(key)
                return self._leaves[key]
        entries = self._directory(self.header.leaf_offset + offset, length)
        with self._lock:
            self._leaves[key] = entries
            while len(self._leaves) > 64:
                self._leaves.popitem(last=False)
        return entries

    def tile(self, z: int, x: int, y: int) -> bytes | None:
        wanted = tile_id(z, x, y)
        entries = self.root()
        for _ in range(_MAX_DEPTH):
            entry = _find(entries, wanted)
            if entry is None:
                return None
            _, offset, length, run = entry
            if run > 0:
                data = self._read(self.header.data_offset + offset, length)
                if self.header.tile_compression == 2:
                    data = _decompress(data, 2, "tile")
                return data
            entries = self._leaf(offset, length)
        return None

    def first_tile(self) -> bytes | None:
        entries = self.root()
        for _ in range(_MAX_DEPTH):
            if not entries:
                return None
            _, offset, length, run = entries[0]
            if run > 0:
                return self._read(self.header.data_offset + offset, min(length, 64))
            entries = self._leaf(offset, length)
        return None


# --- the process's reader -----------------------------------------------------------------------

@dataclass
class Basemap:
    """The reader of one tile file in this process: opened on first use, again after a fork."""

    info: BasemapInfo
    _pid: int = field(default=-1, repr=False)
    _local: threading.local = field(default_factory=threading.local, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _pmtiles: _PMTilesReader | None = field(default=None, repr=False)

    def tile(self, z: int, x: int, y: int) -> bytes | None:
        """Tile z/x/y (XYZ, y from the north), or None when the file has none there."""
        if not (0 <= z <= MAX_ZOOM and 0 <= x < 1 << z and 0 <= y < 1 << z):
            return None
        if z < self.info.minzoom or z > self.info.maxzoom:
            return None
        if self.info.kind == "mbtiles":
            row = self._connection().execute(
                "SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? "
                "AND tile_row = ?", (z, x, (1 << z) - 1 - y)).fetchone()
            return bytes(row[0]) if row and row[0] is not None else None
        return self._reader().tile(z, x, y)

    def _fresh(self) -> None:
        """After a fork, forget the parent's connections and descriptor and open anew.

        What the parent opened is kept referenced, never closed or used here: closing an
        SQLite connection inherited through a fork could disturb the parent's."""
        pid = os.getpid()
        if self._pid != pid:
            with self._lock:
                if self._pid != pid:
                    _INHERITED.append((self._local, self._pmtiles))
                    self._local = threading.local()
                    self._pmtiles = None
                    self._pid = pid

    def _connection(self) -> sqlite3.Connection:
        self._fresh()
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = _connect_read_only(self.info.path)
            self._local.connection = connection
        return connection

    def _reader(self) -> _PMTilesReader:
        self._fresh()
        reader = self._pmtiles
        if reader is None:
            with self._lock:
                if self._pmtiles is None:
                    with self.info.path.open("rb") as handle:
                        header = _parse_header(handle.read(HEADER_LENGTH))
                    self._pmtiles = _PMTilesReader(self.info.path, header)
                reader = self._pmtiles
        return reader


_INHERITED: list = []  # what a parent process had opened (see Basemap._fresh)
_OPEN: dict[Path, Basemap] = {}
_OPEN_LOCK = threading.Lock()


def open_basemap(path: str | os.PathLike) -> Basemap:
    """This process's reader of the tile file at ``path`` (checked once, then shared)."""
    key = Path(path).resolve()
    with _OPEN_LOCK:
        basemap = _OPEN.get(key)
        if basemap is None:
            basemap = _OPEN[key] = Basemap(inspect(key))
        return basemap
