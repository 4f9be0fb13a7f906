#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image (Ubuntu). It needs only
# the package registries: the grader itself is the wheel bundled in this zip.
# AUTOGRADER_ROOT (default /autograder) lets a test run it elsewhere; GRADER_SETUP_NO_APT=1 skips
# the apt step (bubblewrap and python3-venv must then be present already).
set -euo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
SOURCE="$ROOT/source"

if [ -z "${GRADER_SETUP_NO_APT:-}" ] && command -v apt-get >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # bubblewrap: the student's code in its own namespaces; without it the weaker process layer.
  apt-get install -y -qq bubblewrap python3-venv python3-pip >/dev/null
fi

# The interpreter and libraries the student's code runs with (the worker reads these)...
python3 -m venv "$ROOT/venv"
"$ROOT/venv/bin/python" -m pip install -q "$SOURCE"/grader/*.whl
# ...and the grader apart from them, readable by root alone: the references (the answer key), the
# checks and the course secret stay out of the worker's reach even on the process layer.
"$ROOT/venv/bin/python" -m pip uninstall -q -y mle-grader
"$ROOT/venv/bin/python" -m pip install -q --no-deps --target "$ROOT/grader-lib" "$SOURCE"/grader/*.whl
chmod -R go-rwx "$ROOT/grader-lib" "$SOURCE"
PYTHONPATH="$ROOT/grader-lib" "$ROOT/venv/bin/python" -m graders.export.autograde --version
