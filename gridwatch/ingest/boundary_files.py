"""Boundary files in: GeoPackage, zipped Shapefile or GeoJSON, read safely into raw layers.

Every uploaded file is treated as hostile until read: its size is capped, its first bytes must
match its extension, archives go through the one zip guard (``gridwatch.ingest.archives``: zip
bombs, members whose path escapes the archive, a cap on the bytes really decompressed), and
GeoJSON goes through the one strict JSON reader (``gridwatch.ingest.jsonsafe``: no NaN, no
Infinity, no duplicate keys, bounded nesting). Files are read from a private temporary folder
that is removed afterwards; nothing is written anywhere else.

A GeoJSON file may hold a FeatureCollection, one Feature, or a bare JSON array of Features.

Which layer a file holds comes from the layer names inside a GeoPackage, or from a file's (or
archive member's) name (``townships.shp``, ``grids.geojson``, ``乡镇.shp``), or from an explicit
mapping given by the caller.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import geopandas as gpd
import numpy as np
import pyogrio
import shapely

from gridwatch.ingest.archives import STRICT, unzip
from gridwatch.ingest.errors import LocalisedError
from gridwatch.ingest.jsonsafe import JSONError, loads_strict

MAX_BOUNDARY_BYTES = 50 * 1024 * 1024
"""The largest boundary file accepted (bytes)."""

MAX_FEATURE_VERTICES = 200_000
"""The most vertices one feature (a township, village or grid polygon) may have. The demo
county's largest feature has under 300 and its whole set about 40,000; a township outline
digitised at survey detail has a few thousand to some tens of thousands. A feature with more is
a densified or generated geometry (a 1,000,000-vertex grid polygon), refused before any check
spends seconds on it: simplify it first."""

MAX_FILE_VERTICES = 1_000_000
"""The most vertices one file may hold, over all its layers and features: 25 times the demo
county's set, room for a county or a small prefecture at survey detail (typically 100,000 to
500,000). The checks (overlaps, gaps, nesting) take about a minute per million vertices on two
cores; a larger set (a whole prefecture at full detail) should be simplified to the map's
precision (about 1 m) or imported per county."""

GEOJSON_MAX_DEPTH = 16
"""The deepest nesting a GeoJSON file may have: a MultiPolygon's coordinates are 8 containers
deep (collection, features, feature, geometry, coordinates, polygon, ring, point); the rest is
room for nested properties. (The API's bodies need only 6.)"""

LAYER_ALIASES: dict[str, tuple[str, ...]] = {
    "county": ("county", "counties", "县", "县界"),
    "neighbours": ("neighbours", "neighbors", "neighbour_counties", "周边县"),
    "townships": ("townships", "township", "towns", "town", "xiangzhen", "乡镇", "乡镇界"),
    "villages": ("villages", "village", "communities", "村", "村社", "村界"),
    "grids": ("grids", "grid", "wangge", "网格"),
    "checkpoints": ("checkpoints", "checkpoint", "卡口"),
    "quarantine_sites": ("quarantine_sites", "quarantine", "隔离点"),
}
"""Names a layer (or a single-layer file) may carry, per layer; compared without case."""

SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")
_IGNORED_MEMBERS = (".qix", ".sbn", ".sbx", ".xml", ".qmd", ".txt", ".md")

_MAGIC = {
    "gpkg": (b"SQLite format 3\x00",),
    "zip": (b"PK\x03\x04", b"PK\x05\x06"),
}
_SHP_MAGIC = b"\x00\x00\x27\x0a"  # file code 9994, big-endian


class BoundaryError(LocalisedError):
    """A boundary import refused as a whole; nothing was stored.

    Its messages are the catalogue's ``boundary.*`` keys (``key`` is given without the
    prefix); it is the one localised error type (``LocalisedError``) like every other refusal.
    """

    namespace = "boundary."


@dataclass
class RawLayer:
    """One layer as read from a file, before any checking.

    ``crs_declared`` says whether the file named its coordinate system (a GeoJSON file without a
    ``crs`` member, a Shapefile without ``.prj`` or a GeoPackage layer with an undefined SRS
    does not); ``frame.crs`` is then whatever the reader assumed and must not be trusted.
    """

    name: str
    source: str
    frame: gpd.GeoDataFrame
    crs_declared: bool


def layer_for(stem: str) -> str | None:
    """The layer a file or GeoPackage layer called ``stem`` holds, or None if unknown."""
    key = stem.strip().lower().replace("-", "_").replace(" ", "_")
    for layer, aliases in LAYER_ALIASES.items():
        if key in aliases:
            return layer
    return None


def file_kind(filename: str, data: bytes) -> str:
    """``gpkg``, ``zip`` or ``geojson``: what the file is, checked against its extension.

    Raises
    ------
    BoundaryError
        When the extension is not supported, the file is too large or empty, or its content is
        not what its extension says.
    """
    name = filename or "?"
    if len(data) > MAX_BOUNDARY_BYTES:
        raise BoundaryError("too_large", name=name, mb=MAX_BOUNDARY_BYTES // (1024 * 1024))
    if not data:
        raise BoundaryError("empty_file", name=name)
    ext = PurePosixPath(name.lower()).suffix
    claimed = {".gpkg": "gpkg", ".zip": "zip", ".geojson": "geojson", ".json": "geojson"}.get(ext)
    if claimed is None:
        raise BoundaryError("unsupported_type", name=name)
    actual = sniff(data)
    if actual != claimed:
        raise BoundaryError("not_what_it_says", name=name, ext=ext, actual=actual)
    return claimed


def sniff(data: bytes) -> str:
    """What the first bytes say a file is: ``gpkg``, ``zip``, ``geojson`` or ``unknown``."""
    for kind, magics in _MAGIC.items():
        if any(data.startswith(m) for m in magics):
            return kind
    head = data[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    return "geojson" if head.startswith((b"{", b"[")) else "unknown"


def read_boundary_files(files: list[tuple[str, bytes]],
                        layer_names: dict[str, str] | None = None) -> list[RawLayer]:
    """Read uploaded boundary files into raw layers.

    Parameters
    ----------
    files : list of (str, bytes)
        File names and contents: one GeoPackage, zipped Shapefiles, GeoJSON files, or a mix.
    layer_names : dict of str to str, optional
        File name → layer, for single-layer files whose name does not say their layer.

    Returns
    -------
    list of RawLayer
        One per layer found.

    Raises
    ------
    BoundaryError
        When a file is unsafe, not what it says, unreadable, or a layer is given twice.
    """
    layer_names = {k: v for k, v in (layer_names or {}).items()}
    layers: list[RawLayer] = []
    with tempfile.TemporaryDirectory(prefix="gw-boundaries-") as tmp:
        folder = Path(tmp)
        for index, (filename, data) in enumerate(files):
            kind = file_kind(filename, data)
            forced = layer_names.get(filename) or layer_names.get(Path(filename).name)
            if kind == "gpkg":
                found = _read_gpkg(folder, index, filename, data)
            elif kind == "zip":
                found = _read_zip(folder, index, filename, data, forced)
            else:
                found = [_read_geojson(folder, index, filename, data, forced)]
            check_vertices(filename, found)
            layers += found
    seen: dict[str, str] = {}
    for layer in layers:
        if layer.name in seen:
            raise BoundaryError("layer_twice", layer=layer.name, first=seen[layer.name],
                                second=layer.source)
        seen[layer.name] = layer.source
    return layers


_CODE_COLUMNS = ("code", "id", "gid", "编码", "代码")


def _feature_code(frame: gpd.GeoDataFrame, row: int) -> str:
    """The code of feature ``row`` (0-based) as the file gives it, or "—"."""
    columns = {str(c).strip().lower(): c for c in frame.columns if c != frame.geometry.name}
    for name in _CODE_COLUMNS:
        if name in columns:
            return str(frame.iloc[row][columns[name]])[:40]
    return "—"


def check_vertices(filename: str, layers: list[RawLayer],
                   per_feature: int = MAX_FEATURE_VERTICES,
                   per_file: int = MAX_FILE_VERTICES) -> None:
    """Refuse a file with a feature of more than ``per_feature`` vertices or more than
    ``per_file`` in all, right after it is read and before anything else is done with it.

    Raises
    ------
    BoundaryError
        ``too_many_vertices`` naming the layer, the feature (its row in the layer, from 1, and
        its code) and the count; or ``too_many_vertices_file`` with the file's total.
    """
    total = 0
    for layer in layers:
        counts = shapely.get_num_coordinates(layer.frame.geometry.to_numpy())
        if len(counts) and int(counts.max()) > per_feature:
            row = int(np.argmax(counts))
            raise BoundaryError("too_many_vertices", file=layer.source, layer=layer.name,
                                row=row + 1, code=_feature_code(layer.frame, row),
                                n=int(counts[row]), max=per_feature)
        total += int(counts.sum())
    if total > per_file:
        raise BoundaryError("too_many_vertices_file", file=filename, n=total, max=per_file)


def _name_layer(stem: str, source: str, forced: str | None) -> str:
    name = forced or layer_for(stem)
    if name is None or name not in LAYER_ALIASES:
        raise BoundaryError("unknown_layer", name=source,
                            layers=", ".join(("townships", "villages", "grids", "checkpoints")))
    return name


def _read(path: Path, layer: str | None = None, encoding: str | None = None) -> gpd.GeoDataFrame:
    try:
        return pyogrio.read_dataframe(path, layer=layer, encoding=encoding)
    except Exception as exc:  # GDAL raises many kinds of error on a damaged file
        raise BoundaryError("unreadable", name=path.name, reason=str(exc)[:160]) from None


def _read_gpkg(folder: Path, index: int, filename: str, data: bytes) -> list[RawLayer]:
    path = folder / f"{index}.gpkg"
    path.write_bytes(data)
    try:
        listed = pyogrio.list_layers(path)
    except Exception as exc:
        raise BoundaryError("unreadable", name=filename, reason=str(exc)[:160]) from None
    out = []
    for layer_name, _geometry_type in listed:
        name = layer_for(str(layer_name))
        if name is None:
            continue  # other layers (styles, metadata) are none of our business
        try:
            declared = pyogrio.read_info(path, layer=layer_name)["crs"] is not None
        except Exception as exc:
            raise BoundaryError("unreadable", name=filename, reason=str(exc)[:160]) from None
        frame = _read(path, layer=str(layer_name))
        out.append(RawLayer(name, f"{filename}:{layer_name}", frame, declared))
    if not out:
        raise BoundaryError("no_layers", name=filename,
                            layers=", ".join(("townships", "villages", "grids", "checkpoints")))
    return out


def _read_zip(folder: Path, index: int, filename: str, data: bytes,
              forced: str | None) -> list[RawLayer]:
    members = unzip(data, filename, STRICT,
                    keep=lambda path: PurePosixPath(path).suffix.lower() in SHAPEFILE_PARTS)
    groups: dict[str, dict[str, bytes]] = {}
    for path, content in members.items():
        if "__MACOSX" in path:
            continue
        member = PurePosixPath(path.replace("\\", "/"))
        ext = member.suffix.lower()
        if ext in _IGNORED_MEMBERS:
            continue
        if ext not in SHAPEFILE_PARTS:
            raise BoundaryError("zip_unexpected", name=filename, member=path[:80])
        groups.setdefault(str(member.with_suffix("")), {})[ext] = content
    if not groups:
        raise BoundaryError("no_shapefile", name=filename)
    if forced and len(groups) > 1:
        raise BoundaryError("layer_forced_many", name=filename)
    out = []
    for n, (stem, contents) in enumerate(sorted(groups.items())):
        missing = [e for e in (".shp", ".shx", ".dbf") if e not in contents]
        if missing:
            raise BoundaryError("shapefile_parts", name=f"{filename}:{stem}",
                                missing=", ".join(missing))
        layer = _name_layer(PurePosixPath(stem).name, f"{filename}:{stem}.shp", forced)
        base = folder / f"{index}-{n}"
        if not contents[".shp"].startswith(_SHP_MAGIC):
            raise BoundaryError("not_what_it_says", name=f"{filename}:{stem}.shp",
                                ext=".shp", actual=sniff(contents[".shp"]))
        for ext, content in contents.items():
            base.with_suffix(ext).write_bytes(content)
        encoding = None if ".cpg" in contents else _dbf_encoding(contents[".dbf"])
        frame = _read(base.with_suffix(".shp"), encoding=encoding)
        out.append(RawLayer(layer, f"{filename}:{stem}.shp", frame, ".prj" in contents))
    return out


def _dbf_encoding(dbf: bytes) -> str:
    """The text encoding of a DBF without ``.cpg``: GBK by its language byte, else UTF-8 if it
    decodes, else GB18030 (Chinese GIS software writes GBK without saying so)."""
    if len(dbf) > 29 and dbf[29] == 0x4D:
        return "GB18030"
    try:
        dbf.decode("utf-8")
    except UnicodeDecodeError:
        return "GB18030"
    return "UTF-8"


def _read_geojson(folder: Path, index: int, filename: str, data: bytes,
                  forced: str | None) -> RawLayer:
    layer = _name_layer(Path(filename).stem, filename, forced)
    try:
        parsed = loads_strict(data, GEOJSON_MAX_DEPTH, encoding="utf-8-sig")
    except JSONError as exc:
        raise BoundaryError("json_refused", name=filename, reason=exc) from None
    if isinstance(parsed, list):
        data = _collection_of(filename, parsed)
    elif not isinstance(parsed, dict) \
            or parsed.get("type") not in ("FeatureCollection", "Feature"):
        raise BoundaryError("geojson_invalid", name=filename, reason="not a FeatureCollection")
    path = folder / f"{index}.geojson"
    path.write_bytes(data)
    frame = _read(path)
    return RawLayer(layer, filename, frame, isinstance(parsed, dict) and "crs" in parsed)


def _collection_of(filename: str, features: list) -> bytes:
    """A bare JSON array of features (what many web exports and scripts write) as the
    FeatureCollection it stands for; its coordinates carry no declared CRS.

    Raises
    ------
    BoundaryError
        When the array is empty or one of its items is not a Feature (naming the first).
    """
    if not features:
        raise BoundaryError("geojson_array_empty", name=filename)
    for n, item in enumerate(features, start=1):
        if not isinstance(item, dict) or item.get("type") != "Feature":
            raise BoundaryError("geojson_array_item", name=filename, n=n)
    return json.dumps({"type": "FeatureCollection", "features": features},
                      ensure_ascii=False).encode("utf-8")


def export_boundaries(layers: dict[str, gpd.GeoDataFrame], crs, names=None) -> bytes:
    """Write layers as Shapefiles in ``crs`` and return them as one zip archive.

    Parameters
    ----------
    layers : dict of str to geopandas.GeoDataFrame
        Layers keyed by name (``townships``, ``villages``, ...); each becomes ``<name>.shp``.
    crs : anything pyproj accepts
        The coordinate system to write in (e.g. ``"EPSG:4549"``).
    names : iterable of str, optional
        The layers to write (default: all of ``layers``).

    Returns
    -------
    bytes
        The zip archive, with ``.shp/.shx/.dbf/.prj/.cpg`` per layer (UTF-8 attributes; DBF
        truncates column names to 10 characters, which the importer understands).
    """
    out = io.BytesIO()
    with tempfile.TemporaryDirectory(prefix="gw-export-") as tmp, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in names or layers:
            path = Path(tmp) / f"{name}.shp"
            with warnings.catch_warnings():  # DBF truncates long column names: expected
                warnings.simplefilter("ignore", RuntimeWarning)
                pyogrio.write_dataframe(layers[name].to_crs(crs), path, encoding="UTF-8")
            for ext in SHAPEFILE_PARTS:
                part = path.with_suffix(ext)
                if part.exists():
                    archive.write(part, part.name)
    return out.getvalue()


def files_from_paths(paths: list[str | os.PathLike]) -> list[tuple[str, bytes]]:
    """Read files from disk for ``read_boundary_files``, refusing oversized ones unread."""
    out = []
    for p in paths:
        path = Path(p)
        if path.stat().st_size > MAX_BOUNDARY_BYTES:
            raise BoundaryError("too_large", name=path.name,
                                mb=MAX_BOUNDARY_BYTES // (1024 * 1024))
        out.append((path.name, path.read_bytes()))
    return out
