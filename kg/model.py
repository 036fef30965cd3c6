"""Typed evidence records: the contract between documents and the graph.

A record file (YAML) describes one source document and the records curated or
extracted from it. Values may be written the way documents write them
("4,1", "P<0.001", "10-NA", "73%"); validators normalize them to exact decimals.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, core_schema

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
    "Grade",
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

_NUMBER = {"type": "number"}
Num = Annotated[
    Decimal,
    BeforeValidator(decimal_of),
    WithJsonSchema(
        {
            "anyOf": [_NUMBER, {"type": "string"}],
            "description": "a number; a string may use a decimal comma or a trailing %: "
            "'4,1', '73%'",
        }
    ),
]
_BOUND = {"anyOf": [_NUMBER, {"type": "string"}, {"type": "null"}]}
Span = Annotated[
    Interval,
    BeforeValidator(interval_of),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string"},
                {"type": "array", "prefixItems": [_BOUND, _BOUND], "minItems": 2, "maxItems": 2},
                {
                    "type": "object",
                    "properties": {"low": _BOUND, "high": _BOUND},
                    "additionalProperties": False,
                },
            ],
            "description": "an interval: [low, high], {low, high}, or as written: '69 to 96', "
            "'3,2-4,8', '10-NA', '95% CI 0.05-0.31'; an unknown bound is NA (or null)",
        }
    ),
]
PVal = Annotated[
    PValue,
    BeforeValidator(p_value_of),
    WithJsonSchema(
        {
            "anyOf": [
                _NUMBER,
                {"type": "string"},
                {
                    "type": "object",
                    "properties": {
                        "value": {"anyOf": [_NUMBER, {"type": "string"}]},
                        "relation": {"enum": ["=", "<", ">", "<=", ">=", "≤", "≥", "~"]},
                    },
                    "required": ["value"],
                    "additionalProperties": False,
                },
            ],
            "description": "a p-value in 0-1: 0.04, 'P<0.001', 'p = 0.04', '<.001'",
        }
    ),
]
Stated = Annotated[
    Valued,
    BeforeValidator(valued_of),
    WithJsonSchema(
        {
            "anyOf": [_NUMBER, {"type": "string"}],
            "description": "a number, optionally with a relation: 37, '<1', '>=3', '≥3', "
            "'~37', 'approximately 37', '4,1'",
        }
    ),
]
Count = Annotated[int, Field(ge=0)]


def _fold(text: str) -> str:
    """Case, dashes, underscores and spacing do not distinguish allowed values."""
    text = re.sub(r"[\s_\-\u2010-\u2015\u2212]+", " ", text.strip().casefold())
    return re.sub(r" ?([<>=≤≥/+]) ?", r"\1", text)


@dataclass(frozen=True)
class _Choice:
    """Lets a ``Literal`` field take its values as people write them.

    A value matches whatever its case, dashes, underscores or spacing (``Single arm trial``),
    an integer matches its digits (``phase: 2``), a leading word in ``strip`` is dropped
    (``grade 3``), and each alias stands for one allowed value (``single-arm``). The JSON
    Schema lists the allowed values and the aliases.
    """

    aliases: tuple[tuple[str, str], ...] = ()
    strip: tuple[str, ...] = ()

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        table = {_fold(v): v for v in get_args(source)}
        for alias, value in self.aliases:
            if value not in get_args(source):
                raise TypeError(f"alias {alias!r} stands for {value!r}, not an allowed value")
            table[_fold(alias)] = value
        words = re.compile(rf"^\s*(?:{'|'.join(self.strip)})\b", re.I) if self.strip else None

        def pick(raw: Any) -> Any:
            if isinstance(raw, int) and not isinstance(raw, bool):
                raw = str(raw)
            if not isinstance(raw, str):
                return raw
            return table.get(_fold(words.sub("", raw) if words else raw), raw)

        return core_schema.no_info_before_validator_function(pick, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json = dict(handler.resolve_ref_schema(handler(schema)))
        numbers = [int(value) for value in json["enum"] if value.isdigit()]
        json["enum"] = [*json["enum"], *(alias for alias, _ in self.aliases), *numbers]
        if numbers:  # phase: 2 and grade: 3 are YAML integers
            json["type"] = ["string", "integer"]
        if self.aliases:
            json["x-aliases"] = dict(self.aliases)
        return json


_PHASE_ALIASES = (
    ("I", "1"),
    ("I/II", "1/2"),
    ("II", "2"),
    ("II/III", "2/3"),
    ("III", "3"),
    ("IV", "4"),
)
# the forms of a CTCAE grade range people write: "≥3", "3+", "all"
_GRADE_ALIASES = (
    *((f"≥{n}", f">={n}") for n in range(1, 6)),
    *((f"{n}+", f">={n}") for n in range(1, 6)),
    ("all", "any"),
    ("any grade", "any"),
)
Grade = Annotated[
    Literal[
        "any",
        "1",
        "2",
        "3",
        "4",
        "5",
        "1-2",
        "1-3",
        "1-4",
        "1-5",
        "2-3",
        "2-4",
        "2-5",
        "3-4",
        "3-5",
        "4-5",
        ">=1",
        ">=2",
        ">=3",
        ">=4",
        ">=5",
    ],
    _Choice(_GRADE_ALIASES, strip=("grade", "grades")),
]


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
    span: Annotated[
        tuple[Annotated[int, Field(ge=0)], Annotated[int, Field(ge=0)]],
        Field(
            description="[start, end]: 0-based character offsets into the document's text "
            "(Unicode code points, not bytes); the end is exclusive, so the text is "
            "text[start:end] in Python"
        ),
    ]
    file: str | None = None  # defaults to the record file's document

    @field_validator("span")
    @classmethod
    def _ordered(cls, span: tuple[int, int]) -> tuple[int, int]:
        if span[0] >= span[1]:
            raise ValueError(f"span start {span[0]} is not before its end {span[1]}")
        return span


@dataclass(frozen=True)
class _OneOrMany:
    """In the JSON Schema, a list field also takes a single item (validators wrap it)."""

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        many = {**handler(schema), "minItems": 1}
        return {"anyOf": [many["items"], many]}


class _Located(_Strict):
    loc: Annotated[list[Locator], _OneOrMany()]
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
    kind: Annotated[
        Literal[
            "journal-article",
            "bibliographic-record",
            "registry-report",
            "patient-summary",
            "conference-report",
            "conference-abstract",
        ],
        _Choice((("article", "journal-article"), ("abstract", "conference-abstract"))),
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


class _Identified(_Entity):
    """An entity the graph expects a standard identifier for (drugs, diseases, targets)."""

    # why the entity has no standard identifier (a new investigational compound, say)
    identifier_gap: (
        Annotated[
            str,
            Field(
                min_length=3,
                description="why this entity has no standard identifier (only when "
                "'identifiers' is empty); the graph records it as cdek:identifierGap",
            ),
        ]
        | None
    ) = None

    @model_validator(mode="after")
    def _gap_only_without_identifiers(self) -> _Identified:
        if self.identifier_gap is not None and self.identifiers:
            raise ValueError(
                "identifier_gap gives the reason an entity has no identifiers, but this one "
                "has identifiers: remove one or the other"
            )
        return self


class Drug(_Identified):
    """A drug (active ingredient) or a named drug class."""

    brands: list[str] = []
    # identifiers of salt forms (sorafenib tosylate): close to the ingredient, not the same
    salt_identifiers: list[str] = []

    _salt_ids = field_validator("salt_identifiers")(_curies)


class Disease(_Identified):
    """A disease or histological subtype studied as an indication."""

    parent: str | None = None  # a broader disease key


class Target(_Identified):
    """A molecular target: one gene product or a family of them."""

    kind: Annotated[Literal["gene", "family", "complex"], _Choice()] = "gene"
    members: list[str] = []
    # the curated list kg/data/kinases.csv marks the embedded targets by UniProt accession
    kinase: bool = Field(
        default=False,
        description="the gene product is a protein kinase (cdek:ProteinKinase), so a drug "
        "inhibiting it and another kinase target is a multi-kinase inhibitor",
    )

    @model_validator(mode="after")
    def _family_shape(self) -> Target:
        if self.kind == "family" and self.kinase:
            raise ValueError(
                "a family is a kinase target through its members: mark the members "
                "'kinase: true', not the family"
            )
        if self.members and self.kind != "family":
            raise ValueError(f"only a family has members (this target's kind is {self.kind!r})")
        return self


class AdverseEventTerm(_Entity):
    """An adverse-event term (CTCAE-style) or a toxicity category."""

    category: bool = False


class Endpoint(_Entity):
    """What a result measures: PFS, OS, ORR, a count of progressions..."""

    abbreviation: str | None = None
    # whether the event the endpoint counts is bad for the patient (progression, death) or good
    # (a response); it decides which side of 1 a ratio of the event favours the first arm
    event: Literal["harmful", "beneficial"] | None = None


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

    kind: Annotated[
        Literal["randomized-controlled-trial", "registry", "observational", "single-arm-trial"],
        _Choice(
            (
                ("single-arm", "single-arm-trial"),
                ("randomised-controlled-trial", "randomized-controlled-trial"),
                ("RCT", "randomized-controlled-trial"),
                ("registry-study", "registry"),
                ("observational-study", "observational"),
            )
        ),
    ]
    phase: (
        Annotated[
            Literal["1", "1/2", "2", "2/3", "3", "4"],
            _Choice(_PHASE_ALIASES, strip=("phase",)),
        ]
        | None
    ) = None
    randomized: bool | None = None
    blinding: (
        Annotated[
            Literal["open-label", "single-blind", "double-blind"],
            _Choice((("open", "open-label"), ("double-blinded", "double-blind"))),
        ]
        | None
    ) = None
    control: Annotated[Literal["placebo", "observation", "active", "none"], _Choice()] | None = None
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
    frequency: (
        Annotated[
            Literal["once daily", "twice daily", "weekly", "every 3 weeks"],
            _Choice(
                (
                    ("daily", "once daily"),
                    ("QD", "once daily"),
                    ("BID", "twice daily"),
                    ("QW", "weekly"),
                    ("Q3W", "every 3 weeks"),
                )
            ),
        ]
        | None
    ) = None
    route: (
        Annotated[
            Literal["oral", "intravenous", "subcutaneous"],
            _Choice((("PO", "oral"), ("IV", "intravenous"), ("SC", "subcutaneous"))),
        ]
        | None
    ) = None
    max_duration: str | None = None

    @model_validator(mode="after")
    def _something_given(self) -> Regimen:
        if not (self.drugs or self.placebo or self.observation):
            raise ValueError("a regimen names drugs, or is placebo or observation")
        if self.dose is not None and self.unit is None:
            raise ValueError("a dose needs its unit")
        if self.dose is not None and len(self.drugs) > 1:
            raise ValueError(
                "a combination regimen has one dose field for several drugs: leave 'dose' "
                "and 'unit' out and give each drug's dose in the arm's label or note"
            )
        return self


class ArmRecord(_Located):
    """An arm of a randomized study, or a cohort of a registry (drug x histotype)."""

    type: Literal["arm"]
    study: str
    id: str
    label: str
    role: Annotated[Literal["experimental", "control", "cohort"], _Choice()]
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
    population: Annotated[
        Literal[
            "enrolled",
            "randomized",
            "efficacy",
            "safety",
            "treatment-lines",
            "toxicity",
            "crossover",
        ],
        _Choice((("randomised", "randomized"),)),
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
    statistic: Annotated[
        Literal[
            "rate",
            "median",
            "mean",
            "hazard-ratio",
            "count",
            "proportion",
            "minimum",
            "difference",
        ],
        _Choice((("HR", "hazard-ratio"),)),
    ]
    value: Stated
    unit: Annotated[
        Literal["percent", "months", "years", "weeks", "ratio", "patients", "events"],
        _Choice((("%", "percent"), ("month", "months"), ("year", "years"), ("week", "weeks"))),
    ]
    arm: str | None = None
    comparator: str | None = None
    ci: Span | None = None
    ci_level: Num | None = None
    dispersion: Annotated[Literal["iqr", "range"], _Choice()] | None = None
    dispersion_span: Span | None = None
    p_value: PVal | None = None
    time_point: Num | None = None
    time_unit: (
        Annotated[
            Literal["months", "years", "weeks"],
            _Choice((("month", "months"), ("year", "years"), ("week", "weeks"))),
        ]
        | None
    ) = None
    count: Count | None = None
    denominator: Count | None = None
    population: str | None = None
    assessment: str | None = None
    method: (
        Annotated[
            Literal[
                "cox-ph",
                "stratified-cox-ph",
                "log-rank",
                "stratified-log-rank",
                "kaplan-meier",
                "cmh",
                "ancova",
                "exact-binomial",
                "fisher-exact",
                "chi-square",
            ],
            _Choice(),
        ]
        | None
    ) = None
    sides: Literal[1, 2] | None = None  # of the p-value and interval, when the text says

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
        if self.comparator is not None and self.comparator == self.arm:
            raise ValueError("an arm cannot be compared with itself")
        if self.sides is not None and self.p_value is None and self.ci is None:
            raise ValueError("sides describes a p-value or an interval: give one")
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
    grade: Grade | None = None  # "1-2", "3", ">=3" (or "≥3"), "any"
    count: Count | None = None
    denominator: Count | None = None
    percent: Stated | None = None
    serious: bool | None = None
    fatal: bool | None = None
    attribution: (
        Annotated[
            Literal["treatment-related", "disease-related", "not attributed", "any"],
            _Choice((("related", "treatment-related"), ("unrelated", "not attributed"))),
        ]
        | None
    ) = None

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
    action: Annotated[Literal["inhibits", "binds", "activates"], _Choice()] = "inhibits"


class DiseaseGeneRecord(_Located):
    """A statement that alterations of a gene or gene product are found in a disease."""

    type: Literal["disease_gene"]
    disease: str
    gene: str
    relation: Annotated[Literal["mutated-in", "overexpressed-in", "drives"], _Choice()] = (
        "mutated-in"
    )


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
    """A record file: the document it was curated from, the entities it adds, its records.

    A file may hold only ``entities`` (a catalogue); records need a ``document``. This is the
    model ``kg schema`` publishes as a JSON Schema; the loader validates the parts one by one.
    """

    document: SourceDocument | None = None
    entities: Entities = Entities()
    records: list[Record] = []

    @model_validator(mode="after")
    def _records_need_a_document(self) -> RecordFile:
        if self.records and self.document is None:
            raise ValueError("records need a document")
        return self


def _present(*values: Decimal | int | None) -> set[Decimal]:
    return {Decimal(v) for v in values if v is not None}


def _check_count(n: int | None, denominator: int | None, percent: Decimal | None) -> None:
    if n is not None and denominator is not None and n > denominator:
        raise ValueError(f"count {n} is above its denominator {denominator}")
    if percent is not None and not Decimal(0) <= percent <= Decimal(100):
        raise ValueError(f"a percentage must be within 0-100, got {percent}")
