"""Python mirror of the ontology terms; tests/test_ontology.py checks it against the Turtle."""

from __future__ import annotations

import functools
from typing import Any

from rdflib import Namespace, URIRef
from rdflib.namespace import DefinedNamespace

__all__ = ["BIOLINK", "CDEK", "OA", "OBO", "ONTOLOGY_IRI", "SCHEMA", "Terms"]

ONTOLOGY_IRI = URIRef("https://w3id.org/cdekg/ontology")
OA = Namespace("http://www.w3.org/ns/oa#")
BIOLINK = Namespace("https://w3id.org/biolink/vocab/")
SCHEMA = Namespace("https://schema.org/")
OBO = Namespace("http://purl.obolibrary.org/obo/")


class CDEK(DefinedNamespace):
    """Terms of the clinical drug evidence ontology (``ontology/cdek.ttl``)."""

    _NS = Namespace("https://w3id.org/cdekg/ontology#")
    _fail = True

    # classes
    Drug: URIRef
    Disease: URIRef
    Target: URIRef
    GeneProduct: URIRef
    TargetFamily: URIRef
    ClinicalStudy: URIRef
    RandomizedControlledTrial: URIRef
    ObservationalStudy: URIRef
    RegistryStudy: URIRef
    StudyArm: URIRef
    Regimen: URIRef
    ParticipantCount: URIRef
    Endpoint: URIRef
    StatisticKind: URIRef
    OutcomeResult: URIRef
    ArmResult: URIRef
    ComparativeResult: URIRef
    AdverseEventTerm: URIRef
    AdverseEventResult: URIRef
    DrugTargetStatement: URIRef
    DiseaseGeneStatement: URIRef
    Approval: URIRef
    SourceDocument: URIRef
    TextSpan: URIRef
    TextExtraction: URIRef
    ValueConflict: URIRef
    # classes the reasoner fills in
    ProteinKinase: URIRef
    KinaseTarget: URIRef
    MultiKinaseInhibitor: URIRef
    FavourableComparativeResult: URIRef
    CommonAdverseEventResult: URIRef

    # object properties
    studiesDrug: URIRef
    studiesCondition: URIRef
    hasArm: URIRef
    inStudy: URIRef
    receivesRegimen: URIRef
    regimenDrug: URIRef
    cohortCondition: URIRef
    countsParticipantsOf: URIRef
    subgroupCondition: URIRef
    hasResult: URIRef
    resultArm: URIRef
    comparatorArm: URIRef
    measuresEndpoint: URIRef
    statistic: URIRef
    adverseEventTerm: URIRef
    inhibits: URIRef
    hasMember: URIRef
    associatedWithDisease: URIRef
    aboutDrug: URIRef
    aboutTarget: URIRef
    aboutDisease: URIRef
    approvedDrug: URIRef
    approvedIndication: URIRef
    basedOnStudy: URIRef
    reportsStudy: URIRef
    source: URIRef
    conflictingResult: URIRef
    hasConflict: URIRef
    subtypeOf: URIRef
    inhibitsFamilyMember: URIRef
    # publications a source document is related to (kg/model.py RelatedPublication)
    Publication: URIRef
    protocolPublication: URIRef
    fullReport: URIRef

    # datatype properties
    xref: URIRef
    identifierGap: URIRef
    phase: URIRef
    randomized: URIRef
    blinding: URIRef
    controlType: URIRef
    allocationRatio: URIRef
    multicenter: URIRef
    offLabelUse: URIRef
    onLabelUse: URIRef
    acronym: URIRef
    sponsor: URIRef
    enrollmentStart: URIRef
    enrollmentEnd: URIRef
    siteCount: URIRef
    conditionQualifier: URIRef
    armRole: URIRef
    dose: URIRef
    doseUnit: URIRef
    frequency: URIRef
    route: URIRef
    maxDuration: URIRef
    isPlacebo: URIRef
    isObservation: URIRef
    population: URIRef
    count: URIRef
    denominator: URIRef
    percent: URIRef
    value: URIRef
    valueRelation: URIRef
    unit: URIRef
    ciLower: URIRef
    ciUpper: URIRef
    ciLevel: URIRef
    pValue: URIRef
    pValueRelation: URIRef
    dispersionKind: URIRef
    dispersionLower: URIRef
    dispersionUpper: URIRef
    timePoint: URIRef
    timeUnit: URIRef
    analysisPopulation: URIRef
    assessment: URIRef
    grade: URIRef
    gradeMin: URIRef
    gradeMax: URIRef
    serious: URIRef
    fatal: URIRef
    attribution: URIRef
    action: URIRef
    relation: URIRef
    agency: URIRef
    approvalDate: URIRef
    section: URIRef
    fileName: URIRef
    sha256: URIRef
    documentKind: URIRef
    curatorNote: URIRef
    extractionRule: URIRef
    extractionConfidence: URIRef
    reviewStatus: URIRef
    conflictField: URIRef
    warning: URIRef
    recordType: URIRef

    # units, dosing frequencies, routes and dates (kg/units.py maps record words to these)
    PartialDate: URIRef
    DosingFrequency: URIRef
    RouteOfAdministration: URIRef
    dosingFrequency: URIRef
    administrationRoute: URIRef
    doseUnitCode: URIRef
    maxDurationValue: URIRef
    maxDurationUnitCode: URIRef
    unitCode: URIRef
    timeUnitCode: URIRef
    dosesPerPeriod: URIRef
    periodLength: URIRef
    periodUnitCode: URIRef
    OnceDaily: URIRef
    TwiceDaily: URIRef
    OnceWeekly: URIRef
    EveryThreeWeeks: URIRef
    OralRoute: URIRef
    IntravenousRoute: URIRef
    SubcutaneousRoute: URIRef

    # statistic kinds (individuals)
    Rate: URIRef
    Median: URIRef
    Mean: URIRef
    HazardRatio: URIRef
    Count: URIRef
    Proportion: URIRef
    Minimum: URIRef
    Difference: URIRef

    # comparisons: method, sidedness, endpoint valence
    AnalysisMethod: URIRef
    analysisMethod: URIRef
    sidedness: URIRef
    EventValence: URIRef
    HarmfulEvent: URIRef
    BeneficialEvent: URIRef
    eventValence: URIRef
    CoxProportionalHazards: URIRef
    StratifiedCoxProportionalHazards: URIRef
    LogRankTest: URIRef
    StratifiedLogRankTest: URIRef
    KaplanMeier: URIRef
    CochranMantelHaenszel: URIRef
    Ancova: URIRef
    ExactBinomial: URIRef
    FisherExactTest: URIRef
    ChiSquareTest: URIRef

    # groups: arms and overlapping registry cohorts; combinations
    StudyGroup: URIRef
    RegistryCohort: URIRef
    withinCohort: URIRef
    someAlsoReceived: URIRef
    RegimenComponent: URIRef
    hasComponent: URIRef

    # adverse-event terms by kind
    SpecificAdverseEventTerm: URIRef
    AdverseEventCategory: URIRef
    AdverseEventAggregate: URIRef

    # study design: endpoints and their role, baseline, statistical plan, protocol rules,
    # deviations, results stated without a number (record types endpoint, baseline, ...)
    StudyEndpoint: URIRef
    EndpointRole: URIRef
    PrimaryEndpoint: URIRef
    SecondaryEndpoint: URIRef
    ExploratoryEndpoint: URIRef
    EndpointAssessor: URIRef
    InvestigatorAssessment: URIRef
    CentralReview: URIRef
    IndependentReview: URIRef
    BlindedIndependentCentralReview: URIRef
    PatientReported: URIRef
    AssessmentCriteria: URIRef
    QualitativeResult: URIRef
    FindingKind: URIRef
    NotReached: URIRef
    NotEstimable: URIRef
    NotInterpretable: URIRef
    NoDifference: URIRef
    NoAssociation: URIRef
    StatedFraction: URIRef
    BaselineCharacteristic: URIRef
    CharacteristicKind: URIRef
    Sex: URIRef
    Age: URIRef
    AgeAtDiagnosis: URIRef
    Race: URIRef
    Ethnicity: URIRef
    TumorSite: URIRef
    TumorGrade: URIRef
    Histology: URIRef
    MetastaticDisease: URIRef
    PriorTherapyLines: URIRef
    PerformanceStatus: URIRef
    DiseaseStatus: URIRef
    TimeSinceDiagnosis: URIRef
    SampleSizePlan: URIRef
    ProtocolRule: URIRef
    ProtocolRuleKind: URIRef
    DoseInterruptionRule: URIRef
    DoseReductionRule: URIRef
    ImagingScheduleRule: URIRef
    FollowUpScheduleRule: URIRef
    RandomizationWindowRule: URIRef
    StratificationRule: URIRef
    CrossoverRule: URIRef
    TreatmentDurationRule: URIRef
    StratificationFactor: URIRef
    ProtocolDeviation: URIRef
    hasStudyEndpoint: URIRef
    forEndpoint: URIRef
    endpointRole: URIRef
    assessedBy: URIRef
    usesCriteria: URIRef
    studyEndpoint: URIRef
    findingKind: URIRef
    aboutEndpoint: URIRef
    aboutStatistic: URIRef
    versusArm: URIRef
    hasBaselineCharacteristic: URIRef
    characteristicKind: URIRef
    summaryStatistic: URIRef
    characteristicOf: URIRef
    hasSampleSizePlan: URIRef
    poweredForEndpoint: URIRef
    plannedTest: URIRef
    hasProtocolRule: URIRef
    ruleKind: URIRef
    appliesToArm: URIRef
    stratifiedBy: URIRef
    hasDeviation: URIRef
    deviationCount: URIRef
    eventDefinition: URIRef
    timeOrigin: URIRef
    censoringRule: URIRef
    endpointTimePoint: URIRef
    endpointTimeUnit: URIRef
    criteriaName: URIRef
    criteriaVersion: URIRef
    subgroupFactor: URIRef
    fractionNumerator: URIRef
    fractionDenominator: URIRef
    category: URIRef
    characteristicTiming: URIRef
    standardDeviation: URIRef
    valueUnitCode: URIRef
    plannedSampleSize: URIRef
    statisticalPower: URIRef
    significanceLevel: URIRef
    testSidedness: URIRef
    assumedHazardRatio: URIRef
    assumedControlMedian: URIRef
    targetMedianGain: URIRef
    plannedFollowUp: URIRef
    planTimeUnit: URIRef
    requiredEvents: URIRef
    accrualRate: URIRef
    accrualDuration: URIRef
    interimAnalysis: URIRef
    interimEvents: URIRef
    interimPercent: URIRef
    interimBinding: URIRef
    ruleLimit: URIRef
    ruleLimitUnit: URIRef
    ruleRelativeTo: URIRef
    ruleInterval: URIRef
    ruleIntervalUnit: URIRef
    ruleMaxCount: URIRef
    ruleDose: URIRef
    ruleDoseUnit: URIRef
    ruleFrequency: URIRef
    imagingModality: URIRef
    factorLevel: URIRef
    factorCutoff: URIRef
    factorCutoffUnit: URIRef
    deviationKind: URIRef
    plannedValue: URIRef
    observedLower: URIRef
    observedUpper: URIRef
    detectedAfterEnrolled: URIRef
    disclosedOn: URIRef
    corrected: URIRef
    # registry and bibliographic sources (kg/sources)
    SourceLocation: URIRef
    RecordLocator: URIRef
    ResultGroup: URIRef
    OutcomeMeasure: URIRef
    Measurement: URIRef
    StatisticalAnalysis: URIRef
    ReportedAdverseEvent: URIRef
    ParticipantFlowCount: URIRef
    StudyReference: URIRef
    MeshHeading: URIRef
    resultGroup: URIRef
    groupOfArm: URIRef
    hasOutcomeMeasure: URIRef
    ofOutcomeMeasure: URIRef
    hasAnalysis: URIRef
    comparesGroup: URIRef
    analysisStatistic: URIRef
    reportedEvent: URIRef
    adverseEventTermOf: URIRef
    hasReference: URIRef
    referencedPublication: URIRef
    aboutStudy: URIRef
    abstractDocument: URIRef
    meshHeading: URIRef
    descriptor: URIRef
    qualifier: URIRef
    majorQualifier: URIRef
    chemical: URIRef
    overallStatus: URIRef
    studyType: URIRef
    allocation: URIRef
    masking: URIRef
    interventionModel: URIRef
    primaryPurpose: URIRef
    enrollment: URIRef
    enrollmentType: URIRef
    registryPhase: URIRef
    secondaryId: URIRef
    startDate: URIRef
    primaryCompletionDate: URIRef
    completionDate: URIRef
    conditionText: URIRef
    aeFrequencyThreshold: URIRef
    aeTimeFrame: URIRef
    armType: URIRef
    doseText: URIRef
    interventionText: URIRef
    groupId: URIRef
    outcomeRole: URIRef
    timeFrame: URIRef
    populationDescription: URIRef
    unitOfMeasure: URIRef
    parameterType: URIRef
    dispersionType: URIRef
    reportingStatus: URIRef
    participantsAnalyzed: URIRef
    notAvailable: URIRef
    spread: URIRef
    classTitle: URIRef
    ciSides: URIRef
    statisticalMethod: URIRef
    nonInferiorityType: URIRef
    estimateDescription: URIRef
    organSystem: URIRef
    sourceVocabulary: URIRef
    assessmentType: URIRef
    eventCount: URIRef
    atRiskCount: URIRef
    deathsAffected: URIRef
    deathsAtRisk: URIRef
    seriousAffected: URIRef
    seriousAtRisk: URIRef
    otherAffected: URIRef
    otherAtRisk: URIRef
    period: URIRef
    milestone: URIRef
    withdrawalReason: URIRef
    referenceType: URIRef
    journal: URIRef
    publicationDate: URIRef
    publicationType: URIRef
    majorTopic: URIRef
    trialRegistration: URIRef
    text: URIRef
    OddsRatio: URIRef
    RiskRatio: URIRef


class Terms:
    """A namespace whose terms are each looked up once. rdflib checks every attribute access of
    a ``DefinedNamespace`` (an unknown name fails); the build reads terms some 10 million times
    at 100x, and those checks were a tenth of its time. A name is still checked on first use."""

    def __init__(self, namespace: Any) -> None:
        self._namespace = namespace

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        term = getattr(self._namespace, name)
        self.__dict__[name] = term
        return term

    def __getitem__(self, name: str) -> URIRef:
        return self._namespace[name]  # type: ignore[no-any-return]

    def __str__(self) -> str:
        return str(self._namespace)


def functional_properties() -> frozenset[str]:
    """The IRIs of the ontology's functional properties (one value per subject)."""
    return _functional()


@functools.cache
def _functional() -> frozenset[str]:
    from rdflib import OWL, RDF

    from kg.reason import load_ontology

    ontology = load_ontology()
    return frozenset(str(p) for p in ontology.subjects(RDF.type, OWL.FunctionalProperty))
