"""Run by test_compile.py in a fresh process: compiles one kernel through the
JIT cache in $KITE_CACHE_DIR and prints, as JSON, what that took."""
import hashlib
import json
import sys
import time

import kite
import kite.language as kl
from kite import _C, compiler


@kite.kernel
def row_sums(x_ptr, out_ptr, n_cols, BLOCK: kl.constexpr):
    row = kl.program_id(0)
    cols = kl.arange(0, BLOCK)
    x = kl.load(x_ptr + row * n_cols + cols, mask=cols < n_cols, other=0.0)
    kl.store(out_ptr + row, kl.sum(x * x, axis=0))


def main():
    target, start_at = sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else 0.0
    time.sleep(max(0.0, start_at - time.time()))  # several children start together
    ptr = kl.pointer_type(kl.float32)
    compiled = row_sums.compile(ptr, ptr, kl.int32, BLOCK=128, target=target, num_warps=2)
    print(json.dumps({
        "key": compiled.metadata["cache_key"],
        "metadata": compiled.metadata,
        "asm_sha256": {s: hashlib.sha256(t.encode()).hexdigest() for s, t in compiled.asm.items()},
        "compiler": compiler.stats.as_dict(),
        "cache": _C.Cache.default().stats(),
        "cache_dir": _C.Cache.default().directory,
        "entries_dir": _C.Cache.default().entries_directory,
    }))


if __name__ == "__main__":
    main()
