"""``python -m frontgate`` is the ``frontgate`` command."""

from frontgate.cli import main

raise SystemExit(main())
