"""The ontology is the single source of the vocabulary."""

from rdflib import OWL, RDF, RDFS, SKOS, Graph, URIRef

from kg import paths
from kg.vocab import CDEK


def _ontology() -> Graph:
    return Graph().parse(paths.ONTOLOGY / "cdek.ttl")


def test_every_term_has_one_label_and_a_definition() -> None:
    g = _ontology()
    kinds = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.NamedIndividual)
    terms = {s for k in kinds for s in g.subjects(RDF.type, k)}
    assert len(terms) > 100
    for term in terms:
        assert len(list(g.objects(term, RDFS.label))) == 1, term
        assert len(list(g.objects(term, SKOS.definition))) == 1, term


def test_python_mirror_matches_the_turtle() -> None:
    g = _ontology()
    declared = {str(s) for s in g.subjects(RDFS.label, None) if str(s).startswith(str(CDEK._NS))}
    mirrored = {str(CDEK._NS) + name for name in CDEK.__annotations__}
    assert declared == mirrored


def test_graph_uses_only_declared_terms(seed_build) -> None:
    declared = {str(s) for s in _ontology().subjects(RDFS.label, None)}
    used = {
        str(t)
        for s, p, o in seed_build.result.graph
        for t in (p, o if p == RDF.type else None)
        if isinstance(t, URIRef) and str(t).startswith(str(CDEK._NS))
    }
    assert used <= declared, used - declared
