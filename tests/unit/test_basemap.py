"""The offline basemap: real MBTiles and PMTiles files made here, read by ``gridwatch.basemap``,
served by ``web.tiles`` behind the login, and laid on the map of the analyst view and the wall.

The files are written from the formats' specifications (MBTiles 1.3: SQLite, TMS rows;
PMTiles v3: the header at its byte offsets, varint directories, Hilbert tile ids), not with
the reader's own code, so a reader that misread a format would fail here.
"""

from __future__ import annotations

import gzip
import io
import json
import math
import os
import shutil
import sqlite3
import struct
import threading
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from app import create_app
from callbacks.router import render_page
from gridwatch.auth.policy import system
from gridwatch.basemap import BasemapError, inspect, open_basemap, tile_id
from gridwatch.service import DataSource
from gridwatch.settings import Settings, SettingsError
from tests.conftest import GEO_PATH, signed_in_client

# Kaihua county's extent (west, south, east, north), a little wider.
COUNTY_BOUNDS = (117.95, 28.85, 118.75, 29.55)
PASSWORD = "basemap-tests-password"


# --- making tile files ----------------------------------------------------------------------

def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    """The XYZ tile (x, y from the north) holding a point at zoom ``z``."""
    n = 1 << z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return min(x, n - 1), min(y, n - 1)


def tile_range(bounds, z: int):
    west, south, east, north = bounds
    x0, y0 = tile_of(west, north, z)
    x1, y1 = tile_of(east, south, z)
    return [(z, x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]


def tile_image(z: int, x: int, y: int, fmt: str = "PNG") -> bytes:
    """A 256-pixel tile that looks like a light road map: land, a road grid, its own name."""
    image = Image.new("RGB", (256, 256), (242, 239, 233))
    draw = ImageDraw.Draw(image)
    step = max(16, 128 >> max(0, z - 10))
    for i in range(0, 256, step):
        draw.line([(i, 0), (i, 255)], fill=(255, 255, 255), width=3)
        draw.line([(0, i), (255, i)], fill=(255, 255, 255), width=3)
    draw.line([(0, 255), (255, 0)], fill=(246, 207, 101), width=6)  # a main road
    draw.rectangle([0, 0, 255, 255], outline=(200, 196, 186))
    draw.text((12, 12), f"{z}/{x}/{y}", fill=(90, 90, 90))
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def county_tiles(zooms=range(8, 13), bounds=COUNTY_BOUNDS, skip=frozenset()) -> dict:
    return {(z, x, y): tile_image(z, x, y) for z in zooms for (z, x, y) in tile_range(bounds, z)
            if (z, x, y) not in skip}


def write_mbtiles(path: Path, tiles: dict, metadata: dict | None = None, view: bool = False
                  ) -> Path:
    """An MBTiles 1.3 file; ``view``: tiles in a deduplicated map/images schema behind a view,
    as ``mb-util`` and TileMill write them."""
    meta = {"name": "Kaihua test basemap", "format": "png", "minzoom": "8", "maxzoom": "12",
            "bounds": ",".join(map(str, COUNTY_BOUNDS)),
            "attribution": '<a href="https://example.invalid/">&copy; Test map</a>'}
    meta.update(metadata or {})
    connection = sqlite3.connect(path)
    with connection:
        connection.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
        connection.executemany("INSERT INTO metadata VALUES (?, ?)",
                               [(k, v) for k, v in meta.items() if v is not None])
        rows = [(z, x, (1 << z) - 1 - y, data) for (z, x, y), data in tiles.items()]
        if view:
            connection.execute("CREATE TABLE map (zoom_level INTEGER, tile_column INTEGER, "
                               "tile_row INTEGER, tile_id TEXT)")
            connection.execute("CREATE TABLE images (tile_id TEXT, tile_data BLOB)")
            connection.executemany("INSERT INTO map VALUES (?, ?, ?, ?)",
                                   [(z, x, r, f"{z}-{x}-{r}") for z, x, r, _ in rows])
            connection.executemany("INSERT INTO images VALUES (?, ?)",
                                   [(f"{z}-{x}-{r}", d) for z, x, r, d in rows])
            connection.execute("CREATE VIEW tiles AS SELECT zoom_level, tile_column, tile_row, "
                               "tile_data FROM map JOIN images USING (tile_id)")
        else:
            connection.execute("CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, "
                               "tile_row INTEGER, tile_data BLOB)")
            connection.executemany("INSERT INTO tiles VALUES (?, ?, ?, ?)", rows)
    connection.close()
    return path


def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | 0x80 if n else byte)
        if not n:
            return bytes(out)


