"""Build the evidence graph: ``python build_graph.py [--sources DIR] [--out DIR]``."""

import sys

from kg.cli import build_main

if __name__ == "__main__":
    sys.exit(build_main())
