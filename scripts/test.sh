#!/usr/bin/env bash
# Sets up a fresh machine, builds Kite, and runs all three test tiers:
# lit + FileCheck on kite-opt, GoogleTest on the C++ API, pytest on the Python frontend.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$(llvm-config-22 --bindir 2>/dev/null || echo /usr/lib/llvm-22/bin):$PATH"
echo "== ctest: lit and GoogleTest"
ctest --test-dir build --output-on-failure
echo "== pytest"
PYTHONPATH="$PWD/python${PYTHONPATH:+:$PYTHONPATH}" ${PYTHON:-python3} -m pytest test/python -q
