"""kernel.compile: stages, metadata, targets, and the JIT cache (docs/jit-cache.md):
the in-memory fast path, the disk cache shared between processes, damaged
entries, concurrent compilation, and KITE_DUMP_IR."""
import json
import os
import re
import subprocess
import sys
import time

import pytest
from conftest import vulkan_device

import kite
import kite.language as kl
from kite import _C, compiler
from kite.frontend import cache_key

CHILD = os.path.join(os.path.dirname(__file__), "data", "compile_child.py")
PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(kite.__file__)))
F32 = kl.pointer_type(kl.float32)


@kite.kernel
def add(x_ptr, y_ptr, out_ptr, n, BLOCK: kl.constexpr):
    offs = kl.program_id(0) * BLOCK + kl.arange(0, BLOCK)
    mask = offs < n
    kl.store(out_ptr + offs, kl.load(x_ptr + offs, mask=mask) + kl.load(y_ptr + offs, mask=mask),
             mask=mask)


def test_compile_returns_every_stage_and_the_metadata():
    device = vulkan_device()
    x = kite.zeros(1024, kl.float32, device=device)
    compiled = add.compile(x, x, x, 1024, BLOCK=1024, target=device, num_warps=2)
    assert isinstance(compiled, kite.CompiledKernel) and compiled.name == "add"
    assert set(compiled.asm) == {"kite", "kitegpu", "threads", "spirv"}
    assert compiled.asm["kite"] == add.trace(x, x, x, 1024, BLOCK=1024)
    assert '"kitethread.num-threads"' in compiled.asm["threads"]
    assert "OpEntryPoint GLCompute" in compiled.asm["spirv"]
    assert compiled.binary[:4] == b"\x03\x02\x23\x07"  # the SPIR-V magic number
    subgroup = _C.Device.open(device).properties.subgroup_size
    assert f'"kitegpu.threads-per-warp" = {subgroup} : i32' in compiled.asm["kitegpu"]
    assert '"kitegpu.num-warps" = 2 : i32' in compiled.asm["kitegpu"]
    meta = compiled.metadata
    assert (meta["num_warps"], meta["threads_per_warp"], meta["target"]) == (2, subgroup, device)
    assert len(meta["cache_key"]) == 64


def test_generic_targets_compile_without_a_device():
    compiled = add.compile(F32, F32, F32, kl.int32, BLOCK=256, target="generic:subgroup=16")
    assert compiled.metadata["threads_per_warp"] == 16 and compiled.metadata["num_warps"] == 4
    assert "threadsPerWarp = [16], warpsPerCTA = [4]" in compiled.asm["kitegpu"]
    assert add.compile(F32, F32, F32, kl.int32, BLOCK=256,
                       target="generic").metadata["threads_per_warp"] == 32


def test_the_default_target_is_the_first_gpu_else_generic(monkeypatch):
    # DESIGN §7: the first CUDA device, else the first Vulkan device.
    monkeypatch.delenv("KITE_DEVICE", raising=False)
    gpus = [d for d in kite.devices() if d.startswith(("cuda:", "vulkan:"))]
    compiled = add.compile(F32, F32, F32, kl.int32, BLOCK=64)
    assert compiled.metadata["target"] == (gpus[0] if gpus else "generic:subgroup=32")


@pytest.mark.parametrize("target, message", [
    ("interpreter", "the interpreter runs kernels without compiling them"),
    ("metal:0", r"unknown target 'metal:0'; this build compiles for a device .*'cuda:sm_XY'"),
    ("generic:warps=2", "target 'generic:warps=2': write 'generic' or 'generic:subgroup=N'"),
    ("vulkan:99", "unknown or unavailable target 'vulkan:99'"),
])
def test_bad_targets(target, message):
    with pytest.raises(ValueError, match=message):
        add.compile(F32, F32, F32, kl.int32, BLOCK=64, target=target)


def test_num_warps_must_be_a_power_of_two():
    with pytest.raises(ValueError, match="num_warps must be a power of two from 1 to 32, got 3"):
        add.compile(F32, F32, F32, kl.int32, BLOCK=64, num_warps=3)


def test_compile_errors_point_at_the_kernel_line():
    @kite.kernel
    def bad(x_ptr):
        kl.store(x_ptr + kl.arange(0, 3), 1.0)
    with pytest.raises(kite.CompilationError, match="powers of two") as info:
        bad.compile(F32, target="generic")
    assert info.value.lineno == bad.fn.__code__.co_firstlineno + 2


