# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""The command line of the model generators (generate_urdf, generate_mjcf)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
import sys


def write_model(generate: Callable[[], str], doc: str, argv: list[str] | None = None) -> None:
    """Write the text ``generate`` returns to the file named in ``argv``, or to stdout.

    ``doc`` is the generator module's docstring; its first line describes the command.
    """
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument('path', nargs='?', type=Path, help='output file (default: stdout)')
    args = parser.parse_args(argv)
    text = generate()
    if args.path is None:
        sys.stdout.write(text)
    else:
        args.path.write_text(text)
