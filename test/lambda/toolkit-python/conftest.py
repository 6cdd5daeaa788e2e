"""pytest setup for the Python parser toolkit: import it from its source folder, as Lambda imports it from the
function's asset root."""

import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "lambda" / "toolkit-python"))
