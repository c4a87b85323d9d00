"""Generate the synthetic sample survey in raw/ (deterministic: fixed seed, byte for byte).

Usage: python raw/generate_sample.py [--out DIR]

Writes a baseline SPSS file (pyreadstat, value labels, user-missing 98/99) and an endline
KoboToolbox-style CSV (';', UTF-8 with BOM, group paths, meta columns, split select_multiple).
Scale items are calibrated so the published headline figures of the seed report are reproduced
on the rows that pass validation; the planted defects are extra rows on top of that clean set.
"""

from __future__ import annotations

import argparse
import csv
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat

SEED = 20231128
HERE = Path(__file__).resolve().parent
PWI_ITEMS = 7
RSES_ITEMS = 10
RSES_REVERSED = (2, 5, 6, 8, 9)  # order A, 1-based
DK, REFUSED = 98, 99

# Clean respondents per round and population, and the figures they must reproduce.
POPULATIONS = {
    ("baseline", "woman"): dict(n=382, pwi=58.1, rses=68.5),
    ("baseline", "adolescent"): dict(n=212, pwi=69.4, rses=70.2),
    ("endline", "woman"): dict(n=278, pwi=64.8, rses=71.3),
    ("endline", "adolescent"): dict(n=176, pwi=83.2, rses=75.5),
}
# Counts among clean women (exact, so published percentages are reproduced).
WOMEN_COUNTS = {
    "baseline": dict(
        income={"le500": 161, "501_1000": 99, "1001_3000": 15, "gt3000": 4, "zero": 19,
                "dk": 58, "refused": 26},
        save_business={"yes": 4, "no": 336, "refused": 25, "blank": 17},
        budget={"yes": 19, "no": 363},
        paid_job={"yes": 99, "no": 283},
    ),
    "endline": dict(
        income={"le500": 50, "501_1000": 70, "1001_3000": 114, "gt3000": 8, "zero": 6,
                "dk": 22, "refused": 8},
        save_business={"yes": 30, "no": 248, "refused": 0, "blank": 0},
        budget={"yes": 100, "no": 178},
        paid_job={"yes": 86, "no": 192},
    ),
}
# Among clean women, exact counts: aware of at least 3 of the 5 rights (40% -> 65%), willing to
# act if rights are violated (65% -> 75%), used a social service (the report: 80 women at
# baseline, about 70% at endline) and satisfied with access among those users (49% -> 83%).
WOMEN_RIGHTS = {"baseline": dict(known_3plus=153, act=248, used=80, satisfied=39),
                "endline": dict(known_3plus=181, act=208, used=195, satisfied=162)}

SAVERS = {"baseline": 0.18, "endline": 0.34}  # share of women who saved last month

# Endline respondents who are re-interviews of baseline respondents (same id: a panel subset).
PANEL = {"woman": 90, "adolescent": 50}
HAPPY_ADOLESCENTS = {"baseline": 144, "endline": 146}  # 68% of 212, 83% of 176

FEMALE = ["Zarina", "Malika", "Nigora", "Dilnoza", "Gulnora", "Mehrangez", "Shahnoza", "Firuza",
          "Madina", "Parvina", "Nilufar", "Sitora", "Farzona", "Munira", "Mavjuda", "Tahmina"]
MALE = ["Firdavs", "Behruz", "Sino", "Umed", "Daler", "Jamshed", "Rustam", "Farhod", "Komron",
        "Shohrukh", "Bakhtiyor", "Ismoil"]
SURNAMES = ["Rahim", "Karim", "Said", "Nazar", "Davlat", "Sharip", "Rajab", "Qodir", "Safar",
            "Mirzo", "Hasan", "Yusuf"]
DISTRICT_GPS = {1: (37.35, 68.66), 2: (37.91, 69.78)}  # Dusti, Kulob


@dataclass
class Round:
    """One round's clean respondents, before defects are added."""

    name: str
    rows: list[dict] = field(default_factory=list)


