"""The JIT cache against a hostile or broken disk (docs/jit-cache.md): it
removes only what it made, follows no link, never hangs on a special file,
never runs an entry under another key, refuses a directory others can write,
and survives a full disk or a file-size limit. Each case launches kernels
in a fresh process (data/cache_safety_child.py) with its own cache directory
and checks their results, what the cache did, and the warnings."""
import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import time

import pytest

import kite
from conftest import vulkan_device

CHILD = os.path.join(os.path.dirname(__file__), "data", "cache_safety_child.py")
PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(kite.__file__)))
TWO_HOURS_AGO = time.time() - 2 * 3600


def run_child(cache_dir, shifts="1,2", file_size_limit=None, max_bytes=None, timeout=60,
              allow_failure=False):
    """Launches ``shift`` for each SHIFT in a fresh process using the cache in
    ``cache_dir``; returns (its JSON report, its stderr)."""
    env = dict(os.environ, KITE_CACHE_DIR=str(cache_dir), PYTHONPATH=PYTHON_DIR)
    env.pop("KITE_CACHE_MAX_BYTES", None)
    if max_bytes is not None:
        env["KITE_CACHE_MAX_BYTES"] = str(max_bytes)

    def limit():
        if file_size_limit is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_size_limit, file_size_limit))
    proc = subprocess.run([sys.executable, CHILD, vulkan_device(), shifts], env=env,
                          capture_output=True, text=True, timeout=timeout, preexec_fn=limit)
    if allow_failure and proc.returncode == 1:
        return None, proc.stderr
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert all(report["right"]), report
    return report, proc.stderr


def snapshot(root):
    """Every path under ``root`` (links not followed) with its content's hash."""
    found = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = os.path.join(folder, name)
            rel = os.path.relpath(path, root)
            if os.path.islink(path):
                found[rel] = "-> " + os.readlink(path)
            elif os.path.isfile(path):
                with open(path, "rb") as f:
                    found[rel] = hashlib.sha256(f.read()).hexdigest()
            else:
                found[rel] = "dir"
    return found


def age_tree(root):
    """Sets the times of ``root`` and everything under it two hours back."""
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            os.utime(os.path.join(folder, name), (TWO_HOURS_AGO, TWO_HOURS_AGO),
                     follow_symlinks=False)
    os.utime(root, (TWO_HOURS_AGO, TWO_HOURS_AGO))


def rewrite_in_entry(entry, name, data: bytes):
    """Replaces the file ``name`` of ``entry`` and its manifest line, so that
    the entry passes every checksum with the new bytes."""
    with open(os.path.join(entry, name), "wb") as f:
        f.write(data)
    manifest = os.path.join(entry, "manifest")
    with open(manifest) as f:
        lines = f.read().splitlines()
    lines = [f"{hashlib.sha256(data).hexdigest()} {len(data)} {name}"
             if line.endswith(" " + name) else line for line in lines]
    with open(manifest, "w") as f:
        f.write("\n".join(lines) + "\n")


def hidden_name(kind, key):
    return f".{kind}-{key}-4242-0-ABC"


def test_unrelated_files_and_old_dotfiles_are_never_removed(tmp_path):
    # KITE_CACHE_DIR pointed at a project: its files and dotfiles, hours old,
    # some with names like the cache's own.
    project = tmp_path / "project"
    for folder in (".git/objects", ".ssh", "src"):
        (project / folder).mkdir(parents=True)
    for name, text in {".git/HEAD": "ref: main", ".ssh/id_ed25519": "key", ".bashrc": "ls",
                       "src/main.py": "print()", "notes.txt": "n"}.items():
        (project / name).write_text(text)
    (project / hidden_name("tmp", "a" * 64)).mkdir()
    (project / hidden_name("trash", "b" * 64)).write_text("mine")
    (project / ("c" * 64)).mkdir()
    age_tree(project)
    before = snapshot(project)
    # Eviction runs after each store, with a cap that evicts everything else.
    first, _ = run_child(project, max_bytes=1)
    entries = first["entries_dir"]
    # Names in the cache's own directory that it did not make stay too.
    for name in ("README", ".notes", ".tmp-not-a-key", hidden_name("tmp", "x") + "-extra"):
        with open(os.path.join(entries, name), "w") as f:
            f.write("user")
    age_tree(entries)
    inside = {n for n in os.listdir(entries) if not n.startswith(".") and len(n) != 64}
    run_child(project, max_bytes=1)
    run_child(project, shifts="3,4")
    after = snapshot(project)
    assert {p: h for p, h in after.items() if p.split(os.sep)[0] in before} == before
    assert inside <= set(os.listdir(entries))
    for name in (".notes", ".tmp-not-a-key", hidden_name("tmp", "x") + "-extra"):
        assert os.path.exists(os.path.join(entries, name)), name
    # The entries are in a directory of the cache's own.
    assert os.path.dirname(entries) == str(project)


