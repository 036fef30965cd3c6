"""Typed evidence records: the contract between documents and the graph.

A record file (YAML) describes one source document and the records curated or
extracted from it. Values may be written the way documents write them
("4,1", "P<0.001", "10-NA", "73%"); validators normalize them to exact decimals.
"""

from __future__ import annotations

import re
from collections.abc import Callable
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
    PlainSerializer,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, core_schema

from kg import units
from kg.dates import PartialDate, partial_date_of
from kg.normalize import Interval, PValue, Valued, decimal_of, interval_of, p_value_of, valued_of

__all__ = [
    "CURIE_PATTERN",
    "AdverseEventRecord",
    "AdverseEventTerm",
    "ApprovalRecord",
    "ArmCount",
    "ArmRecord",
    "BaselineRecord",
    "Criterion",
    "Design",
    "DeviationRecord",
    "Disease",
    "DiseaseGeneRecord",
    "Drug",
    "DrugTargetRecord",
    "Endpoint",
    "Entities",
    "Extraction",
    "FindingRecord",
    "Grade",
    "Locator",
    "OutcomeRecord",
    "ParticipantsRecord",
    "ProtocolRuleRecord",
    "Record",
    "RecordFile",
    "Regimen",
    "RelatedPublication",
    "SampleSizeRecord",
    "SourceDocument",
    "StratificationFactor",
    "StudyEndpointRecord",
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
Date = Annotated[
    PartialDate,
    BeforeValidator(partial_date_of),
    PlainSerializer(str, return_type=str),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": r"^\d{4}(-\d{2}(-\d{2})?)?$"},
                {"type": "integer"},
            ],
            "description": "a date to the precision the source gives: YYYY-MM-DD, or YYYY-MM "
            "or YYYY when it gives no day (or month); the graph never invents a day",
        }
    ),
]


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


def _known(lookup: Callable[[str], str]) -> Callable[[Any], Any]:
    """A check that a word has a code in kg/units.py, raising its error (which names the word and
    the known ones) before the allowed values are matched."""

    def check(value: Any) -> Any:
        if isinstance(value, str):
            lookup(value)
        return value

    return check


def _curies(values: list[str]) -> list[str]:
    for value in values:
        if not CURIE_PATTERN.match(value):
            raise ValueError(f"not a CURIE (prefix:id with a lower-case prefix): {value!r}")
    return values


def _one_per_vocabulary(values: list[str]) -> list[str]:
    """Exact identifiers: at most one per vocabulary (a second one is broader or narrower)."""
    seen: dict[str, str] = {}
    for value in values:
        prefix = value.partition(":")[0]
        if prefix in seen:
            raise ValueError(
                f"two exact identifiers in the vocabulary {prefix!r}: {seen[prefix]} and {value}; "
                "keep the one that means the same and move the other to broad_identifiers, "
                "narrow_identifiers or close_identifiers"
            )
        seen[prefix] = value
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


class Extraction(_Strict):
    """How ``kg extract`` drafted a record: the rule that matched, its confidence, the tool."""

    rule: Annotated[str, Field(min_length=1)]
    confidence: Annotated[float, Field(ge=0, le=1)]
    tool: Annotated[str, Field(min_length=1, description="the extractor and its version")]


class _Located(_Strict):
    loc: Annotated[list[Locator], _OneOrMany()]
    note: str | None = None
    # a machine-drafted record: how it was drafted, and the curator's verdict on it (a rejected
    # draft is not built; an accepted one is built, still marked as machine-extracted)
    extraction: Extraction | None = None
    review: Literal["draft", "accepted", "rejected"] | None = None

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


