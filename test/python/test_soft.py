import ast

import pytest

from codeseceval_runner.soft import SOFT_HIT, SOFT_RECORD, Recorder, rewrite, soft_test_code, soft_verdict

TEST = '''\
import os

def helper(x):
    assert x > 0, "helper raises"
    return x

def check(candidate):
    value = candidate()
    assert value == 1, "first"
    for i in range(2):
        assert i == 0, f"loop {i}"
    with open(os.devnull) as f:
        assert f.read() == "x"
    helper(-1)
    {}["missing"]
    assert value != 1
    assert value == 1
'''


def run_soft(test_src, candidate):
    code, lines, statement_of = soft_test_code(test_src, "<test>")
    recorder = Recorder()
    g = {}
    recorder.install(g)
    exec(code, g)
    g["check"](candidate)
    return recorder.outcome(lines, statement_of), recorder


def test_lists_every_assert_of_check_with_its_top_level_statement():
    _, lines, statement_of = soft_test_code(TEST, "<test>")
    # line 4 is in helper, a separate function: not check's
    assert lines == [9, 11, 13, 16, 17]
    assert statement_of == {9: 9, 11: 10, 13: 12, 16: 16, 17: 17}


def test_records_every_failure_in_order_and_keeps_going():
    outcome, recorder = run_soft(TEST, lambda: 1)
    assert outcome["assertLines"] == [9, 11, 13, 16, 17]
    assert outcome["assertStatements"] == [9, 10, 12, 16, 17]
    assert outcome["executedAsserts"] == [9, 11, 13, 16, 17]
    assert [(f["line"], f["kind"]) for f in outcome["failures"]] == [
        (11, "assert"),  # i == 1
        (13, "assert"),
        (14, "assert"),  # helper's assert raised: an AssertionError stays an assert
        (15, "exception"),
        (16, "assert"),
    ]
    assert outcome["failures"][0]["message"] == "loop 1"
    assert outcome["failures"][2]["message"] == "AssertionError: helper raises"
    assert outcome["failures"][3]["message"] == "KeyError: 'missing'"
    assert [type(e).__name__ for e in recorder.exceptions] == ["KeyError"]


def test_an_exception_in_a_statement_skips_the_rest_of_that_statement_only():
    src = "def check(c):\n    c()\n    assert False\n    assert True\n"

    def boom():
        raise ValueError("no")

    outcome, _ = run_soft(src, boom)
    assert outcome["executedAsserts"] == [3, 4]
    assert outcome["failures"] == [
        {"line": 2, "kind": "exception", "message": "ValueError: no"},
        {"line": 3, "kind": "assert", "message": ""},
    ]


def test_an_assert_whose_message_is_an_exception_object_stays_an_assert():
    outcome, recorder = run_soft('def check(c):\n    assert c(), ValueError("why")\n', lambda: 0)
    assert outcome["failures"] == [{"line": 2, "kind": "assert", "message": "ValueError: why"}]
    assert recorder.exceptions == []


def test_long_messages_are_cut():
    outcome, _ = run_soft('def check(c):\n    assert c(), "x" * 2000\n', lambda: 0)
    assert len(outcome["failures"][0]["message"]) == 500


def test_only_check_is_rewritten():
    tree = ast.parse("def other():\n    assert False\n\ndef check(c):\n    def inner():\n        assert False\n    inner()\n")
    lines, _ = rewrite(tree)
    assert lines == []
    g = {}
    Recorder().install(g)
    exec(compile(tree, "<test>", "exec"), g)
    with pytest.raises(AssertionError):
        g["other"]()
    recorder = Recorder()
    recorder.install(g)
    g["check"](None)  # inner's assert raises into check's statement guard
    assert recorder.failures == [{"line": 7, "kind": "assert", "message": "AssertionError"}]


def test_the_rewritten_check_needs_the_recorder_names():
    code, _, _ = soft_test_code("def check(c):\n    assert c()\n", "<test>")
    (check,) = [c for c in code.co_consts if getattr(c, "co_name", None) == "check"]
    assert {SOFT_RECORD, SOFT_HIT} <= set(check.co_names)


def test_syntax_errors_surface_with_the_test_filename():
    with pytest.raises(SyntaxError) as info:
        soft_test_code("def check(c):\n    assert (\n", "<test>")
    assert info.value.filename == "<test>"


@pytest.mark.parametrize(
    "failures, expected",
    [
        ([], {"status": "passed", "detail": ""}),
        ([{"line": 4, "kind": "assert", "message": ""}, {"line": 9, "kind": "assert", "message": "m"}],
         {"status": "failed", "detail": "2 assert(s) failed, first at test line 4"}),
        ([{"line": 4, "kind": "assert", "message": ""}, {"line": 6, "kind": "exception", "message": "KeyError: 'k'"},
          {"line": 8, "kind": "exception", "message": "ValueError"}],
         {"status": "error", "detail": "KeyError: 'k' (test line 6)"}),
    ],
)
def test_soft_verdict(failures, expected):
    assert soft_verdict(failures) == expected