def make_victim(tmp_path):
    victim = tmp_path / "victim"
    (victim / "sub").mkdir(parents=True)
    (victim / "data.txt").write_text("precious")
    (victim / "sub" / "more.txt").write_text("also precious")
    age_tree(victim)
    return victim


def test_symlinks_in_every_position_are_never_followed(tmp_path):
    victim = make_victim(tmp_path)
    before = snapshot(victim)
    cache = tmp_path / "cache"
    first, _ = run_child(cache)
    entries, (key0, key1) = first["entries_dir"], first["keys"]
    # Leftovers of crashed writers that are links, hours old.
    for kind in ("tmp", "trash"):
        link = os.path.join(entries, hidden_name(kind, key0))
        os.symlink(victim, link)
        os.utime(link, (TWO_HOURS_AGO, TWO_HOURS_AGO), follow_symlinks=False)
    # An entry that is a link, and an entry's file that is a link.
    shutil.rmtree(os.path.join(entries, key0))
    os.symlink(victim, os.path.join(entries, key0))
    os.remove(os.path.join(entries, key1, "kernel.spv"))
    os.symlink(victim, os.path.join(entries, key1, "kernel.spv"))
    second, _ = run_child(cache)
    assert second["compiler"]["pipeline_runs"] == 2
    assert second["cache"]["damaged_entries"] == 2
    assert snapshot(victim) == before
    # The links were removed as links; none was followed.
    assert sorted(os.listdir(entries)) == sorted([key0, key1])
    # Eviction (a cap that keeps only the entry just stored) past links too.
    shutil.rmtree(os.path.join(entries, key0))
    os.symlink(victim, os.path.join(entries, key0))
    os.symlink(victim, os.path.join(entries, "d" * 64))
    run_child(cache, shifts="1,2,3", max_bytes=1)
    assert snapshot(victim) == before


def test_a_cache_directory_that_is_a_link_is_used(tmp_path):
    (tmp_path / "real").mkdir()
    os.symlink(tmp_path / "real", tmp_path / "link")
    run_child(tmp_path / "link")
    again, stderr = run_child(tmp_path / "link")
    assert again["compiler"]["disk_hits"] == 2 and "warning" not in stderr
    assert os.listdir(tmp_path / "real") == ["kite-cache-v2"]


@pytest.mark.parametrize("special", ["fifo", "dev-zero", "directory"])
def test_special_files_in_an_entry_are_damage_not_a_hang(tmp_path, special):
    first, _ = run_child(tmp_path)
    binary = os.path.join(first["entries_dir"], first["keys"][0], "kernel.spv")
    os.remove(binary)
    if special == "fifo":
        os.mkfifo(binary)
    elif special == "dev-zero":
        os.symlink("/dev/zero", binary)
    else:
        os.mkdir(binary)
        with open(os.path.join(binary, "x"), "w") as f:
            f.write("x")
    second, _ = run_child(tmp_path, timeout=30)
    assert second["cache"]["damaged_entries"] == 1 and second["compiler"]["pipeline_runs"] == 1
    third, _ = run_child(tmp_path)
    assert third["compiler"]["disk_hits"] == 2


def test_exchanged_entries_are_never_run_under_the_other_key(tmp_path):
    first, _ = run_child(tmp_path)
    entries, (key0, key1) = first["entries_dir"], first["keys"]
    os.rename(os.path.join(entries, key0), os.path.join(entries, "swap"))
    os.rename(os.path.join(entries, key1), os.path.join(entries, key0))
    os.rename(os.path.join(entries, "swap"), os.path.join(entries, key1))
    second, _ = run_child(tmp_path)  # each result checked: SHIFT=1 adds 1
    assert second["cache"]["damaged_entries"] == 2 and second["compiler"]["pipeline_runs"] == 2


