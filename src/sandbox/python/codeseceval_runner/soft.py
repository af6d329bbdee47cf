"""Soft-assert mode: `check` rewritten so one failing assert does not hide the ones after it.

Every assert in check's own body records instead of raising, and each top-level statement
of check runs in its own try block, so an exception costs that statement only. Asserts in
nested functions, lambdas and classes keep raising (they belong to helpers that the test
may call expecting the raise).
"""

import ast

SOFT_RECORD = "__codeseceval_soft_record__"
SOFT_HIT = "__codeseceval_soft_hit__"
_EXC_NAME = "__codeseceval_exc__"
MESSAGE_CHARS = 500


class _SoftTransformer(ast.NodeTransformer):
    def __init__(self):
        self.assert_lines = []
        # assert line -> line of the top-level statement of check that contains it
        self.statement_of = {}
        self.current_statement = None

    def visit_FunctionDef(self, node):
        return node

    visit_AsyncFunctionDef = visit_FunctionDef
    visit_Lambda = visit_FunctionDef
    visit_ClassDef = visit_FunctionDef

    def visit_Assert(self, node):
        self.assert_lines.append(node.lineno)
        self.statement_of[node.lineno] = self.current_statement or node.lineno
        hit = ast.Expr(ast.Call(ast.Name(SOFT_HIT, ast.Load()), [ast.Constant(node.lineno)], []))
        msg = node.msg if node.msg is not None else ast.Constant(None)
        fail = ast.Expr(
            ast.Call(
                ast.Name(SOFT_RECORD, ast.Load()),
                [ast.Constant(node.lineno), ast.Constant("assert"), msg],
                [],
            )
        )
        test = ast.If(ast.UnaryOp(ast.Not(), node.test), [fail], [])
        return [ast.copy_location(hit, node), ast.copy_location(test, node)]


def _guard(stmt, body):
    """try: <body> except BaseException as e: record(<stmt line>, "exception", e)"""
    record = ast.Expr(
        ast.Call(
            ast.Name(SOFT_RECORD, ast.Load()),
            [ast.Constant(stmt.lineno), ast.Constant("exception"), ast.Name(_EXC_NAME, ast.Load())],
            [],
        )
    )
    handler = ast.ExceptHandler(ast.Name("BaseException", ast.Load()), _EXC_NAME, [record])
    return ast.copy_location(ast.Try(body, [handler], [], []), stmt)


def rewrite(tree):
    """Rewrite every top-level `def check` of a parsed Test in place.

    Returns (assert_lines, statement_of): the sorted lines of check's asserts and, for each,
    the line of the top-level statement of check holding it."""
    transformer = _SoftTransformer()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == "check":
            new_body = []
            for stmt in node.body:
                transformer.current_statement = stmt.lineno
                rewritten = transformer.visit(stmt)
                if not isinstance(rewritten, list):
                    rewritten = [rewritten]
                new_body.append(_guard(stmt, rewritten))
            node.body = new_body
    ast.fix_missing_locations(tree)
    lines = sorted(set(transformer.assert_lines))
    return lines, {line: transformer.statement_of[line] for line in lines}


def soft_test_code(test_src, filename):
    """Compile the Test for soft mode: (code, assert_lines, statement_of)."""
    tree = ast.parse(test_src, filename)
    lines, statement_of = rewrite(tree)
    return compile(tree, filename, "exec"), lines, statement_of


def describe(exc):
    text = str(exc)
    name = type(exc).__name__
    return f"{name}: {text}" if text else name


class Recorder:
    """Collects what the rewritten check reports: failures in order, asserts that ran, and
    the exception objects behind "exception" failures (to name a missing module)."""

    def __init__(self):
        self.failures = []
        self.hits = set()
        self.exceptions = []

    def record(self, line, kind, message):
        if isinstance(message, BaseException):
            if isinstance(message, AssertionError):
                kind = "assert"
            elif kind == "exception":
                self.exceptions.append(message)
            message = describe(message)
        self.failures.append({"line": line, "kind": kind, "message": "" if message is None else str(message)[:MESSAGE_CHARS]})

    def hit(self, line):
        self.hits.add(line)

    def install(self, namespace):
        namespace[SOFT_RECORD] = self.record
        namespace[SOFT_HIT] = self.hit

    def outcome(self, assert_lines, statement_of):
        """The `soft` field of a result (shape: SoftOutcome in src/sandbox/protocol.ts)."""
        return {
            "assertLines": list(assert_lines),
            "assertStatements": [statement_of[line] for line in assert_lines],
            "executedAsserts": sorted(self.hits),
            "failures": list(self.failures),
        }


def soft_verdict(failures):
    """Status and detail of a soft run that reached the end of check."""
    exceptions = [f for f in failures if f["kind"] == "exception"]
    if exceptions:
        first = exceptions[0]
        return {"status": "error", "detail": f"{first['message']} (test line {first['line']})"}
    if failures:
        return {"status": "failed", "detail": f"{len(failures)} assert(s) failed, first at test line {failures[0]['line']}"}
    return {"status": "passed", "detail": ""}
