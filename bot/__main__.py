"""`python -m bot` is the `foyer` command."""

import sys

from bot.cli import main

sys.exit(main())
