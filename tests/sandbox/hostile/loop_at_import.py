"""An endless loop at import time, after the functions are defined."""

while True:
    pass