def _shuffled(counts: dict[str, int], rng: np.random.Generator) -> list[str]:
    values = [key for key, n in counts.items() for _ in range(n)]
    return list(rng.permutation(values))


def pwi_score(items: np.ndarray) -> np.ndarray:
    """PWI person scores (0-100) with at most one of seven domains missing (NaN)."""
    answered = np.isfinite(items).sum(axis=1)
    means = np.nanmean(np.where(np.isfinite(items), items, np.nan), axis=1) * 10
    return np.where(answered >= PWI_ITEMS - 1, means, np.nan)


def rses_pomp(items: np.ndarray) -> np.ndarray:
    """Rosenberg POMP scores (0-100) from 1-4 coded items, reversal applied, <=2 missing."""
    recoded = items.copy()
    for item in RSES_REVERSED:
        recoded[:, item - 1] = 5 - recoded[:, item - 1]
    answered = np.isfinite(recoded).sum(axis=1)
    total = np.nanmean(recoded - 1, axis=1) * RSES_ITEMS
    return np.where(answered >= RSES_ITEMS - 2, total / 30 * 100, np.nan)


def _calibrate(items: np.ndarray, target: float, score, lo: int, hi: int, rng, locked) -> None:
    """Nudge single valid answers by one step until the mean score rounds to the target."""
    for _ in range(200_000):
        mean = np.nanmean(score(items))
        if abs(mean - target) < 0.015:
            return
        step = 1 if mean < target else -1
        row = rng.integers(items.shape[0])
        col = rng.integers(items.shape[1])
        value = items[row, col]
        if locked[row] or not np.isfinite(value) or not lo <= value + step <= hi:
            continue
        if score is rses_pomp and (col + 1) in RSES_REVERSED:
            if lo <= value - step <= hi:
                items[row, col] = value - step
            continue
        items[row, col] = value + step
    raise RuntimeError(f"calibration did not converge to {target}")


def _scale_items(n: int, target: float, k: int, lo: int, hi: int, rng) -> np.ndarray:
    person = rng.normal(lo + (hi - lo) * target / 100, (hi - lo) * 0.14, size=(n, 1))
    return np.clip(np.rint(person + rng.normal(0, (hi - lo) * 0.11, size=(n, k))), lo, hi)


