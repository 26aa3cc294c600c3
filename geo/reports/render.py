"""The monthly report as an HTML page, a PDF (WeasyPrint, from the same page) and a zip of CSV
tables; and, for the API, the rendered reports kept by data version, a few rendered at once."""
from __future__ import annotations

import csv
import io
import math
import threading
import time
import zipfile
from datetime import datetime
from pathlib import Path

import orjson
from sqlalchemy.orm import Session

from geo.areas.service import stamp
from geo.codes import HAIKOU_TIME
from geo.cache import ByteCache
from geo.i18n import N_, current, templates
from geo.errors import Busy
from geo.reports import charts
from geo.reports.monthly import report

_TEMPLATES = templates(Path(__file__).parent / "templates")
MEDIATOR_ROWS = 30   # the page lists the busiest; the CSV has all
VILLAGE_ROWS = 60    # a town's villages all fit; a district's or the city's page lists the 60 with most cases
TABLES = ("categories", "sources", "villages", "towns", "mediators", "trend")


def html(session: Session, report: dict) -> str:
    """The report page, map and charts inline as SVG."""
    alerts = report["hotspots"] + report["repeats"]
    drawn = {"map": charts.area_map(session, report["area"]["code"], report["villages"], alerts),
             "trend": charts.trend(report["trend"]), "categories": charts.categories(report["categories"])}
    return _TEMPLATES.get_template("monthly.html").render(
        r=report, s=report["summary"], charts=drawn, mediator_rows=MEDIATOR_ROWS, villages=_village_rows(report),
        generated=datetime.now(HAIKOU_TIME).strftime("%Y-%m-%d %H:%M"), day=_haikou_day)


def _haikou_day(moment: str) -> str:
    """The day in Haikou (UTC+8) of an ISO moment: the report counts days there."""
    return datetime.fromisoformat(moment).astimezone(HAIKOU_TIME).date().isoformat()


def _village_rows(report: dict) -> list[dict]:
    """The villages the page lists: all, or the ``VILLAGE_ROWS`` with most cases (then most
    overdue), in code order. Laying out 457 rows took most of a city PDF's 15 s."""
    villages = report["villages"]
    if len(villages) <= VILLAGE_ROWS:
        return villages
    busiest = sorted(villages, key=lambda v: (-v["registered"], -v["overdue"], v["code"]))[:VILLAGE_ROWS]
    return sorted(busiest, key=lambda v: v["code"])


def pdf(page: str) -> bytes:
    """The report page laid out as A4 PDF. The page needs nothing from outside (charts inline,
    fonts from fontconfig), so only ``data:`` URLs are fetched (the charts' embedded images);
    any other URL is refused, and WeasyPrint leaves it out."""
    from weasyprint import HTML, URLFetcher  # imported on use: it loads Pango, which only reports need
    return HTML(string=page, url_fetcher=URLFetcher(allowed_protocols=("data",))).write_pdf()


def _csv(rows: list[dict]) -> str:
    out = io.StringIO()
    if rows:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return "\ufeff" + out.getvalue()   # a BOM, so spreadsheet programs read the Chinese as UTF-8


def _alert_rows(alerts: list[dict]) -> list[dict]:
    """One flat row per alert: where, and its evidence (lists joined)."""
    rows = []
    for a in alerts:
        row = {k: v for k, v in a.items() if k not in ("geometry", "cells", "evidence")}
        row.update({k: " ".join(map(str, v)) if isinstance(v, list) else v for k, v in a["evidence"].items()})
        rows.append(row)
    return rows


def csv_zip(report: dict) -> bytes:
    """A zip holding summary.csv and one CSV per table (UTF-8 with BOM)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("summary.csv", _csv([{"area": report["area"]["code"], "name": report["area"]["name"],
                                               "month": report["month"], **report["summary"]}]))
        for table in TABLES:
            if table in report:
                archive.writestr(f"{table}.csv", _csv(report[table]))
        archive.writestr("hotspots.csv", _csv(_alert_rows(report["hotspots"])))
        archive.writestr("repeats.csv", _csv(_alert_rows(report["repeats"])))
    return buffer.getvalue()


def filename(report: dict, extension: str) -> str:
    return area_filename(report["area"]["code"], report["month"], extension)


def area_filename(area: str, month: str, extension: str) -> str:
    return f"report-{area}-{month}.{extension}"


def draw(session: Session, figures: dict, format: str, page: str | None = None) -> bytes:
    """The report in ``format``: JSON figures, a zip of CSV, the HTML page or its PDF (from
    ``page`` when the HTML is drawn already)."""
    if format == "json":
        return orjson.dumps(figures)
    if format == "csv":
        return csv_zip(figures)
    page = page or html(session, figures)
    return page.encode() if format == "html" else pdf(page)


FORMATS = {"json": "json", "csv": "csv.zip", "html": "html", "pdf": "pdf"}   # and each one's file extension
DRAWN = ("html", "pdf")   # the formats with a map and charts: the expensive ones


class RendersBusy(Busy):
    """As many reports as allowed are being drawn."""

    title = N_("Reports busy")

    def __init__(self, retry_after: int):
        super().__init__("other reports are being drawn; retry in {seconds} s", retry_after)


class RenderedReports:
    """Rendered reports by (boundary generation, dataset load, data version, area, month,
    format, language), up to ``max_bytes``; at most ``at_once`` HTML or PDF drawn at a time, beyond
    which ``RendersBusy`` (never a queue)."""

    def __init__(self, max_bytes: int, at_once: int):
        self.kept = ByteCache(max_bytes)
        self._slots = threading.BoundedSemaphore(at_once)
        self._last_seconds = 10.0   # how long the last drawing took: the Retry-After (a guess until one is drawn)

    def get(self, session: Session, area: str, month: str, format: str) -> tuple[bytes, bool]:
        """(the report in ``format``, whether it was kept from an earlier request)."""
        key = (*stamp(session), area, month, format, current())
        if (body := self.kept.get(key)) is not None:
            return body, True
        if format not in DRAWN:
            body = self._render(session, area, month, format)
            self.kept.put(key, body)
            return body, False
        if not self._slots.acquire(blocking=False):
            raise RendersBusy(math.ceil(self._last_seconds))
        try:
            if (body := self.kept.get(key)) is not None:   # drawn meanwhile by the request that held the slot
                return body, True
            start = time.perf_counter()
            body = self._render(session, area, month, format)
            self._last_seconds = time.perf_counter() - start
            self.kept.put(key, body)   # before the slot is free, so that the next request finds it
            return body, False
        finally:
            self._slots.release()

    @staticmethod
    def _render(session: Session, area: str, month: str, format: str) -> bytes:
        return draw(session, report(session, area, month), format)

