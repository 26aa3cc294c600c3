"""Generated mediation organisations, mediators, cameras and incidents.

Everything here is fictitious and says so (``source = 'generated'``); names and
phone numbers are invented, never real people's.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import numpy as np
import pandas as pd
import shapely

from geo.cameras.sectors import fov_sectors
from geo.codes import CITY_CODE, camera_id
from geo.dataset.names import descriptions, person_names, phone_numbers
from geo.incidents.models import ROUTES
from geo.mediation.categories import MEDIATION_CATEGORIES, Category, Severity, is_mediated
from geo.mediation.policy import get_policy, next_level
from geo.plane import offset_lonlat

GENERATED = "generated"
SEVERITY_LEVEL = {Severity.MINOR: "village", Severity.GENERAL: "village",
                  Severity.MAJOR: "town", Severity.CRITICAL: "district"}


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


DAY, HOUR, MINUTE = 86400.0, 3600.0, 60.0
# How a generated case moves (rates chosen to give a working centre's day; README, "Deadlines"):
WAITING_SHARE = 0.04     # dispatched late: no eligible mediator at hand for hours
REFUSED_SHARE = 0.04     # refused on acceptance (不予受理)
HARD_SHARE = 0.12        # difficult cases that run weeks, many past their time limit
EXTENDED_SHARE = 0.5     # of the difficult cases running late: the parties agreed to extend
ESCALATED_SHARE = 0.06   # of village cases: sent up to the town centre during mediation
AGREEMENT_SHARE = 0.86   # of concluded mediations; the rest are terminated (art. 26)
CONFIRMED_SHARE = 0.1    # of agreements: judicial confirmation asked (art. 33)
# The steps of a case, in order: the column holding when it happened, the action, from and to status.
STEPS = (("at_register", "register", None, "registered"), ("at_refer", "transition", "registered", "referred"),
         ("at_dispatch", "dispatch", None, None), ("at_refuse", "transition", "registered", "refused"),
         ("at_accept", "transition", "registered", "accepted"), ("at_mediate", "transition", "accepted", "mediating"),
         ("at_extend", "extend", None, None), ("at_escalate", "escalate", "mediating", "escalated"),
         ("at_redispatch", "dispatch", None, None), ("at_reaccept", "transition", "escalated", "accepted"),
         ("at_remediate", "transition", "accepted", "mediating"), ("at_agree", "transition", "mediating", "agreement"),
         ("at_terminate", "transition", "mediating", "terminated"), ("at_follow", "transition", "agreement", "follow_up"),
         ("at_confirm", "transition", "follow_up", "confirmation_requested"), ("at_archive", "transition", None, "archived"))


def incidents(places: Places, mediator_frame: pd.DataFrame, camera_frame: pd.DataFrame, settings: dict, deadlines,
              rng: np.random.Generator) -> pd.DataFrame:
    """A year of incidents where people live, each taken through its steps up to the end
    of the year (the dataset's "now"): statuses, deadlines and mediators as of that moment."""
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
    registered = np.minimum(occurred + rng.exponential(6 * HOUR, n), span - MINUTE * rng.uniform(1, 30, n))
    level = np.array([SEVERITY_LEVEL[Severity(s)] for s in severity], dtype=object)
    at, level, due, extend_days = _timeline(registered, category, level, deadlines, rng)
    status, stage_started, concluded = _status_at(at, registered, span)
    for column in at:   # only what has happened by the dataset's "now"
        at[column] = np.where(at[column] <= span, at[column], np.nan)
    escalated = ~np.isnan(at["at_escalate"])
    agreed, terminated = ~np.isnan(at["at_agree"]), ~np.isnan(at["at_terminate"])
    chain = places.chain.iloc[index].reset_index(drop=True)

    def to_time(seconds: np.ndarray) -> list:
        return [None if np.isnan(t) else start + timedelta(seconds=float(t)) for t in seconds]

    due = np.where(~np.isnan(at["at_extend"]), due + extend_days * DAY, due)
    frame = pd.DataFrame({
        "id": np.arange(1, n + 1), "category": category, "severity": severity, "status": status,
        "occurred_at": to_time(occurred), "registered_at": to_time(registered), "due_at": to_time(due),
        "concluded_at": to_time(concluded),
        "agreement_form": np.where(agreed, rng.choice(["written", "oral"], size=n, p=[0.7, 0.3]), None),
        "agreement_at": to_time(at["at_agree"]),
        "termination_routes": [[str(rng.choice(ROUTES))] if t else None for t in terminated],
        "stage_started_at": to_time(stage_started),
        "reporter_name": person_names(n, rng),
        "reporter_phone": phone_numbers(n, rng), "lon": lon, "lat": lat,
    })
    frame = pd.concat([frame, chain], axis=1)
    frame["responsible_level"] = np.where(escalated, level, [SEVERITY_LEVEL[Severity(s)] for s in severity])
    rules = {s: get_policy().choose(severity=s, spans=None, category="", industry_available=False).name
             for s in Severity}   # the rule a case of each severity meets (generated cases span nothing)
    frame["responsible_rule"] = [rules[s] + (f" → escalated to {lv}" if e else "")
                                 for s, lv, e in zip(severity, frame["responsible_level"], escalated)]
    frame["mediator_id"] = _assign(frame, mediator_frame, dispatched=~np.isnan(at["at_dispatch"]) & (
        ~escalated | ~np.isnan(at["at_redispatch"])), rng=rng)
    frame["source"] = GENERATED
    # Drawn last, so that the cases' places and times are those of the dataset before parties were.
    frame["description"] = descriptions(category, rng)
    frame["parties"] = _parties(frame, rng)
    frame["channel"], frame["channel_ref"] = _sources(frame, camera_frame, settings["source_shares"], rng)
    for column, seconds in at.items():
        frame[column] = to_time(seconds)
    frame["extend_days"] = extend_days
    return frame


ASSIGNING_OFFICE = {"460105": "秀英", "460106": "龙华", "460107": "琼山", "460108": "美兰"}   # 区综治中心交办文号的简称


def _sources(frame: pd.DataFrame, camera_frame: pd.DataFrame, shares: dict, rng: np.random.Generator):
    """Where each case came from, with the channel's reference: a 12345 ticket number of the
    day, the nearest camera's id for a video case, the district centre's assignment number,
    the portal's request number (all invented, in the shapes those systems use)."""
    names = list(shares)
    weights = np.array([shares[n] for n in names], dtype=float)
    channel = rng.choice(names, size=len(frame), p=weights / weights.sum())
    day = frame["registered_at"].map(lambda t: t.astimezone(timezone(timedelta(hours=8))).strftime("%Y%m%d"))
    number = rng.integers(1, 99_999, size=len(frame))
    tree = shapely.STRtree(shapely.points(camera_frame["lon"].to_numpy(), camera_frame["lat"].to_numpy()))
    nearest = tree.query_nearest(shapely.points(frame["lon"].to_numpy(), frame["lat"].to_numpy()), all_matches=False)[1]
    camera = camera_frame["id"].to_numpy()[nearest]
    refs = [f"12345-{d}-{n:05d}" if c == "hotline" else cam if c == "video" else
            f"WS{d}{n:05d}" if c == "portal" else
            f"{ASSIGNING_OFFICE[district]}综治交〔{d[:4]}〕{n % 300 + 1}号" if c == "assigned" else None
            for c, d, n, cam, district in zip(channel, day, number, camera, frame["district_code"])]
    return channel, refs


def _parties(frame: pd.DataFrame, rng: np.random.Generator) -> list[str | None]:
    """A dispute's parties as JSON (the reporter applies, against one respondent); a
    public-safety event has none."""
    names, phones = person_names(len(frame), rng), phone_numbers(len(frame), rng)
    return [None if not is_mediated(category) else json.dumps(
        [{"role": "applicant", "name": reporter, "phone": reporter_phone},
         {"role": "respondent", "name": name, "phone": phone}], ensure_ascii=False)
        for category, reporter, reporter_phone, name, phone in
        zip(frame["category"], frame["reporter_name"], frame["reporter_phone"], names, phones)]


def _timeline(registered: np.ndarray, category: np.ndarray, level: np.ndarray, deadlines, rng: np.random.Generator):
    """When each step of each case happens (seconds from the start; NaN: never), the level
    after any escalation, the conclusion deadline and the days of any extension."""
    n = len(registered)
    never = np.full(n, np.nan)
    placed = category == Category.PUBLIC_SAFETY.value
    mediated = ~placed
    due = registered + np.array([deadlines.conclude_within(lv, c) for lv, c in zip(level, category)]) * DAY
    at = {"at_register": registered.copy()}
    at["at_refer"] = np.where(placed, registered + rng.exponential(40 * MINUTE, n), np.nan)
    late = rng.uniform(size=n) < WAITING_SHARE
    at["at_dispatch"] = np.where(mediated, registered + np.where(late, rng.uniform(3 * HOUR, 40 * HOUR, n),
                                                                 rng.exponential(20 * MINUTE, n)), np.nan)
    answered = at["at_dispatch"] + rng.exponential(4 * HOUR, n)
    refused = mediated & (rng.uniform(size=n) < REFUSED_SHARE)
    at["at_refuse"] = np.where(refused, answered, np.nan)
    going = mediated & ~refused
    at["at_accept"] = np.where(going, answered, np.nan)
    at["at_mediate"] = at["at_accept"] + rng.exponential(12 * HOUR, n)
    hard = rng.uniform(size=n) < HARD_SHARE
    duration = np.where(hard, rng.uniform(12 * DAY, 55 * DAY, n), HOUR + rng.gamma(2.0, 3.5 * DAY, n))
    concluded = at["at_mediate"] + duration
    extend_days = np.where(hard & (concluded > due) & (rng.uniform(size=n) < EXTENDED_SHARE),
                           rng.integers(10, 31, n), 0)
    at["at_extend"] = np.where(extend_days > 0, np.maximum(due - rng.uniform(1, 5, n) * DAY, at["at_mediate"]), np.nan)
    up = going & (level == "village") & (rng.uniform(size=n) < ESCALATED_SHARE)
    at["at_escalate"] = np.where(up, at["at_mediate"] + rng.uniform(0.2, 0.8, n) * duration, np.nan)
    at["at_redispatch"] = at["at_escalate"] + rng.exponential(30 * MINUTE, n)
    at["at_reaccept"] = at["at_redispatch"] + rng.exponential(6 * HOUR, n)
    at["at_remediate"] = at["at_reaccept"] + rng.exponential(6 * HOUR, n)
    concluded = np.where(up, np.maximum(concluded, at["at_remediate"] + HOUR), concluded)
    agree = going & (rng.uniform(size=n) < AGREEMENT_SHARE)
    at["at_agree"] = np.where(agree, concluded, np.nan)
    at["at_terminate"] = np.where(going & ~agree, concluded, np.nan)
    at["at_follow"] = at["at_agree"] + rng.uniform(1, 10, n) * DAY
    confirm = agree & (rng.uniform(size=n) < CONFIRMED_SHARE)
    at["at_confirm"] = np.where(confirm, at["at_follow"] + rng.uniform(1, 10, n) * DAY, np.nan)
    at["at_archive"] = np.select(
        [placed, refused, confirm, agree, going],
        [at["at_refer"] + rng.uniform(2, 20, n) * DAY, at["at_refuse"] + rng.uniform(1, 5, n) * DAY,
         at["at_confirm"] + rng.uniform(10, 30, n) * DAY, at["at_follow"] + rng.uniform(1, 6, n) * DAY,
         concluded + rng.uniform(1, 7, n) * DAY], never)
    level = np.where(up, [next_level(lv) for lv in level], level)
    return at, level, due, extend_days


def _status_at(at: dict[str, np.ndarray], registered: np.ndarray, now: float):
    """Each case's status at ``now`` (its last step by then), when its current stage
    began, and when it concluded (NaN: not yet)."""
    status = np.full(len(registered), "registered", dtype=object)
    stage_started = registered.copy()
    for column, _, _, to in STEPS:
        happened = at[column] <= now
        if to is not None:
            status[happened] = to
        if column in ("at_accept", "at_agree", "at_escalate", "at_reaccept"):   # a new stage's clock
            stage_started[happened] = at[column][happened]
    concluded = np.fmin(np.fmin(at["at_agree"], at["at_terminate"]), at["at_refuse"])
    return status, stage_started, np.where(concluded <= now, concluded, np.nan)


def events(frame: pd.DataFrame) -> pd.DataFrame:
    """The incident_events rows of generated incidents: one per step that has happened."""
    rows = []
    for column, action, from_status, to_status in STEPS:
        done = frame[frame[column].notna()]
        from_ = from_status
        if column == "at_archive":   # archived from whatever came before
            from_ = np.select([done["at_confirm"].notna(), done["at_follow"].notna(), done["at_terminate"].notna(),
                               done["at_refuse"].notna(), done["at_refer"].notna()],
                              ["confirmation_requested", "follow_up", "terminated", "refused", "referred"], None)
        details = None
        if action == "extend":
            details = [json.dumps({"days": int(d)}) for d in done["extend_days"]]
        elif action == "escalate":
            details = [json.dumps({"from_level": "village", "to_level": lv})   # only village cases go up
                       for lv in done["responsible_level"]]
        rows.append(pd.DataFrame({"incident_id": done["id"], "incident_registered_at": done["registered_at"],
                                  "at": done[column], "actor": GENERATED, "action": action, "from_status": from_,
                                  "to_status": to_status, "details": details}))
    return pd.concat(rows, ignore_index=True).sort_values(["at", "incident_id"], kind="stable")


def _assign(frame: pd.DataFrame, mediator_frame: pd.DataFrame, dispatched: np.ndarray, rng: np.random.Generator) -> list:
    """A mediator of the responsible area for every case dispatched by now."""
    homes = mediator_frame["home_village_code"].to_numpy().astype(str)
    ids = mediator_frame["id"].to_numpy()
    prefix_len = {"village": 12, "town": 9, "district": 6}
    pools: dict[str, np.ndarray] = {}
    result = []
    for village, level, sent in zip(frame["village_code"], frame["responsible_level"], dispatched):
        if not sent:
            result.append(None)
            continue
        key = village[: prefix_len[level]]
        if key not in pools:
            pools[key] = ids[np.char.startswith(homes, key)]
        result.append(int(rng.choice(pools[key])))
    return result
