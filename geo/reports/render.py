"""The monthly report as an HTML page, a PDF (WeasyPrint, from the same page) and a zip of CSV tables."""
from __future__ import annotations

import csv
import io
import zipfile
from datetime import datetime, timezone
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.orm import Session

from geo.reports import charts

_TEMPLATES = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=select_autoescape())
MEDIATOR_ROWS = 30   # the page lists the busiest; the CSV has all
TABLES = ("categories", "villages", "towns", "mediators", "trend")


def html(session: Session, report: dict) -> str:
    """The report page, map and charts inline as SVG."""
    alerts = report["hotspots"] + report["repeats"]
    drawn = {"map": charts.area_map(session, report["area"]["code"], report["villages"], alerts),
             "trend": charts.trend(report["trend"]), "categories": charts.categories(report["categories"])}
    return _TEMPLATES.get_template("monthly.html").render(
        r=report, s=report["summary"], charts=drawn, mediator_rows=MEDIATOR_ROWS,
        generated=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))


def pdf(page: str) -> bytes:
    """The report page laid out as A4 PDF."""
    from weasyprint import HTML   # imported on use: it loads Pango, which only reports need
    return HTML(string=page).write_pdf()


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
    return f"report-{report['area']['code']}-{report['month']}.{extension}"
