"""Atomics' `sem` and `scope`, as Triton takes them: the frontend carries
them into the IR, the NVIDIA backend emits them as the `.sem` and `.scope`
of PTX `atom` (ptxas takes the result), and a scalar atomic is ordered for
all of a program's threads (barriers in the threads stage). Wrong names are
reported at their source line. Results under contention are in
test_spin_lock.py."""
import re

import numpy as np
import pytest

import kite
import kite.language as kl
from kite import ptxas
from conftest import line_of

HAVE_PTXAS = ptxas.find() is not None


@kite.kernel
def ordered_atomics_kernel(lock_ptr, sum_ptr, x_ptr, SEM: kl.constexpr):
    while kl.atomic_cas(lock_ptr, 0, 1, sem="acquire", scope="cta") == 1:
        pass
    kl.atomic_add(sum_ptr, 1.0, sem="relaxed", scope="sys")
    kl.atomic_max(x_ptr + kl.arange(0, 64), 2, sem=SEM, scope="gpu")
    kl.atomic_cas(lock_ptr + 1, 0, 1, sem="release")
    kl.atomic_xchg(lock_ptr, 0, sem="release", scope="cta")
    kl.atomic_or(x_ptr, 1)


ARGS = (np.zeros(2, np.int32), np.zeros(1, np.float32), np.zeros(64, np.int32))


def test_the_frontend_keeps_sem_and_scope():
    kite_ir = ordered_atomics_kernel.compile(*ARGS, target="cuda:sm_90", SEM="acq_rel",
                                             num_warps=4).asm["kite"]
    assert "kite.atomic_cas acquire cta," in kite_ir
    assert "kite.atomic_rmw fadd relaxed sys," in kite_ir
    assert "kite.atomic_rmw xchg release cta," in kite_ir
    assert "kite.atomic_cas release," in kite_ir
    # acq_rel at gpu scope, the default, is not printed.
    assert re.search(r"kite\.atomic_rmw max, .* : tensor<64x", kite_ir)
    assert re.search(r"kite\.atomic_rmw or, ", kite_ir)


def test_a_scalar_release_waits_for_every_thread_and_an_acquire_holds_them():
    threads = ordered_atomics_kernel.compile(*ARGS, target="cuda:sm_90", SEM="relaxed",
                                             num_warps=4).asm["threads"]
    lines = [line.strip() for line in threads.splitlines()]
    at = {name: next(i for i, line in enumerate(lines) if name in line)
          for name in ("kitethread.atomic_rmw xchg release cta", "kitethread.atomic_cas acquire cta",
                       "kitethread.atomic_rmw or ", "kitethread.atomic_rmw max relaxed")}
    # The release: a barrier ordering global memory before, none after.
    release = at["kitethread.atomic_rmw xchg release cta"]
    before = [line for line in lines[:release] if line.startswith("gpu.barrier")]
    assert before[-1] == 'gpu.barrier {kitethread.global_memory = "cta"}'
    # The lock (acquire): its result reaches the threads at an ordering barrier.
    lock = at["kitethread.atomic_cas acquire cta"]
    after = [line for line in lines[lock:] if line.startswith("gpu.barrier")]
    assert after[0] == 'gpu.barrier {kitethread.global_memory = "cta"}'
    # The default acq_rel at gpu scope: both.
    default = at["kitethread.atomic_rmw or "]
    assert [line for line in lines[:default] if line.startswith("gpu.barrier")][-1] == \
        'gpu.barrier {kitethread.global_memory = "gpu"}'
    assert [line for line in lines[default:] if line.startswith("gpu.barrier")][0] == \
        'gpu.barrier {kitethread.global_memory = "gpu"}'
    # A tensor atomic orders its own thread's accesses only: no barrier.
    assert "gpu.barrier" not in lines[at["kitethread.atomic_rmw max relaxed"] - 1]


@pytest.mark.skipif(not HAVE_PTXAS, reason="ptxas (CUDA toolkit) not found")
def test_ptx_atoms_carry_sem_and_scope():
    compiled = ordered_atomics_kernel.compile(*ARGS, target="cuda:sm_90", SEM="release",
                                              num_warps=4)
    assert "cubin" in compiled.asm  # ptxas took it
    ptx = compiled.asm["ptx"]
    assert re.search(r"atom\.acquire\.cta\.global\.cas\.b32", ptx)
    assert re.search(r"atom\.relaxed\.sys\.global\.add\.f32", ptx)
    assert re.search(r"atom\.release\.gpu\.global\.max\.s32", ptx)
    assert re.search(r"atom\.release\.gpu\.global\.cas\.b32", ptx)
    assert re.search(r"atom\.release\.cta\.global\.exch\.b32", ptx)
    assert re.search(r"atom\.acq_rel\.gpu\.global\.or\.b32", ptx)


@kite.kernel
def bad_sem_kernel(p):
    kl.atomic_xchg(p, 1, sem="seq_cst")


@kite.kernel
def bad_scope_kernel(p):
    kl.atomic_cas(p, 0, 1, scope="device")


@pytest.mark.parametrize("kernel,marker,message", [
    (bad_sem_kernel, "kl.atomic_xchg(", "kl.atomic_xchg: sem must be one of 'relaxed', "
                                        "'acquire', 'release', 'acq_rel', got 'seq_cst'"),
    (bad_scope_kernel, "kl.atomic_cas(", "kl.atomic_cas: scope must be one of 'gpu', 'cta', "
                                         "'sys', got 'device'"),
])
def test_unknown_sem_or_scope_is_reported_at_its_line(kernel, marker, message):
    with pytest.raises(kite.CompilationError, match=re.escape(message)) as info:
        kernel.compile(np.zeros(1, np.int32), target="cuda:sm_90")
    assert info.value.lineno == line_of(kernel, marker)
