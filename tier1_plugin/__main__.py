"""``python -m tier1_plugin`` is ``tier1``."""

from tier1_plugin.cli import main

raise SystemExit(main())
