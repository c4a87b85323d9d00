"""Typed models of the declared survey files: project, codebook and indicators.

A consultant adapts the pipeline to a survey by editing these YAML files; every file is
validated on load (strict: unknown keys are errors) and every error names file, line and key.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path, PureWindowsPath
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from schemas.indicators import IndicatorCatalogue
from schemas.project_paths import ProjectPath
from schemas.validation_rules import Validation
from schemas.yaml_source import DeclarationError, SourceDocument, load_yaml, validate_document

DEFAULT_PROJECT_FILE = Path(__file__).resolve().parent / "survey" / "project.yaml"
PROJECT_FILE_ENV = "SURVEY_PROJECT_FILE"

Kind = Literal["valid", "dont_know", "refused", "not_applicable", "missing"]
SpecialKind = Literal["dont_know", "refused", "not_applicable", "missing"]
VariableType = Literal["string", "integer", "number", "category", "date", "select_multiple"]
ChoiceCode = Annotated[str, Field(pattern=r"^[a-z0-9_]+$")]
CHOICE_SEPARATOR = "__"  # a select_multiple's 0/1 columns are <name>__<choice code>
Identifier = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]


class Strict(BaseModel):
    """Base of every declaration: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# ---------------------------------------------------------------- project.yaml
class FixedColumnDeclaration(Strict):
    """One field of a fixed-width record: 1-based first and last character, inclusive."""

    name: str
    start: int = Field(ge=1)
    end: int = Field(ge=1)
    type: Literal["string", "numeric"] = "string"


class PlainTextDeclaration(Strict):
    """How to read plain-text data: whitespace-delimited with a header, or fixed-width.

    A fixed-width file takes its positions from `columns` or from a `layout_file` (CSV with
    name, start, end[, type], relative to project.yaml). `missing` lists the tokens that mean
    missing (`.` and empty by default; add `NA`, `-9` as the archive uses them).
    """

    format: Literal["whitespace", "fixed_width"]
    missing: list[str] = [".", ""]
    columns: list[FixedColumnDeclaration] = []
    layout_file: ProjectPath | None = None

    @model_validator(mode="after")
    def _positions_are_declared_once(self) -> PlainTextDeclaration:
        if self.format == "fixed_width" and bool(self.columns) == bool(self.layout_file):
            raise ValueError("a fixed_width file needs either `columns` or `layout_file`")
        if self.format == "whitespace" and (self.columns or self.layout_file):
            raise ValueError("a whitespace file names its columns in its header line")
        return self


class RoundDeclaration(Strict):
    """One survey round and where its rows come from.

    layout `separate` (the default): the round's own files, globs under raw/<name>/.
    `long`: a pooled file of several rounds (globs under raw/), this round being the rows whose
    `round_column` holds `round_value` (the code or its value label).
    `wide`: one row per respondent with a column per round (globs under raw/); the codebook
    names each round's column. `encoding` overrides the sniffed encoding of text exports;
    `sheet` names the XLSX sheet (the first by default); `plain_text` reads archive ASCII.
    """

    name: Identifier
    label: str
    files: list[ProjectPath] = Field(min_length=1)
    layout: Literal["separate", "long", "wide"] = "separate"
    round_column: str | None = None
    round_value: str | None = None
    encoding: str | None = None
    sheet: str | None = None
    plain_text: PlainTextDeclaration | None = None

    @model_validator(mode="after")
    def _round_column_for_long_files(self) -> RoundDeclaration:
        pooled = self.round_column is not None and self.round_value is not None
        if self.layout == "long" and not pooled:
            raise ValueError("a `long` round needs `round_column` and `round_value`")
        if self.layout != "long" and (self.round_column or self.round_value):
            raise ValueError("`round_column` / `round_value` apply to `layout: long` only")
        return self

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str | None) -> str | None:
        import codecs

        if value is not None:
            try:
                codecs.lookup(value)
            except LookupError as exc:
                raise ValueError(f"unknown encoding {value!r}") from exc
        return value


class ComparisonDeclaration(Strict):
    """A pair of rounds to compare (second minus first).

    design: `independent` compares the full samples; `panel` compares only the respondents
    interviewed in both rounds, matched by the respondent id, with paired tests.
    """

    name: Identifier
    first: str
    second: str
    design: Literal["independent", "panel"]


class SamplingDesign(Strict):
    """A weighted (and optionally stratified, clustered) sample: codebook variables per role."""

    weights: str
    strata: str | None = None
    clusters: str | None = None
    fpc: str | None = None
    lonely_psu: Literal["fail", "adjust", "average", "remove"] = "fail"

    def roles(self) -> dict[str, str]:
        """Declared role -> codebook variable, for the roles in use."""
        return {role: name for role in ("weights", "strata", "clusters", "fpc")
                if (name := getattr(self, role)) is not None}


