"""Finding the CJK font and the matplotlib settings that embed it in every format."""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import tempfile
import threading
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import matplotlib
from matplotlib import font_manager

log = logging.getLogger(__name__)

PREFERRED_FAMILIES = (
    "Noto Sans CJK SC", "Source Han Sans SC", "Noto Sans SC", "Source Han Sans CN",
    "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "Droid Sans Fallback",
)
"""Simplified-Chinese sans-serif families, best first (Debian: fonts-noto-cjk)."""


class FontMissing(RuntimeError):
    """No font with Chinese glyphs is installed."""


@lru_cache(maxsize=1)
def cjk_family() -> str:
    """The name of an installed font family that covers Simplified Chinese.

    Looks in matplotlib's font list first, then asks fontconfig (``fc-match :lang=zh-cn``)
    and registers what it finds.

    Raises
    ------
    FontMissing
        When neither finds one: install ``fonts-noto-cjk`` (``make system-deps``).
    """
    installed = {f.name for f in font_manager.fontManager.ttflist}
    for family in PREFERRED_FAMILIES:
        if family in installed:
            return family
    if shutil.which("fc-match"):
        out = subprocess.run(["fc-match", "-f", "%{file}\n%{family[0]}", ":lang=zh-cn"],
                             capture_output=True, text=True, check=False).stdout.splitlines()
        if len(out) == 2 and out[0]:
            font_manager.fontManager.addfont(out[0])
            log.info("using CJK font %s (%s)", out[1], out[0])
            return font_manager.FontProperties(fname=out[0]).get_name()
    raise FontMissing("no font with Chinese glyphs is installed: run "
                      "scripts/install-system-deps.sh (Debian package fonts-noto-cjk)")


LAYOUT_TABLES = ("GSUB", "GPOS", "GDEF", "BASE", "JSTF", "VORG", "vhea", "vmtx")
"""OpenType tables that matplotlib's text layout does not need for Chinese or Latin."""


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "gridwatch" / "fonts"


@lru_cache(maxsize=1)
def print_family() -> str:
    """The font family exports draw with: the CJK family, prepared for fast embedding.

    A CJK font's layout tables (tens of thousands of substitution rules) make every PDF
    font subset take seconds and split glyphs into extra subsets. The first call writes a
    copy of the regular and bold faces without those tables to the user's cache (about a
    second each) and registers it as "<family> Print"; the glyphs are the same. When that
    fails, exports use the installed family as it is.
    """
    family = cjk_family()
    faces = [f for f in font_manager.fontManager.ttflist if f.name == family]
    target = f"{family} Print"
    try:
        from fontTools.ttLib import TTFont

        for face in faces:
            source = Path(face.fname)
            stat = source.stat()
            key = hashlib.sha256(f"{source}:{face.index}:{stat.st_mtime_ns}:{stat.st_size}"
                                 .encode()).hexdigest()[:12]
            out = cache_dir() / f"{key}-{face.weight}.otf"
            if not out.exists():
                out.parent.mkdir(parents=True, exist_ok=True)
                font = TTFont(str(source), fontNumber=face.index or 0)
                for tag in LAYOUT_TABLES:
                    if tag in font:
                        del font[tag]
                _rename(font, target)
                fd, tmp = tempfile.mkstemp(suffix=".otf", dir=out.parent)
                os.close(fd)
                font.save(tmp)
                os.chmod(tmp, 0o644)
                os.replace(tmp, out)
            font_manager.fontManager.addfont(str(out))
        return target
    except Exception:  # a read-only cache or an odd font: slower embedding, same glyphs
        log.warning("could not prepare the print font; embedding %s as installed", family,
                    exc_info=True)
        return family


def _rename(font, family: str) -> None:
    postscript = family.replace(" ", "")
    style = font["name"].getDebugName(2) or "Regular"
    for record in font["name"].names:
        if record.nameID in (1, 16):
            record.string = family
        elif record.nameID == 4:
            record.string = f"{family} {style}"
        elif record.nameID == 6:
            record.string = f"{postscript}-{style}"


def font_file() -> str:
    """The file of the CJK font family (for reports and tests)."""
    return font_manager.findfont(font_manager.FontProperties(family=cjk_family()),
                                 fallback_to_default=False)


_STYLE_LOCK = threading.RLock()
"""Matplotlib's settings are one per process: two threads drawing exports at once (the web
server's threads, two hosts' schedules in one test) would see each other's settings change
under them, and text would be set in the wrong font. One export draws at a time; a thread
may nest ``print_style`` (a pack draws its map page inside its own)."""


@contextmanager
def print_style(salt: str):
    """Matplotlib settings for print exports, held by one thread at a time.

    The CJK font comes first for all text. PDF embeds it as a subset with a Unicode map
    (``pdf.fonttype`` 42: text stays selectable and searchable); SVG draws glyphs as paths
    so no viewer needs the font. ``svg.hashsalt`` makes SVG element IDs, and so the bytes,
    depend on the export alone.
    """
    family = print_family()
    with _STYLE_LOCK, matplotlib.rc_context({
        "font.family": "sans-serif",
        "font.sans-serif": [family, "DejaVu Sans"],
        "axes.unicode_minus": False,
        "pdf.fonttype": 42,
        "ps.fonttype": 42,  # matplotlib sizes PDF font subsets by this one too
        "pdf.compression": 6,
        "svg.fonttype": "path",
        "svg.hashsalt": salt,
        "path.simplify": True,
        "savefig.facecolor": "white",
    }):
        yield


