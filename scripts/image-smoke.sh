#!/usr/bin/env bash
# Build the repository's Dockerfile with a real Docker engine and run the image the way the
# Kubernetes Indexed Job of docs/cluster.md does: SHARDS containers, each with its own
# JOB_COMPLETION_INDEX and CODESECEVAL_SHARDS, evaluating reference samples of CodeSecEval
# into one bind-mounted run folder; then merge the shards and compare their verdicts with an
# unsharded run of the same image. Not part of `npm test`: it needs root, a running Docker
# engine, the apt mirror and the npm registry, and takes minutes (see docs/cluster.md).
#
#   scripts/image-smoke.sh [WORK_DIR]        (default /var/tmp/codeseceval-image)
#
# Needs Debian's docker.io and debootstrap (`node scripts/setup.mjs --groups image --system-only`); starts its
# own dockerd when none answers. Images, root filesystem and run folder stay in WORK_DIR.
#
# Environment:
#   BASE_IMAGE   the Dockerfile's base (a Debian 12 image with Node 20). Unset: a stand-in,
#                codeseceval-base:node20-bookworm, is made once from `debootstrap bookworm`
#                plus this machine's own Node 20 (for machines that cannot reach Docker Hub).
#   DATASET      CodeSecEval folder (default ../shared/datasets/codeseceval)
#   SHARDS       number of shards (default 4)
#   TASKS        tasks to sample (default: the first 24 of the dataset by `--tasks` CWE list)
#   RUN_FLAGS    `docker run` flags that let bubblewrap make its namespaces (default: the
#                minimal set for the image's non-root user, measured by the flags step below)
#   DOCKER_BUILDKIT  0 by default: the legacy builder needs no buildx plugin
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

work=${1:-/var/tmp/codeseceval-image}
dataset=$(realpath "${DATASET:-../shared/datasets/codeseceval}")
shards=${SHARDS:-4}
tasks=${TASKS:-CWE-020,CWE-022,CWE-078,CWE-079,CWE-089,CWE-327}
image=codeseceval:smoke
read -r -a run_flags <<<"${RUN_FLAGS:---security-opt seccomp=unconfined --security-opt systempaths=unconfined}"
export DOCKER_BUILDKIT=${DOCKER_BUILDKIT:-0}

