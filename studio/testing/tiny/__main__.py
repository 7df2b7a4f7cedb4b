"""python -m studio.testing.tiny NAME DIR: a tiny model without the CLI."""

import sys

from . import build_tiny

print(build_tiny(sys.argv[1], sys.argv[2]))