# --- PDF: TrueType subsets -------------------------------------------------------------------

_PDF_LOCK = threading.Lock()


def _print_face_file(weight: int) -> str:
    props = font_manager.FontProperties(family=print_family(), weight=weight)
    return font_manager.findfont(props, fallback_to_default=False)


def truetype_subset(chars: str, weight: int) -> Path:
    """A TrueType-outline font holding just ``chars`` from the print family.

    Matplotlib embeds fonts in PDF as TrueType (``pdf.fonttype`` 42) but copies the file's
    outlines as they are: a CFF-outline font such as Noto Sans CJK would be declared
    TrueType while holding CFF data, which strict PDF readers refuse. So the few hundred
    glyphs a page uses are converted to quadratic TrueType outlines first. The file is named
    by its content and cached, so the same text gives the same font.
    """
    from fontTools import subset
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import newTable

    source = _print_face_file(weight)
    # All of ASCII too: matplotlib measures strings of its own (a legend measures "lp").
    wanted = sorted({ord(c) for c in chars if not c.isspace()} | set(range(0x20, 0x7f)))
    key = hashlib.sha256(f"{source}:{weight}:".encode() + bytes(str(wanted), "ascii")) \
        .hexdigest()[:16]
    out = cache_dir() / "subsets" / f"{key}.ttf"
    if out.exists():
        return out
    options = subset.Options(layout_features=[], name_IDs=["*"], notdef_outline=True,
                             glyph_names=False, hinting=False, desubroutinize=True)
    font = subset.load_font(source, options, lazy=False)
    font.recalcTimestamp = False
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=wanted)
    subsetter.subset(font)
    if "CFF " in font:
        order = font.getGlyphOrder()
        glyph_set = font.getGlyphSet()
        glyphs = {}
        for name in order:
            pen = TTGlyphPen(glyph_set)
            glyph_set[name].draw(Cu2QuPen(pen, 1.0, reverse_direction=True))
            glyphs[name] = pen.glyph()
        font["loca"] = newTable("loca")
        font["glyf"] = glyf = newTable("glyf")
        glyf.glyphOrder = order
        glyf.glyphs = glyphs
        del font["CFF "]
        for glyph in glyphs.values():
            glyph.recalcBounds(glyf)
        glyf.compile(font)
        for name in order:
            advance, _ = font["hmtx"].metrics[name]
            glyph = glyf[name]
            font["hmtx"].metrics[name] = (advance, getattr(glyph, "xMin", 0))
        maxp = newTable("maxp")
        maxp.tableVersion = 0x00010000
        for attr in ("maxZones", "maxTwilightPoints", "maxStorage", "maxFunctionDefs",
                     "maxInstructionDefs", "maxStackElements", "maxSizeOfInstructions",
                     "maxComponentElements"):
            setattr(maxp, attr, 1 if attr == "maxZones" else 0)
        font["maxp"] = maxp
        post = font["post"]
        post.formatType = 3.0
        font.sfntVersion = "\x00\x01\x00\x00"
    out.parent.mkdir(parents=True, exist_ok=True)
    font.recalcBBoxes = True  # fills in maxp's point and contour counts
    fd, tmp = tempfile.mkstemp(suffix=".ttf", dir=out.parent)
    os.close(fd)
    try:
        font.save(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return out


@contextmanager
def truetype_text(figures: list, source_date: int):
    """Within this context the text of ``figures`` is set in TrueType subsets (see
    ``truetype_subset``) and font subsetting stamps ``source_date`` (Unix seconds) instead of
    the current time, so the same export gives the same bytes."""
    from matplotlib.text import Text

    with _PDF_LOCK:
        texts = []
        for fig in figures:
            fig.draw_without_rendering()  # creates tick labels and the like
            texts += [a for a in fig.findobj(Text) if a.get_text() and a.get_visible()]
        by_weight: dict[int, str] = {}
        for text in texts:
            weight = 700 if _is_bold(text) else 400
            by_weight[weight] = by_weight.get(weight, "") + text.get_text()
        files = {w: str(truetype_subset(chars, w)) for w, chars in by_weight.items()}
        saved = [(text, text.get_fontproperties()) for text in texts]
        for text, props in saved:
            new = props.copy()
            new.set_file(files[700 if _is_bold(text) else 400])
            text.set_fontproperties(new)
        old = os.environ.get("SOURCE_DATE_EPOCH")
        os.environ["SOURCE_DATE_EPOCH"] = str(source_date)
        try:
            yield
        finally:
            if old is None:
                os.environ.pop("SOURCE_DATE_EPOCH", None)
            else:
                os.environ["SOURCE_DATE_EPOCH"] = old
            for text, props in saved:
                text.set_fontproperties(props)


def _is_bold(text) -> bool:
    weight = text.get_fontweight()
    return weight in ("bold", "heavy", "black", "semibold", "demibold") or (
        isinstance(weight, int) and weight >= 600)
