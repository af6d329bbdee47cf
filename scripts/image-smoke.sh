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
# Environment:
#   BASE_IMAGE   the Dockerfile's base (a Debian 12 image with Node 20). Unset: a stand-in,
#                codeseceval-base:node20-bookworm, is made once from `debootstrap bookworm`
#                plus this machine's own Node 20 (for machines that cannot reach Docker Hub).
#   DATASET      CodeSecEval folder (default ../shared/datasets/codeseceval)
#   SHARDS       number of shards (default 4)
#   TASKS        tasks to sample (default: the first 24 of the dataset by `--tasks` CWE list)
#   RUN_FLAGS    `docker run` flags that let bubblewrap make its namespaces
#                (default: the minimal set measured here, see docs/cluster.md)
#   DOCKER_BUILDKIT  0 by default: the legacy builder needs no buildx plugin
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

work=${1:-/var/tmp/codeseceval-image}
dataset=$(realpath "${DATASET:-../shared/datasets/codeseceval}")
shards=${SHARDS:-4}
tasks=${TASKS:-CWE-020,CWE-022,CWE-078,CWE-079,CWE-089,CWE-327}
image=codeseceval:smoke
read -r -a run_flags <<<"${RUN_FLAGS:---security-opt seccomp=unconfined}"
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
docker info >/dev/null 2>&1 || die "no Docker engine answers (docker info); start dockerd first"
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
# The pod's volume: the run folder and the data, at the manifest's paths.
in_image() { docker run --rm "${run_flags[@]}" -v "$run:/work/runs/smoke" -v "$dataset:/work/data/codeseceval:ro" "$@"; }
ds=(--dataset /work/data/codeseceval)
out=/work/runs/smoke

step "doctor in the image" in_image "$image" doctor "${ds[@]}"
step "generate reference samples" in_image "$image" generate "${ds[@]}" --tasks "$tasks" -n 2 \
  -m secure=reference:secure -m insecure=reference:insecure -o $out/samples.jsonl
step "unsharded evaluate" in_image "$image" evaluate "${ds[@]}" --samples $out/samples.jsonl \
  --out $out/unsharded.jsonl --jobs 2

shard_run() {
  local pids=() i
  for ((i = 0; i < shards; i++)); do
    in_image -e "JOB_COMPLETION_INDEX=$i" -e "CODESECEVAL_SHARDS=$shards" "$image" evaluate "${ds[@]}" \
      --samples $out/samples.jsonl --out $out/results.jsonl --jobs 1 --shard auto >"$run/pod-$i.log" 2>&1 &
    pids+=($!)
  done
  local failed=0
  for i in "${!pids[@]}"; do wait "${pids[$i]}" || { failed=1; say "pod $i failed: $(tail -n 3 "$run/pod-$i.log")"; }; done
  return $failed
}
step "$shards pods (JOB_COMPLETION_INDEX=0..$((shards - 1)))" shard_run
shard_files=()
for ((i = 0; i < shards; i++)); do shard_files+=("$out/results.shard-$i-of-$shards.jsonl"); done
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
verdicts "$run/results.jsonl" >"$run/merged.verdicts"
total=$(wc -l <"$run/unsharded.verdicts")
if ! diff -u "$run/unsharded.verdicts" "$run/merged.verdicts" >"$run/verdicts.diff"; then
  die "merged verdicts differ from the unsharded run: $run/verdicts.diff"
fi
say "statuses: $(cut -f5 "$run/unsharded.verdicts" | sort | uniq -c | tr -s ' \n' ' ')"
say "OK: $total samples; merged $shards shards = unsharded verdicts, byte for byte"
