"""`python -m studio.cli`: the same command as the installed `studio` script."""

import sys

from . import main

sys.exit(main())