def make_population(round_name: str, kind: str, start_id: int, rng,
                    panel: list[dict] | None = None) -> list[dict]:
    """Clean respondents of one population in one round, calibrated to the published figures.

    The last len(panel) respondents are re-interviews of the given earlier respondents.
    """
    spec = POPULATIONS[(round_name, kind)]
    n, panel = spec["n"], panel or []
    first_panel = n - len(panel)
    pwi = _scale_items(n, spec["pwi"], PWI_ITEMS, 0, 10, rng)
    if panel:
        # A re-interviewed person answers like before, moved by the round's change, plus noise.
        shift = (spec["pwi"] - POPULATIONS[("baseline", kind)]["pwi"]) / 10
        before = np.array([[v if v < DK else np.nan for v in p["pwi"]] for p in panel])
        before = np.where(np.isfinite(before), before, np.nanmean(before, axis=1, keepdims=True))
        noise = rng.normal(0, 0.9, before.shape)
        pwi[first_panel:] = np.clip(np.rint(before + shift + noise), 0, 10)
    locked = np.zeros(n, dtype=bool)
    # Response sets: a few identical answers on all seven domains (flagged, not dropped).
    for row in rng.choice(n, size=3, replace=False):
        pwi[row, :] = pwi[row, 0]
        locked[row] = True
    # Don't know on one domain (still scored on six) and refusals on two (not scored).
    dk_rows = rng.choice(np.flatnonzero(~locked), size=4, replace=False)
    for row in dk_rows:
        pwi[row, rng.integers(PWI_ITEMS)] = np.nan
    refused_row = rng.choice(np.setdiff1d(np.flatnonzero(~locked), dk_rows))
    pwi[refused_row, :2] = np.nan
    _calibrate(pwi, spec["pwi"], pwi_score, 0, 10, rng, locked)
    pwi_codes = np.where(np.isfinite(pwi), pwi, DK)
    pwi_codes[refused_row, :2] = REFUSED

    rses = _scale_items(n, spec["rses"], RSES_ITEMS, 1, 4, rng)
    for item in RSES_REVERSED:
        rses[:, item - 1] = 5 - rses[:, item - 1]
    _calibrate(rses, spec["rses"], rses_pomp, 1, 4, rng, np.zeros(n, dtype=bool))

    life = np.clip(np.rint(np.nanmean(pwi, axis=1) + rng.normal(0, 1, n)), 0, 10)
    rows = []
    for i in range(n):
        district = int(rng.integers(1, 3))
        female = kind == "woman" or rng.random() < 0.52
        first = rng.choice(FEMALE if female else MALE)
        surname = rng.choice(SURNAMES) + ("ova" if female else "ov")
        lat, lon = DISTRICT_GPS[district]
        grade = int(rng.integers(8, 12)) if kind == "adolescent" else None
        age = int(rng.integers(19, 62)) if kind == "woman" else grade + 6 + int(rng.integers(0, 2))
        phone = f"+992 9{rng.integers(0, 10)} {rng.integers(100, 1000)} {rng.integers(1000, 10000)}"
        resp_id = f"{round_name[0].upper()}{start_id + i:04d}"
        status = int(rng.choice([1, 2, 3], p=[0.7, 0.22, 0.08]))
        if i >= first_panel:  # the same person, two years later
            before = panel[i - first_panel]
            resp_id, district, female = before["resp_id"], before["district"], before["sex"] == 2
            status, phone = before["migrant_status"], before["phone"]
            first, surname = before["name"].split(" ")
            age = before["age"] + 2
            grade = before["grade"] + 2 if before["grade"] else None
        rows.append(dict(
            resp_id=resp_id,
            district=district,
            resp_type=1 if kind == "woman" else 2,
            sex=2 if female else 1,
            age=age,
            grade=grade,
            migrant_status=status,
            name=f"{first} {surname}",
            phone=phone,
            lat=round(lat + rng.normal(0, 0.03), 6),
            lon=round(lon + rng.normal(0, 0.03), 6),
            life=float(life[i]),
            pwi=[float(v) for v in pwi_codes[i]],
            rses=[float(v) for v in rses[i]],
        ))
        if i >= first_panel:  # interviewed at home again: the same GPS point
            rows[-1].update(lat=panel[i - first_panel]["lat"], lon=panel[i - first_panel]["lon"])
    return rows


def _income_amount(band: str, rng) -> float:
    ranges = {"le500": (50, 500), "501_1000": (501, 1000), "1001_3000": (1001, 3000),
              "gt3000": (3001, 6000)}
    if band in ranges:
        low, high = ranges[band]
        # Fieldwork rounds to tens; boundaries (500, 1000, 3000) occur on purpose.
        return float(min(high, max(low, round(rng.integers(low, high + 1), -1))))
    return {"zero": 0.0, "dk": -8.0, "refused": -9.0}[band]