@pytest.mark.parametrize("where", ["root", "entries", "entry"])
@pytest.mark.parametrize("how", ["world-writable", "group-writable", "foreign-owner"])
def test_a_cache_others_can_write_is_not_loaded_from(tmp_path, where, how):
    first, _ = run_child(tmp_path)
    entries = first["entries_dir"]
    path = {"root": str(tmp_path), "entries": entries,
            "entry": os.path.join(entries, first["keys"][0])}[where]
    if how == "foreign-owner":
        if os.geteuid() != 0:
            pytest.skip("giving a directory to another user needs root")
        os.chown(path, 65534, 65534)
    else:
        os.chmod(path, os.stat(path).st_mode | (0o002 if how == "world-writable" else 0o020))
    listing = snapshot(tmp_path)
    second, stderr = run_child(tmp_path)
    reason = {"world-writable": "writable by all users", "group-writable": "writable by its group",
              "foreign-owner": "owned by uid 65534"}[how]
    assert f"not using the JIT cache in {path}: it is {reason}" in stderr, stderr
    assert "KITE_CACHE_DIR" in stderr and "chmod go-w" in stderr
    assert second["cache"]["untrusted"] >= 1
    if where != "entry":
        assert second["cache"]["disk_hits"] == 0 and second["compiler"]["pipeline_runs"] == 2
        assert stderr.count("not using the JIT cache") == 1  # once, not per kernel
        assert snapshot(tmp_path) == listing  # nothing written, nothing removed
    else:  # the other entry is still used; the untrusted one is replaced
        assert second["cache"]["disk_hits"] == 1 and second["compiler"]["pipeline_runs"] == 1
        assert second["cache"]["damaged_entries"] == 1
        third, stderr = run_child(tmp_path)
        assert third["compiler"]["disk_hits"] == 2 and "warning" not in stderr


def test_a_world_writable_sticky_parent_is_fine(tmp_path):
    # As /tmp: others may add names but not replace Kite's own directory.
    os.chmod(tmp_path, 0o1777)
    run_child(tmp_path)
    again, stderr = run_child(tmp_path)
    assert again["compiler"]["disk_hits"] == 2 and "warning" not in stderr


def assert_store_failed_cleanly(report):
    assert report["compiler"]["pipeline_runs"] == 2 and report["cache"]["stores"] == 0
    assert len(report["warnings"]) == 2, report["warnings"]
    assert all("could not store shift in the JIT cache" in w for w in report["warnings"])
    entries = report["entries_dir"]
    leftovers = [n for n in os.listdir(entries) if n.startswith(".")] if os.path.isdir(entries) else []
    assert leftovers == []


def test_a_file_size_limit_is_a_warning_and_the_kernel_runs(tmp_path):
    # 16 KiB: below the entry's largest files (its SPIR-V as text).
    limited, stderr = run_child(tmp_path, file_size_limit=16384, allow_failure=True)
    if limited is None:
        # A device that backs its memory with files (lavapipe of Mesa 25)
        # cannot allocate the launch's buffers under this limit: it says so.
        assert "this CPU device backs memory with files" in stderr, stderr
    else:
        assert_store_failed_cleanly(limited)
        assert "File too large" in limited["warnings"][0] and "LLVM ERROR" not in stderr
    later, _ = run_child(tmp_path)  # without the limit: stored, then read back
    assert later["cache"]["stores"] == 2
    assert run_child(tmp_path)[0]["compiler"]["disk_hits"] == 2


def test_a_file_size_limit_fails_a_store_cleanly(tmp_path):
    # The cache's own writes under the limit, without a device: an error
    # the caller can catch (not "LLVM ERROR" or SIGXFSZ), nothing left over.
    code = ("import sys; from kite import _C\n"
            "cache = _C.Cache(sys.argv[1])\n"
            "try:\n"
            "    cache.store('k' * 64, {'big.bin': b'x' * 65536})\n"
            "except _C.CacheError as exc:\n"
            "    print('CacheError', exc)\n"
            "cache.store('s' * 64, {'small.bin': b'y' * 100})\n"
            "print('small', cache.lookup('s' * 64) is not None)\n")
    os.chmod(tmp_path, 0o700)
    proc = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True,
                          text=True, env=dict(os.environ, PYTHONPATH=PYTHON_DIR), timeout=60,
                          preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_FSIZE,
                                                                (16384, 16384)))
    assert proc.returncode == 0, proc.stderr
    assert "CacheError" in proc.stdout and "File too large" in proc.stdout, proc.stdout
    assert "small True" in proc.stdout and "LLVM ERROR" not in proc.stderr
    entries = tmp_path / "kite-cache-v2"
    assert sorted(os.listdir(entries)) == ["s" * 64]


