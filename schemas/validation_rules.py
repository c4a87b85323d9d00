"""Declared validation beyond the codebook: cross-field rules, corrections, duplicates, fieldwork.

Under `validation:` in project.yaml. Cross-field rules say what must hold when a condition holds
("adolescents are 10-19"; "satisfaction is not applicable unless services were used"). The
corrections and duplicate-resolution files are CSV tables a consultant edits (Excel-friendly),
re-applied on every run. Fieldwork names the variables the high-frequency checks read.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from schemas.project_paths import ProjectPath

Identifier = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
Kind = Literal["valid", "dont_know", "refused", "not_applicable", "missing"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Requirement(_Strict):
    """What a variable must satisfy on the rows a rule applies to."""

    range: tuple[float, float] | None = None
    codes: list[str] | None = None
    kinds: list[Kind] | None = None  # e.g. [not_applicable, missing] for a skipped question

    @model_validator(mode="after")
    def _one_requirement(self) -> Requirement:
        if sum(x is not None for x in (self.range, self.codes, self.kinds)) != 1:
            raise ValueError("give exactly one of range, codes, kinds")
        return self


class CrossFieldRule(_Strict):
    """When `when` holds (variable -> codes), every `then` requirement must hold."""

    name: Identifier
    description: str = ""
    when: dict[Identifier, list[str]] = Field(min_length=1)
    then: dict[Identifier, Requirement] = Field(min_length=1)


class Fieldwork(_Strict):
    """Codebook variables the fieldwork-quality (high-frequency) checks read."""

    enumerator: str | None = None
    start: str | None = None
    end: str | None = None
    form_version: str | None = None
    outliers: list[Identifier] = []  # numeric variables checked with the IQR rule
    scales: dict[Identifier, list[Identifier]] = {}  # straightlining: scale -> its items
    min_straightline_items: int = Field(5, ge=2)


class Validation(_Strict):
    """Project-level validation declarations (all optional)."""

    rules: list[CrossFieldRule] = []
    corrections: ProjectPath | None = None  # CSV next to project.yaml
    duplicates: ProjectPath | None = None  # CSV next to project.yaml
    fieldwork: Fieldwork = Fieldwork()
    out_of_range_warn_share: float = Field(0.05, ge=0, le=1)
    straightlining_warn_share: float = Field(0.10, ge=0, le=1)