def add_women_economics(rows: list[dict], round_name: str, rng) -> None:
    """Income, budget, savings and paid work for clean women, with exact published shares."""
    women = [r for r in rows if r["resp_type"] == 1]
    counts = WOMEN_COUNTS[round_name]
    for key, values in counts.items():
        for person, value in zip(women, _shuffled(values, rng), strict=True):
            person[key] = value
    spec, n = WOMEN_RIGHTS[round_name], len(women)
    knows_many = _shuffled({"yes": spec["known_3plus"], "no": n - spec["known_3plus"]}, rng)
    act = _shuffled({"yes": spec["act"], "no": n - spec["act"]}, rng)
    used = _shuffled({"yes": spec["used"], "no": n - spec["used"]}, rng)
    satisfied = iter(_shuffled({"yes": spec["satisfied"],
                                "no": spec["used"] - spec["satisfied"]}, rng))
    for i, person in enumerate(women):
        person["income_amount"] = _income_amount(person["income"], rng)
        known = int(rng.integers(3, 6)) if knows_many[i] == "yes" else int(rng.integers(0, 3))
        rights = set(rng.choice(5, size=known, replace=False).tolist())
        # A right not known is answered "no" or, one time in three, "don't know".
        person["aware"] = [True if k in rights else ("dk" if rng.random() < 0.33 else False)
                           for k in range(5)]
        person["act"] = act[i] == "yes"
        person["used_services"] = used[i] == "yes"
        person["satisfied"] = next(satisfied) == "yes" if person["used_services"] else None
        person["used_health"] = bool(rng.random() < 0.3)
        # Saved any money last month, and how much (TJS): a modest share of the income.
        person["saved_any"] = bool(rng.random() < SAVERS[round_name])
        income = person["income_amount"]
        person["saved_amount"] = (0.0 if not person["saved_any"] else
                                  float(max(10, round(income * rng.beta(2, 12), -1)))
                                  if income > 0 else float(rng.integers(1, 10) * 10))


def add_adolescent_answers(rows: list[dict], round_name: str, rng) -> None:
    """Happy with life as a whole (yes/no) for clean adolescents, with exact published shares."""
    teens = [r for r in rows if r["resp_type"] == 2]
    yes = HAPPY_ADOLESCENTS[round_name]
    flags = _shuffled({"yes": yes, "no": len(teens) - yes}, rng)
    for person, flag in zip(teens, flags, strict=True):
        person["happy"] = flag


def choose_panel(previous: Round | None, rng) -> dict[str, list[dict]]:
    """Earlier respondents to re-interview: women, and adolescents still in school (grade <= 9)."""
    if previous is None:
        return {"woman": [], "adolescent": []}
    women = [r for r in previous.rows if r["resp_type"] == 1]
    pupils = [r for r in previous.rows if r["resp_type"] == 2 and r["grade"] <= 9]
    pick = {"woman": women, "adolescent": pupils}
    return {kind: [pick[kind][i] for i in sorted(rng.choice(len(pick[kind]), PANEL[kind],
                                                            replace=False))]
            for kind in pick}


def build_round(round_name: str, rng, previous: Round | None = None) -> Round:
    """All clean respondents of a round, women first, then adolescents."""
    panel = choose_panel(previous, rng)
    women = make_population(round_name, "woman", 1, rng, panel["woman"])
    teens = make_population(round_name, "adolescent", 501, rng, panel["adolescent"])
    rows = women + teens
    add_women_economics(rows, round_name, rng)
    add_adolescent_answers(rows, round_name, rng)
    return Round(round_name, rows)


def _yes_no(value: str | bool | None, yes, no, **special):
    if value in special:
        return special[value]
    if value is None or value == "blank":
        return None
    return yes if value in (True, "yes") else no


