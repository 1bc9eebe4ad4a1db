"""The first Kite kernel: add two vectors, with a masked tail.

Run with `bash scripts/demo.sh` (or `PYTHONPATH=python python3 tutorials/vector_add.py`
after a build). It prints the kernel's kite IR, runs it on the default device, and
checks the result against numpy."""
import numpy as np

import kite
import kite.language as kl


@kite.kernel
def add_kernel(x_ptr, y_ptr, out_ptr, n_elements, BLOCK_SIZE: kl.constexpr):
    pid = kl.program_id(axis=0)
    offsets = pid * BLOCK_SIZE + kl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements          # the last block runs past the end
    x = kl.load(x_ptr + offsets, mask=mask)
    y = kl.load(y_ptr + offsets, mask=mask)
    kl.store(out_ptr + offsets, x + y, mask=mask)


def main():
    n = 98_432
    rng = np.random.default_rng(0)
    x_host = rng.random(n, dtype=np.float32)
    y_host = rng.random(n, dtype=np.float32)

    print("kite IR of add_kernel for float32 pointers and BLOCK_SIZE=1024:\n")
    print(add_kernel.trace(x_host, y_host, x_host, n, BLOCK_SIZE=1024))

    device = kite.default_device()
    x, y = kite.from_numpy(x_host, device=device), kite.from_numpy(y_host, device=device)
    out = kite.empty(n, kl.float32, device=device)
    grid = lambda meta: (kite.cdiv(n, meta["BLOCK_SIZE"]),)
    add_kernel[grid](x, y, out, n, BLOCK_SIZE=1024)

    error = np.abs(out.numpy() - (x_host + y_host)).max()
    print(f"ran add_kernel on device '{device}' over {n} elements "
          f"({kite.cdiv(n, 1024)} programs); max error vs numpy: {error}")
    assert error == 0.0


if __name__ == "__main__":
    main()
