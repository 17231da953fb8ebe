"""Root pytest suite: the addon's plain-Python rules (insurance_renewal/lib) import
without Odoo."""

import sys
from pathlib import Path

sys.path.insert(
    0, str(Path(__file__).resolve().parent.parent / "insurance_renewal" / "lib")
)
