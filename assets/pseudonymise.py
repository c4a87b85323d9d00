"""Pseudonymous respondent ids for published microdata: a keyed hash (HMAC-SHA256) of each id.

Keyed, because respondent ids are few and guessable (B0001, B0002, ...): a plain hash of each
could be reversed by hashing every candidate id, while without the key nobody can compute or
check a pseudonym. The same id and key give the same pseudonym in every round and run, so panel
respondents still link in the microdata; a different key gives unrelated pseudonyms.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

# 16 hex characters = 64 bits. Two of n distinct ids share a pseudonym with probability about
# n^2 / 2^65: 3e-8 for a million ids. Every call checks, and refuses rather than merge two people.
PSEUDONYM_LENGTH = 16
MIN_KEY_BYTES = 16
KEY_HINT = ('create one with: python -c "import secrets; print(secrets.token_hex(32))" > KEY_FILE'
            " and keep it (a new key gives every respondent a new pseudonym)")


class KeyFileError(ValueError):
    """The pseudonymisation key file is missing, unreadable, too short or in the wrong place."""


class PseudonymCollisionError(ValueError):
    """Two distinct ids got the same truncated pseudonym."""


def load_key(path: str | Path, not_under: Iterable[str | Path] = ()) -> bytes:
    """The secret key in `path`, refused if missing, short or inside a folder in `not_under`.

    Surrounding whitespace is not part of the key: an editor adding a final newline must not
    change every pseudonym. Errors name the file, never its content.
    """
    path = Path(path)
    for folder in not_under:
        if path.resolve().is_relative_to(Path(folder).resolve()):
            raise KeyFileError(f"{path}: the pseudonymisation key is inside {folder}; keep it "
                               "out of published and raw folders")
    try:
        key = path.read_bytes().strip()
    except FileNotFoundError:
        raise KeyFileError(f"{path}: the pseudonymisation key file does not exist; "
                           f"{KEY_HINT}") from None
    except OSError as exc:
        raise KeyFileError(f"{path}: cannot read the pseudonymisation key file "
                           f"({exc.strerror})") from None
    if len(key) < MIN_KEY_BYTES:
        state = "is empty" if not key else f"holds fewer than {MIN_KEY_BYTES} bytes"
        raise KeyFileError(f"{path}: the pseudonymisation key file {state}; {KEY_HINT}")
    return key


def id_text(value: object) -> str:
    """The text of an id that is hashed: an integer-valued float (123.0) as the integer (123).

    pandas reads an integer id column with a missing cell as floats; the id keeps its
    pseudonym whichever way its column was typed.
    """
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, np.integer):
        return str(int(value))
    return str(value)


def pseudonymise_ids(ids: pd.Series, key: bytes) -> pd.Series:
    """HMAC-SHA256(key, id as UTF-8 text) in hex, cut to PSEUDONYM_LENGTH; missing stays missing.

    Each distinct id is hashed once. Raises PseudonymCollisionError if two distinct ids would
    share a pseudonym (the message names no id).
    """
    codes, distinct = pd.factorize(ids, use_na_sentinel=True)
    texts = (distinct.tolist() if isinstance(ids.dtype, pd.StringDtype)
             else [id_text(value) for value in distinct.tolist()])
    keyed = hmac.new(key, digestmod=hashlib.sha256)  # copied per id: the key is set up once
    hashed = [_pseudonym(keyed.copy(), text) for text in texts]
    # distinct values with the same text (123 and "123" in one object column) are one id
    shared = len(set(texts)) - len(set(hashed))
    if shared:
        raise PseudonymCollisionError(
            f"{shared} distinct respondent id(s) share a pseudonym of {PSEUDONYM_LENGTH} hex "
            "characters with another id; lengthen PSEUDONYM_LENGTH")
    pseudonyms = np.array([*hashed, None], dtype=object)  # code -1 (missing) takes the None
    dtype = ids.dtype if isinstance(ids.dtype, pd.StringDtype) else pd.StringDtype()
    return pd.Series(pseudonyms[codes], index=ids.index, name=ids.name, dtype=dtype)


def pseudonymise_frame(frame: pd.DataFrame, id_column: str, key: bytes) -> pd.DataFrame:
    """A copy of `frame` with `id_column` pseudonymised and every other column untouched."""
    if id_column not in frame.columns:
        raise KeyError(f"no column {id_column!r} to pseudonymise")
    out = frame.copy()
    out[id_column] = pseudonymise_ids(frame[id_column], key)
    return out


def _pseudonym(keyed: hmac.HMAC, text: str) -> str:
    keyed.update(text.encode("utf-8"))
    return keyed.hexdigest()[:PSEUDONYM_LENGTH]
