"""Generated mediation organisations, mediators, cameras and incidents.

Everything here is fictitious and says so (``source = 'generated'``); names and
phone numbers are invented, never real people's.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from geo.cameras.sectors import fov_sectors
from geo.codes import CITY_CODE, camera_id
from geo.dataset.names import person_names, phone_numbers
from geo.incidents.models import ROUTES
from geo.incidents.statuses import OPEN
from geo.mediation.categories import MEDIATION_CATEGORIES, Category, Severity
from geo.mediation.policy import next_level
from geo.plane import offset_lonlat

GENERATED = "generated"
SEVERITY_LEVEL = {Severity.MINOR: "village", Severity.GENERAL: "village",
                  Severity.MAJOR: "town", Severity.CRITICAL: "district"}
CLOSED_STATUSES = {"archived": 0.75, "terminated": 0.12, "refused": 0.08, "follow_up": 0.05}
OPEN_STATUSES = dict(zip(OPEN, (0.3, 0.2, 0.4, 0.1)))   # weights in the order of OPEN
RECENT_DAYS = 40
AGREEMENT_SHARE = 0.85   # of archived cases; the rest were terminated first


@dataclass
class Places:
    """Where generated things may stand: cells with their area chain and households."""

    lon: np.ndarray
    lat: np.ndarray
    jitter: np.ndarray     # metres a point may move off the centre and stay in its cell's area
    households: np.ndarray
    chain: pd.DataFrame    # district_code, town_code, village_code, grid_code per cell

    def sample(self, rng: np.random.Generator, count: int, weight: np.ndarray,
               among: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Indices of ``count`` cells (of ``among``, default all) drawn by ``weight``,
        and a jittered lon/lat in each."""
        among = np.arange(len(weight)) if among is None else among
        w = weight[among]
        index = among[rng.choice(len(among), size=count, p=w / w.sum())]
        angle = rng.uniform(0, 2 * np.pi, count)
        radius = self.jitter[index] * np.sqrt(rng.uniform(0, 1, count))
        lon, lat = offset_lonlat(self.lon[index], self.lat[index], radius * np.cos(angle), radius * np.sin(angle))
        return index, lon, lat


def organisations(areas: pd.DataFrame, industry: list[dict]) -> pd.DataFrame:
    """A mediation body at every level (综治中心 / 人民调解委员会) and the industry ones."""
    rows = []
    suffix = {"city": "矛盾纠纷多元化解中心", "district": "矛盾纠纷多元化解中心",
              "town": "综治中心(人民调解委员会)", "village": "人民调解委员会"}
    kind = {"city": "city_centre", "district": "district_centre", "town": "town_centre", "village": "village_committee"}
    for area in areas[areas["level"] != "grid"].itertuples():
        rows.append({"kind": kind[area.level], "name": area.name + suffix[area.level], "category": None,
                     "area_code": area.code, "service_area_code": area.code})
    for org in industry:
        rows.append({"kind": "industry", "name": org["name"], "category": Category(org["category"]).value,
                     "area_code": CITY_CODE, "service_area_code": org["area"]})
    frame = pd.DataFrame(rows)
    frame.insert(0, "id", np.arange(1, len(frame) + 1))
    frame["source"] = GENERATED
    return frame


def _largest_remainder(weights: np.ndarray, total: int) -> np.ndarray:
    share = weights / weights.sum() * total
    counts = np.floor(share).astype(int)
    counts[np.argsort(-(share - counts), kind="stable")[: total - counts.sum()]] += 1
    return counts