class RelatedPublication(_Strict):
    """A publication a document is related to but that was not itself read: not its own id."""

    relation: Literal["source", "protocol", "full-report"] = Field(
        description="source: the document is based on this publication (a summary's source); "
        "protocol: it gives the protocol of the study the document reports; full-report: the "
        "full peer-reviewed report of the results the document presents"
    )
    label: str = Field(description="a short citation: first author, topic, venue and year")
    venue: str | None = None
    identifiers: list[str] = Field(min_length=1, description="its PMID, PMCID, DOI CURIEs")

    _ids = field_validator("identifiers")(_curies)
    _exact = field_validator("identifiers")(_one_per_vocabulary)


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
    published: Date | None = None
    venue: str | None = None
    url: str | None = None
    describes: str | None = None  # the publication this document is a version of
    related: list[RelatedPublication] = []  # publications it rests on or that report its study

    _ids = field_validator("identifiers")(_curies)
    _exact = field_validator("identifiers")(_one_per_vocabulary)


class _Entity(_Strict):
    key: str
    label: str
    synonyms: list[str] = []
    identifiers: list[str] = []
    definition: str | None = None

    _ids = field_validator("identifiers")(_curies)
    _exact = field_validator("identifiers")(_one_per_vocabulary)


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

    # classes of other vocabularies that are not the same (skos:broadMatch, narrowMatch,
    # closeMatch): the general class of a subtype, the adult form of a disease, a morphology code
    broad_identifiers: list[str] = Field(
        default=[], description="CURIEs of broader classes (skos:broadMatch)"
    )
    narrow_identifiers: list[str] = Field(
        default=[], description="CURIEs of narrower classes (skos:narrowMatch)"
    )
    close_identifiers: list[str] = Field(
        default=[], description="CURIEs of related, not interchangeable classes (skos:closeMatch)"
    )

    _mapped = field_validator("broad_identifiers", "narrow_identifiers", "close_identifiers")(
        _curies
    )

    @model_validator(mode="after")
    def _gap_only_without_identifiers(self) -> _Identified:
        if self.identifier_gap is not None and self.identifiers:
            raise ValueError(
                "identifier_gap gives the reason an entity has no identifiers, but this one "
                "has identifiers: remove one or the other"
            )
        return self

    @model_validator(mode="after")
    def _one_kind_of_match(self) -> _Identified:
        kinds = {
            "identifiers": self.identifiers,
            "broad_identifiers": self.broad_identifiers,
            "narrow_identifiers": self.narrow_identifiers,
            "close_identifiers": [*self.close_identifiers, *getattr(self, "salt_identifiers", [])],
        }
        seen: dict[str, str] = {}
        for kind, curies in kinds.items():
            for curie in curies:
                if curie in seen and seen[curie] != kind:
                    raise ValueError(f"{curie} is listed under both {seen[curie]} and {kind}")
                seen[curie] = kind
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


class AdverseEventTerm(_Identified):
    """An adverse-event term (CTCAE-style), a toxicity category, or an aggregate."""

    category: bool = False  # an organ-level grouping the study made ("skin toxicity")
    aggregate: bool = False  # a count over all terms ("any adverse event", "toxic death")

    @model_validator(mode="after")
    def _one_kind(self) -> AdverseEventTerm:
        if self.category and self.aggregate:
            raise ValueError("a term is a category or an aggregate, not both")
        return self


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
    # every use the study records is outside the drug's approved indications (an off-label
    # registry): the KGX export marks its drug-disease edges clinical_approval_status off_label_use
    off_label: bool | None = None

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
    enrollment_start: Date | None = None  # 2008-10 when the source gives only the month
    enrollment_end: Date | None = None
    sites: Count | None = None

    _ids = field_validator("registry_ids")(_curies)

    def stated_numbers(self) -> set[Decimal]:
        sites = {Decimal(self.sites)} if self.sites is not None else set()
        return sites | _date_numbers(self.enrollment_start, self.enrollment_end)


