import json

import pytest

from codeseceval_runner.protocol import BadJob, encode, error_line, parse_job, ready_line, tail

JOB = {
    "id": 3, "program": "def solve():\n    return 1\n", "test": "def check(c):\n    assert c() == 1\n",
    "entry_point": "solve", "fixtures": None, "fixture_name": "CWE-000_test_1", "timeout": 2.5,
    "memory_mb": 512, "file_size_mb": 64, "max_procs": 64, "uid": None, "workspace_root": "/ws", "soft": False,
}


def line(**changes):
    job = dict(JOB, **changes)
    return json.dumps({k: v for k, v in job.items() if v is not ...})


def test_a_job_as_the_engine_writes_it():
    assert parse_job(line()) == JOB


def test_optional_fields_may_be_absent():
    job = parse_job(line(fixtures=..., uid=..., soft=...))
    assert "soft" not in job and "uid" not in job and "fixtures" not in job


@pytest.mark.parametrize(
    "text, detail, job_id",
    [
        ("{not json", "bad job: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)", None),
        ("[1, 2]", "bad job: not a JSON object", None),
        (line(program=...), "bad job: field 'program' is missing", 3),
        (line(timeout="5"), "bad job: field 'timeout' has the wrong type (str)", 3),
        (line(memory_mb=True), "bad job: field 'memory_mb' has the wrong type (bool)", 3),
        (line(soft=1), "bad job: field 'soft' has the wrong type (int)", 3),
        (line(uid="root"), "bad job: field 'uid' has the wrong type (str)", 3),
        (line(id="3"), "bad job: field 'id' has the wrong type (str)", None),
        (line(id=True), "bad job: field 'id' has the wrong type (bool)", None),
    ],
)
def test_bad_jobs_are_named(text, detail, job_id):
    with pytest.raises(BadJob) as info:
        parse_job(text)
    assert info.value.detail == detail
    assert info.value.job_id == job_id


def test_error_line_has_every_field_of_a_result():
    assert error_line(4, "bad job: x", "t" * 5000) == {
        "id": 4, "status": "sandbox-error", "detail": "bad job: x", "duration_ms": 0,
        "stdout_tail": "", "stderr_tail": "t" * 2000,
    }


def test_ready_line_and_encoding():
    text = encode(ready_line(("flask",), "3.11.2", 12))
    assert text.endswith("\n") and text.count("\n") == 1
    assert json.loads(text) == {"ready": True, "preloaded": ["flask"], "python": "3.11.2", "pid": 12}
    # a program's text with newlines stays on one protocol line
    assert encode({"detail": "a\nb"}).count("\n") == 1


def test_tail_decodes_leniently():
    assert tail(b"x" * 10) == "x" * 10
    assert tail(b"\xff" + b"y" * 2000) == "y" * 2000
    assert tail(b"\xffz") == "\ufffdz"
