"""Typed evidence records: the contract between documents and the graph.

A record file (YAML) describes one source document and the records curated or
extracted from it. Values may be written the way documents write them
("4,1", "P<0.001", "10-NA", "73%"); validators normalize them to exact decimals.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from kg.normalize import Interval, PValue, Valued, decimal_of, interval_of, p_value_of, valued_of

__all__ = [
    "CURIE_PATTERN",
    "AdverseEventRecord",
    "AdverseEventTerm",
    "ApprovalRecord",
    "ArmRecord",
    "Design",
    "Disease",
    "DiseaseGeneRecord",
    "Drug",
    "DrugTargetRecord",
    "Endpoint",
    "Entities",
    "Locator",
    "OutcomeRecord",
    "ParticipantsRecord",
    "Record",
    "RecordFile",
    "Regimen",
    "SourceDocument",
    "StudyRecord",
    "Target",
]

CURIE_PATTERN = re.compile(r"^[a-z][a-z0-9_.]*:[^\s]+$")

Num = Annotated[Decimal, BeforeValidator(decimal_of)]
Span = Annotated[Interval, BeforeValidator(interval_of)]
PVal = Annotated[PValue, BeforeValidator(p_value_of)]
Stated = Annotated[Valued, BeforeValidator(valued_of)]
Count = Annotated[int, Field(ge=0)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


def _curies(values: list[str]) -> list[str]:
    for value in values:
        if not CURIE_PATTERN.match(value):
            raise ValueError(f"not a CURIE (prefix:id with a lower-case prefix): {value!r}")
    return values


class Locator(_Strict):
    """Where a record's support stands: a character span of the document's text."""

    section: str
    span: tuple[Annotated[int, Field(ge=0)], Annotated[int, Field(ge=0)]]
    file: str | None = None  # defaults to the record file's document

    @field_validator("span")
    @classmethod
    def _ordered(cls, span: tuple[int, int]) -> tuple[int, int]:
        if span[0] >= span[1]:
            raise ValueError(f"span start {span[0]} is not before its end {span[1]}")
        return span


class _Located(_Strict):
    loc: list[Locator]
    note: str | None = None

    @field_validator("loc", mode="before")
    @classmethod
    def _listify(cls, value: Any) -> Any:
        return [value] if isinstance(value, dict) else value

    @field_validator("loc")
    @classmethod
    def _non_empty(cls, value: list[Locator]) -> list[Locator]:
        if not value:
            raise ValueError("a record needs at least one locator")
        return value

    def stated_numbers(self) -> set[Decimal]:
        """The numbers this record states, each of which its spans must hold."""
        return set()


# --- source documents and entities -------------------------------------------------


class SourceDocument(_Strict):
    """The document a record file was curated from."""

    id: str
    file: str
    kind: Literal[
        "journal-article",
        "bibliographic-record",
        "registry-report",
        "patient-summary",
        "conference-report",
    ]
    title: str
    sha256: str | None = None
    identifiers: list[str] = []
    published: dt.date | None = None
    venue: str | None = None
    url: str | None = None
    describes: str | None = None  # the publication this document is a version of

    _ids = field_validator("identifiers")(_curies)


class _Entity(_Strict):
    key: str
    label: str
    synonyms: list[str] = []
    identifiers: list[str] = []
    definition: str | None = None

    _ids = field_validator("identifiers")(_curies)


class Drug(_Entity):
    """A drug (active ingredient) or a named drug class."""

    brands: list[str] = []
    # identifiers of salt forms (sorafenib tosylate): close to the ingredient, not the same
    salt_identifiers: list[str] = []

    _salt_ids = field_validator("salt_identifiers")(_curies)


class Disease(_Entity):
    """A disease or histological subtype studied as an indication."""

    parent: str | None = None  # a broader disease key


class Target(_Entity):
    """A molecular target: one gene product or a family of them."""

    kind: Literal["gene", "family", "complex"] = "gene"
    members: list[str] = []


class AdverseEventTerm(_Entity):
    """An adverse-event term (CTCAE-style) or a toxicity category."""

    category: bool = False


class Endpoint(_Entity):
    """What a result measures: PFS, OS, ORR, a count of progressions..."""

    abbreviation: str | None = None


class Entities(_Strict):
    """Entity catalogue sections a record file may carry."""

    drugs: list[Drug] = []
    diseases: list[Disease] = []
    targets: list[Target] = []
    adverse_event_terms: list[AdverseEventTerm] = []
    endpoints: list[Endpoint] = []


# --- evidence records --------------------------------------------------------------


class Design(_Strict):
    """How a study was designed."""

    kind: Literal["randomized-controlled-trial", "registry", "observational", "single-arm-trial"]
    phase: Literal["1", "1/2", "2", "2/3", "3", "4"] | None = None
    randomized: bool | None = None
    blinding: Literal["open-label", "single-blind", "double-blind"] | None = None
    control: Literal["placebo", "observation", "active", "none"] | None = None
    allocation_ratio: str | None = None
    multicenter: bool | None = None

    @field_validator("allocation_ratio")
    @classmethod
    def _ratio(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"\d+(\.\d+)?:\d+(\.\d+)?", value):
            raise ValueError(f"allocation ratio must look like '2:1', got {value!r}")
        return value


class StudyRecord(_Located):
    """A clinical study; records with the same ``id`` in several files are one study."""

    type: Literal["study"]
    id: str
    label: str | None = None
    acronym: str | None = None
    registry_ids: list[str] = []
    design: Design | None = None
    conditions: list[str] = []
    condition_qualifiers: list[str] = []
    drugs: list[str] = []
    sponsor: str | None = None
    enrollment_start: dt.date | None = None
    enrollment_end: dt.date | None = None
    sites: Count | None = None

    _ids = field_validator("registry_ids")(_curies)

    def stated_numbers(self) -> set[Decimal]:
        return {Decimal(self.sites)} if self.sites is not None else set()


class Regimen(_Strict):
    """What an arm received: drug(s), dose, unit, frequency, route."""

    drugs: list[str] = []
    placebo: bool = False
    observation: bool = False
    dose: Num | None = None
    unit: str | None = None
    frequency: Literal["once daily", "twice daily", "weekly", "every 3 weeks"] | None = None
    route: Literal["oral", "intravenous", "subcutaneous"] | None = None
    max_duration: str | None = None

    @model_validator(mode="after")
    def _something_given(self) -> Regimen:
        if not (self.drugs or self.placebo or self.observation):
            raise ValueError("a regimen names drugs, or is placebo or observation")
        if self.dose is not None and self.unit is None:
            raise ValueError("a dose needs its unit")
        return self


class ArmRecord(_Located):
    """An arm of a randomized study, or a cohort of a registry (drug x histotype)."""

    type: Literal["arm"]
    study: str
    id: str
    label: str
    role: Literal["experimental", "control", "cohort"]
    regimen: Regimen
    condition: str | None = None  # cohort restricted to one histotype

    def stated_numbers(self) -> set[Decimal]:
        return {self.regimen.dose} if self.regimen.dose is not None else set()


class ParticipantsRecord(_Located):
    """How many participants (or treatment lines) a study, arm or subgroup had."""

    type: Literal["participants"]
    study: str
    arm: str | None = None
    condition: str | None = None  # a histotype subgroup of the whole study
    population: Literal[
        "enrolled", "randomized", "efficacy", "safety", "treatment-lines", "toxicity", "crossover"
    ]
    n: Count
    denominator: Count | None = None
    percent: Num | None = None

    @model_validator(mode="after")
    def _consistent(self) -> ParticipantsRecord:
        _check_count(self.n, self.denominator, self.percent)
        return self

    def stated_numbers(self) -> set[Decimal]:
        return _present(self.n, self.percent)


class OutcomeRecord(_Located):
    """One result: an arm's value, or a comparison of two arms (hazard ratio...)."""

    type: Literal["outcome"]
    study: str
    endpoint: str
    statistic: Literal[
        "rate", "median", "mean", "hazard-ratio", "count", "proportion", "minimum", "difference"
    ]
    value: Stated
    unit: Literal["percent", "months", "years", "weeks", "ratio", "patients", "events"]
    arm: str | None = None
    comparator: str | None = None
    ci: Span | None = None
    ci_level: Num | None = None
    dispersion: Literal["iqr", "range"] | None = None
    dispersion_span: Span | None = None
    p_value: PVal | None = None
    time_point: Num | None = None
    time_unit: Literal["months", "years", "weeks"] | None = None
    count: Count | None = None
    denominator: Count | None = None
    population: str | None = None
    assessment: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> OutcomeRecord:
        if self.ci is not None:
            if self.ci_level is None:
                raise ValueError("ci needs ci_level (for example 95)")
            exact = self.value.relation == "="
            if exact and self.ci.low is not None and self.ci.low > self.value.value:
                raise ValueError(f"ci low {self.ci.low} is above the value {self.value.value}")
            if exact and self.ci.high is not None and self.ci.high < self.value.value:
                raise ValueError(f"ci high {self.ci.high} is below the value {self.value.value}")
        if (self.dispersion is None) != (self.dispersion_span is None):
            raise ValueError("dispersion and dispersion_span go together")
        if (self.time_point is None) != (self.time_unit is None):
            raise ValueError("time_point and time_unit go together")
        if self.statistic == "hazard-ratio" and (self.arm is None or self.comparator is None):
            raise ValueError("a hazard ratio needs both arm and comparator")
        bounded = self.statistic in {"rate", "proportion"} and self.unit == "percent"
        if bounded and not Decimal(0) <= self.value.value <= Decimal(100):
            raise ValueError(f"a percentage must be within 0-100, got {self.value.value}")
        _check_count(self.count, self.denominator, None)
        return self

    def stated_numbers(self) -> set[Decimal]:
        numbers = _present(self.value.value, self.count, self.denominator, self.time_point)
        for interval in (self.ci, self.dispersion_span):
            if interval is not None:
                numbers |= _present(interval.low, interval.high)
        if self.p_value is not None:
            numbers.add(self.p_value.value)
        return numbers


