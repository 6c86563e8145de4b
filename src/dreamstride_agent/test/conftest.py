# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Make this directory's helper modules importable by the tests beside them."""

from pathlib import Path
import sys

sys.path.insert(0, str(Path(__file__).parent))
