"""100 MB written to stderr at import time."""

import sys

chunk = "E" * (1 << 20)
for _ in range(100):
    sys.stderr.write(chunk)
