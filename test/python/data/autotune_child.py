"""A process that autotunes one kernel with cache_results=True on the
device given, prints how many configs it timed and which it chose."""
import sys

import numpy as np

import kite
import kite.language as kl

DEVICE = sys.argv[1]


@kite.autotune(configs=[kite.Config({"BLOCK": 64}, num_warps=1),
                        kite.Config({"BLOCK": 128}, num_warps=2),
                        kite.Config({"BLOCK": 256}, num_warps=4)],
               key=["n"], cache_results=True, warmup=1, rep=2)
@kite.jit
def scale(x_ptr, out_ptr, n, BLOCK: kl.constexpr):
    offs = kl.program_id(0) * BLOCK + kl.arange(0, BLOCK)
    kl.store(out_ptr + offs, kl.load(x_ptr + offs, mask=offs < n) * 2, mask=offs < n)


n = 1000
x = kite.from_numpy(np.arange(n, dtype=np.float32), device=DEVICE)
out = kite.empty(n, kl.float32, device=DEVICE)
scale[lambda meta: (kite.cdiv(n, meta["BLOCK"]),)](x, out, n)
assert np.array_equal(out.numpy(), np.arange(n, dtype=np.float32) * 2)
print(f"timed {scale.bench_count} chose {scale.best_config.kwargs['BLOCK']}")
