import os

from codeseceval_runner import scratch
from codeseceval_runner.limits import counters, hits
from codeseceval_runner.verdict import decide


def exited(code):
    return code << 8


def write(path, text):
    with open(path, "w", encoding="ascii") as f:
        f.write(text)


def test_counters_read_v1_and_v2_files_and_sum_them(tmp_path):
    v1_memory, v1_pids, v2 = (tmp_path / "m", tmp_path / "p", tmp_path / "u")
    for d in (v1_memory, v1_pids, v2):
        d.mkdir()
    write(v1_memory / "memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n")
    write(v1_pids / "pids.events", "max 5\n")
    write(v2 / "memory.events", "low 0\nhigh 0\nmax 7\noom 1\noom_kill 1\n")
    assert counters([str(v1_memory), str(v1_pids), str(v2)]) == {"memory": 3, "pids": 5}


def test_missing_or_unreadable_counter_files_count_nothing(tmp_path):
    assert counters([str(tmp_path / "gone")]) == {"memory": 0, "pids": 0}


def test_hits_are_the_counters_that_grew():
    assert hits({"memory": 1, "pids": 4}, {"memory": 1, "pids": 5}) == {"pids"}
    assert hits({"memory": 0, "pids": 0}, {"memory": 0, "pids": 0}) == set()


LIMITS = {"memory_mb": 512, "max_procs": 64}


def test_a_sample_that_did_not_pass_and_hit_memory_is_a_resource_verdict():
    r = decide(1, 10, 5, b"", b"", None, set(), 9, limits_hit={"memory"}, limits=LIMITS)
    assert r["status"] == "resource"
    assert "memory limit of the whole sample reached (512 MiB" in r["detail"]


def test_the_process_limit_is_named():
    report = {"nonce": "n", "status": "error", "detail": "BlockingIOError"}
    r = decide(1, 10, 5, b"", b"", report, set(), exited(0), limits_hit={"pids"}, limits=LIMITS)
    assert r["status"] == "resource"
    assert r["detail"] == "process limit of the whole sample reached (64 processes and threads at once)"


def test_a_pass_stays_a_pass_whatever_limit_was_touched():
    report = {"nonce": "n", "status": "passed", "detail": ""}
    r = decide(1, 10, 5, b"", b"", report, set(), exited(0), limits_hit={"memory"}, limits=LIMITS)
    assert r["status"] == "passed"


def test_empty_dir_removes_deep_trees_and_folders_without_rights(tmp_path):
    root = tmp_path / "ws"
    root.mkdir()
    here = os.getcwd()
    os.chdir(root)
    try:
        for _ in range(1500):  # deeper than Python's recursion limit
            os.mkdir("d")
            os.chdir("d")
    finally:
        os.chdir(here)
    locked = root / "locked"
    (locked / "inner").mkdir(parents=True)
    write(locked / "inner" / "f", "x")
    os.chmod(locked / "inner", 0)
    os.chmod(locked, 0)
    outside = tmp_path / "outside"
    outside.mkdir()
    write(outside / "keep", "x")
    os.symlink(outside, root / "link-to-folder")
    os.symlink(outside / "keep", root / "link-to-file")
    scratch.empty_dir(str(root))
    assert os.listdir(root) == []
    assert os.listdir(outside) == ["keep"]


def test_reset_reports_what_it_could_not_remove(tmp_path, monkeypatch):
    root = tmp_path / "ws"
    root.mkdir()
    write(root / "f", "x")

    def refuse(path):
        raise PermissionError(path)

    monkeypatch.setattr(scratch.os, "unlink", refuse)
    monkeypatch.setattr(scratch, "SCRATCH", [])
    assert scratch.reset(str(root)) is False
