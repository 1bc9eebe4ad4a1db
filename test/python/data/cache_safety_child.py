"""Run by test_cache_safety.py in a fresh process (its own $KITE_CACHE_DIR,
maybe its own resource limits): launches ``shift`` once per SHIFT given,
checks each result, and prints as JSON what that took and which warnings
Kite gave."""
import json
import sys
import warnings

import numpy as np

import kite
import kite.language as kl
from kite import _C, compiler


@kite.kernel
def shift(x_ptr, out_ptr, n, SHIFT: kl.constexpr, BLOCK: kl.constexpr):
    offsets = kl.program_id(0) * BLOCK + kl.arange(0, BLOCK)
    mask = offsets < n
    kl.store(out_ptr + offsets, kl.load(x_ptr + offsets, mask=mask) + SHIFT, mask=mask)


def main():
    device, shifts = sys.argv[1], [int(s) for s in sys.argv[2].split(",")]
    x = np.arange(1000, dtype=np.int32)
    right = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for amount in shifts:
            out = kite.from_numpy(np.zeros_like(x), device=device)
            shift[(4,)](kite.from_numpy(x, device=device), out, x.size, SHIFT=amount, BLOCK=256)
            right.append(bool(np.array_equal(out.numpy(), x + amount)))
    print(json.dumps({
        "right": right,
        # One compilation per launch, in order.
        "keys": [c.metadata["cache_key"] for c in shift._compiled.values()],
        "compiler": compiler.stats.as_dict(),
        "cache": _C.Cache.default().stats(),
        # (An older Kite kept its entries in the cache directory itself.)
        "entries_dir": getattr(_C.Cache.default(), "entries_directory",
                               _C.Cache.default().directory),
        "warnings": [str(w.message) for w in caught],
    }))


if __name__ == "__main__":
    main()