class Suppression(Strict):
    """Small-cell rules (DHS): suppress below `suppress_below`, caution below `caution_below`."""

    suppress_below: int = Field(25, ge=0)
    caution_below: int = Field(50, ge=0)


class PseudonymiseIds(Strict):
    """Respondent ids in published microdata replaced by a keyed hash (HMAC-SHA256).

    `key_file` (relative to project.yaml) holds the secret key: the same key gives the same
    pseudonyms in every round and run, so keep it, back it up, and never publish it.
    """

    key_file: ProjectPath

    @field_validator("key_file")
    @classmethod
    def _not_published_or_raw(cls, value: str) -> str:
        first = next((p for p in PureWindowsPath(value).parts if p != "."), "")
        if first.casefold() in ("outputs", "raw"):
            raise ValueError(f"{value!r} is under {first}/; keep the key out of published and "
                             "raw folders (e.g. secrets/respondent_id.key)")
        return value


class Publication(Strict):
    """How outputs/ is published (all optional)."""

    pseudonymise_ids: PseudonymiseIds | None = None


class Project(Strict):
    """The survey project: rounds, comparisons, special codes and table rules."""

    name: str
    description: str = ""
    codebook: ProjectPath = "codebook.yaml"
    indicators: ProjectPath = "indicators.yaml"
    respondent_id: Identifier
    rounds: list[RoundDeclaration] = Field(min_length=1)
    comparisons: list[ComparisonDeclaration] = []
    special_codes: dict[Identifier, dict[str, SpecialKind]] = {}
    confidence: float = Field(0.95, gt=0.5, lt=1)
    alpha: float = Field(0.05, gt=0, lt=0.5)
    suppression: Suppression = Suppression()
    sampling_design: SamplingDesign | None = None
    validation: Validation = Validation()
    publication: Publication = Publication()

    @model_validator(mode="before")
    @classmethod
    def _default_designs(cls, data: object) -> object:
        """A comparison without a design is `panel` between rounds of one wide file."""
        if not isinstance(data, dict):
            return data
        rounds = {r.get("name"): r for r in data.get("rounds") or [] if isinstance(r, dict)}
        comparisons = []
        for comparison in data.get("comparisons") or []:
            if isinstance(comparison, dict) and "design" not in comparison:
                first = rounds.get(comparison.get("first")) or {}
                second = rounds.get(comparison.get("second")) or {}
                wide = (first.get("layout") == second.get("layout") == "wide"
                        and first.get("files") == second.get("files"))
                comparison = {**comparison, "design": "panel" if wide else "independent"}
            comparisons.append(comparison)
        return {**data, "comparisons": comparisons} if comparisons else data

    @model_validator(mode="after")
    def _rounds_are_known(self) -> Project:
        names = [r.name for r in self.rounds]
        if len(set(names)) != len(names):
            raise ValueError(f"round names must be unique, got {names}")
        for comparison in self.comparisons:
            for side in (comparison.first, comparison.second):
                if side not in names:
                    raise ValueError(f"comparison {comparison.name!r}: unknown round {side!r}")
            if comparison.design == "panel" and self.sampling_design is not None:
                raise ValueError(f"comparison {comparison.name!r}: panel comparisons of a "
                                 "weighted sampling design are not supported yet")
        return self

    @property
    def round_names(self) -> list[str]:
        """Declared round names in declaration order."""
        return [r.name for r in self.rounds]


# --------------------------------------------------------------- codebook.yaml
class SourceColumn(Strict):
    """Where a canonical variable comes from in one round, and how its values map.

    `labels` are the value labels as fielded in that round (a list name or a mapping of source
    codes), when the file itself does not carry them; the harmonisation report compares them
    between rounds. `choice_separator` joins a select_multiple's column and a choice in the
    split columns (`/` for KoboToolbox and ODK, `_` for SurveyCTO; the platform's by default).
    """

    column: str
    recode: dict[str, str] = {}
    labels: str | dict[str, str] | None = None
    choice_separator: str | None = None


class Variable(Strict):
    """One canonical variable: type, labels, rules and its source column in every round."""

    name: Identifier
    label: str
    type: VariableType
    personal: bool = False
    required: bool = False
    labels: str | dict[str, str] | None = None
    range: tuple[float, float] | None = None
    missing_codes: str | None = None
    comparable: bool = True
    comparability_note: str = ""
    sources: dict[str, SourceColumn | None]

    @field_validator("sources", mode="before")
    @classmethod
    def _plain_column_names(cls, value: object) -> object:
        if isinstance(value, dict):
            return {k: {"column": v} if isinstance(v, str) else v for k, v in value.items()}
        return value

    @model_validator(mode="after")
    def _rules_fit_type(self) -> Variable:
        if self.range is not None and self.type not in ("integer", "number"):
            raise ValueError(f"range applies to integer/number variables, not {self.type}")
        if self.type in ("category", "select_multiple") and self.labels is None:
            raise ValueError(f"a {self.type} variable needs labels (a list name or a mapping)")
        return self

    def choice_variables(self, choices: dict[str, str]) -> list[Variable]:
        """The 0/1 variables of a select_multiple, one per declared choice (1 = chosen)."""
        return [Variable(name=f"{self.name}{CHOICE_SEPARATOR}{code}",
                         label=f"{self.label}: {text}", type="integer", range=(0, 1),
                         sources=dict.fromkeys(self.sources)) for code, text in choices.items()]


