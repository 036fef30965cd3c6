"""PubMed efetch XML (``PubmedArticleSet``): one record per ``PubmedArticle``.

Each article keeps its XPath. The abstract becomes one text (sections joined by a blank line,
whitespace collapsed) with each section's offsets, so text extraction can read it later.
"""

from __future__ import annotations

import datetime as dt
import re

from kg.sources.checks import Problems
from kg.sources.trial import AbstractSection, Article, Mesh
from kg.sources.xmltree import Node

__all__ = ["read_article_set"]

_MONTHS = {
    m: i
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
        start=1,
    )
}


def read_article_set(root: Node, p: Problems) -> list[Article]:
    """The articles of a ``PubmedArticleSet``; an article without a PMID is an error."""
    articles = []
    for node in root.all("PubmedArticle"):
        article = p.keep(lambda n=node: _article(n, p))
        if article is not None:
            articles.append(article)
    return articles


def _yn(value: str | None) -> bool | None:
    return None if value is None else value.upper() == "Y"


def _date(node: Node | None) -> tuple[dt.date | None, str | None]:
    """A whole date when the record gives year, month and day; else the date as written."""
    if node is None:
        return None, None
    year, month, day = node.text("Year"), node.text("Month"), node.text("Day")
    written = " ".join(x for x in (year, month, day) if x) or node.text("MedlineDate")
    if year and month and day:
        number = int(month) if month.isdigit() else _MONTHS.get(month[:3].lower())
        if number:
            try:
                return dt.date(int(year), number, int(day)), written
            except ValueError:
                pass
    return None, written


def _article(node: Node, p: Problems) -> Article:
    citation = node.one("MedlineCitation")
    pmid = citation.text("PMID") if citation else None
    if citation is None or not pmid or not pmid.isdigit():
        raise p.error(node.at("MedlineCitation/PMID"), "PMID", "an article without a PMID")
    art = citation.one("Article")
    a = Article(pmid=pmid, at=p.at(node.path))
    ids = {i.attr("IdType"): i.text() for i in node.all("PubmedData/ArticleIdList/ArticleId")}
    a.doi = ids.get("doi")
    a.pmc = ids.get("pmc")
    if art is not None:
        a.title = art.text("ArticleTitle")
        a.journal = art.text("Journal/Title")
        a.published, a.year = _date(art.one("Journal/JournalIssue/PubDate"))
        if a.doi is None:
            a.doi = next(
                (e.text() for e in art.all("ELocationID") if e.attr("EIdType") == "doi"), None
            )
        for author in art.all("AuthorList/Author"):
            name = " ".join(x for x in (author.text("ForeName"), author.text("LastName")) if x)
            if name or author.text("CollectiveName"):
                a.authors.append(name or author.text("CollectiveName") or "")
        a.publication_types = [
            Mesh(t.text() or "", t.attr("UI"))
            for t in art.all("PublicationTypeList/PublicationType")
        ]
        for bank in art.all("DataBankList/DataBank"):
            if (bank.text("DataBankName") or "").lower() == "clinicaltrials.gov":
                for number in bank.all("AccessionNumberList/AccessionNumber"):
                    if number.text() and re.fullmatch(r"NCT\d{8}", number.text() or ""):
                        a.nct_ids.append((number.text() or "", p.at(number.path)))
        _abstract(art, a)
    for heading in citation.all("MeshHeadingList/MeshHeading"):
        name = heading.one("DescriptorName")
        if name is None or not name.text():
            continue
        qualifiers = tuple(
            (q.text() or "", q.attr("UI"), _yn(q.attr("MajorTopicYN")))
            for q in heading.all("QualifierName")
        )
        a.mesh.append(
            Mesh(name.text() or "", name.attr("UI"), _yn(name.attr("MajorTopicYN")), qualifiers)
        )
    a.chemicals = [
        Mesh(c.text() or "", c.attr("UI"))
        for c in citation.all("ChemicalList/Chemical/NameOfSubstance")
    ]
    return a


def _abstract(art: Node, a: Article) -> None:
    parts: list[str] = []
    offset = 0
    for section in art.all("Abstract/AbstractText"):
        text = " ".join((section.text() or "").split())
        if not text:
            continue
        if parts:
            offset += 2  # the blank line between sections
        a.sections.append(
            AbstractSection(
                section.attr("Label"), section.attr("NlmCategory"), offset, offset + len(text)
            )
        )
        parts.append(text)
        offset += len(text)
    a.abstract = "\n\n".join(parts) or None
