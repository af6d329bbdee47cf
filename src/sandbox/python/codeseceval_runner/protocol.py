"""The runner's wire protocol: one JSON object per line in both directions.

stdin: one job per line (see `parse_job`). stdout: {"ready": true, ...} once, then exactly
one result per job: {"id", "status", "detail", "duration_ms", "stdout_tail", "stderr_tail"}
plus, when they apply, "soft", "missing_module" and "network". The TypeScript side checks
every line against the zod schemas in src/sandbox/protocol.ts.
"""

import json
import re

# A module or file name the runner writes: one path segment, no leading dot.
_PLAIN_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.py)?$")

TAIL_CHARS = 2000
OUTPUT_LIMIT = 16 * 1024 * 1024

# name -> accepted Python types; bool is refused where a number is wanted (it is an int).
_NUMBER = (int, float)
_REQUIRED = {
    "id": (int,),
    "program": (str,),
    "test": (str,),
    "entry_point": (str,),
    "fixture_name": (str,),
    "timeout": _NUMBER,
    "memory_mb": _NUMBER,
    "file_size_mb": _NUMBER,
    "max_procs": _NUMBER,
    "workspace_root": (str,),
}
_OPTIONAL = {
    "fixtures": (str, type(None)),
    "uid": (int, type(None)),
    "soft": (bool,),
    # cgroup folders the sample joins (whole-sample limits): absent or [] without them.
    "cgroups": (list,),
    # Test-file jobs (testfile.py): absent for check jobs.
    "harness": (str,),
    "framework": (str,),
    "module": (str,),
    "test_file": (str,),
}


class BadJob(Exception):
    """A job line the runner cannot run; `job_id` is its id when one could be read."""

    def __init__(self, detail, job_id=None):
        super().__init__(detail)
        self.detail = detail
        self.job_id = job_id


def parse_job(line):
    """One stdin line -> a job dict with every field checked, or BadJob."""
    try:
        job = json.loads(line)
    except ValueError as e:
        raise BadJob(f"bad job: {e}")
    if not isinstance(job, dict):
        raise BadJob("bad job: not a JSON object")
    job_id = job.get("id")
    if isinstance(job_id, bool) or not isinstance(job_id, int):
        job_id = None
    for fields, required in ((_REQUIRED, True), (_OPTIONAL, False)):
        for name, types in fields.items():
            if name not in job:
                if required:
                    raise BadJob(f"bad job: field '{name}' is missing", job_id)
                continue
            value = job[name]
            if (isinstance(value, bool) and bool not in types) or not isinstance(value, types):
                raise BadJob(f"bad job: field '{name}' has the wrong type ({type(value).__name__})", job_id)
    for d in job.get("cgroups", []):
        if not isinstance(d, str) or not d.startswith("/"):
            raise BadJob("bad job: 'cgroups' must list absolute folder paths", job_id)
    if job.get("harness") == "test-file":
        for name in ("framework", "module", "test_file"):
            if name not in job:
                raise BadJob(f"bad job: test-file field '{name}' is missing", job_id)
        if job["framework"] not in ("unittest", "pytest"):
            raise BadJob(f"bad job: unknown framework '{job['framework']}'", job_id)
        for name in ("module", "test_file"):
            if not _PLAIN_NAME.match(job[name]):
                raise BadJob(f"bad job: '{name}' must be a plain Python file or module name", job_id)
    elif "harness" in job and job["harness"] != "check":
        raise BadJob(f"bad job: unknown harness '{job['harness']}'", job_id)
    return job


def tail(data):
    """The last TAIL_CHARS characters of a captured stream (bytes, decoded leniently)."""
    return data.decode("utf-8", "replace")[-TAIL_CHARS:]


def ready_line(preloaded, python_version, pid):
    return {"ready": True, "preloaded": list(preloaded), "python": python_version, "pid": pid}


def error_line(job_id, detail, stderr_tail=""):
    """A sandbox-error result for a job the runner could not run at all."""
    return {"id": job_id, "status": "sandbox-error", "detail": detail, "duration_ms": 0,
            "stdout_tail": "", "stderr_tail": stderr_tail[-TAIL_CHARS:]}


def encode(obj):
    return json.dumps(obj) + "\n"