class Codebook(Strict):
    """Canonical variables shared by all rounds (the iecodebook idea)."""

    value_labels: dict[Identifier, dict[str, str]] = {}
    variables: list[Variable] = Field(min_length=1)

    def variable(self, name: str) -> Variable:
        """The declared variable called `name`."""
        for variable in self.variables:
            if variable.name == name:
                return variable
        raise KeyError(name)

    def labels_of(self, variable: Variable) -> dict[str, str]:
        """Value labels of a variable, resolving a shared list name."""
        return self.resolve_labels(variable.labels)

    def resolve_labels(self, labels: str | dict[str, str] | None) -> dict[str, str]:
        """A label mapping, resolving a shared list name."""
        if isinstance(labels, str):
            return self.value_labels[labels]
        return labels or {}

    def columns(self) -> list[Variable]:
        """Every harmonised column as a variable: a select_multiple adds its 0/1 choice columns.

        The select_multiple itself stays as a text column of the chosen codes, space-separated.
        """
        expanded: list[Variable] = []
        for variable in self.variables:
            if variable.type == "select_multiple":
                expanded.append(variable.model_copy(update={"type": "string", "labels": None}))
                expanded.extend(variable.choice_variables(self.labels_of(variable)))
            else:
                expanded.append(variable)
        return expanded


# ------------------------------------------------------------------ the survey
@dataclass(frozen=True)
class Survey:
    """A loaded and cross-checked set of declarations."""

    project_file: Path
    project: Project
    codebook: Codebook
    catalogue: IndicatorCatalogue


def configured_project_file() -> Path:
    """The project declaration in use: $SURVEY_PROJECT_FILE, else the shipped sample's."""
    return Path(os.environ.get(PROJECT_FILE_ENV) or DEFAULT_PROJECT_FILE).resolve()


def load_project(path: str | Path) -> tuple[Project, SourceDocument]:
    """Load and validate project.yaml."""
    doc = load_yaml(path)
    return validate_document(doc, Project), doc


def load_survey(project_file: str | Path | None = None) -> Survey:
    """Load project, codebook and indicators, and check that they refer to each other."""
    project_file = Path(project_file or configured_project_file())
    project, project_doc = load_project(project_file)
    codebook_doc = load_yaml(project_file.parent / project.codebook)
    codebook = validate_document(codebook_doc, Codebook)
    indicators_doc = load_yaml(project_file.parent / project.indicators)
    catalogue = validate_document(indicators_doc, IndicatorCatalogue)
    _check_codebook(project, codebook, codebook_doc)
    _check_indicators(project, codebook, catalogue, indicators_doc)
    known = {v.name for v in codebook.variables if not v.personal}
    design = project.sampling_design.roles() if project.sampling_design else {}
    for role, name in design.items():
        if name not in known:
            raise DeclarationError(
                f"{project_file}: sampling_design.{role}: {name!r} is not a codebook variable",
                path=project_file, key=f"sampling_design.{role}")
    _check_validation(project, codebook, project_doc)
    if project.respondent_id not in {v.name for v in codebook.variables}:
        raise DeclarationError(
            f"{project_file}: respondent_id: {project.respondent_id!r} is not a codebook variable",
            path=project_file, key="respondent_id")
    return Survey(project_file, project, codebook, catalogue)


def _check_validation(project: Project, codebook: Codebook, doc: SourceDocument) -> None:
    """Rules and fieldwork name known, non-personal variables; ranges only on numbers."""
    variables = {v.name: v for v in codebook.columns()}
    validation = project.validation
    named = [(f"validation.rules.{i}.when.{name}", name)
             for i, rule in enumerate(validation.rules) for name in rule.when]
    named += [(f"validation.rules.{i}.then.{name}", name)
              for i, rule in enumerate(validation.rules) for name in rule.then]
    fieldwork = validation.fieldwork
    named += [(f"validation.fieldwork.{role}", name) for role in ("enumerator", "start", "end",
                                                                  "form_version")
              if (name := getattr(fieldwork, role)) is not None]
    named += [("validation.fieldwork.outliers", name) for name in fieldwork.outliers]
    named += [(f"validation.fieldwork.scales.{scale}", name)
              for scale, items in fieldwork.scales.items() for name in items]
    for key, name in named:
        if name not in variables or variables[name].personal:
            raise _fail(doc, tuple(_loc_parts(key)), f"{name!r} is not a (non-personal) "
                        "codebook variable")
    for i, rule in enumerate(validation.rules):
        for name, requirement in rule.then.items():
            if requirement.range is not None and variables[name].type not in ("integer",
                                                                               "number"):
                raise _fail(doc, ("validation", "rules", i, "then", name, "range"),
                            f"a range needs a numeric variable; {name!r} is "
                            f"{variables[name].type}")