def baseline_frame(rnd: Round, rng) -> pd.DataFrame:
    """The baseline as an SPSS-style table: numeric codes, 1/2 yes-no, 98/99 special codes."""
    out = []
    day0 = date(2021, 5, 10)
    for r in rnd.rows:
        woman = r["resp_type"] == 1
        rec = dict(
            resp_id=r["resp_id"], district=r["district"], resp_type=r["resp_type"],
            resp_name=r["name"], phone=r["phone"], gps_lat=r["lat"], gps_lon=r["lon"],
            sex=r["sex"], age=r["age"], grade=r["grade"],
            migrant_status=r["migrant_status"] if woman else None,
            intdate=day0 + timedelta(days=int(rng.integers(0, 24))), q10_life=r["life"],
        )
        rec.update({f"q11_{i + 1}": v for i, v in enumerate(r["pwi"])})
        rec.update({f"q20_{i + 1}": v for i, v in enumerate(r["rses"])})
        rec["q30_income"] = r.get("income_amount")
        rec["q31_budget"] = _yes_no(r.get("budget"), 1, 2)
        rec["q32_save_bus"] = _yes_no(r.get("save_business"), 1, 2, refused=REFUSED)
        rec["q33_paid_job"] = _yes_no(r.get("paid_job"), 1, 2)
        rec["q34_saved_any"] = _yes_no(r.get("saved_any"), 1, 2)
        rec["q35_saved_amount"] = r.get("saved_amount")
        for i, aware in enumerate(r.get("aware") or [None] * 5):
            rec[f"q40_{i + 1}"] = _yes_no(aware, 1, 2, dk=DK)
        rec["q41_act"] = _yes_no(r.get("act"), 1, 2)
        rec["q50_used"] = _yes_no(r.get("used_services"), 1, 2)
        rec["q51_satisfied"] = _yes_no(r.get("satisfied"), 1, 2) if r.get("used_services") else None
        rec["q52_health"] = _yes_no(r.get("used_health"), 1, 0) if woman else None
        rec["q60_happy"] = None if woman else _yes_no(r["happy"], 1, 2)
        out.append(rec)
    frame = pd.DataFrame(out)
    # Defects: a 15 typed on a 0-10 item, an exact duplicate, a conflicting duplicate id.
    typo = frame.iloc[[10]].copy()
    typo["resp_id"], typo["q11_3"] = "B0383", 15.0
    duplicate = frame.iloc[[57]].copy()
    first, second = frame.iloc[[120]].copy(), frame.iloc[[120]].copy()
    first["resp_id"] = second["resp_id"] = "B0384"
    second["q11_1"] = 0.0 if second["q11_1"].iloc[0] > 5 else 10.0
    frame = pd.concat([frame.iloc[:200], duplicate, frame.iloc[200:], typo, first, second])
    return frame.reset_index(drop=True)


BASELINE_LABELS = {
    "district": {1: "Dusti", 2: "Kulob"},
    "resp_type": {1: "Woman (wife of a labour migrant)", 2: "Adolescent (grades 8-11)"},
    "sex": {1: "Male", 2: "Female"},
    "migrant_status": {1: "Receives remittances", 2: "No contact", 3: "Migrant deceased"},
    **{f"q11_{i}": {0: "Completely dissatisfied", 10: "Completely satisfied", DK: "Don't know",
                    REFUSED: "Refused"} for i in range(1, 8)},
    **{f"q20_{i}": {1: "Strongly disagree", 2: "Disagree", 3: "Agree", 4: "Strongly agree"}
       for i in range(1, 11)},
    **{v: {1: "Yes", 2: "No", DK: "Don't know", REFUSED: "Refused"}
       for v in ["q31_budget", "q32_save_bus", "q33_paid_job", "q41_act", "q50_used",
                 "q51_satisfied", "q60_happy", *[f"q40_{i}" for i in range(1, 6)]]},
    "q30_income": {-8: "Don't know", -9: "Refused"},
    "q34_saved_any": {1: "Yes", 2: "No", DK: "Don't know", REFUSED: "Refused"},
}
BASELINE_VAR_LABELS = {
    "resp_id": "Respondent ID", "district": "District", "resp_type": "Respondent type",
    "resp_name": "Respondent name", "phone": "Phone number", "gps_lat": "GPS latitude",
    "gps_lon": "GPS longitude", "sex": "Sex", "age": "Age in completed years",
    "grade": "School grade", "migrant_status": "Status of the migrant family member",
    "intdate": "Interview date", "q10_life": "How satisfied are you with your life as a whole?",
    "q11_1": "Satisfied with: your standard of living", "q11_2": "Satisfied with: your health",
    "q11_3": "Satisfied with: what you are achieving in life",
    "q11_4": "Satisfied with: your personal relationships",
    "q11_5": "Satisfied with: how safe you feel",
    "q11_6": "Satisfied with: feeling part of your community",
    "q11_7": "Satisfied with: your future security",
    "q30_income": "Monthly household income, TJS", "q31_budget": "Household has a monthly budget",
    "q32_save_bus": "Saving money to start or grow a business", "q33_paid_job": "Has a paid job",
    "q34_saved_any": "Saved any money last month",
    "q35_saved_amount": "Amount saved last month, TJS",
    "q41_act": "Willing to act if rights are violated", "q50_used": "Used support services",
    "q51_satisfied": "Satisfied with access to services",
    "q52_health": "Accessed healthcare in the past 6 months",
    "q60_happy": "Feels happy with life as a whole",
}