def mediators(orgs: pd.DataFrame, villages: pd.DataFrame, places: Places, settings: dict,
              rng: np.random.Generator) -> pd.DataFrame:
    """497 full-time (one per village at least, the rest in town centres) and 3,302 part-time."""
    org_of = orgs.set_index(["kind", "area_code"])["id"]
    village_codes = villages["code"].to_numpy()
    extra_full = settings["full_time"] - len(village_codes)
    towns = orgs.loc[orgs["kind"] == "town_centre", "area_code"].to_numpy()
    village_part = settings["part_time"] - settings["industry_part_time"]
    part_counts = _largest_remainder(villages["households"].to_numpy(dtype=float), village_part)

    home = list(village_codes)                                     # one full-time per village
    orgs_ = [org_of[("village_committee", v)] for v in village_codes]
    employment = ["full_time"] * len(village_codes)
    for town in towns[:extra_full]:                               # the rest in town centres
        town_villages = village_codes[np.char.startswith(village_codes.astype(str), town)]
        home.append(town_villages[0])
        orgs_.append(org_of[("town_centre", town)])
        employment.append("full_time")
    for village, count in zip(village_codes, part_counts):
        home += [village] * count
        orgs_ += [org_of[("village_committee", village)]] * count
        employment += ["part_time"] * count
    industry = orgs[orgs["kind"] == "industry"]
    per_org = _largest_remainder(np.ones(len(industry)), settings["industry_part_time"])
    for org, count in zip(industry.itertuples(), per_org):
        home += list(rng.choice(village_codes, size=count))
        orgs_ += [org.id] * count
        employment += ["part_time"] * count

    n = len(home)
    frame = pd.DataFrame({"id": np.arange(1, n + 1), "name": person_names(n, rng), "phone": phone_numbers(n, rng),
                          "employment": employment, "organisation_id": orgs_, "home_village_code": home})
    cats = np.array([c.value for c in MEDIATION_CATEGORIES])
    org_category = orgs.set_index("id")["category"]
    skills = []
    for org in frame["organisation_id"]:
        chosen = set(rng.choice(cats, size=rng.integers(3, 7), replace=False))
        if isinstance(org_category[org], str):
            chosen.add(org_category[org])
        skills.append(sorted(chosen))
    frame["skills"] = skills
    full = frame["employment"] == "full_time"
    frame["capacity"] = np.where(full, rng.integers(*settings["full_time_capacity"], size=n, endpoint=True),
                                 rng.integers(*settings["part_time_capacity"], size=n, endpoint=True))
    frame["on_duty"] = rng.uniform(size=n) < settings["on_duty_share"]
    frame["lon"], frame["lat"] = _positions_in_villages(frame["home_village_code"].to_numpy(), places, rng)
    frame["source"] = GENERATED
    return frame


def _positions_in_villages(codes: np.ndarray, places: Places, rng: np.random.Generator):
    lon, lat = np.empty(len(codes)), np.empty(len(codes))
    cell_village = places.chain["village_code"].to_numpy()
    order = np.argsort(cell_village, kind="stable")
    sorted_villages = cell_village[order]
    weight = places.households + 0.1
    for village in np.unique(codes):
        who = np.flatnonzero(codes == village)
        lo, hi = np.searchsorted(sorted_villages, village, "left"), np.searchsorted(sorted_villages, village, "right")
        _, lon[who], lat[who] = places.sample(rng, len(who), weight, among=order[lo:hi])
    return lon, lat


def cameras(places: Places, settings: dict, rng: np.random.Generator) -> pd.DataFrame:
    """Cameras where people are, with GB/T 28181 ids under their district's centre."""
    n = settings["count"]
    index, lon, lat = places.sample(rng, n, places.households.astype(float) ** settings["density_exponent"] + 1e-3)
    district = places.chain["district_code"].to_numpy()[index]
    industry = rng.choice(["00", "01", "08"], size=n, p=[0.5, 0.35, 0.15])
    device = rng.choice(["132", "131"], size=n, p=[0.8, 0.2])
    frame = pd.DataFrame({"district_code": district, "industry": industry, "device_type": device})
    serial = frame.groupby(["district_code", "industry", "device_type"]).cumcount() + 1
    frame["id"] = [camera_id(d, industry=i, device_type=t, network="0", serial=s)
                   for d, i, t, s in zip(district, industry, device, serial)]
    frame["lon"], frame["lat"] = lon, lat
    frame["heading_deg"] = np.round(rng.uniform(0, 360, n), 1) % 360.0
    frame["fov_deg"] = np.round(rng.uniform(*settings["fov_deg"], n), 1)
    frame["range_m"] = np.round(rng.uniform(*settings["range_m"], n), 1)
    frame["fov"] = fov_sectors(lon, lat, frame["heading_deg"], frame["fov_deg"], frame["range_m"])
    frame["source"] = GENERATED
    return frame.drop(columns=["district_code"])