def test_a_file_size_limit_below_a_tensor_is_an_error_not_a_crash():
    # Mesa 25's lavapipe backs device memory with a memfd that it grows
    # without checking: past RLIMIT_FSIZE its first touch was a SIGBUS.
    device = vulkan_device()
    from kite.runtime import registry
    if registry.vulkan_device(device).properties.device_type != "cpu":
        pytest.skip(f"{device} is not a CPU device")
    code = ("import kite, kite.language as kl\n"
            "try:\n"
            f"    kite.empty(1 << 20, kl.float32, device={device!r})\n"
            "except Exception as exc:\n"
            "    print(type(exc).__name__, exc)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=PYTHON_DIR), timeout=60,
                          preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_FSIZE,
                                                                (65536, 65536)))
    assert proc.returncode == 0, proc.stderr
    assert "cannot allocate 4194304 bytes on " + device in proc.stdout
    assert "file-size limit (RLIMIT_FSIZE, `ulimit -f`) is 65536 bytes" in proc.stdout


@pytest.fixture
def small_tmpfs(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs (a disk that fills up) needs root")
    mount = tmp_path / "disk"
    mount.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {made.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_is_a_warning_and_the_kernel_runs(small_tmpfs):
    cache = small_tmpfs / "cache"
    (cache / "kite-cache-v2").mkdir(parents=True, mode=0o700)
    os.chmod(cache, 0o700)
    filler = small_tmpfs / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:  # fill the disk to its last byte
        while True:
            os.write(fd, b"x" * 1024)
    except OSError:
        pass
    finally:
        os.close(fd)
    full, stderr = run_child(cache)
    assert_store_failed_cleanly(full)
    assert "No space left on device" in full["warnings"][0] and "LLVM ERROR" not in stderr
    filler.unlink()
    later, _ = run_child(cache, shifts="1")
    assert later["cache"]["stores"] == 1
    assert run_child(cache, shifts="1")[0]["compiler"]["disk_hits"] == 1


@pytest.mark.parametrize("damage", ["metadata-not-json", "stage-missing", "binary-refused",
                                    "manifest-cut"])
def test_an_entry_that_passes_its_checks_but_cannot_be_used_is_replaced(tmp_path, damage):
    first, _ = run_child(tmp_path, shifts="1")
    entry = os.path.join(first["entries_dir"], first["keys"][0])
    if damage == "metadata-not-json":
        rewrite_in_entry(entry, "metadata.json", b"{not json")
    elif damage == "stage-missing":
        with open(os.path.join(entry, "metadata.json"), "rb") as f:
            metadata = json.loads(f.read())
        metadata["stages"].remove("spirv")
        rewrite_in_entry(entry, "metadata.json", json.dumps(metadata).encode())
    elif damage == "binary-refused":  # whole words, checksum right, not SPIR-V
        rewrite_in_entry(entry, "kernel.spv", b"\0" * 64)
    else:  # a manifest cut after its header line
        with open(os.path.join(entry, "manifest")) as f:
            header = f.readline()
        with open(os.path.join(entry, "manifest"), "w") as f:
            f.write(header)
    second, _ = run_child(tmp_path, shifts="1")
    assert second["compiler"]["pipeline_runs"] == 1
    if damage == "binary-refused":
        assert second["compiler"]["disk_hits"] == 1
        assert len(second["warnings"]) == 1
        assert "refused shift from the JIT cache (loadKernel: not a SPIR-V module" in \
            second["warnings"][0]
    third, _ = run_child(tmp_path, shifts="1")  # replaced on disk: read back whole
    assert third["compiler"]["disk_hits"] == 1 and third["compiler"]["pipeline_runs"] == 0