class RegimenComponent(_Strict):
    """One drug of a combination with its own dose."""

    drug: str
    dose: Num
    unit: str
    frequency: str | None = None
    route: str | None = None

    @field_validator("unit", "frequency", "route")
    @classmethod
    def _coded(cls, value: str | None, info: ValidationInfo) -> str | None:
        lookup = {"unit": units.ucum, "frequency": units.frequency, "route": units.route}
        if value is not None:
            lookup[str(info.field_name)](value)  # the build codes it: unknown words fail here
        return value


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
            BeforeValidator(_known(units.frequency)),  # runs first: names an unknown word
        ]
        | None
    ) = None
    route: (
        Annotated[
            Literal["oral", "intravenous", "subcutaneous"],
            _Choice((("PO", "oral"), ("IV", "intravenous"), ("SC", "subcutaneous"))),
            BeforeValidator(_known(units.route)),
        ]
        | None
    ) = None
    max_duration: str | None = None
    # drugs that part of the group also received (a registry cohort of "sirolimus, 8 of 10 with
    # cyclophosphamide"); a participants record with population "combination" says how many
    with_some: list[str] = []
    # each drug's own dose in a combination (the single dose/unit fields cannot hold two)
    components: list[RegimenComponent] = []

    @field_validator("unit")
    @classmethod
    def _coded_unit(cls, value: str | None) -> str | None:
        if value is not None:
            units.ucum(value)  # the build codes it: an unknown unit names the known ones
        return value

    @field_validator("max_duration")
    @classmethod
    def _coded_duration(cls, value: str | None) -> str | None:
        if value is not None:
            units.duration(value)
        return value

    @model_validator(mode="after")
    def _something_given(self) -> Regimen:
        if not (self.drugs or self.placebo or self.observation):
            raise ValueError("a regimen names drugs, or is placebo or observation")
        if self.dose is not None and self.unit is None:
            raise ValueError("a dose needs its unit")
        if self.dose is not None and len(self.drugs) > 1:
            raise ValueError(
                "a combination regimen has one dose field for several drugs: leave 'dose' "
                "and 'unit' out and give each drug's dose under 'components'"
            )
        listed = [c.drug for c in self.components]
        if len(set(listed)) != len(listed) or not set(listed) <= set(self.drugs):
            raise ValueError("components name each drug of 'drugs' at most once")
        if set(self.with_some) & set(self.drugs):
            raise ValueError("a drug is either given to all ('drugs') or to some ('with_some')")
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
    # a registry cohort inside a larger one (drug x histotype within the drug's cohort): cohorts
    # are strata that overlap, unlike the arms of a trial
    within: list[str] = []
    # a cohort of a registry of off-label use whose use was approved (imatinib for DFSP)
    on_label: bool = False

    @field_validator("within", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @model_validator(mode="after")
    def _cohort_fields(self) -> ArmRecord:
        if self.within and self.role != "cohort":
            raise ValueError("'within' is for registry cohorts (role: cohort)")
        if self.id in self.within:
            raise ValueError("a cohort cannot lie within itself")
        return self

    def stated_numbers(self) -> set[Decimal]:
        doses = [c.dose for c in self.regimen.components]
        return _present(self.regimen.dose, *doses)


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
            "single-agent",
            "combination",
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
        Literal[
            "percent", "months", "years", "weeks", "ratio", "patients", "treatment-lines", "events"
        ],
        _Choice(
            (
                ("%", "percent"),
                ("month", "months"),
                ("year", "years"),
                ("week", "weeks"),
                ("lines", "treatment-lines"),
            )
        ),
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
    condition: str | None = None  # a histotype subgroup of the study (a disease, not a population)
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

    @model_validator(mode="before")
    @classmethod
    def _fatal_is_grade_5(cls, data: Any) -> Any:
        """CTCAE grades a death related to an adverse event 5; 'any' grade says no more."""
        unstated = isinstance(data, dict) and str(data.get("grade")).strip().lower() in (
            "any",
            "none",
        )
        if unstated and data.get("fatal") is True:
            data = {**data, "grade": "5"}
        return data

    @model_validator(mode="after")
    def _consistent(self) -> AdverseEventRecord:
        if self.count is None and self.percent is None:
            raise ValueError("an adverse-event result needs a count or a percent")
        if self.fatal and self.grade_range()[1] < 5:
            raise ValueError(f"a fatal event is grade 5, not grade {self.grade}")
        percent = self.percent.value if self.percent is not None else None
        _check_count(self.count, self.denominator, percent)
        return self

    def grade_range(self) -> tuple[int, int]:
        """The lowest and highest grade the result covers ("any" or unstated: 1 to 5)."""
        if self.grade is None or self.grade == "any":
            return 1, 5
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
    date: Date | None = None
    based_on: str | None = None  # a study id

    def stated_numbers(self) -> set[Decimal]:
        return _date_numbers(self.date)


# --- study design: endpoints, baseline, statistical plan, protocol rules, findings -------------
# (record types that describe how a study was designed and run, and results it states without an
# exact number; each states its numbers through stated_numbers so that spans are checked too)

_DurationUnit = Annotated[
    Literal["days", "weeks", "months", "years"],
    _Choice((("day", "days"), ("week", "weeks"), ("month", "months"), ("year", "years"))),
]
_VERSION = re.compile(r"^\d+(\.\d+)*$")


def _version_text(raw: Any) -> Any:
    """A version written as a YAML number (4.03) is read as its text; quote '1.10' to keep 0s."""
    if isinstance(raw, bool):
        return raw
    return repr(raw) if isinstance(raw, float) else str(raw) if isinstance(raw, int) else raw


def _paired(record: BaseModel, *pairs: tuple[str, str]) -> None:
    for value, unit in pairs:
        if (getattr(record, value) is None) != (getattr(record, unit) is None):
            raise ValueError(f"{value} and {unit} go together")


def _positive(**values: Decimal | int | None) -> None:
    for name, value in values.items():
        if value is not None and value <= 0:
            raise ValueError(f"{name} must be above 0, got {value}")


class Criterion(_Strict):
    """A named assessment standard and, when the document gives it, its version."""

    name: Annotated[str, Field(min_length=2, description="RECIST, CTCAE, PRO-CTCAE, ...")]
    version: Annotated[str | None, BeforeValidator(_version_text)] = None

    @field_validator("version")
    @classmethod
    def _dotted(cls, value: str | None) -> str | None:
        if value is not None and not _VERSION.match(value):
            raise ValueError(f"a version is dotted digits such as '1.1' or '4.03', got {value!r}")
        return value

    def label(self) -> str:
        return f"{self.name} {self.version}" if self.version else self.name


class StudyEndpointRecord(_Located):
    """An endpoint as one study defines it: its role, criteria, assessor, event and time frame."""

    type: Literal["endpoint"]
    study: str
    endpoint: str
    role: Annotated[
        Literal["primary", "secondary", "exploratory"],
        _Choice((("main", "primary"), ("other", "exploratory"))),
    ]
    criteria: list[Criterion] = []
    assessor: (
        Annotated[
            Literal[
                "investigator",
                "central-review",
                "independent-review",
                "blinded-independent-central-review",
                "patient-reported",
            ],
            _Choice(
                (
                    ("local", "investigator"),
                    ("investigator-assessed", "investigator"),
                    ("treating physician", "investigator"),
                    ("central", "central-review"),
                    ("independent", "independent-review"),
                    ("IRC", "independent-review"),
                    ("BICR", "blinded-independent-central-review"),
                    ("PRO", "patient-reported"),
                )
            ),
        ]
        | None
    ) = None
    event_definition: str | None = None  # in the curator's words: what counts as the event
    time_origin: (
        Annotated[
            Literal["randomization", "treatment-start", "diagnosis", "enrollment", "surgery"],
            _Choice(
                (("randomisation", "randomization"), ("start of treatment", "treatment-start"))
            ),
        ]
        | None
    ) = None
    censoring: str | None = None  # in the curator's words
    time_points: list[Num] = []  # when a rate is read: disease control at 2, 4 and 6 months
    time_unit: _DurationUnit | None = None
    population: str | None = None  # the analysis population the document names

    @model_validator(mode="after")
    def _consistent(self) -> StudyEndpointRecord:
        if bool(self.time_points) != (self.time_unit is not None):
            raise ValueError("time_points and time_unit go together")
        _positive(**{f"time point {i + 1}": t for i, t in enumerate(self.time_points)})
        return self

    def stated_numbers(self) -> set[Decimal]:
        versions = {Decimal(c.version) for c in self.criteria if c.version}
        return versions | set(self.time_points)


class FindingRecord(_Located):
    """A result stated without an exact number: a median not reached, no difference between
    arms, a share given in words ("nearly two-thirds" is the fraction 2/3, relation ~)."""

    type: Literal["finding"]
    study: str
    endpoint: str
    kind: Annotated[
        Literal[
            "not-reached",
            "not-estimable",
            "not-interpretable",
            "no-difference",
            "no-association",
            "fraction",
        ],
        _Choice((("NR", "not-reached"), ("NE", "not-estimable"))),
    ]
    statistic: (
        Annotated[
            Literal["rate", "median", "mean", "hazard-ratio", "proportion", "difference"],
            _Choice((("HR", "hazard-ratio"),)),
        ]
        | None
    ) = None
    arm: str | None = None
    comparator: str | None = None
    subgroup: str | None = None  # the factor a finding is about: "stratification factors"
    population: str | None = None
    fraction: tuple[Count, Count] | None = None  # [numerator, denominator], only for kind fraction
    relation: Literal["=", "~", "<", ">"] = "="  # of the fraction: "nearly" is ~

    @model_validator(mode="after")
    def _consistent(self) -> FindingRecord:
        if (self.kind == "fraction") != (self.fraction is not None):
            raise ValueError("a fraction (kind: fraction) needs fraction: [numerator, denominator]")
        if self.fraction is not None:
            numerator, denominator = self.fraction
            if denominator < 1 or numerator > denominator:
                raise ValueError(f"fraction {numerator}/{denominator} is not a share (0 to 1)")
        elif self.relation != "=":
            raise ValueError("relation qualifies a fraction: give one, or leave relation out")
        if self.comparator is not None and self.arm is None:
            raise ValueError("a comparator needs the arm it is compared with")
        if self.comparator is not None and self.comparator == self.arm:
            raise ValueError("an arm cannot be compared with itself")
        if self.kind == "no-difference" and self.comparator is None and self.subgroup is None:
            raise ValueError(
                "no-difference needs the arms compared (arm, comparator) or a subgroup"
            )
        return self

    def stated_numbers(self) -> set[Decimal]:
        return _present(*self.fraction) if self.fraction is not None else set()


class BaselineRecord(_Located):
    """One row of a baseline-characteristics table: a category's count and share, or a
    summary (median, mean) with its dispersion, for a study, an arm or an analysis population."""

    type: Literal["baseline"]
    study: str
    arm: str | None = None
    population: str | None = None  # "treatment lines", when rows count lines, not patients
    characteristic: Annotated[
        Literal[
            "sex",
            "age",
            "age-at-diagnosis",
            "race",
            "ethnicity",
            "tumor-site",
            "tumor-grade",
            "histology",
            "metastatic-disease",
            "prior-therapy-lines",
            "performance-status",
            "disease-status",
            "time-since-diagnosis",
        ],
        _Choice(
            (
                ("gender", "sex"),
                ("tumour site", "tumor-site"),
                ("tumour grade", "tumor-grade"),
                ("grade", "tumor-grade"),
                ("site", "tumor-site"),
                ("prior lines", "prior-therapy-lines"),
            )
        ),
    ]
    timing: str | None = None  # "at start of treatment", "at diagnosis"
    category: str | None = None  # "female", "white", "grade III", ">=4", "unknown"
    n: Count | None = None
    denominator: Count | None = None
    percent: Num | None = None
    statistic: Annotated[Literal["median", "mean"], _Choice()] | None = None
    value: Num | None = None
    unit: (
        Annotated[
            Literal["years", "months", "weeks", "days", "lines"],
            _Choice((("year", "years"), ("month", "months"), ("line", "lines"))),
        ]
        | None
    ) = None
    dispersion: Annotated[Literal["iqr", "range", "sd"], _Choice()] | None = None
    dispersion_span: Span | None = None  # iqr or range
    sd: Num | None = None

    @model_validator(mode="after")
    def _consistent(self) -> BaselineRecord:
        if self.n is None and self.percent is None and self.value is None:
            raise ValueError("a baseline row needs n, percent, or a statistic with its value")
        _paired(self, ("value", "statistic"))
        if self.unit is not None and self.value is None:
            raise ValueError("unit describes a value: give statistic and value")
        if self.dispersion is not None and self.value is None:
            raise ValueError("a dispersion describes a value: give statistic and value")
        spanned = self.dispersion in {"iqr", "range"}
        if spanned != (self.dispersion_span is not None):
            raise ValueError("dispersion iqr or range goes with dispersion_span")
        if (self.dispersion == "sd") != (self.sd is not None):
            raise ValueError("dispersion sd goes with sd")
        span = self.dispersion_span
        if span is not None and None not in (span.low, span.high):
            if span.low > span.high:  # type: ignore[operator]
                raise ValueError(f"dispersion_span {span.low} to {span.high} is backwards")
            if self.statistic == "median" and not span.low <= self.value <= span.high:  # type: ignore[operator]
                raise ValueError(f"the median {self.value} lies outside {span.low} to {span.high}")
        _check_count(self.n, self.denominator, self.percent)
        return self

    def stated_numbers(self) -> set[Decimal]:
        numbers = _present(self.n, self.percent, self.value, self.sd)
        if self.dispersion_span is not None:
            numbers |= _present(self.dispersion_span.low, self.dispersion_span.high)
        return numbers


class SampleSizeRecord(_Located):
    """The statistical plan behind a study's size: target, power, alpha, the assumed effect,
    the events the final analysis waits for, accrual and interim analyses."""

    type: Literal["sample_size"]
    study: str
    endpoint: str | None = None  # the endpoint the plan is powered for
    target_n: Count | None = None
    power: Num | None = None  # percent
    alpha: Num | None = None  # significance level, 0-1
    sides: (
        Annotated[
            Literal["one-sided", "two-sided"],
            _Choice((("1", "one-sided"), ("2", "two-sided"), ("one", "one-sided"))),
        ]
        | None
    ) = None
    test: (
        Annotated[
            Literal[
                "log-rank",
                "stratified-log-rank",
                "cox-ph",
                "stratified-cox-ph",
                "chi-square",
                "fisher-exact",
                "exact-binomial",
            ],
            _Choice(),
        ]
        | None
    ) = None
    hazard_ratio: Num | None = None  # the effect the study is powered to detect
    control_median: Num | None = None  # the assumed median of the control arm
    median_gain: Num | None = None  # the improvement in the median to detect
    follow_up: Num | None = None  # per patient
    time_unit: _DurationUnit | None = None  # of control_median, median_gain, follow_up, accrual
    events: Count | None = None  # the events the final analysis waits for
    accrual_rate: Num | None = None  # patients per time_unit
    accrual_duration: Num | None = None
    interim_kind: (
        Annotated[Literal["futility", "efficacy", "futility-and-efficacy"], _Choice()] | None
    ) = None
    interim_events: Count | None = None
    interim_percent: Num | None = None  # of the planned events
    interim_binding: bool | None = None

    @model_validator(mode="after")
    def _consistent(self) -> SampleSizeRecord:
        if self.target_n is None and self.events is None and self.power is None:
            raise ValueError("a sample-size plan gives at least target_n, events or power")
        if self.power is not None and not Decimal(0) < self.power <= Decimal(100):
            raise ValueError(f"power is a percentage above 0 and at most 100, got {self.power}")
        if self.alpha is not None and not Decimal(0) < self.alpha < Decimal(1):
            raise ValueError(f"alpha lies strictly between 0 and 1, got {self.alpha}")
        if self.interim_percent is not None and not Decimal(0) < self.interim_percent <= 100:
            raise ValueError(f"interim_percent lies within 0-100, got {self.interim_percent}")
        _positive(
            hazard_ratio=self.hazard_ratio,
            control_median=self.control_median,
            follow_up=self.follow_up,
            accrual_rate=self.accrual_rate,
            accrual_duration=self.accrual_duration,
        )
        timed = (self.control_median, self.median_gain, self.follow_up, self.accrual_rate)
        if any(v is not None for v in (*timed, self.accrual_duration)) and self.time_unit is None:
            raise ValueError("durations and accrual need time_unit")
        if None not in (self.interim_events, self.events) and self.interim_events > self.events:  # type: ignore[operator]
            raise ValueError(
                f"interim_events {self.interim_events} is above the planned events {self.events}"
            )
        if self.interim_events is not None and self.interim_kind is None:
            raise ValueError("interim_events needs interim_kind (futility, efficacy...)")
        return self

    def stated_numbers(self) -> set[Decimal]:
        return _present(
            self.target_n,
            self.power,
            self.alpha,
            self.hazard_ratio,
            self.control_median,
            self.median_gain,
            self.follow_up,
            self.events,
            self.accrual_rate,
            self.accrual_duration,
            self.interim_events,
            self.interim_percent,
        )


class StratificationFactor(_Strict):
    """A factor randomization was stratified by, with its levels (and a cut-off, if any)."""

    name: Annotated[str, Field(min_length=2)]
    levels: Annotated[list[str], Field(min_length=2)]
    cutoff: Num | None = None
    cutoff_unit: _DurationUnit | None = None


class ProtocolRuleRecord(_Located):
    """A rule of the protocol: dose interruption or reduction, imaging or follow-up schedule,
    randomization window, stratification, crossover, treatment duration."""

    type: Literal["protocol_rule"]
    study: str
    arm: str | None = None  # None: every arm
    rule: Annotated[
        Literal[
            "dose-interruption",
            "dose-reduction",
            "imaging-schedule",
            "follow-up-schedule",
            "randomization-window",
            "stratification",
            "crossover",
            "treatment-duration",
        ],
        _Choice(
            (
                ("restaging", "imaging-schedule"),
                ("tumour assessment", "imaging-schedule"),
                ("randomisation-window", "randomization-window"),
            )
        ),
    ]
    limit: Num | None = None  # at most (an interruption) or within (randomization)
    limit_unit: _DurationUnit | None = None
    relative_to: str | None = None  # what the limit counts from: "surgery"
    interval: Num | None = None  # every ...
    interval_unit: _DurationUnit | None = None
    max_count: Count | None = None  # at most this many times (one dose reduction)
    dose: Num | None = None  # the reduced dose
    dose_unit: str | None = None
    frequency: str | None = None
    modalities: list[str] = []  # CT, MRI
    factors: list[StratificationFactor] = []

    @model_validator(mode="after")
    def _consistent(self) -> ProtocolRuleRecord:
        _paired(self, ("limit", "limit_unit"), ("interval", "interval_unit"), ("dose", "dose_unit"))
        _positive(limit=self.limit, interval=self.interval, dose=self.dose)
        for factor in self.factors:
            _paired(factor, ("cutoff", "cutoff_unit"))
        if (self.rule == "stratification") != bool(self.factors):
            raise ValueError("a stratification rule lists its factors (and only it has factors)")
        if self.rule in {"imaging-schedule", "follow-up-schedule"} and self.interval is None:
            raise ValueError(f"a {self.rule} needs its interval (every ...)")
        if self.rule == "randomization-window" and self.limit is None:
            raise ValueError("a randomization window needs its limit (within ...)")
        return self

    def stated_numbers(self) -> set[Decimal]:
        cutoffs = [f.cutoff for f in self.factors]
        return _present(self.limit, self.interval, self.max_count, self.dose, *cutoffs)


class ArmCount(_Strict):
    """How many patients of one arm a statement counts."""

    arm: str
    n: Count


class DeviationRecord(_Located):
    """A departure from the protocol the document reports: an allocation ratio that was not
    kept, patients enrolled against eligibility, ..."""

    type: Literal["deviation"]
    study: str
    kind: Annotated[
        Literal["allocation-ratio", "eligibility", "dosing", "assessment", "other"], _Choice()
    ]
    planned: str | None = None  # '2:1'
    observed: Span | None = None  # the ratio that was kept, as stated: 1.6 to 1.7 (to 1)
    detected_after: Count | None = None  # patients enrolled when it was found
    arm_counts: list[ArmCount] = []  # per arm at that time
    disclosed: Date | None = None  # when it was disclosed, to the precision given: 2015-10
    corrected: bool | None = None

    @model_validator(mode="after")
    def _consistent(self) -> DeviationRecord:
        ratio = re.compile(r"\d+(\.\d+)?:\d+(\.\d+)?")
        if self.kind == "allocation-ratio" and self.planned and not ratio.fullmatch(self.planned):
            raise ValueError(f"a planned ratio looks like '2:1', got {self.planned!r}")
        low, high = (self.observed.low, self.observed.high) if self.observed else (None, None)
        if low is not None and high is not None and low > high:
            raise ValueError(f"observed {low} to {high} is backwards")
        total = sum(c.n for c in self.arm_counts)
        if self.arm_counts and self.detected_after is not None and total != self.detected_after:
            raise ValueError(
                f"arm_counts add up to {total}, not detected_after {self.detected_after}"
            )
        return self

    def other_arms(self) -> list[tuple[str, str]]:
        """(field, arm) of the arms the record names besides ``arm``."""
        return [(f"arm_counts.{i}.arm", c.arm) for i, c in enumerate(self.arm_counts)]

    def stated_numbers(self) -> set[Decimal]:
        numbers = _present(self.detected_after, *(c.n for c in self.arm_counts))
        numbers |= _date_numbers(self.disclosed)
        if self.observed is not None:
            numbers |= _present(self.observed.low, self.observed.high)
        return numbers


Record = Annotated[
    StudyRecord
    | ArmRecord
    | ParticipantsRecord
    | OutcomeRecord
    | AdverseEventRecord
    | DrugTargetRecord
    | DiseaseGeneRecord
    | ApprovalRecord
    | StudyEndpointRecord
    | FindingRecord
    | BaselineRecord
    | SampleSizeRecord
    | ProtocolRuleRecord
    | DeviationRecord,
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


def _date_numbers(*dates: PartialDate | None) -> set[Decimal]:
    """The year and, when given, the day of each date: a day the text does not hold was invented
    (the month is usually a word)."""
    return _present(*(d.year for d in dates if d), *(d.day for d in dates if d))


def _present(*values: Decimal | int | None) -> set[Decimal]:
    return {Decimal(v) for v in values if v is not None}


def _check_count(n: int | None, denominator: int | None, percent: Decimal | None) -> None:
    if n is not None and denominator is not None and n > denominator:
        raise ValueError(f"count {n} is above its denominator {denominator}")
    if percent is not None and not Decimal(0) <= percent <= Decimal(100):
        raise ValueError(f"a percentage must be within 0-100, got {percent}")