def _loc_parts(dotted: str) -> list[str | int]:
    return [int(part) if part.isdigit() else part for part in dotted.split(".")]


def _fail(doc: SourceDocument, loc: tuple[str | int, ...], message: str) -> DeclarationError:
    dotted = ".".join(str(part) for part in loc)
    line = doc.line_of(loc)
    where = f"{doc.path}:{line}" if line else str(doc.path)
    return DeclarationError(f"{where}: {dotted}: {message}", path=doc.path, line=line, key=dotted)


def _check_codebook(project: Project, codebook: Codebook, doc: SourceDocument) -> None:
    rounds = set(project.round_names)
    seen: set[str] = set()
    for i, variable in enumerate(codebook.variables):
        loc: tuple[str | int, ...] = ("variables", i)
        if variable.name in seen:
            raise _fail(doc, (*loc, "name"), f"variable {variable.name!r} is declared twice")
        seen.add(variable.name)
        if set(variable.sources) != rounds:
            missing, unknown = rounds - set(variable.sources), set(variable.sources) - rounds
            raise _fail(doc, (*loc, "sources"), "every declared round needs a source "
                        f"(null = absent in that round); missing {sorted(missing)}, "
                        f"unknown {sorted(unknown)}")
        if isinstance(variable.labels, str) and variable.labels not in codebook.value_labels:
            raise _fail(doc, (*loc, "labels"), f"unknown value label list {variable.labels!r}")
        if variable.type == "select_multiple":
            bad = [c for c in codebook.labels_of(variable) if not re.fullmatch(r"[a-z0-9_]+", c)]
            if bad:
                raise _fail(doc, (*loc, "labels"), f"choice codes {bad} of a select_multiple "
                            "must be lower-case letters, digits or _ (they name columns)")
        for round_name, source in variable.sources.items():
            if source and isinstance(source.labels, str) and (
                    source.labels not in codebook.value_labels):
                raise _fail(doc, (*loc, "sources", round_name, "labels"),
                            f"unknown value label list {source.labels!r}")
        if variable.missing_codes and variable.missing_codes not in project.special_codes:
            raise _fail(doc, (*loc, "missing_codes"),
                        f"unknown special code set {variable.missing_codes!r} (declare it under "
                        "special_codes in project.yaml)")


def _check_indicators(project: Project, codebook: Codebook, catalogue: IndicatorCatalogue,
                      doc: SourceDocument) -> None:
    variables = {v.name: v for v in codebook.variables}
    variables.update({v.name: v for v in codebook.columns()})
    rounds = set(project.round_names)
    ids: set[str] = set()
    for i, indicator in enumerate(catalogue.indicators):
        loc: tuple[str | int, ...] = ("indicators", i)
        if indicator.id in ids:
            raise _fail(doc, (*loc, "id"), f"indicator {indicator.id!r} is declared twice")
        ids.add(indicator.id)
        derived = catalogue.derived_groups
        used = indicator.variables()
        for key, names in used.items():
            for name in names:
                if name not in variables:
                    raise _fail(doc, (*loc, key), f"unknown codebook variable {name!r}")
                if variables[name].personal:
                    raise _fail(doc, (*loc, key), f"{name!r} is personal data")
        for key in ("targets", "precoded"):
            for round_name in getattr(indicator, key, None) or {}:
                if round_name not in rounds:
                    raise _fail(doc, (*loc, key, round_name), f"unknown round {round_name!r}")
        for name in indicator.groups:
            if name in derived:
                continue
            if name not in variables:
                raise _fail(doc, (*loc, "groups"), f"unknown group {name!r} (neither a codebook "
                            "variable nor a derived group)")
            if variables[name].personal:
                raise _fail(doc, (*loc, "groups"), f"{name!r} is personal data")
            if variables[name].type != "category":
                raise _fail(doc, (*loc, "groups"), f"group variable {name!r} is not a category")
    for name, group in catalogue.derived_groups.items():
        if group.variable not in variables or variables[group.variable].type not in (
                "integer", "number"):
            raise _fail(doc, ("derived_groups", name, "variable"),
                        f"{group.variable!r} is not a numeric codebook variable")
