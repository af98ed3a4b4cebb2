#!/usr/bin/env python
import os
import sys
from pathlib import Path

# `site/` is a source root (it cannot be a package: Python's own `site` module is frozen).
sys.path.insert(0, str(Path(__file__).resolve().parent / "site"))


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
