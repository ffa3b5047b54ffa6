"""``python -m confusionflow``: the ``confusionflow`` command (see :mod:`confusionflow.cli`)."""

import sys

from confusionflow.cli import main

sys.exit(main())