def test_the_key_separates_targets_options_and_specialisations():
    def key(*args, **meta):
        return add.compile(*args, **meta).metadata["cache_key"]
    base = key(F32, F32, F32, kl.int32, BLOCK=64, target="generic:subgroup=8")
    assert base == key(F32, F32, F32, kl.int32, BLOCK=64, target="generic:subgroup=8")
    others = {key(F32, F32, F32, kl.int32, BLOCK=128, target="generic:subgroup=8"),
              key(F32, F32, F32, kl.int64, BLOCK=64, target="generic:subgroup=8"),
              key(F32, F32, F32, kl.int32, BLOCK=64, target="generic:subgroup=8", num_warps=8),
              key(F32, F32, F32, kl.int32, BLOCK=64, target="generic:subgroup=32")}
    devices = [d for d in kite.devices() if d.startswith("vulkan:")]
    if devices:  # the same subgroup size on a real device is still another target
        size = _C.Device.open(devices[0]).properties.subgroup_size
        generic = key(F32, F32, F32, kl.int32, BLOCK=64, target=f"generic:subgroup={size}")
        assert generic != key(F32, F32, F32, kl.int32, BLOCK=64, target=devices[0])
    assert base not in others and len(others) == 4


def test_a_second_compile_is_a_memory_hit_without_hashing_sources(monkeypatch):
    first = add.compile(F32, F32, F32, kl.int32, BLOCK=512, target="generic")
    runs = compiler.stats.pipeline_runs

    def no_hashing(_kernel):
        raise AssertionError("the fast path hashed the kernel's source")
    monkeypatch.setattr(cache_key, "source_hash", no_hashing)
    again = add.compile(F32, F32, F32, kl.int32, BLOCK=512, target="generic")
    assert again is first and compiler.stats.pipeline_runs == runs


def test_same_key_after_the_memory_map_is_dropped_comes_from_disk():
    first = add.compile(F32, F32, F32, kl.int32, BLOCK=32, target="generic:subgroup=4")
    add._compiled.clear()
    _C.Cache.default().clear_memory()
    runs, disk = compiler.stats.pipeline_runs, compiler.stats.disk_hits
    again = add.compile(F32, F32, F32, kl.int32, BLOCK=32, target="generic:subgroup=4")
    assert (compiler.stats.pipeline_runs, compiler.stats.disk_hits) == (runs, disk + 1)
    assert again.asm == first.asm and again.metadata == first.metadata


def test_kite_dump_ir_writes_every_stage(tmp_path, monkeypatch):
    monkeypatch.setenv("KITE_DUMP_IR", str(tmp_path))
    compiled = add.compile(F32, F32, F32, kl.int32, BLOCK=16, target="generic:subgroup=2")
    folder = tmp_path / f"add-{compiled.metadata['cache_key'][:16]}"
    assert sorted(p.name for p in folder.iterdir()) == ["kite.mlir", "kitegpu.mlir",
                                                         "threads.mlir"]
    for stage, text in compiled.asm.items():
        assert (folder / f"{stage}.mlir").read_text() == text


def test_kite_dump_ir_names_files_by_their_language(tmp_path, monkeypatch):
    monkeypatch.setenv("KITE_DUMP_IR", str(tmp_path))
    compiled = add.compile(F32, F32, F32, kl.int32, BLOCK=16, target="cuda:sm_80")
    folder = tmp_path / f"add-{compiled.metadata['cache_key'][:16]}"
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["kite.mlir", "kitegpu.mlir", "llir.ll", "ptx.ptx", "threads.mlir"], names
    assert (folder / "ptx.ptx").read_text() == compiled.asm["ptx"]


@pytest.mark.parametrize("value, folder", [("1", "kite_dump"), ("true", "kite_dump"),
                                           ("ON", "kite_dump"), ("0", None), ("", None),
                                           ("false", None)])
def test_kite_dump_ir_as_a_switch(tmp_path, monkeypatch, value, folder):
    # KITE_DUMP_IR=1 dumps into ./kite_dump, not into a folder named "1".
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KITE_DUMP_IR", value)
    add._compiled.clear()  # taken from disk: dumped again
    _C.Cache.default().clear_memory()
    add.compile(F32, F32, F32, kl.int32, BLOCK=8, target="generic:subgroup=2")
    made = sorted(p.name for p in tmp_path.iterdir())
    assert made == ([folder] if folder else []), made


