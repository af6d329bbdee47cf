"""codeseceval's execution runner, as a package.

One runner process (the zygote) is started per engine worker, inside the sandbox. It imports
and warms the heavy modules once, then reads one JSON job per line on stdin and forks one
child per job, so every sample starts from the same pristine, already-warm parent.

Modules, from the outside in:

- `zygote`: the fork server: preload, warm-up, gc.freeze, the job loop.
- `protocol`: the wire format (job parsing, ready and result lines).
- `supervise`: one job from the parent's side: workspace, fork, pipes, deadline, output
  limit, killing what the sample left behind.
- `child`: one job from the child's side: limits, identity, running the candidate and the
  test, reporting over a private pipe.
- `soft`: the soft-assert rewrite of `check`.
- `verdict`: pure functions turning what happened into status and detail.
- `netwatch`: the audit hook that notices network attempts.

Nothing here may import candidate-facing modules lazily after the fork: the child replaces
sys.path[0] with its workspace, so every runner module is imported by the zygote first.
"""