def pm_directory(entries: list[tuple[int, int, int, int]]) -> bytes:
    """Entries (tile id, offset, length, run length) as the spec's four varint columns."""
    out = bytearray(varint(len(entries)))
    last = 0
    for tid, _o, _l, _r in entries:
        out += varint(tid - last)
        last = tid
    for _t, _o, _l, run in entries:
        out += varint(run)
    for _t, _o, length, _r in entries:
        out += varint(length)
    for i, (_t, offset, _l, _r) in enumerate(entries):
        previous = entries[i - 1] if i else None
        if previous and offset == previous[1] + previous[2]:
            out += varint(0)
        else:
            out += varint(offset + 1)
    return bytes(out)


def write_pmtiles(path: Path, tiles: dict, tile_type: int = 2, gzip_directories: bool = True,
                  leaf_size: int | None = None, metadata: dict | None = None,
                  bounds=COUNTY_BOUNDS) -> Path:
    """A PMTiles v3 file: identical tiles in a row share one run-length entry; with
    ``leaf_size`` the root points to leaf directories of that many entries."""
    pack = gzip.compress if gzip_directories else (lambda b: b)
    ordered = sorted((tile_id(z, x, y), data) for (z, x, y), data in tiles.items())
    blob, entries, offsets = bytearray(), [], {}
    for tid, data in ordered:
        if entries and data in offsets and entries[-1][0] + entries[-1][3] == tid \
                and entries[-1][1] == offsets[data]:
            t, o, n, r = entries[-1]
            entries[-1] = (t, o, n, r + 1)
            continue
        if data not in offsets:
            offsets[data] = len(blob)
            blob += data
        entries.append((tid, offsets[data], len(data), 1))
    leaves = b""
    if leaf_size:
        root_entries = []
        for i in range(0, len(entries), leaf_size):
            leaf = pack(pm_directory(entries[i:i + leaf_size]))
            root_entries.append((entries[i][0], len(leaves), len(leaf), 0))
            leaves += leaf
        root = pack(pm_directory(root_entries))
    else:
        root = pack(pm_directory(entries))
    meta = pack(json.dumps(metadata if metadata is not None else {
        "name": "Kaihua PMTiles", "attribution": "© Test map <b>PM</b>"}).encode())
    zooms = [z for z, _x, _y in tiles] or [0]
    header = bytearray(127)
    header[0:7] = b"PMTiles"
    header[7] = 3
    root_offset = 127
    meta_offset = root_offset + len(root)
    leaf_offset = meta_offset + len(meta)
    data_offset = leaf_offset + len(leaves)
    struct.pack_into("<QQQQQQQQ", header, 8, root_offset, len(root), meta_offset, len(meta),
                     leaf_offset, len(leaves), data_offset, len(blob))
    struct.pack_into("<QQQ", header, 72, len(tiles), len(entries), len(offsets))
    header[96] = 1  # clustered
    header[97] = 2 if gzip_directories else 1  # internal compression
    header[98] = 1  # tiles uncompressed
    header[99] = tile_type
    header[100], header[101] = min(zooms), max(zooms)
    west, south, east, north = bounds
    struct.pack_into("<iiii", header, 102, round(west * 1e7), round(south * 1e7),
                     round(east * 1e7), round(north * 1e7))
    struct.pack_into("<Bii", header, 118, min(zooms), round((west + east) / 2 * 1e7),
                     round((south + north) / 2 * 1e7))
    path.write_bytes(bytes(header) + root + meta + leaves + bytes(blob))
    return path


@pytest.fixture(scope="module")
def tiles():
    return county_tiles()