class AdverseEventRecord(_Located):
    """How often an adverse-event term (at a grade) occurred in an arm."""

    type: Literal["adverse_event"]
    study: str
    arm: str | None = None  # None: the whole study population
    term: str
    grade: str | None = None  # "1-2", "3", ">=3", "any"
    count: Count | None = None
    denominator: Count | None = None
    percent: Stated | None = None
    serious: bool | None = None
    fatal: bool | None = None
    attribution: Literal["treatment-related", "disease-related", "not attributed", "any"] | None = (
        None
    )

    @field_validator("grade")
    @classmethod
    def _grade(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"any|[1-5]|[1-5]-[1-5]|>=[1-5]", value):
            raise ValueError(f"grade must be like '3', '1-2', '>=3' or 'any', got {value!r}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> AdverseEventRecord:
        if self.count is None and self.percent is None:
            raise ValueError("an adverse-event result needs a count or a percent")
        percent = self.percent.value if self.percent is not None else None
        _check_count(self.count, self.denominator, percent)
        return self

    def grade_range(self) -> tuple[int, int] | None:
        """The lowest and highest grade the result covers."""
        if self.grade is None or self.grade == "any":
            return None
        if self.grade.startswith(">="):
            return int(self.grade[2:]), 5
        low, _, high = self.grade.partition("-")
        return int(low), int(high or low)

    def stated_numbers(self) -> set[Decimal]:
        percent = self.percent.value if self.percent is not None else None
        return _present(self.count, percent)


class DrugTargetRecord(_Located):
    """A statement that a drug acts on a target."""

    type: Literal["drug_target"]
    drug: str
    target: str
    action: Literal["inhibits", "binds", "activates"] = "inhibits"


class DiseaseGeneRecord(_Located):
    """A statement that alterations of a gene or gene product are found in a disease."""

    type: Literal["disease_gene"]
    disease: str
    gene: str
    relation: Literal["mutated-in", "overexpressed-in", "drives"] = "mutated-in"


class ApprovalRecord(_Located):
    """A regulatory approval of a drug for an indication."""

    type: Literal["approval"]
    drug: str
    agency: str
    indication: str
    indication_qualifiers: list[str] = []
    date: dt.date | None = None
    based_on: str | None = None  # a study id


Record = Annotated[
    StudyRecord
    | ArmRecord
    | ParticipantsRecord
    | OutcomeRecord
    | AdverseEventRecord
    | DrugTargetRecord
    | DiseaseGeneRecord
    | ApprovalRecord,
    Field(discriminator="type"),
]


class RecordFile(_Strict):
    """The header of a record file: its document and the entities it adds."""

    document: SourceDocument
    entities: Entities = Entities()


def _present(*values: Decimal | int | None) -> set[Decimal]:
    return {Decimal(v) for v in values if v is not None}


def _check_count(n: int | None, denominator: int | None, percent: Decimal | None) -> None:
    if n is not None and denominator is not None and n > denominator:
        raise ValueError(f"count {n} is above its denominator {denominator}")
    if percent is not None and not Decimal(0) <= percent <= Decimal(100):
        raise ValueError(f"a percentage must be within 0-100, got {percent}")
