"""`python -m cchc_metrics …`: see cchc_metrics.cli."""
import sys

from .cli import main

sys.exit(main())
