"""Fill the scratch directory: 64 MB per file (the file-size limit), file after file."""

import errno

block = b"F" * (1 << 20)
for number in range(4):  # 256 MB at most, should nothing else stop it
    try:
        with open(f"fill-{number}.bin", "wb") as handle:
            for _ in range(128):
                handle.write(block)
    except OSError as exc:
        if exc.errno != errno.EFBIG:  # the file-size limit: go on with the next file
            raise
