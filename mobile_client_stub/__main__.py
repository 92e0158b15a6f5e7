"""``python -m mobile_client_stub``: the stub phone's command line (see cli.py)."""

import sys

from mobile_client_stub.cli import main

sys.exit(main())
