"""Map fonts for MapLibre styles: signed-distance-field glyphs, 256 code points per file.

The glyph files come from the npm package ``tileserver-gl-styles`` (Noto Sans, SIL Open Font
Licence), installed at set-up with the pages' JavaScript, so no style asks a foreign host for
fonts. Noto Sans covers Latin, digits and punctuation; its files for Chinese ranges are empty,
and MapLibre draws the ideographs with the browser's own CJK font (``localIdeographFontFamily``,
on by default), which set-up installs.
"""
from __future__ import annotations

import re

from geo.errors import NotFound
from geo.settings import PROJECT_ROOT

FONTS = PROJECT_ROOT / "web" / "node_modules" / "tileserver-gl-styles" / "fonts"
FONT = "Noto Sans Regular"   # the one font the styles name
_RANGE = re.compile(r"(0|[1-9]\d{0,4})-([1-9]\d{0,4})")   # canonical numbers only


def glyph_range(fontstack: str, code_points: str) -> bytes:
    """The glyph file of the first font of ``fontstack`` (a comma list) that we have, for
    ``code_points`` ("0-255", "256-511", ... "65280-65535")."""
    found = _RANGE.fullmatch(code_points)
    start, end = (int(found[1]), int(found[2])) if found else (-1, -1)
    if not found or start % 256 or end != start + 255 or end > 0xFFFF:
        raise NotFound("no glyph range {range}; ranges are 256 code points, 0-255 to 65280-65535",
                       field="range", range=code_points)
    fonts = [name.strip(" ") for name in fontstack.split(",")]
    font = next((name for name in fonts if name == FONT), None)
    if font is None:
        raise NotFound("no font {fontstack}; there is {font}", field="fontstack", fontstack=fontstack, font=FONT)
    return (FONTS / font / f"{start}-{end}.pbf").read_bytes()
