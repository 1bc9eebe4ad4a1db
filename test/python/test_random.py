"""kl.rand, randn, randint(4x) and philox against a pure-Python Philox4x32-10
(itself checked against the known-answer vectors of Random123, the authors'
reference implementation), through the interpreter and on each device."""
import inspect

import numpy as np
import pytest

import kite
import kite.language as kl
from conftest import DEVICE, run

M32 = 0xFFFFFFFF


def philox4x32(counter, key, rounds=10):
    """Philox4x32 of one counter (4 words) and key (2 words), in Python ints."""
    c0, c1, c2, c3 = counter
    k0, k1 = key
    for _ in range(rounds):
        p0, p2 = 0xD2511F53 * c0, 0xCD9E8D57 * c2
        c0, c1, c2, c3 = ((p2 >> 32) ^ c1 ^ k0, p2 & M32, (p0 >> 32) ^ c3 ^ k1, p0 & M32)
        k0, k1 = (k0 + 0x9E3779B9) & M32, (k1 + 0xBB67AE85) & M32
    return c0, c1, c2, c3


@pytest.mark.parametrize("counter,key,expected", [
    ((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
    ((M32,) * 4, (M32, M32), (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
    ((0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344), (0xA4093822, 0x299F31D0),
     (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1)),
])
def test_the_reference_matches_random123s_known_answers(counter, key, expected):
    assert philox4x32(counter, key) == expected


def reference_randint4x(seed, offsets):
    seed &= (1 << 64) - 1
    key = (seed & M32, seed >> 32)
    words = [philox4x32((int(o) & M32, (int(o) >> 32) & M32 if o.dtype.itemsize > 4 else 0,
                         0, 0), key) for o in offsets]
    return [np.array([w[i] for w in words], np.uint32) for i in range(4)]


def reference_uniform(words):
    x = words.view(np.int32).astype(np.int64)
    x = np.where(x < 0, -x - 1, x)
    return x.astype(np.float32) * np.float32(4.6566127342e-10)


@kite.kernel
def randint4x_kernel(out_ptr, seed, n, BLOCK: kl.constexpr):
    offs = kl.program_id(0) * BLOCK + kl.arange(0, BLOCK)
    mask = offs < n
    r0, r1, r2, r3 = kl.randint4x(seed, offs)
    kl.store(out_ptr + offs, r0, mask=mask)
    kl.store(out_ptr + n + offs, r1, mask=mask)
    kl.store(out_ptr + 2 * n + offs, r2, mask=mask)
    kl.store(out_ptr + 3 * n + offs, r3, mask=mask)


@pytest.mark.parametrize("seed", [0, 42, -1, 2 ** 40 + 7])
def test_randint4x_is_philox_of_the_offset_keyed_by_the_seed(seed):
    n = 300
    out = run(randint4x_kernel, (3,), np.zeros(4 * n, np.uint32), seed, n, BLOCK=128)
    expected = reference_randint4x(seed, np.arange(n, dtype=np.int32))
    for i in range(4):
        np.testing.assert_array_equal(out[i * n:(i + 1) * n], expected[i], err_msg=f"word {i}")


@kite.kernel
def draw_kernel(out_ptr, seed, base, n, KIND: kl.constexpr, BLOCK: kl.constexpr):
    offs = kl.program_id(0) * BLOCK + kl.arange(0, BLOCK)
    mask = offs < n
    where = base + offs
    if KIND == "randint":
        value = kl.randint(seed, where)
    elif KIND == "rand":
        value = kl.rand(seed, where)
    else:
        value = kl.randn(seed, where)
    kl.store(out_ptr + offs, value, mask=mask)


def test_randint_is_the_first_word_and_64_bit_offsets_use_the_high_word():
    n, base = 200, 2 ** 33 + 5
    out = run(draw_kernel, (2,), np.zeros(n, np.uint32), 7, base, n, KIND="randint", BLOCK=128)
    offsets = np.arange(n, dtype=np.int64) + base
    np.testing.assert_array_equal(out, reference_randint4x(7, offsets)[0])


def test_rand_is_uniform_in_0_1_and_reproducible():
    n = 4096
    out = run(draw_kernel, (4,), np.zeros(n, np.float32), 123, 0, n, KIND="rand", BLOCK=1024)
    expected = reference_uniform(reference_randint4x(123, np.arange(n, dtype=np.int32))[0])
    np.testing.assert_array_equal(out, expected)
    assert out.min() >= 0 and out.max() <= 1
    assert abs(out.mean() - 0.5) < 0.02 and abs(out.var() - 1 / 12) < 0.01
    again = run(draw_kernel, (4,), np.zeros(n, np.float32), 123, 0, n, KIND="rand", BLOCK=1024)
    np.testing.assert_array_equal(again, out)
    other = run(draw_kernel, (4,), np.zeros(n, np.float32), 124, 0, n, KIND="rand", BLOCK=1024)
    assert np.mean(other == out) < 0.01


def test_randn_is_box_muller_of_the_first_two_words():
    n = 4096
    out = run(draw_kernel, (4,), np.zeros(n, np.float32), 5, 0, n, KIND="randn", BLOCK=1024)
    words = reference_randint4x(5, np.arange(n, dtype=np.int32))
    u1 = np.maximum(reference_uniform(words[0]).astype(np.float64), 1e-7)
    u2 = reference_uniform(words[1]).astype(np.float64)
    expected = np.sqrt(-2.0 * np.log(u1)) * np.cos(6.283185307179586 * u2)
    # log, sqrt and cos in f32: a few ulp, more where cos is near a zero.
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-5)
    assert abs(out.mean()) < 0.05 and abs(out.std() - 1) < 0.05


@kite.kernel
def dropout_kernel(x_ptr, out_ptr, n, p, seed, BLOCK: kl.constexpr):
    # Triton's tutorial 04 ("low-memory dropout"), ported by the import.
    offs = kl.program_id(0) * BLOCK + kl.arange(0, BLOCK)
    mask = offs < n
    x = kl.load(x_ptr + offs, mask=mask)
    keep = kl.rand(seed, offs) > p
    kl.store(out_ptr + offs, kl.where(keep, x / (1 - p), 0.0), mask=mask)


def test_seeded_dropout_keeps_the_same_elements_as_the_reference():
    n, p, seed = 1000, 0.3, 2024
    x = np.random.default_rng(0).standard_normal(n).astype(np.float32)
    out = run(dropout_kernel, (8,), x, np.zeros_like(x), n, p, seed, BLOCK=128)[1]
    keep = reference_uniform(reference_randint4x(seed, np.arange(n, dtype=np.int32))[0]) > p
    np.testing.assert_array_equal(out != 0, keep & (x != 0))
    np.testing.assert_allclose(out[keep], x[keep] / np.float32(1 - p), rtol=1e-6)


@kite.kernel
def philox_kernel(out_ptr, seed, c_ptr, BLOCK: kl.constexpr):
    offs = kl.arange(0, BLOCK)
    c0 = kl.load(c_ptr + offs)
    c1 = kl.load(c_ptr + BLOCK + offs)
    w0, w1, w2, w3 = kl.philox(seed, c0, c1, c0 ^ c1, c1 * 3)
    kl.store(out_ptr + offs, w0)
    kl.store(out_ptr + BLOCK + offs, w1)
    kl.store(out_ptr + 2 * BLOCK + offs, w2)
    kl.store(out_ptr + 3 * BLOCK + offs, w3)


def test_philox_of_arbitrary_counters():
    rng = np.random.default_rng(9)
    c = rng.integers(0, 2 ** 32, 64, dtype=np.uint64).astype(np.uint32)
    seed = 0x1234_5678_9ABC
    out = run(philox_kernel, (1,), np.zeros(128, np.uint32), seed, c, BLOCK=32)[0]
    key = (seed & M32, seed >> 32)
    for i in range(32):
        c0, c1 = int(c[i]), int(c[32 + i])
        w = philox4x32((c0, c1, c0 ^ c1, (c1 * 3) & M32), key)
        assert tuple(int(out[k * 32 + i]) for k in range(4)) == w, i


@kite.kernel
def float_seed_kernel(out_ptr, BLOCK: kl.constexpr):
    offs = kl.arange(0, BLOCK)
    kl.store(out_ptr + offs, kl.rand(1.5, offs))


def test_a_float_seed_is_an_error_at_its_line():
    with pytest.raises(kite.CompilationError,
                       match="seed of a random function must be an integer") as info:
        run(float_seed_kernel, (1,), np.zeros(4, np.float32), BLOCK=4)
    lines, start = inspect.getsourcelines(float_seed_kernel.fn)
    assert info.value.lineno == start + [i for i, l in enumerate(lines) if "kl.rand(" in l][0]


def test_the_interpreter_draws_without_overflow_warnings():
    if DEVICE != "interpreter":
        pytest.skip("checks the interpreter's numpy arithmetic")
    with np.errstate(all="raise"):
        run(draw_kernel, (1,), np.zeros(16, np.float32), 3, 0, 16, KIND="randn", BLOCK=16)
