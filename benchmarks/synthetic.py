"""Vectorised building blocks of the synthetic benchmark survey: ids, names, phones, GPS, text.

Every function draws from the given generator and works on whole columns (numpy string
functions, no per-row Python loop), so a million rows take a fraction of a second each.
"""

from __future__ import annotations

import numpy as np

from raw.generate_sample import DISTRICT_GPS, FEMALE, MALE, SURNAMES

HEX_DIGITS = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
# (first hex digit, last hex digit + 1, position in the 36-character text) of a UUID's groups
UUID_GROUPS = ((0, 8, 0), (8, 12, 9), (12, 16, 14), (16, 20, 19), (20, 32, 24))

COMMENTS = np.array([
    "Respondent was busy; the interview continued after lunch.",
    "Mother-in-law present for part of the interview.",
    "Respondent asked where the legal aid centre is.",
    "Interview interrupted by a power cut, resumed the same day.",
    "Respondent tired towards the end; answers on self-esteem given quickly.",
    "Household recently received a remittance, respondent in good spirits.",
    "Respondent preferred to answer in Uzbek; the enumerator translated.",
    "Neighbours came in during the wellbeing section.",
    "Respondent did not want to talk about income.",
    "Child was ill; the respondent was worried about clinic fees.",
    "Very cooperative respondent, interested in the programme's training.",
    "Respondent unsure about the right to land, asked for a leaflet.",
])
OTHER_SERVICES = np.array([
    "Religious leader", "Neighbours' savings group", "NGO hotline", "Private clinic",
    "Jamoat office", "School counsellor", "Women's committee", "Pharmacy",
])


def uuid4_strings(rng: np.random.Generator, n: int) -> np.ndarray:
    """`n` random version-4 UUIDs as text."""
    raw = rng.integers(0, 256, size=(n, 16), dtype=np.uint8)
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    nibbles = np.empty((n, 32), dtype=np.uint8)
    nibbles[:, 0::2] = HEX_DIGITS[raw >> 4]
    nibbles[:, 1::2] = HEX_DIGITS[raw & 0x0F]
    text = np.full((n, 36), ord("-"), dtype=np.uint8)
    for first, stop, at in UUID_GROUPS:
        text[:, at:at + stop - first] = nibbles[:, first:stop]
    return text.view("S36").ravel().astype(str)


def ids(prefix: str, start: int, n: int, width: int) -> np.ndarray:
    """Respondent ids `prefix` + zero-padded sequence numbers from `start`."""
    numbers = np.arange(start, start + n).astype(str)
    return np.strings.add(prefix, np.strings.zfill(numbers, width))


def names(rng: np.random.Generator, female: np.ndarray) -> np.ndarray:
    """Tajik first name and surname, the surname's ending by sex."""
    n = len(female)
    first = np.where(female, np.array(FEMALE)[rng.integers(len(FEMALE), size=n)],
                     np.array(MALE)[rng.integers(len(MALE), size=n)])
    surname = np.strings.add(np.array(SURNAMES)[rng.integers(len(SURNAMES), size=n)],
                             np.where(female, "ova", "ov"))
    return np.strings.add(np.strings.add(first, " "), surname)


def phones(rng: np.random.Generator, n: int) -> np.ndarray:
    """Tajik mobile numbers written like `+992 93 123 4567`."""
    parts = [rng.integers(0, 10, n), rng.integers(100, 1000, n), rng.integers(1000, 10000, n)]
    text = np.strings.add("+992 9", parts[0].astype(str))
    for part in parts[1:]:
        text = np.strings.add(np.strings.add(text, " "), part.astype(str))
    return text


def gps(rng: np.random.Generator, district: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A point near the district's centre (district codes 1 and 2), 6 decimals."""
    codes = np.asarray(district, dtype=float)
    centre = np.array([DISTRICT_GPS[1], DISTRICT_GPS[2]])[(codes == 2).astype(int)]
    noise = rng.normal(0, 0.03, size=(len(codes), 2))
    point = np.round(centre + noise, 6)
    return point[:, 0], point[:, 1]


def free_text(rng: np.random.Generator, pool: np.ndarray, n: int, share: float) -> np.ndarray:
    """Free-text answers from `pool`, blank ("") except in about `share` of the rows."""
    text = pool[rng.integers(len(pool), size=n)]
    return np.where(rng.random(n) < share, text, "")


def coded(rng: np.random.Generator, codes: list[float], weights: list[float],
          n: int) -> np.ndarray:
    """`n` numeric codes drawn with the given weights."""
    p = np.asarray(weights, dtype=float)
    return rng.choice(np.asarray(codes, dtype=float), size=n, p=p / p.sum())