def write_baseline(frame: pd.DataFrame, path: Path) -> None:
    """Write the baseline .sav with labels and user-missing codes, header dated to fieldwork."""
    user_missing = {c: [DK, REFUSED] for c in frame.columns if c.startswith(("q1", "q3", "q4",
                                                                            "q5", "q6"))}
    user_missing["q30_income"] = user_missing["q35_saved_amount"] = [-8, -9]
    pyreadstat.write_sav(
        frame, path, file_label="Families left behind, Khatlon: baseline 2021 (SYNTHETIC)",
        column_labels=BASELINE_VAR_LABELS, variable_value_labels=BASELINE_LABELS,
        missing_ranges=user_missing, note="Synthetic sample generated by raw/generate_sample.py",
    )
    # The SPSS header stores the creation date and time; stamp the fieldwork end so the
    # file is the same bytes on every run.
    data = bytearray(path.read_bytes())
    data[92:109] = b"03 Jun 2110:00:00"
    path.write_bytes(bytes(data))


KOBO_CHOICE = {1: "dusti", 2: "kulob"}


def endline_frame(rnd: Round, rng) -> pd.DataFrame:
    """The endline as a KoboToolbox CSV export: XML names with groups, choice names, meta."""
    out = []
    start = datetime(2023, 6, 5, 8, 0)
    for index, r in enumerate(rnd.rows, start=1):
        woman = r["resp_type"] == 1
        began = start + timedelta(minutes=int(rng.integers(0, 60 * 24 * 20)))
        yn = {True: "yes", False: "no", "yes": "yes", "no": "no", "dk": "dont_know"}
        used = r.get("used_services")
        services = [s for s, on in [("health", r.get("used_health")), ("legal", used),
                                    ("social", used and rng.random() < 0.5)] if on]
        rec = {
            "start": began.strftime("%Y-%m-%dT%H:%M:%S.000+05:00"),
            "end": (began + timedelta(minutes=35)).strftime("%Y-%m-%dT%H:%M:%S.000+05:00"),
            "today": began.strftime("%Y-%m-%d"),
            "deviceid": f"collect:{rng.integers(10**15, 10**16):x}",
            "intro/resp_id": r["resp_id"], "intro/district": KOBO_CHOICE[r["district"]],
            "intro/resp_type": "woman" if woman else "adolescent",
            "intro/resp_name": r["name"], "intro/phone": r["phone"],
            "intro/sex": "female" if r["sex"] == 2 else "male", "intro/age": r["age"],
            "intro/grade": r["grade"],
            "intro/migrant_status": {1: "remittances", 2: "no_contact", 3: "deceased"}[
                r["migrant_status"]] if woman else None,
            "gps": f"{r['lat']} {r['lon']} 612.0 4.8",
            "_gps_latitude": r["lat"], "_gps_longitude": r["lon"],
            "_gps_altitude": 612.0, "_gps_precision": 4.8,
            "wellbeing/life_whole": r["life"],
        }
        names = ["living", "health", "achieving", "relationships", "safety", "community", "future"]
        rec.update({f"wellbeing/pwi_{n}": v for n, v in zip(names, r["pwi"], strict=True)})
        rec.update({f"selfesteem/rse_{i + 1:02d}": v for i, v in enumerate(r["rses"])})
        rec["economy/income_month"] = {-8.0: -98, -9.0: -99}.get(r.get("income_amount"),
                                                                   r.get("income_amount"))
        rec["economy/budget"] = yn.get(r.get("budget"))
        rec["economy/save_business"] = yn.get(r.get("save_business"))
        rec["economy/paid_job"] = yn.get(r.get("paid_job"))
        rec["economy/saved_any"] = yn.get(r.get("saved_any"))
        rec["economy/saved_amount"] = r.get("saved_amount")
        for name, aware in zip(["property", "remuneration", "social_protection", "violence",
                                "civil_registration"], r.get("aware") or [None] * 5, strict=True):
            rec[f"rights/aware_{name}"] = yn.get(aware)
        rec["rights/act_if_violated"] = yn.get(r.get("act"))
        rec["support/received_service"] = yn.get(used) if woman else None
        rec["support/services_used"] = " ".join(services) if woman else None
        for s in ["health", "legal", "social"]:
            rec[f"support/services_used/{s}"] = (1 if s in services else 0) if woman else None
        rec["support/services_satisfied"] = yn.get(r.get("satisfied")) if used else None
        rec["adolescent/happy_life"] = None if woman else r["happy"]
        rec.update({
            "_id": 48_213_000 + index, "_uuid": str(uuid.UUID(int=int(rng.integers(2**62)) << 64
                                                              | int(rng.integers(2**62)),
                                                              version=4)),
            "_submission_time": (began + timedelta(minutes=40)).strftime("%Y-%m-%dT%H:%M:%S"),
            "_validation_status": "", "_notes": "", "_status": "submitted_via_web",
            "_submitted_by": f"enum{rng.integers(1, 9):02d}", "__version__": "vQ7dMfEeGdYB",
            "_tags": "", "_index": index,
        })
        out.append(rec)
    frame = pd.DataFrame(out)
    # Defects: a resubmitted interview (same answers, new _id/_uuid) and a negative income.
    resubmitted = frame.iloc[[33]].copy()
    resubmitted["_id"] += 900
    resubmitted["_uuid"] = str(uuid.UUID(int=int(rng.integers(2**62)), version=4))
    negative = frame.iloc[[5]].copy()
    negative["intro/resp_id"], negative["economy/income_month"] = "E0279", -1500
    frame = pd.concat([frame, resubmitted, negative]).reset_index(drop=True)
    frame["_index"] = range(1, len(frame) + 1)
    return frame


def _kobo_cell(value) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def write_endline(frame: pd.DataFrame, path: Path) -> None:
    """Write the endline CSV the way KoboToolbox exports it: ';', quoted, UTF-8 with BOM."""
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, delimiter=";", quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        writer.writerow(frame.columns)
        for row in frame.itertuples(index=False):
            writer.writerow([_kobo_cell(v) for v in row])


def generate(out: Path) -> list[Path]:
    """Create raw/baseline/*.sav and raw/endline/*.csv under `out`; return the paths."""
    rng = np.random.default_rng(SEED)
    baseline = build_round("baseline", rng)
    endline = build_round("endline", rng, previous=baseline)
    (out / "baseline").mkdir(parents=True, exist_ok=True)
    (out / "endline").mkdir(parents=True, exist_ok=True)
    sav = out / "baseline" / "khatlon_baseline_2021.sav"
    kobo = out / "endline" / "khatlon_endline_2023.csv"
    write_baseline(baseline_frame(baseline, rng), sav)
    write_endline(endline_frame(endline, rng), kobo)
    return [sav, kobo]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE)
    for written in generate(parser.parse_args().out):
        print(written)