@pytest.fixture(scope="module")
def files(tmp_path_factory, tiles):
    folder = tmp_path_factory.mktemp("basemaps")
    return {
        "mbtiles": write_mbtiles(folder / "kaihua.mbtiles", tiles),
        "mbtiles_view": write_mbtiles(folder / "kaihua-view.mbtiles", tiles, view=True),
        "pmtiles": write_pmtiles(folder / "kaihua.pmtiles", tiles),
        "pmtiles_leaves": write_pmtiles(folder / "kaihua-leaves.pmtiles", tiles,
                                        gzip_directories=False, leaf_size=7),
    }


# --- reading ---------------------------------------------------------------------------------

def test_an_mbtiles_file_says_what_it_holds(files):
    info = inspect(files["mbtiles"])
    assert (info.kind, info.format, info.content_type) == ("mbtiles", "png", "image/png")
    assert (info.minzoom, info.maxzoom) == (8, 12)
    assert info.bounds == COUNTY_BOUNDS
    assert info.attribution == "© Test map"  # the file's HTML is not passed to Leaflet
    assert info.name == "Kaihua test basemap"
    assert info.url_template == "/basemap/{z}/{x}/{y}.png"


def test_a_pmtiles_file_says_what_it_holds(files):
    info = inspect(files["pmtiles"])
    assert (info.kind, info.format, info.minzoom, info.maxzoom) == ("pmtiles", "png", 8, 12)
    assert info.bounds == pytest.approx(COUNTY_BOUNDS)
    assert info.attribution == "© Test map PM"
    assert info.name == "Kaihua PMTiles"


@pytest.mark.parametrize("kind", ["mbtiles", "mbtiles_view", "pmtiles", "pmtiles_leaves"])
def test_every_tile_reads_back_in_the_xyz_scheme(files, tiles, kind):
    basemap = open_basemap(files[kind])
    for (z, x, y), data in tiles.items():
        assert basemap.tile(z, x, y) == data, (kind, z, x, y)
    z, x, y = next(iter(tiles))
    assert basemap.tile(z, x + 50, y) is None  # inside the zoom, outside the county
    assert basemap.tile(13, 0, 0) is None  # beyond the file's zooms
    assert basemap.tile(7, 0, 0) is None
    assert basemap.tile(40, 0, 0) is None
    assert basemap.tile(3, 8, 0) is None and basemap.tile(3, -1, 0) is None


