import json

import pytest

from codeseceval_runner.protocol import BadJob, parse_job
from codeseceval_runner.testfile import role_of, summarise

BASE = {"id": 1, "program": "", "test": "", "entry_point": "m", "fixture_name": "f", "timeout": 1,
        "memory_mb": 1, "file_size_mb": 1, "max_procs": 1, "workspace_root": "/w"}


@pytest.mark.parametrize(
    "name, markers, role",
    [
        ("test_A.T.test_correctness", (), "functionality"),
        ("test_A.T.test_correctness_2", (), "functionality"),
        ("test_A.T.test_vulnerability", (), "security"),
        ("test_A.T.test_security_check", (), "security"),
        ("test_x[vulnerable-1]", ("functionality",), "functionality"),
        ("test_get[a]", ("security",), "security"),
        ("test_get[a]", ("functionality", "security"), "security"),
        ("test_other", (), None),
        # Only the test's own name counts, not its module's or a parameter's.
        ("test_correct_things.T.test_other", (), None),
        ("test_other[correct]", (), None),
    ],
)
def test_role_of(name, markers, role):
    assert role_of(name, markers) == role


def case(outcome, name="t"):
    return {"name": name, "role": None, "outcome": outcome}


def test_summarise():
    assert summarise([])["status"] == "error"
    assert summarise([case("passed"), case("skipped")]) == {"status": "passed", "detail": ""}
    assert summarise([case("skipped")])["status"] == "error"
    failed = summarise([case("passed"), {**case("failed", "b"), "detail": "AssertionError: 1 != 2"}])
    assert failed["status"] == "failed"
    assert failed["detail"] == "1 of 2 test cases failed; b: AssertionError: 1 != 2"
    assert summarise([case("failed"), case("error")])["status"] == "error"


def test_parse_test_file_job():
    job = {**BASE, "harness": "test-file", "framework": "pytest", "module": "cwe_078_0_task", "test_file": "cwe_078_0_test.py"}
    assert parse_job(json.dumps(job))["module"] == "cwe_078_0_task"
    for bad in ({"framework": "nose"}, {"module": "../x"}, {"test_file": "a/b.py"}, {"module": ".hidden"}):
        with pytest.raises(BadJob):
            parse_job(json.dumps({**job, **bad}))
    no_module = dict(job)
    del no_module["module"]
    with pytest.raises(BadJob):
        parse_job(json.dumps(no_module))
    with pytest.raises(BadJob):
        parse_job(json.dumps({**BASE, "harness": "other"}))
