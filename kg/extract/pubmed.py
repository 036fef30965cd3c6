"""PubMed XML to texts: each article's title and abstract as a document ``kg extract`` reads.

The spans of a draft point into this text (the file written beside the drafts), not into the
XML, so ``kg build --documents`` checks them against the file the extractor read.
"""

from __future__ import annotations

from pathlib import Path

from kg.sources.checks import Bad, Problems
from kg.sources.detect import detect
from kg.sources.pubmed import read_article_set
from kg.sources.xmltree import Node, XmlRefused, parse_xml

__all__ = ["abstract_texts", "is_pubmed_xml"]


def is_pubmed_xml(path: Path) -> bool:
    """Whether a file is PubMed efetch XML (by its content, not its name)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(4096)
    except OSError:
        return False
    return detect(head)[0] == "pubmed-xml"


def abstract_texts(path: Path, out: Path) -> tuple[list[Path], list[str]]:
    """Write each article with an abstract as ``out/pubmed-PMID.txt``: title, the abstract
    (its sections as PubMed gives them), PMID and DOI. Returns the files and any warnings."""
    problems = Problems(path.name, "xpath")
    try:
        root = Node.root(parse_xml(path.read_bytes()))
        articles = read_article_set(root, problems)
    except (XmlRefused, Bad, OSError, ValueError) as error:
        return [], [f"{path}: not readable as PubMed XML ({error})"]
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for article in articles:
        if not article.abstract:
            continue
        lines = [article.title or "", "", article.abstract, "", f"PMID: {article.pmid}"]
        if article.doi:
            lines.append(f"doi: {article.doi}")
        target = out / f"pubmed-{article.pmid}.txt"
        target.write_text("\n".join(lines) + "\n", encoding="utf-8")
        written.append(target)
    return written, [str(p) for p in problems.errors]
