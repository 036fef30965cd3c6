"""The record model of registry and bibliographic sources (an extension of :mod:`kg.model`).

A reader turns one file into these records. The study itself becomes a
:class:`~kg.model.StudyRecord` (so that a registry study and a curated one with the same NCT id
are one node, merged by the build); everything the YAML records have no type for (result
groups, outcome measures, analyses, the registry's adverse-event table, participant flow,
references, PubMed articles) is kept here and written by :mod:`kg.sources.emit`.
Every record carries ``at``: the JSON Pointer or XPath it was read from.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from kg.sources.locators import PointerLocator

__all__ = [
    "AbstractSection",
    "AdverseEvent",
    "AeCount",
    "Analysis",
    "Arm",
    "Article",
    "EventGroup",
    "FlowCount",
    "Group",
    "Intervention",
    "Measurement",
    "Mesh",
    "OutcomeMeasure",
    "Reference",
    "Trial",
]


@dataclass(frozen=True)
class Mesh:
    """A MeSH heading: its unique id (D000077157) when the source gives it, and its name."""

    term: str
    id: str | None = None
    major: bool | None = None
    qualifiers: tuple[tuple[str, str | None, bool | None], ...] = ()  # (name, UI, major)


@dataclass
class Intervention:
    """An intervention of the protocol: its type, name, other names and arms."""

    type: str  # DRUG, BIOLOGICAL, PROCEDURE... (upper case, as API v2 writes it)
    name: str
    at: PointerLocator
    description: str | None = None
    other_names: list[str] = field(default_factory=list)
    arm_labels: list[str] = field(default_factory=list)


@dataclass
class Arm:
    """An arm group of the protocol."""

    label: str
    type: str | None  # EXPERIMENTAL, PLACEBO_COMPARATOR, ...
    at: PointerLocator
    description: str | None = None
    interventions: list[str] = field(default_factory=list)  # intervention names


@dataclass
class Group:
    """A result group (FG/BG/OG/EG): its registry id, title and description."""

    id: str
    title: str
    at: PointerLocator
    description: str | None = None


@dataclass
class Measurement:
    """One group's value of an outcome measure, in one class and category.

    ``value`` is None when the registry writes "NA"; ``comment`` then says why.
    """

    group: str
    value: Decimal | None
    at: PointerLocator
    spread: Decimal | None = None
    lower: Decimal | None = None
    upper: Decimal | None = None
    comment: str | None = None
    class_title: str | None = None
    category: str | None = None
    analyzed: int | None = None  # the group's number analyzed (per class when given so)


@dataclass
class Analysis:
    """A statistical analysis of an outcome measure."""

    groups: list[str]
    at: PointerLocator
    param_type: str | None = None
    value: Decimal | None = None
    ci_level: Decimal | None = None
    ci_sides: str | None = None
    ci_lower: Decimal | None = None
    ci_upper: Decimal | None = None
    p_value: Decimal | None = None
    p_relation: str | None = None
    method: str | None = None
    non_inferiority: str | None = None
    groups_description: str | None = None
    estimate_description: str | None = None
    comment: str | None = None  # the registry's comment on the p-value or the estimate


@dataclass
class OutcomeMeasure:
    """An outcome measure with its groups, measurements and analyses."""

    role: str  # primary, secondary, other, post-hoc
    title: str
    at: PointerLocator
    description: str | None = None
    time_frame: str | None = None
    population: str | None = None
    unit: str | None = None
    param_type: str | None = None
    dispersion: str | None = None
    status: str | None = None  # POSTED / NOT_POSTED
    groups: list[Group] = field(default_factory=list)
    measurements: list[Measurement] = field(default_factory=list)
    analyses: list[Analysis] = field(default_factory=list)


@dataclass
class AeCount:
    """How many of a group had an adverse event, of how many at risk, and how many events."""

    group: str
    at: PointerLocator
    affected: int | None = None
    at_risk: int | None = None
    events: int | None = None


@dataclass
class AdverseEvent:
    """A row of the registry's adverse-event table: one term, serious or other."""

    term: str
    serious: bool
    at: PointerLocator
    organ_system: str | None = None
    vocabulary: str | None = None
    assessment: str | None = None
    counts: list[AeCount] = field(default_factory=list)


