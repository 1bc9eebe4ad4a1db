#!/usr/bin/env bash
# Installs what Kite needs to build and test (Debian 12) and builds it into build/.
# Clang, because libMLIR.so is built with it (see cmake/CheckMLIRCompiler.cmake).
# Safe to run again: installs only what is missing, builds incrementally.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(cmake ninja-build ccache clang llvm-22-dev libmlir-22-dev mlir-22-tools libgtest-dev
  mesa-vulkan-drivers libvulkan-dev spirv-tools)
# The static zlib and zstd that a KITE_STATIC_LLVM build links (docs/build.md).
APT_PACKAGES+=(zlib1g-dev libzstd-dev)
PIP_PACKAGES=(numpy pytest pytest-xdist ml_dtypes pybind11 lit nbclient nbformat ipykernel scikit-build-core matplotlib)
PYTHON=${PYTHON:-python3}
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "== apt: installing ${missing[*]}"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
# lavapipe from bookworm-backports (Mesa 25): Debian 12's own Mesa 22.3 gives
# each shader invocation 65,535 loop iterations in all, then leaves its loops
# (Kite reports that as an error, docs/spirv-emitter.md); Mesa 25 has no such
# budget, so long loops run correctly on the default device.
if grep -q '^VERSION_CODENAME=bookworm' /etc/os-release 2>/dev/null &&
  ! dpkg --compare-versions "$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || echo 0)" ge 25; then
  echo "== apt: mesa-vulkan-drivers from bookworm-backports"
  echo "deb http://deb.debian.org/debian bookworm-backports main" |
    $SUDO tee /etc/apt/sources.list.d/kite-bookworm-backports.list >/dev/null
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends \
    -t bookworm-backports mesa-vulkan-drivers
fi
echo "== pip: ${PIP_PACKAGES[*]}"
$PYTHON -m pip install -q --disable-pip-version-check "${PIP_PACKAGES[@]}" 2>&1 | grep -v "Running pip as the 'root' user" || true
# Triton compiles the reference kernels cuda-sim runs (test_cuda_sim_triton.py,
# benchmarks/sim_instruction_mix.py); without it those are skipped.
echo "== pip: triton"
if ! $PYTHON -m pip install -q --disable-pip-version-check --root-user-action=ignore triton; then
  echo "== triton could not be installed: the tests against it are skipped" >&2
fi

LLVM_PREFIX=$(llvm-config-22 --prefix 2>/dev/null || echo /usr/lib/llvm-22)
echo "== cmake (LLVM/MLIR from $LLVM_PREFIX)"
if [ ! -f build/build.ninja ]; then
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DMLIR_DIR="$LLVM_PREFIX/lib/cmake/mlir" -DLLVM_DIR="$LLVM_PREFIX/lib/cmake/llvm" \
    -DPython3_EXECUTABLE="$(command -v "$PYTHON")"
fi
cmake --build build -j"${KITE_BUILD_JOBS:-2}"
