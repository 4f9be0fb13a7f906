"""The host's system paths every sandbox shows, and when one path lies inside another.

One reason to change: which of the host's top-level directories and loader files a worker
needs (bwrap binds them, Landlock allows reading them). Shared by ``cmdline`` (the bwrap
binds), ``isolation`` (the interpreter's directories) and ``landlock``.

Both sides: copied into the sandbox (``scratch.WORKER_FILES``); standard library only, Python
>= 3.9.
"""

from __future__ import annotations

__all__: list[str] = []  # package-private: used by the sandbox's own modules

_SYSTEM_TOP = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")
_SYSTEM_FILES = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime")


def _inside(path: str, outer: str) -> bool:
    return path == outer or path.startswith(outer.rstrip("/") + "/")
