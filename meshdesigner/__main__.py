"""``python -m meshdesigner``: the same as the ``meshdesigner`` command."""

import sys

from meshdesigner.cli import main

sys.exit(main())
