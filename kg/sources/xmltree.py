"""Safe XML parsing and elements that know their XPath.

Parsing goes through :mod:`defusedxml`: a document that declares entities (billion laughs) or
points at external ones is refused before anything is expanded or fetched.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

__all__ = ["Node", "XmlRefused", "parse_xml"]


class XmlRefused(ValueError):
    """XML that is not well formed, or that declares entities (refused unexpanded)."""


def parse_xml(data: bytes) -> ET.Element:
    """The root element; raises :class:`XmlRefused` for hostile or broken XML."""
    try:
        return fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as error:
        raise XmlRefused(f"refused: the XML declares entities ({error!r}); not expanded") from None
    except ET.ParseError as error:
        raise XmlRefused(f"not well-formed XML: {error}") from None


@dataclass(frozen=True)
class Node:
    """An element and its XPath (``/clinical_study/arm_group[2]``)."""

    element: ET.Element
    path: str

    @classmethod
    def root(cls, element: ET.Element) -> Node:
        return cls(element, f"/{element.tag}")

    def all(self, tag: str) -> Iterator[Node]:
        """The children named ``tag`` (``a/b`` descends), each with its positional XPath."""
        first, _, rest = tag.partition("/")
        for i, child in enumerate(self.element.findall(first), start=1):
            node = Node(child, f"{self.path}/{first}[{i}]")
            if rest:
                yield from node.all(rest)
            else:
                yield node

    def one(self, tag: str) -> Node | None:
        return next(self.all(tag), None)

    def text(self, tag: str | None = None) -> str | None:
        """The stripped text of a child (or of this element); None when absent or empty."""
        element = self.element if tag is None else self.element.find(tag)
        if element is None:
            return None
        text = "".join(element.itertext()).strip()
        return text or None

    def texts(self, tag: str) -> list[str]:
        return [t for n in self.all(tag) if (t := n.text())]

    def attr(self, name: str) -> str | None:
        return self.element.get(name)

    def at(self, tag: str) -> str:
        """The XPath of a child or attribute (``@name``) of this element, for error messages."""
        return f"{self.path}/{tag}"
