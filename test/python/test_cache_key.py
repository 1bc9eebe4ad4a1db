"""The JIT cache key: everything a compiled kernel depends on, nothing else."""
import importlib.util
import textwrap

import numpy as np

from kite.frontend.cache_key import cache_key, frontend_hash, key_parts, source_hash

KERNEL_MODULE = '''
import kite
import kite.language as kl
import {helpers} as helpers

@kite.func
def twice(x):
    return helpers.scale(x, 2.0)

@kite.kernel
def k(x_ptr, BLOCK: kl.constexpr):
    offs = kl.arange(0, BLOCK)
    kl.store(x_ptr + offs, twice(kl.load(x_ptr + offs)))
'''
HELPERS = '''
import kite

@kite.func
def scale(x, factor):
    return x * factor{extra}
'''


def _load(tmp_path, tag, extra):
    helpers = f"helpers_{tag}"
    (tmp_path / f"{helpers}.py").write_text(textwrap.dedent(HELPERS.format(extra=extra)))
    (tmp_path / f"kernel_{tag}.py").write_text(KERNEL_MODULE.format(helpers=helpers))
    import sys
    sys.path.insert(0, str(tmp_path))
    try:
        spec = importlib.util.spec_from_file_location(f"kernel_{tag}", tmp_path / f"kernel_{tag}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(tmp_path))
    return module


def test_source_hash_follows_helpers_through_modules(tmp_path):
    a = _load(tmp_path, "a", "")
    b = _load(tmp_path, "b", " + 0.0")
    c = _load(tmp_path, "c", "")
    assert source_hash(a.k) == source_hash(c.k)  # same sources, other files
    assert source_hash(a.k) != source_hash(b.k)  # a helper two calls away changed
    assert source_hash(a.k) == source_hash(a.k)


def _specs(kernel, *args, **meta):
    return kernel.specialize(args, meta)


def test_key_depends_on_specialisation_options_target_and_build(tmp_path):
    m = _load(tmp_path, "d", "")
    f32, f16 = np.zeros(4, np.float32), np.zeros(4, np.float16)

    def key(arr=f32, block=16, options=None, target="vulkan:aaaa:1", build="b1"):
        specs, opts, _ = m.k.specialize((arr,), {"BLOCK": block, **(options or {})})
        return cache_key(key_parts(m.k, specs, opts, target, build, "0.1.0"))

    base = key()
    assert key() == base
    assert key(arr=f16) != base
    assert key(block=32) != base
    assert key(options={"num_warps": 8}) != base
    assert key(target="vulkan:bbbb:1") != base
    assert key(target="vulkan:aaaa:2") != base
    assert key(build="b2") != base


def test_frontend_hash_is_stable():
    assert frontend_hash() == frontend_hash() and len(frontend_hash()) == 64
