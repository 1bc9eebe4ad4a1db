#!/usr/bin/env python3
"""Checks that a libkite.so built with KITE_STATIC_LLVM=ON runs on a machine
without LLVM (docs/build.md): it needs only glibc's own libraries, no symbol
newer than the oldest glibc we support, and it exports nothing but namespace
kite. Exits 1 and names every violation otherwise.

    python3 scripts/check_self_contained.py dist/gpu-bundle/lib/libkite.so
"""
import argparse
import re
import subprocess
import sys

# glibc's libraries (ld-linux for the unwinder's _dl_find_object).
ALLOWED_NEEDED = {"libc.so.6", "libm.so.6", "libdl.so.2", "libpthread.so.0",
                  "librt.so.1", "ld-linux-x86-64.so.2"}
OLDEST_GLIBC = "2.35"  # Ubuntu 22.04
KITE_SYMBOL = re.compile(r"^(vtable for |typeinfo for |typeinfo name for )?kite::")


def run(*command: str) -> str:
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


def version_tuple(text: str) -> tuple:
    return tuple(int(part) for part in text.split("."))


def needed_libraries(path: str) -> list:
    return re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", run("readelf", "-d", path))


def glibc_versions(path: str) -> dict:
    """The glibc version each undefined dynamic symbol asks for."""
    versions = {}
    for line in run("objdump", "-T", path).splitlines():
        match = re.search(r"\*UND\*\s+\S+\s+\(?GLIBC_([0-9.]+)\)?\s+(\S+)$", line)
        if match:
            versions[match.group(2)] = match.group(1)
    return versions


def exported_symbols(path: str) -> list:
    names = run("nm", "-D", "--defined-only", "--format=just-symbols", path).split()
    demangled = run("c++filt", *names).splitlines() if names else []
    return demangled


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("library")
    parser.add_argument("--oldest-glibc", default=OLDEST_GLIBC)
    args = parser.parse_args()
    problems = []

    needed = needed_libraries(args.library)
    problems += [f"needs {lib}, which a machine without LLVM may lack"
                 for lib in needed if lib not in ALLOWED_NEEDED]

    versions = glibc_versions(args.library)
    newest = max(versions.values(), key=version_tuple, default="0")
    limit = version_tuple(args.oldest_glibc)
    problems += [f"{symbol} needs GLIBC_{version} (newer than {args.oldest_glibc})"
                 for symbol, version in sorted(versions.items())
                 if version_tuple(version) > limit]

    exported = exported_symbols(args.library)
    problems += [f"exports {name}" for name in exported if not KITE_SYMBOL.match(name)]

    print(f"{args.library}: needs {', '.join(needed)}; newest glibc symbol "
          f"GLIBC_{newest}; {len(exported)} exported symbols")
    for problem in problems:
        print(f"  not self-contained: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
