"""Readers of raw sources: one module per kind, each giving the same record model.

``detect`` tells a file's kind from its content; ``ctgov`` (ClinicalTrials.gov API v2 JSON),
``ctgov_xml`` (the legacy ``clinical_study`` XML) and ``pubmed`` (efetch ``PubmedArticleSet``)
read one file each into :mod:`kg.sources.trial` records; ``archive`` walks folders and ``.zip``
files; ``load`` reads a set of paths and adds what they hold to a
:class:`~kg.sources.records.Corpus`;
``emit`` writes the registry's results into the graph; ``fetch`` downloads records.
The YAML record reader is :mod:`kg.sources.records`.
"""
