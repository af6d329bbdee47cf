#!/bin/sh
# `npm test`: the install step, then the type check of all TypeScript (src, test, bench, scripts),
# the lint, the import-cycle check, the type-check of the viewer's browser code, the Vitest suite, then the
# Python runner's pytest suite.
# Every step runs even when an earlier one failed, so one CI log shows all of them; the exit
# status is non-zero if any failed. The last line is pytest's own closing line, or, when some
# step failed, a plain "N passed, N failed" line over the steps that says which.
# First the same install step as `npm run demo` and .ci/run: what is missing is installed
# (as root) or named in one line with the command to run.
node scripts/setup.mjs --groups runtime,test || exit 1
failed=""
npm run -s typecheck || failed="$failed typecheck"
npm run -s lint || failed="$failed lint"
npm run -s check:cycles || failed="$failed check:cycles"
npm run -s typecheck:view || failed="$failed typecheck:view"
vitest run || failed="$failed vitest"
npm run -s test:python || failed="$failed test:python"
[ -z "$failed" ] && exit 0
n=$(echo $failed | wc -w)
echo "$((6 - n)) passed, $n failed: npm test steps (failed:$failed)"
exit 1
