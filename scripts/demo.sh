#!/usr/bin/env bash
# Sets up a fresh machine, builds Kite, and runs the vector-add demo.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
PYTHONPATH="$PWD/python${PYTHONPATH:+:$PYTHONPATH}" ${PYTHON:-python3} tutorials/vector_add.py
