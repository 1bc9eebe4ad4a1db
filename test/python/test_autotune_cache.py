"""@kite.autotune(cache_results=True) remembers its choice across processes,
and autotuning says what it does (KITE_PRINT_AUTOTUNING=1)."""
import os
import re
import subprocess
import sys

import kite
from kite import _C, autotune_cache

CHILD = os.path.join(os.path.dirname(__file__), "data", "autotune_child.py")
PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(kite.__file__)))
DEVICE = "cuda-sim:sm_80"  # timed (not the interpreter), and quick to compile


def _child(cache_dir, **env):
    full = dict(os.environ, KITE_CACHE_DIR=str(cache_dir), PYTHONPATH=PYTHON_DIR)
    full.pop("KITE_PRINT_AUTOTUNING", None)
    full.update(env)
    done = subprocess.run([sys.executable, CHILD, DEVICE], env=full, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_second_process_takes_the_choice_without_timing(tmp_path):
    first = _child(tmp_path).split()
    assert first[:2] == ["timed", "3"], first
    second = _child(tmp_path).split()
    assert second == ["timed", "0", "chose", first[3]], (first, second)


def test_the_choice_is_per_device(tmp_path):
    _child(tmp_path)
    out = subprocess.run([sys.executable, CHILD, "cuda-sim:sm_90"],
                         env=dict(os.environ, KITE_CACHE_DIR=str(tmp_path), PYTHONPATH=PYTHON_DIR),
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[:2] == ["timed", "3"], out.stdout


def test_a_choice_naming_another_config_is_timed_again_and_replaced(tmp_path):
    _child(tmp_path)
    entries = [p.name for p in (tmp_path / "kite-cache-v2").iterdir()
               if p.name.startswith("autotune-")]
    assert len(entries) == 1, entries
    # An entry that passes the cache's checks but names a config out of range
    # (a foreign or hostile writer): ignored, timed again, replaced.
    cache = _C.Cache(str(tmp_path))
    cache.remove(entries[0])
    cache.store(entries[0], {"autotune.json": '{"index": 7, "config": "BLOCK: 64", "timings": [1]}'})
    assert _child(tmp_path).split()[:2] == ["timed", "3"]
    assert _child(tmp_path).split()[:2] == ["timed", "0"]


def test_print_autotuning_says_each_config_and_the_choice(tmp_path):
    out = _child(tmp_path, KITE_PRINT_AUTOTUNING="1").splitlines()
    configs = [line for line in out if ": config " in line]
    assert len(configs) == 3, out
    assert configs[0].startswith("autotuning scale (1000, fp32, fp32): config 1/3 "
                                 "{BLOCK: 64, num_warps: 1, num_stages: 3, num_ctas: 1}: ")
    assert configs[0].endswith(" ms"), configs[0]
    assert any(line.startswith("autotuning scale (1000, fp32, fp32) finished after ")
               and "; best config: {BLOCK: " in line for line in out), out
    again = _child(tmp_path, KITE_PRINT_AUTOTUNING="1").splitlines()
    assert any("config from the disk cache {BLOCK: " in line for line in again), again


def test_without_the_switch_only_the_result_is_printed_off_a_terminal(tmp_path):
    # The child's own line only: no progress bar on a pipe, no config lines.
    assert len(_child(tmp_path).splitlines()) == 1


def test_choice_keys_differ_by_what_makes_a_choice_valid():
    class K:
        __name__ = "k"

        def fn(self):
            return 1

    k = K()
    k.fn = test_choice_keys_differ_by_what_makes_a_choice_valid
    base = autotune_cache.choice_key(k, ["a", "b"], (1,), "vulkan:0")
    assert base.startswith("autotune-k-") and len(base) <= 128
    assert autotune_cache.choice_key(k, ["a", "b"], (2,), "vulkan:0") != base
    assert autotune_cache.choice_key(k, ["a", "c"], (1,), "vulkan:0") != base
    assert autotune_cache.choice_key(k, ["a", "b"], (1,), "cuda:0") != base


def test_a_progress_bar_on_a_terminal(tmp_path):
    import pty
    main_fd, term = pty.openpty()
    env = dict(os.environ, KITE_CACHE_DIR=str(tmp_path), PYTHONPATH=PYTHON_DIR)
    env.pop("KITE_PRINT_AUTOTUNING", None)
    done = subprocess.run([sys.executable, CHILD, DEVICE], env=env, stdout=subprocess.PIPE,
                          stderr=term, text=True, timeout=600)
    os.close(term)
    shown = b""
    while True:
        try:
            chunk = os.read(main_fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    os.close(main_fd)
    assert done.returncode == 0
    text = shown.decode()
    assert "\rautotuning scale [" in text and "] 3/3 configs" in text, text
    assert text.endswith(" " * 79 + "\r"), repr(text[-100:])  # cleared at the end


def test_choice_keys_are_valid_cache_keys_for_any_kernel_name():
    class K:
        __name__ = "wärme.kernel"

        def fn(self):
            return 1

    key = autotune_cache.choice_key(K(), ["a"], (1,), "vulkan:0")
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,128}", key), key
