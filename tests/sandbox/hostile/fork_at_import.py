"""A (bounded) fork bomb at import time; each child would exit at once if a fork ever worked."""

import os

children = []
for _ in range(64):
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    children.append(pid)
