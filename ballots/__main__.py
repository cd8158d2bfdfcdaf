"""``python -m ballots BUNDLE`` is the same as ``python -m ballots.verify BUNDLE``."""

import sys

from ballots.verify import main

sys.exit(main())
