"""`python -m pyeth` runs the command line."""

import sys

from pyeth.cli import main

sys.exit(main())