def incidents(places: Places, mediator_frame: pd.DataFrame, settings: dict,
              rng: np.random.Generator) -> pd.DataFrame:
    """A year of incidents where people live, with statuses that fit their age."""
    n = settings["count"]
    start, end = (datetime.fromisoformat(settings[k]) for k in ("start", "end"))
    index, lon, lat = places.sample(rng, n, places.households.astype(float) + 0.05)
    names = list(settings["category_weights"])
    weights = np.array([settings["category_weights"][c] for c in names], dtype=float)
    category = rng.choice(names, size=n, p=weights / weights.sum())
    category[rng.uniform(size=n) < settings["public_safety_share"]] = Category.PUBLIC_SAFETY.value
    sev_names = list(settings["severity_weights"])
    sev_w = np.array([settings["severity_weights"][s] for s in sev_names], dtype=float)
    severity = rng.choice(sev_names, size=n, p=sev_w / sev_w.sum())
    span = (end - start).total_seconds()
    occurred = np.sort(rng.uniform(0, span, n))
    registered = occurred + rng.uniform(1800, 48 * 3600, n)
    age_days = (span - registered) / 86400
    recent = age_days < RECENT_DAYS
    status = np.where(recent, rng.choice(list(OPEN_STATUSES), size=n, p=list(OPEN_STATUSES.values())),
                      rng.choice(list(CLOSED_STATUSES), size=n, p=list(CLOSED_STATUSES.values())))
    concluded = registered + rng.gamma(2.0, 6.0, n) * 86400
    level = np.array([SEVERITY_LEVEL[Severity(s)] for s in severity], dtype=object)
    # An escalated case moved one level up; the district is the top (矛盾不上交), so it stays in mediation there.
    escalated = status == "escalated"
    status[escalated & (level == "district")] = "mediating"
    escalated = status == "escalated"
    escalated_from = np.where(escalated, level, None)
    level[escalated] = [next_level(lv) for lv in level[escalated]]
    # Closed cases end in an agreement (follow-up, most archives) or a termination (arts. 26, 28-29).
    agreed = (status == "follow_up") | ((status == "archived") & (rng.uniform(size=n) < AGREEMENT_SHARE))
    terminated = (status == "terminated") | ((status == "archived") & ~agreed)
    escalation = registered + rng.uniform(0, 1, n) * np.minimum(10 * 86400, span - registered)
    chain = places.chain.iloc[index].reset_index(drop=True)

    def to_time(seconds: np.ndarray) -> list[datetime]:
        return [start + timedelta(seconds=float(s)) for s in seconds]

    frame = pd.DataFrame({
        "id": np.arange(1, n + 1), "category": category, "severity": severity, "status": status,
        "occurred_at": to_time(occurred), "registered_at": to_time(registered),
        "due_at": to_time(registered + 30 * 86400),
        "concluded_at": [None if r else t for r, t in zip(recent, to_time(concluded))],
        "agreement_form": np.where(agreed, rng.choice(["written", "oral"], size=n, p=[0.7, 0.3]), None),
        "agreement_at": [t if a else None for a, t in zip(agreed, to_time(concluded))],
        "termination_routes": [[str(rng.choice(ROUTES))] if t else None for t in terminated],
        "escalated_at": [t if e else None for e, t in zip(escalated, to_time(escalation))],
        "escalated_from": escalated_from,
        "description": "generated incident", "reporter_name": person_names(n, rng),
        "reporter_phone": phone_numbers(n, rng), "lon": lon, "lat": lat,
    })
    frame = pd.concat([frame, chain], axis=1)
    frame["responsible_level"] = level
    frame["responsible_rule"] = ["severity:" + s + (f" → escalated to {lv}" if e else "")
                                 for s, lv, e in zip(severity, level, escalated)]
    frame["mediator_id"] = _assign(frame, mediator_frame, rng)
    frame["source"] = GENERATED
    return frame


def _assign(frame: pd.DataFrame, mediator_frame: pd.DataFrame, rng: np.random.Generator) -> list:
    """A mediator of the responsible area for every incident past registration."""
    homes = mediator_frame["home_village_code"].to_numpy().astype(str)
    ids = mediator_frame["id"].to_numpy()
    prefix_len = {"village": 12, "town": 9, "district": 6}
    pools: dict[str, np.ndarray] = {}
    result = []
    for village, level, status in zip(frame["village_code"], frame["responsible_level"], frame["status"]):
        if status == "registered":
            result.append(None)
            continue
        key = village[: prefix_len[level]]
        if key not in pools:
            pools[key] = ids[np.char.startswith(homes, key)]
        result.append(int(rng.choice(pools[key])))
    return result