def _compile_with_mlir_dump(tmp_path, dump):
    """stderr of a new process that compiles ``add`` for sm_80 with
    KITE_MLIR_DUMP=dump, its JIT cache already holding the kernel."""
    script = tmp_path / "child.py"
    script.write_text(
        "import kite, kite.language as kl\n"
        "@kite.kernel\n"
        "def add(x, y, out, n, BLOCK: kl.constexpr):\n"
        "    offs = kl.arange(0, BLOCK)\n"
        "    kl.store(out + offs, kl.load(x + offs) + kl.load(y + offs), mask=offs < n)\n"
        "f32 = kl.pointer_type(kl.float32)\n"
        "add.compile(f32, f32, f32, kl.int32, BLOCK=16, target='cuda:sm_80')\n")
    env = dict(os.environ, KITE_CACHE_DIR=str(tmp_path / "cache"), PYTHONPATH=PYTHON_DIR)
    env.pop("KITE_MLIR_DUMP", None)
    subprocess.run([sys.executable, str(script)], env=env, check=True, capture_output=True)
    env["KITE_MLIR_DUMP"] = dump
    done = subprocess.run([sys.executable, str(script)], env=env, capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr
    return done.stderr


def test_kite_mlir_dump_prints_the_ir_before_every_pass(tmp_path):
    # The cache holds the kernel, and the passes run anyway, to be seen.
    err = _compile_with_mlir_dump(tmp_path, "1")
    for name in ("kite-combine", "convert-kite-to-kitegpu", "kitegpu-coalesce",
                 "convert-kitegpu-to-threads", "convert-kitethread-to-nvvm"):
        assert f"IR Dump Before" in err and f"({name})" in err, name
    assert "IR Dump After" not in err


def test_kite_mlir_dump_names_the_passes_to_print_after(tmp_path):
    err = _compile_with_mlir_dump(tmp_path, "kitegpu-coalesce, cse")
    headers = [line for line in err.splitlines() if "IR Dump" in line]
    assert headers and all("IR Dump After" in h for h in headers), headers
    passes = {re.search(r"IR Dump After \S+ \(([\w-]+)\)", h).group(1) for h in headers}
    assert passes == {"kitegpu-coalesce", "cse"}, headers


# Several processes sharing one cache directory.

def _child_target() -> str:
    found = [d for d in kite.devices() if d.startswith("vulkan:")]
    return found[0] if found else "generic:subgroup=8"


def _spawn(cache_dir, start_at=0.0):
    env = dict(os.environ, KITE_CACHE_DIR=str(cache_dir), PYTHONPATH=PYTHON_DIR)
    env.pop("KITE_DUMP_IR", None)
    return subprocess.Popen([sys.executable, CHILD, _child_target(), str(start_at)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _result(proc) -> dict:
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    return json.loads(out)


def _compile_in_child(cache_dir) -> dict:
    return _result(_spawn(cache_dir))


def test_a_second_process_takes_the_kernel_from_disk(tmp_path):
    first = _compile_in_child(tmp_path)
    assert first["compiler"]["pipeline_runs"] == 1 and first["cache"]["stores"] == 1
    assert first["cache_dir"] == str(tmp_path)
    # Entries live in a directory of the cache's own, never beside the user's files.
    assert first["entries_dir"] == str(tmp_path / "kite-cache-v2")
    assert (tmp_path / "kite-cache-v2" / first["key"] / "kitegpu.mlir").is_file()
    second = _compile_in_child(tmp_path)
    assert second["compiler"] == {"pipeline_runs": 0, "disk_hits": 1, "memory_hits": 0,
                                  "fast_launches": 0}
    assert second["cache"]["disk_hits"] == 1 and second["cache"]["stores"] == 0
    assert second["asm_sha256"] == first["asm_sha256"] and second["metadata"] == first["metadata"]


@pytest.mark.parametrize("damage", ["flip", "truncate", "delete"])
def test_a_damaged_entry_is_recompiled(tmp_path, damage):
    first = _compile_in_child(tmp_path)
    stage_file = tmp_path / "kite-cache-v2" / first["key"] / "kitegpu.mlir"
    data = bytearray(stage_file.read_bytes())
    if damage == "flip":
        for i in range(len(data) // 3, len(data) // 3 + 8):
            data[i] ^= 0x5A
        stage_file.write_bytes(bytes(data))
    elif damage == "truncate":
        stage_file.write_bytes(bytes(data[: len(data) // 2]))
    else:
        stage_file.unlink()
    second = _compile_in_child(tmp_path)
    assert second["cache"]["damaged_entries"] == 1
    assert second["compiler"]["pipeline_runs"] == 1 and second["compiler"]["disk_hits"] == 0
    assert second["asm_sha256"] == first["asm_sha256"]  # the right code, not the damaged one
    third = _compile_in_child(tmp_path)  # the entry was published again, intact
    assert third["compiler"]["disk_hits"] == 1 and third["asm_sha256"] == first["asm_sha256"]


def test_processes_compiling_at_once_into_an_empty_cache_agree(tmp_path):
    start_at = time.time() + 3.0  # after every child has imported kite
    children = [_spawn(tmp_path, start_at) for _ in range(4)]
    results = [_result(c) for c in children]
    assert len({r["key"] for r in results}) == 1
    assert len({json.dumps(r["asm_sha256"], sort_keys=True) for r in results}) == 1
    assert sum(r["compiler"]["pipeline_runs"] + r["compiler"]["disk_hits"] for r in results) == 4
    assert [p.name for p in tmp_path.iterdir()] == ["kite-cache-v2"]
    entries = sorted(p.name for p in (tmp_path / "kite-cache-v2").iterdir())
    assert entries == [results[0]["key"]], entries  # one entry, no leftover temporaries
    after = _compile_in_child(tmp_path)
    assert after["compiler"]["disk_hits"] == 1 and after["asm_sha256"] == results[0]["asm_sha256"]