@dataclass
class EventGroup:
    """An adverse-event group with its all-cause mortality and serious/other totals."""

    group: Group
    deaths: tuple[int | None, int | None] = (None, None)  # (affected, at risk)
    serious: tuple[int | None, int | None] = (None, None)
    other: tuple[int | None, int | None] = (None, None)


@dataclass
class FlowCount:
    """A participant-flow count: a milestone (STARTED, COMPLETED...) or a reason not completed."""

    period: str
    kind: str  # "milestone" or "withdrawal"
    title: str
    group: str
    count: int
    at: PointerLocator


@dataclass
class Reference:
    """A publication the registry links to the study."""

    pmid: str
    type: str | None  # result, background, derived
    at: PointerLocator
    citation: str | None = None


@dataclass
class Trial:
    """One ClinicalTrials.gov study record (API v2 or legacy XML)."""

    nct: str
    at: PointerLocator
    brief_title: str | None = None
    official_title: str | None = None
    acronym: str | None = None
    secondary_ids: list[str] = field(default_factory=list)
    org_study_id: str | None = None
    status: str | None = None
    study_type: str | None = None  # INTERVENTIONAL, OBSERVATIONAL, ...
    phases: list[str] = field(default_factory=list)  # "1", "2", "3", "4", or "NA"
    allocation: str | None = None  # RANDOMIZED, NON_RANDOMIZED, NA
    masking: str | None = None  # NONE, SINGLE, DOUBLE, TRIPLE, QUADRUPLE
    model: str | None = None  # PARALLEL, SINGLE_GROUP, CROSSOVER...
    purpose: str | None = None
    enrollment: int | None = None
    enrollment_type: str | None = None  # ACTUAL / ESTIMATED
    # dates as the registry gives them, in ISO form: "2015-09" or "2015-09-15"
    start_date: str | None = None
    primary_completion_date: str | None = None
    completion_date: str | None = None
    sponsor: str | None = None
    conditions: list[str] = field(default_factory=list)
    condition_mesh: list[Mesh] = field(default_factory=list)
    intervention_mesh: list[Mesh] = field(default_factory=list)
    interventions: list[Intervention] = field(default_factory=list)
    arms: list[Arm] = field(default_factory=list)
    outcomes: list[OutcomeMeasure] = field(default_factory=list)
    flow_groups: list[Group] = field(default_factory=list)
    flow: list[FlowCount] = field(default_factory=list)
    event_groups: list[EventGroup] = field(default_factory=list)
    adverse_events: list[AdverseEvent] = field(default_factory=list)
    ae_threshold: Decimal | None = None
    ae_time_frame: str | None = None
    references: list[Reference] = field(default_factory=list)
    has_results: bool = False
    # where each protocol field was read (field name -> locator), for the study's provenance
    fields_at: dict[str, PointerLocator] = field(default_factory=dict)


@dataclass(frozen=True)
class AbstractSection:
    """A labelled part of an abstract and its offsets in the abstract's text."""

    label: str | None
    category: str | None
    start: int
    end: int


@dataclass
class Article:
    """A PubMed record."""

    pmid: str
    at: PointerLocator
    title: str | None = None
    doi: str | None = None
    pmc: str | None = None
    journal: str | None = None
    published: dt.date | None = None
    year: str | None = None  # the publication date as written, when not a whole date
    authors: list[str] = field(default_factory=list)
    mesh: list[Mesh] = field(default_factory=list)
    publication_types: list[Mesh] = field(default_factory=list)
    chemicals: list[Mesh] = field(default_factory=list)
    nct_ids: list[tuple[str, PointerLocator]] = field(default_factory=list)
    abstract: str | None = None
    sections: list[AbstractSection] = field(default_factory=list)
