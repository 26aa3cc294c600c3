"""What a reader sees of a page, and the words in it that are not in the page's language."""
from __future__ import annotations

import re
from html.parser import HTMLParser

HAN = re.compile(r"[\u4e00-\u9fff]")
# Latin words a Chinese page may show: names of standards and formats, units, brands of the map software.
FIXED_WORDS = {"H3", "CSV", "UTC", "Polsby", "Popper", "make_valid", "km", "Leaflet", "OpenStreetMap", "API", "GeoJSON",
               "MVT", "OGC", "PDF", "JSON", "HTML", "iframe", "key", "EMBED_KEY", "WGS", "GCJ", "BD", "TileJSON", "Origin",
               "Shift"}
_WORD = re.compile(r"[A-Za-z][A-Za-z_]+")


def english_words(text: str, fixed: set[str] = FIXED_WORDS) -> set[str]:
    """The Latin words of ``text`` that are not among the ``fixed`` ones."""
    return {word for word in _WORD.findall(text) if word not in fixed}


def without(text: str, names) -> str:
    """``text`` with each of ``names`` (the data's names, Chinese in either language) taken out."""
    for name in sorted({n for n in names if n}, key=len, reverse=True):
        text = text.replace(name, " ")
    return text


_HIDDEN = ("script", "style", "title", "metadata")   # metadata: an SVG chart's RDF (its maker, its date)


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts, self._hidden = [], 0

    def handle_starttag(self, tag, attrs):
        self._hidden += tag in _HIDDEN

    def handle_endtag(self, tag):
        self._hidden -= tag in _HIDDEN

    def handle_data(self, data):
        if not self._hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    """The text of an HTML page a reader sees (not its scripts, styles or markup)."""
    parser = _Text()
    parser.feed(html)
    return " ".join(parser.parts)
