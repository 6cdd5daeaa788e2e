"""CSV cells and lines: RFC 4180 quoting plus formula-injection protection (the rules of lambda/toolkit/csv.ts).

- ``None`` -> empty cell; strings as-is, except one starting with ``=`` ``+`` ``-`` ``@`` TAB or CR gets a ``'``
  prepended (OWASP "CSV injection"); numbers and booleans never (a JSON number cannot carry a formula).
- ``bool`` -> ``true`` / ``false``; ``int`` -> digits; ``float`` -> ``repr`` (non-finite -> empty); dicts and lists
  -> compact JSON.
- a cell containing ``"`` ``,`` CR or LF is wrapped in double quotes, inner quotes doubled (RFC 4180 2.6-2.7).

Lines are joined with ``,`` and carry no terminator: the toolkit terminates every row with LF.
"""

import json
import math

CSV_FORMULA_ESCAPE = "'"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value):
    """One CSV cell for ``value``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else ""
    if isinstance(value, str):
        s = CSV_FORMULA_ESCAPE + value if value.startswith(_FORMULA_STARTS) else value
    elif isinstance(value, (dict, list, tuple)):
        s = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    else:
        return ""
    if '"' in s or "," in s or "\r" in s or "\n" in s:
        return '"' + s.replace('"', '""') + '"'
    return s


def csv_line(values):
    """One CSV line (without terminator) for ``values``."""
    return ",".join(csv_cell(v) for v in values)