say() { printf '[image-smoke %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { say "FAILED: $*"; exit 1; }
step() { # step NAME COMMAND...: run, time and log one step
  local name=$1 t0=$SECONDS; shift
  say "$name ..."
  "$@" || die "$name (exit $?)"
  say "$name: $((SECONDS - t0)) s"
}

[ "$(id -u)" = 0 ] || die "needs root (debootstrap, docker)"
command -v debootstrap >/dev/null || [ -n "${BASE_IMAGE:-}" ] || die "debootstrap is not installed (node scripts/setup.mjs --groups image --system-only), or set BASE_IMAGE"
# No engine answering: start one of our own (Debian's docker.io) for the length of the script,
# with the settings measured to work on a machine without a bridge or iptables of its own.
if ! docker info >/dev/null 2>&1; then
  command -v dockerd >/dev/null || die "no Docker engine answers and dockerd is not installed (node scripts/setup.mjs --groups image --system-only)"
  mkdir -p "$work"
  dockerd --storage-driver overlay2 --iptables=false --ip6tables=false --bridge=none \
    --exec-opt native.cgroupdriver=cgroupfs --data-root "$work/docker" >"$work/dockerd.log" 2>&1 &
  dockerd_pid=$!
  trap 'kill "$dockerd_pid" 2>/dev/null; wait "$dockerd_pid" 2>/dev/null' EXIT
  for _ in $(seq 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || die "dockerd did not start: $work/dockerd.log"
  say "started dockerd (pid $dockerd_pid, data in $work/docker; stopped at the end)"
fi
[ -d "$dataset/SecEvalBase" ] || die "no CodeSecEval dataset at $dataset (set DATASET)"
mkdir -p "$work"

# --- the base image --------------------------------------------------------------------------
make_base() {
  local root=$work/rootfs
  if [ ! -x "$root/usr/bin/apt-get" ]; then
    rm -rf "$root"
    nice -n 10 debootstrap --variant=minbase bookworm "$root" "${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
  fi
  # Node 20 where the official node image has it: /usr/local/bin, npm beside it.
  local node_bin npm_dir
  node_bin=$(command -v node)
  npm_dir=$(dirname "$(dirname "$(realpath "$(command -v npm)")")")
  "$node_bin" --version | grep -q '^v20\.' || die "this machine's node is not Node 20"
  install -m 0755 "$node_bin" "$root/usr/local/bin/node"
  rm -rf "$root/usr/local/lib/node_modules/npm"
  mkdir -p "$root/usr/local/lib/node_modules"
  cp -a "$npm_dir" "$root/usr/local/lib/node_modules/npm"
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
  # A machine behind a TLS-inspecting proxy trusts its CA through NODE_EXTRA_CA_CERTS: the
  # stand-in base carries that file, so the Dockerfile's `npm ci` reaches the registry here.
  local ca_env=()
  if [ -n "${NODE_EXTRA_CA_CERTS:-}" ] && [ -f "$NODE_EXTRA_CA_CERTS" ]; then
    install -m 0644 "$NODE_EXTRA_CA_CERTS" "$root/usr/local/share/build-host-ca.crt"
    ca_env=(--change 'ENV NODE_EXTRA_CA_CERTS=/usr/local/share/build-host-ca.crt')
  fi
  tar -C "$root" -c . | docker import "${ca_env[@]}" \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["node"]' - codeseceval-base:node20-bookworm >/dev/null
}
if [ -z "${BASE_IMAGE:-}" ]; then
  BASE_IMAGE=codeseceval-base:node20-bookworm
  if ! docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then step "base image from debootstrap" make_base; fi
fi

# --- the image: THE Dockerfile, only its base swapped ---------------------------------------
step "docker build" nice -n 10 docker build --network host --build-arg "BASE_IMAGE=$BASE_IMAGE" -t "$image" "$repo"
say "image size: $(docker image inspect -f '{{.Size}}' "$image" | awk '{printf "%.0f MB", $1/1e6}')"

# --- run it as the Indexed Job would -------------------------------------------------------
run=$work/run
rm -rf "$run"; mkdir -p "$run"
# The image runs as uid 10001: the volume must be writable by it (Kubernetes: fsGroup).
chown 10001:10001 "$run"
# The pod's volume: the run folder and the data, at the manifest's paths.
in_image() { docker run --rm "${run_flags[@]}" -v "$run:/work/runs/smoke" -v "$dataset:/work/data/codeseceval:ro" "$@"; }
ds=(--dataset /work/data/codeseceval)
out=/work/runs/smoke

step "doctor in the image" in_image "$image" doctor "${ds[@]}"
# Which `docker run` flags let the sandbox work: each set evaluates the same few samples.
# Which `docker run` flags let the sandbox work: each set evaluates the same few samples. The
# second field is the outcome docs/cluster.md's table states (measured with Docker 20.10).
flag_sets=(
  "non-root, no flags|refused|"
  "non-root, seccomp=unconfined|refused|--security-opt seccomp=unconfined"
  "non-root, systempaths=unconfined|refused|--security-opt systempaths=unconfined"
  "non-root, seccomp+systempaths unconfined|works|--security-opt seccomp=unconfined --security-opt systempaths=unconfined"
  "  + cap-drop ALL, no-new-privileges, read-only|works|--security-opt seccomp=unconfined --security-opt systempaths=unconfined --cap-drop ALL --security-opt no-new-privileges --read-only --tmpfs /tmp"
  "root, seccomp+systempaths unconfined|refused|--user 0 --security-opt seccomp=unconfined --security-opt systempaths=unconfined"
  "root, SYS_ADMIN+NET_ADMIN|refused|--user 0 --cap-add SYS_ADMIN --cap-add NET_ADMIN"
  "root, SYS_ADMIN, seccomp=unconfined|refused|--user 0 --cap-add SYS_ADMIN --security-opt seccomp=unconfined"
  "root, SYS_ADMIN+NET_ADMIN, seccomp=unconfined|works|--user 0 --cap-add SYS_ADMIN --cap-add NET_ADMIN --security-opt seccomp=unconfined"
)
flag_matrix() {
  local probe=$run/flags entry label expected rest flags i=0 wrong=0
  mkdir -p "$probe"; chmod 0777 "$probe"
  in_image "$image" generate "${ds[@]}" --tasks CWE-020_codeql_1,CWE-078_author_1 -n 1 \
    -m insecure=reference:insecure -o $out/flags/samples.jsonl >/dev/null 2>&1
  for entry in "${flag_sets[@]}"; do
    label=${entry%%|*}; rest=${entry#*|}; expected=${rest%%|*}; read -r -a flags <<<"${rest#*|}"; i=$((i + 1))
    local doctor evaluate got
    doctor=$(docker run --rm "${flags[@]}" -v "$dataset:/work/data/codeseceval:ro" "$image" doctor "${ds[@]}" 2>&1 \
      | grep -m1 'bubblewrap' | cut -c1-90 || true)
    evaluate=$(docker run --rm "${flags[@]}" -v "$run:/work/runs/smoke" -v "$dataset:/work/data/codeseceval:ro" "$image" \
      evaluate "${ds[@]}" --samples $out/flags/samples.jsonl --out $out/flags/r$i.jsonl --jobs 1 2>&1 | grep -m1 'samples:' || true)
    got=works
    case $evaluate in *sandbox-error*|'') got=refused ;; esac
    printf '  %-48s %-7s evaluate: %s\n  %-56s doctor:   %s\n' "$label" "$got" "${evaluate:-(no summary)}" "" "$doctor" >&2
    if [ "$got" != "$expected" ]; then
      say "  ^ docs/cluster.md says $expected"
      # A refused set that works on another engine is news, not a failure; the reverse is.
      if [ "$expected" = works ]; then wrong=1; fi
    fi
  done
  return $wrong
}
step "flags that let bubblewrap work" flag_matrix

# One model per generate (-m takes one spec), both appended to one samples file.
for model in secure insecure; do
  step "generate reference:$model samples" in_image "$image" generate "${ds[@]}" --tasks "$tasks" -n 2 \
    -m "$model=reference:$model" -o $out/samples.jsonl
done
step "unsharded evaluate" in_image "$image" evaluate "${ds[@]}" --samples $out/samples.jsonl \
  --out $out/unsharded.jsonl --jobs 2

# A pod as the Indexed Job makes it: its index, the shard count and, as Kubernetes sets for
# Indexed Jobs, the host name JOB-INDEX (the same for a retried pod, so its lock is judged).
pod() { # pod INDEX DOCKER_RUN_FLAGS...
  local i=$1; shift
  docker run "$@" --hostname "codeseceval-smoke-$i" "${run_flags[@]}" -v "$run:/work/runs/smoke" \
    -v "$dataset:/work/data/codeseceval:ro" -e "JOB_COMPLETION_INDEX=$i" -e "CODESECEVAL_SHARDS=$shards" \
    "$image" evaluate "${ds[@]}" --samples $out/samples.jsonl --out $out/results.jsonl --jobs 1 --shard auto
}
shard_run() {
  local pids=() i failed=0 victim=1
  for ((i = 0; i < shards; i++)); do
    if [ "$i" = "$victim" ]; then continue; fi
    pod "$i" --rm >"$run/pod-$i.log" 2>&1 &
    pids[i]=$!
  done
  # One pod is killed once it has a few results, then started again, as Kubernetes retries it.
  local lines=0 waited=0
  docker rm -f smoke-victim >/dev/null 2>&1 || true
  pod "$victim" -d --name smoke-victim >/dev/null
  while [ "$waited" -lt 600 ]; do
    lines=$(cat "$run"/results.shard-"$victim"-of-*.jsonl 2>/dev/null | wc -l)
    [ "$lines" -ge 5 ] && break
    sleep 0.2; waited=$((waited + 1))
  done
  docker kill smoke-victim >/dev/null 2>&1 || true
  docker logs smoke-victim >"$run/pod-$victim.killed.log" 2>&1; docker rm smoke-victim >/dev/null
  lines=$(cat "$run"/results.shard-"$victim"-of-*.jsonl 2>/dev/null | wc -l)
  say "pod $victim killed with $lines result lines written; started again"
  pod "$victim" --rm >"$run/pod-$victim.log" 2>&1 || { failed=1; say "pod $victim (retry) failed: $(tail -n 3 "$run/pod-$victim.log")"; }
  grep -h 'kept from an earlier run' "$run/pod-$victim.log" | tail -n 1 >&2 || say "pod $victim: no resume seen (it had finished before the kill?)"
  for i in "${!pids[@]}"; do wait "${pids[$i]}" || { failed=1; say "pod $i failed: $(tail -n 3 "$run/pod-$i.log")"; }; done
  return $failed
}
step "$shards pods (JOB_COMPLETION_INDEX=0..$((shards - 1)), one killed and retried)" shard_run
shard_files=()
for f in "$run"/results.shard-*-of-"$shards".jsonl; do shard_files+=("$out/$(basename "$f")"); done
[ "${#shard_files[@]}" = "$shards" ] || die "expected $shards shard files, found ${#shard_files[@]}"
step "merge in the image" in_image "$image" merge "${shard_files[@]}" --out $out/results.jsonl

# --- compare verdicts ------------------------------------------------------------------------
verdicts() { # one sorted line per sample: model experiment task index status passed
  node -e '
    const lines = require("fs").readFileSync(process.argv[1], "utf8").split("\n").filter(Boolean);
    const rows = lines.map((l) => { const r = JSON.parse(l);
      return [r.model, r.experiment, r.task_id, r.sample_index, r.status, r.passed].join("\t"); });
    process.stdout.write(rows.sort().join("\n") + "\n");' "$1"
}
verdicts "$run/unsharded.jsonl" >"$run/unsharded.verdicts"
# Equal verdicts prove nothing if the sandbox never started.
if cut -f5 "$run/unsharded.verdicts" | grep -q '^sandbox-error$'; then die "sandbox-error in the image: see $run/unsharded.jsonl"; fi
verdicts "$run/results.jsonl" >"$run/merged.verdicts"
total=$(wc -l <"$run/unsharded.verdicts")
if ! diff -u "$run/unsharded.verdicts" "$run/merged.verdicts" >"$run/verdicts.diff"; then
  die "merged verdicts differ from the unsharded run: $run/verdicts.diff"
fi
# The same samples on this machine itself, outside any container, when the tool is built here.
if [ -f "$repo/dist/cli/main.js" ]; then
  step "evaluate on this machine" node "$repo/dist/cli/main.js" evaluate --dataset "$dataset" \
    --samples "$run/samples.jsonl" --out "$run/host.jsonl" --jobs 2
  verdicts "$run/host.jsonl" >"$run/host.verdicts"
  if diff -u "$run/host.verdicts" "$run/unsharded.verdicts" >"$run/host.diff"; then
    say "the image's verdicts equal this machine's"
  else
    say "the image's verdicts differ from this machine's in $(grep -c '^+[^+]' "$run/host.diff") samples: $run/host.diff"
  fi
fi
say "statuses: $(cut -f5 "$run/unsharded.verdicts" | sort | uniq -c | tr -s ' \n' ' ')"
say "OK: $total samples; merged $shards shards = unsharded verdicts, byte for byte"