def test_the_hilbert_ids_follow_the_specification():
    # The spec's examples: the ids of the first zooms, and the curve's order at zoom 1.
    assert [tile_id(0, 0, 0), tile_id(1, 0, 0), tile_id(1, 0, 1), tile_id(1, 1, 1),
            tile_id(1, 1, 0), tile_id(2, 0, 0)] == [0, 1, 2, 3, 4, 5]
    assert tile_id(12, 3423, 1763) == 19078479
    assert tile_id(20, 0, 0) == (4 ** 20 - 1) // 3
    ids = {tile_id(5, x, y) for x in range(32) for y in range(32)}
    assert ids == set(range((4 ** 5 - 1) // 3, (4 ** 6 - 1) // 3))


def test_repeated_tiles_share_one_run_length_entry(tmp_path):
    sea = tile_image(0, 0, 0)
    tiles = {(10, x, y): sea for x in range(850, 854) for y in range(420, 424)}
    path = write_pmtiles(tmp_path / "sea.pmtiles", tiles)
    basemap = open_basemap(path)
    assert all(basemap.tile(z, x, y) == sea for z, x, y in tiles)
    assert basemap.tile(10, 849, 420) is None


def test_jpeg_and_webp_tiles_are_served_as_such(tmp_path):
    jpeg = {(9, 426, 210): tile_image(9, 426, 210, "JPEG")}
    info = inspect(write_mbtiles(tmp_path / "j.mbtiles", jpeg,
                                 {"format": "jpg", "minzoom": "9", "maxzoom": "9"}))
    assert (info.format, info.content_type, info.url_template) == (
        "jpg", "image/jpeg", "/basemap/{z}/{x}/{y}.jpg")
    webp = {(9, 426, 210): tile_image(9, 426, 210, "WEBP")}
    info = inspect(write_pmtiles(tmp_path / "w.pmtiles", webp, tile_type=4))
    assert (info.format, info.content_type) == ("webp", "image/webp")
    # No format in the metadata: the tiles' own bytes say it.
    info = inspect(write_mbtiles(tmp_path / "n.mbtiles", webp, {"format": None}))
    assert info.format == "webp"


def test_threads_of_one_process_read_at_once(files, tiles):
    keys = list(tiles)
    failures = []

    def read(kind):
        basemap = open_basemap(files[kind])
        for key in keys * 3:
            if basemap.tile(*key) != tiles[key]:
                failures.append((kind, key))

    threads = [threading.Thread(target=read, args=(kind,))
               for kind in ("mbtiles", "pmtiles_leaves") for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork (gunicorn's model)")
@pytest.mark.parametrize("kind", ["mbtiles", "pmtiles"])
def test_a_forked_worker_opens_the_file_afresh(files, tiles, kind):
    basemap = open_basemap(files[kind])
    key = next(iter(tiles))
    assert basemap.tile(*key) == tiles[key]  # the parent has its connection open
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the worker: reads every tile, says how many matched
        try:
            good = sum(basemap.tile(*k) == data for k, data in tiles.items())
            os.write(write_end, str(good).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        answer = pipe.read()
    os.waitpid(pid, 0)
    assert answer == str(len(tiles))
    assert basemap.tile(*key) == tiles[key]  # and the parent's still works


# --- refusing what cannot be a basemap ------------------------------------------------------

def refusal(path) -> str:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({"GRIDWATCH_BASEMAP_FILE": str(path)})
    message = str(caught.value)
    assert "GRIDWATCH_BASEMAP_FILE" in message
    return message


def test_a_missing_file_is_refused_at_start_up(tmp_path):
    assert "no such file" in refusal(tmp_path / "nowhere.mbtiles")
    assert "not a file" in refusal(tmp_path)


def test_a_file_that_is_no_tile_file_is_refused(tmp_path):
    text = tmp_path / "notes.mbtiles"
    text.write_text("county roads, to do\n")
    assert "not a tile file" in refusal(text)
    other = tmp_path / "other.sqlite"
    sqlite3.connect(other).execute("CREATE TABLE grids (code TEXT)").connection.commit()
    assert "not MBTiles" in refusal(other)
    empty = write_mbtiles(tmp_path / "empty.mbtiles", {})
    assert "holds no tiles" in refusal(empty)
    damaged = tmp_path / "damaged.mbtiles"
    damaged.write_bytes(b"SQLite format 3\x00" + b"\xa5" * 4096)
    assert "GRIDWATCH_BASEMAP_FILE" in refusal(damaged)
    columns = tmp_path / "columns.mbtiles"
    sqlite3.connect(columns).execute("CREATE TABLE tiles (z, x, y, data)").connection.commit()
    assert "not a readable MBTiles file" in refusal(columns)


def test_vector_tiles_are_refused_with_the_reason(tmp_path):
    mvt = {(10, 853, 421): gzip.compress(b"\x1a\x05layer")}
    message = refusal(write_mbtiles(tmp_path / "v.mbtiles", mvt, {"format": "pbf"}))
    assert "vector tiles" in message and "raster" in message
    message = refusal(write_pmtiles(tmp_path / "v.pmtiles", mvt, tile_type=1))
    assert "vector tiles" in message and "raster" in message
    # No format named, but vector_layers in the metadata's JSON, as tippecanoe writes.
    layers = json.dumps({"vector_layers": [{"id": "roads"}]})
    message = refusal(write_mbtiles(tmp_path / "t.mbtiles", mvt, {"format": None,
                                                                 "json": layers}))
    assert "vector tiles" in message


def test_damaged_pmtiles_files_are_refused_not_crashed_on(tmp_path, files):
    good = files["pmtiles"].read_bytes()
    cases = {"truncated": good[:60], "header only": good[:127],
             "version 2": good[:7] + b"\x02" + good[8:],
             "root past the end": good[:16] + struct.pack("<Q", 10 ** 9) + good[24:],
             "garbage directory": good[:127] + b"\xff" * (len(good) - 127),
             "brotli directories": good[:97] + b"\x03" + good[98:]}
    for name, data in cases.items():
        path = tmp_path / f"{name}.pmtiles"
        path.write_bytes(data)
        with pytest.raises(BasemapError):
            inspect(path)
        assert "GRIDWATCH_BASEMAP_FILE" in refusal(path), name


def test_any_damaged_header_byte_is_refused_or_read_never_a_crash(tmp_path, files, tiles):
    good = files["pmtiles_leaves"].read_bytes()
    keys = list(tiles)[::11]
    for i in range(8, 127):
        for value in (0x00, 0x7F, 0xFF):
            path = tmp_path / f"byte-{i}-{value}.pmtiles"
            path.write_bytes(good[:i] + bytes([value]) + good[i + 1:])
            try:
                info = inspect(path)
            except BasemapError:
                continue
            reader = open_basemap(path)
            assert reader.info == info
            for key in keys:
                try:
                    reader.tile(*key)
                except BasemapError:
                    pass


def test_no_basemap_is_the_default():
    assert Settings().basemap_file is None
    assert Settings.from_env({}).basemap_file is None
    assert Settings.from_env({"GRIDWATCH_BASEMAP_FILE": ""}).basemap_file is None


# --- the route -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def site(seeded_db, tmp_path_factory, files):
    path = tmp_path_factory.mktemp("basemap-site") / "store.sqlite"
    shutil.copy(seeded_db, path)
    settings = Settings(database_url=f"sqlite:///{path}", geo_path=GEO_PATH,
                        basemap_file=files["mbtiles"])
    return create_app(settings), DataSource(settings)


def client_of(site, role: str | None):
    app, source = site
    if role is None:
        return app.server.test_client()
    if role == "kiosk":
        from gridwatch.auth.sessions import create_kiosk

        client = app.server.test_client()
        _info, secret = create_kiosk(source.writer, f"wall-{os.urandom(4).hex()}")
        assert client.get(f"/kiosk/{secret}").status_code == 303
        return client
    return signed_in_client(app, source.writer, f"{role}-{os.urandom(4).hex()}", role, None,
                            PASSWORD)


def a_tile(tiles):
    return next(iter(tiles))


@pytest.mark.parametrize("role", ["kiosk", "viewer", "analyst", "admin"])
def test_anyone_signed_in_and_the_wall_get_the_tiles(site, tiles, role):
    client = client_of(site, role)
    z, x, y = a_tile(tiles)
    answer = client.get(f"/basemap/{z}/{x}/{y}.png",
                        headers={"Accept": "image/avif,image/webp,image/*,*/*;q=0.8"})
    assert answer.status_code == 200
    assert answer.mimetype == "image/png"
    assert answer.data == tiles[(z, x, y)]
    cache = answer.headers["Cache-Control"]
    assert "private" in cache and "max-age=604800" in cache
    assert answer.headers["ETag"]


def test_without_a_session_no_tile_is_given(site, tiles):
    z, x, y = a_tile(tiles)
    answer = client_of(site, None).get(f"/basemap/{z}/{x}/{y}.png")
    assert answer.status_code == 401
    assert client_of(site, None).get("/basemap/metadata.json").status_code == 401


def test_a_tile_the_browser_has_is_not_sent_again(site, tiles):
    client = client_of(site, "viewer")
    z, x, y = a_tile(tiles)
    first = client.get(f"/basemap/{z}/{x}/{y}.png")
    again = client.get(f"/basemap/{z}/{x}/{y}.png",
                       headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    other = client.get(f"/basemap/{z}/{x}/{y + 1}.png",
                       headers={"If-None-Match": first.headers["ETag"]})
    assert other.status_code == 200


def test_a_tile_the_file_lacks_is_no_content(site, tiles):
    client = client_of(site, "viewer")
    assert (12, 3000, 1700) not in tiles
    for path in ("/basemap/12/3000/1700.png", "/basemap/14/13650/6750.png",
                 "/basemap/0/0/0.png"):
        answer = client.get(path)
        assert answer.status_code == 204, path
        assert answer.data == b""


@pytest.mark.parametrize("path", [
    "/basemap/99/0/0.png", "/basemap/31/0/0.png", "/basemap/3/8/0.png", "/basemap/3/0/8.png",
    "/basemap/-1/0/0.png", "/basemap/3/-1/0.png", "/basemap/a/b/c.png", "/basemap/1e3/0/0.png",
    "/basemap/10/853/421.jpg", "/basemap/10/853/421.PNG", "/basemap/10/853/421",
    "/basemap/10/853/421.png/extra", "/basemap/10/853",
    "/basemap/10/99999999999999999999/421.png", "/basemap/%2e%2e/%2e%2e/etc/passwd",
    "/basemap/../../etc/passwd", "/basemap/1%00/0/0.png", "/basemap/١/0/0.png",
    "/basemap/10/853/421.png%0d%0aX-Injected:1", "/basemap/" + "9/" * 400 + "0.png",
])
def test_hostile_paths_answer_404_never_500(site, path):
    answer = client_of(site, "viewer").get(path)
    assert answer.status_code == 404, (path, answer.status_code)
    assert "X-Injected" not in answer.headers


def test_the_metadata_describes_the_file(site):
    answer = client_of(site, "kiosk").get("/basemap/metadata.json")
    assert answer.status_code == 200
    doc = answer.get_json()
    assert doc["tiles"] == ["/basemap/{z}/{x}/{y}.png"]
    assert (doc["minzoom"], doc["maxzoom"], doc["format"]) == (8, 12, "png")
    assert doc["bounds"] == list(COUNTY_BOUNDS)
    assert doc["attribution"] == "© Test map"


def test_pmtiles_are_served_alike(seeded_db, tmp_path, files, tiles):
    path = tmp_path / "store.sqlite"
    shutil.copy(seeded_db, path)
    settings = Settings(database_url=f"sqlite:///{path}", geo_path=GEO_PATH,
                        basemap_file=files["pmtiles_leaves"])
    app, source = create_app(settings), DataSource(settings)
    client = client_of((app, source), "viewer")
    for (z, x, y), data in list(tiles.items())[::9]:
        answer = client.get(f"/basemap/{z}/{x}/{y}.png")
        assert (answer.status_code, answer.mimetype, answer.data) == (200, "image/png", data)
    assert client.get("/basemap/12/0/0.png").status_code == 204


def test_without_a_basemap_the_route_answers_404(seeded_db, tmp_path):
    path = tmp_path / "store.sqlite"
    shutil.copy(seeded_db, path)
    settings = Settings(database_url=f"sqlite:///{path}", geo_path=GEO_PATH)
    app, source = create_app(settings), DataSource(settings)
    client = client_of((app, source), "viewer")
    assert client.get("/basemap/10/853/421.png").status_code == 404
    assert client.get("/basemap/metadata.json").status_code == 404


# --- the map ---------------------------------------------------------------------------------

def tile_layers(component) -> list:
    found, stack = [], [component]
    while stack:
        node = stack.pop()
        if isinstance(node, (list, tuple)):
            stack.extend(node)
        elif node is not None and not isinstance(node, (str, int, float)):
            if type(node).__name__ == "TileLayer":
                found.append(node)
            stack.append(getattr(node, "children", None))
    return found


@pytest.mark.parametrize("page", ["/", "/wall"])
def test_the_map_draws_the_local_basemap_first(stores, files, page):
    url = stores.seeded("basemap-map")
    source = DataSource(Settings(database_url=url, geo_path=GEO_PATH,
                                 basemap_file=files["pmtiles"],
                                 tile_url="https://tiles.example.invalid/{z}/{x}/{y}.png"))
    layout, _lang = render_page(source, page, "", system())
    [layer] = tile_layers(layout)
    assert layer.url == "/basemap/{z}/{x}/{y}.png"
    assert (layer.minNativeZoom, layer.maxNativeZoom) == (8, 12)
    assert layer.attribution == "© Test map PM"
    assert layer.className == "gw-basemap"


def test_without_a_basemap_the_map_has_no_tiles(source):
    layout, _lang = render_page(source, "/", "", system())
    assert tile_layers(layout) == []
