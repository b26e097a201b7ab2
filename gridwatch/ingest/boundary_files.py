"""Boundary files in: GeoPackage, zipped Shapefile or GeoJSON, read safely into raw layers.

Every uploaded file is treated as hostile until read: its size is capped, its first bytes must
match its extension, archives are checked for zip bombs and for members whose path escapes the
archive, and GeoJSON is parsed strictly (no NaN, no Infinity). Files are read from a private
temporary folder that is removed afterwards; nothing is written anywhere else.

Which layer a file holds comes from the layer names inside a GeoPackage, or from a file's (or
archive member's) name (``townships.shp``, ``grids.geojson``, ``乡镇.shp``), or from an explicit
mapping given by the caller.
"""

from __future__ import annotations

import io
import json
import math
import os
import tempfile
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import geopandas as gpd
import pyogrio

from gridwatch.i18n import t

MAX_BOUNDARY_BYTES = 50 * 1024 * 1024
"""The largest boundary file accepted (bytes)."""

MAX_UNZIPPED_BYTES = 200 * 1024 * 1024
MAX_RATIO = 100
MAX_MEMBERS = 200

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


class BoundaryError(ValueError):
    """A boundary import refused as a whole; nothing was stored.

    Parameters
    ----------
    key : str
        The message key, without the ``boundary.`` prefix, in ``gridwatch.i18n``.
    **params
        Values the message is filled with.
    """

    def __init__(self, key: str, **params):
        self.key = key
        self.params = params
        super().__init__(self.message("en"))

    def message(self, lang: str) -> str:
        """The refusal in ``lang``."""
        return t(f"boundary.{self.key}", lang, **localise(self.params, lang))


def localise(params: dict, lang: str) -> dict:
    """Message parameters in ``lang``: layer and file-kind names translated, ``<name>_<lang>``
    values filled in as ``<name>``, an empty ``crs`` read as "not declared"."""
    out = dict(params)
    for key, prefix in (("layer", "layer"), ("parent_layer", "layer"), ("layer_name", "layer"),
                        ("actual", "kind")):
        if key in out:
            out[key] = t(f"boundary.{prefix}.{out[key]}", lang)
    for key in list(out):
        if key.endswith(f"_{lang}"):
            out[key[: -len(lang) - 1]] = out[key]
    if out.get("crs") == "":
        out["crs"] = t("boundary.crs_none", lang)
    return out


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
    return "geojson" if head.startswith(b"{") else "unknown"


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
                layers += _read_gpkg(folder, index, filename, data)
            elif kind == "zip":
                layers += _read_zip(folder, index, filename, data, forced)
            else:
                layers.append(_read_geojson(folder, index, filename, data, forced))
    seen: dict[str, str] = {}
    for layer in layers:
        if layer.name in seen:
            raise BoundaryError("layer_twice", layer=layer.name, first=seen[layer.name],
                                second=layer.source)
        seen[layer.name] = layer.source
    return layers


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


def check_zip(archive: zipfile.ZipFile, filename: str) -> None:
    """Refuse zip bombs, too many members and members whose path escapes the archive.

    Raises
    ------
    BoundaryError
        Naming the problem.
    """
    members = archive.infolist()
    if len(members) > MAX_MEMBERS:
        raise BoundaryError("zip_members", name=filename, n=len(members), max=MAX_MEMBERS)
    total = 0
    for info in members:
        name = info.filename.replace("\\", "/")
        parts = name.split("/")
        if name.startswith("/") or ".." in parts or ":" in parts[0]:
            raise BoundaryError("zip_escape", name=filename, member=info.filename[:80])
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if ratio > MAX_RATIO and info.file_size > 1024 * 1024:
            raise BoundaryError("zip_bomb", name=filename)
    if total > MAX_UNZIPPED_BYTES:
        raise BoundaryError("zip_too_big", name=filename, mb=total // (1024 * 1024),
                            max=MAX_UNZIPPED_BYTES // (1024 * 1024))


def _extract(archive: zipfile.ZipFile, info: zipfile.ZipInfo, filename: str) -> bytes:
    # The sizes in the central directory can lie: read no more than they promised.
    with archive.open(info) as member:
        data = member.read(info.file_size + 1)
    if len(data) > info.file_size:
        raise BoundaryError("zip_bomb", name=filename)
    return data


def _read_zip(folder: Path, index: int, filename: str, data: bytes,
              forced: str | None) -> list[RawLayer]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise BoundaryError("not_what_it_says", name=filename, ext=".zip",
                            actual="unknown") from None
    groups: dict[str, dict[str, zipfile.ZipInfo]] = {}
    with archive:
        check_zip(archive, filename)
        for info in archive.infolist():
            if info.is_dir() or "__MACOSX" in info.filename:
                continue
            member = PurePosixPath(info.filename.replace("\\", "/"))
            ext = member.suffix.lower()
            if ext in _IGNORED_MEMBERS:
                continue
            if ext not in SHAPEFILE_PARTS:
                raise BoundaryError("zip_unexpected", name=filename, member=info.filename[:80])
            groups.setdefault(str(member.with_suffix("")), {})[ext] = info
        if not groups:
            raise BoundaryError("no_shapefile", name=filename)
        if forced and len(groups) > 1:
            raise BoundaryError("layer_forced_many", name=filename)
        out = []
        for n, (stem, parts) in enumerate(sorted(groups.items())):
            missing = [e for e in (".shp", ".shx", ".dbf") if e not in parts]
            if missing:
                raise BoundaryError("shapefile_parts", name=f"{filename}:{stem}",
                                    missing=", ".join(missing))
            layer = _name_layer(PurePosixPath(stem).name, f"{filename}:{stem}.shp", forced)
            base = folder / f"{index}-{n}"
            contents = {ext: _extract(archive, info, filename) for ext, info in parts.items()}
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


def _refuse_constant(name: str):
    raise BoundaryError("non_finite_json", value=name)


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise BoundaryError("non_finite_json", value=text[:20])
    return value


def _read_geojson(folder: Path, index: int, filename: str, data: bytes,
                  forced: str | None) -> RawLayer:
    layer = _name_layer(Path(filename).stem, filename, forced)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BoundaryError("geojson_not_utf8", name=filename) from None
    try:
        parsed = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite)
    except RecursionError:
        raise BoundaryError("geojson_invalid", name=filename, reason="nested too deeply") from None
    except BoundaryError:
        raise
    except ValueError as exc:
        raise BoundaryError("geojson_invalid", name=filename, reason=str(exc)[:120]) from None
    if not isinstance(parsed, dict) or parsed.get("type") not in ("FeatureCollection", "Feature"):
        raise BoundaryError("geojson_invalid", name=filename, reason="not a FeatureCollection")
    path = folder / f"{index}.geojson"
    path.write_text(text, encoding="utf-8")
    frame = _read(path)
    return RawLayer(layer, filename, frame, "crs" in parsed)


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
