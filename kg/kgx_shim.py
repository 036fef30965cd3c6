"""Run the real ``kgx validate`` offline: Biolink from the ``biolink_model`` wheel, not the web.

kgx builds a ``bmt.Toolkit`` at import, which downloads the Biolink YAML and predicate map, and
reads its JSON-LD context from the web. This script points both at the files inside the
installed ``biolink_model`` wheel first. It needs only the standard library, kgx and
biolink-model, so it runs in whatever Python has kgx:

    python kg/kgx_shim.py nodes.tsv edges.tsv    # prints a JSON report; exit 1 on errors
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

__all__ = ["install", "validate"]


def install() -> str:
    """Patch bmt and kgx to use the local Biolink model; returns the model's version."""
    import biolink_model
    import bmt.toolkit
    from linkml_runtime.utils.schemaview import SchemaView

    root = Path(next(iter(biolink_model.__path__)))  # a namespace package: no __init__
    schema = str(root / "schema" / "biolink_model.yaml")

    def offline_init(self: Any, schema: str = schema, predicate_map: str | None = None) -> None:
        self.view = SchemaView(schema)
        self.pmap = {}  # the predicate mapping file is only used for mapping, not validation

    bmt.toolkit.Toolkit.__init__ = offline_init  # type: ignore[method-assign]
    prefixes = json.loads((root / "prefixmaps" / "biolink-model-prefix-map.json").read_text())
    import kgx.config

    kgx.config.jsonld_context_map["biolink"] = prefixes
    return str(bmt.toolkit.Toolkit().get_model_version())


def validate(nodes: str, edges: str) -> dict[str, Any]:
    """The kgx validator's report for a KGX TSV pair, keyed by level, error type and message."""
    version = install()
    from kgx.cli.cli_utils import validate as kgx_validate

    errors = kgx_validate(
        inputs=[nodes, edges], input_format="tsv", input_compression=None, output=None
    )
    return {"biolink_version": version, "errors": _plain(errors)}


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, set, tuple)):
        return sorted(str(v) for v in value)
    return value


def main(argv: list[str]) -> int:
    """``kgx_shim.py NODES EDGES [REPORT.json]``: write the report; exit 1 when it has errors."""
    if len(argv) not in (2, 3):
        print("usage: kgx_shim.py NODES.tsv EDGES.tsv [REPORT.json]", file=sys.stderr)
        return 2
    report = validate(argv[0], argv[1])
    text = json.dumps(report, indent=1, sort_keys=True)
    if len(argv) == 3:
        Path(argv[2]).write_text(text + "\n", encoding="utf-8")
    else:
        print(text)
    return 1 if report["errors"].get("ERROR") else 0


if __name__ == "__main__":
    # run as a script, this file's folder (kg/, which holds kgx.py) must not shadow kgx
    here = str(Path(__file__).resolve().parent)
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(here)]
    sys.exit(main(sys.argv[1:]))
