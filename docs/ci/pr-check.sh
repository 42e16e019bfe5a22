#!/usr/bin/env bash
# The pull-request check that github-actions.yml and gitlab-ci.yml run: the PR's
# expectations, then its scenarios run on the base and on the PR, compared.
#
#   docs/ci/pr-check.sh BASE_TREE OUT SCENARIO...
#
# Run it from the PR's working tree. BASE_TREE is a checkout of the base (a `git worktree`);
# each SCENARIO is a path in the PR's tree, run in the base's tree too where it exists
# there. It writes, under OUT:
#   check.xml             JUnit: one test case per expectation (`gpuaas-sim check --junit`)
#   pr/, base/            the reports of both runs, one folder per scenario
#   compare-<name>.xml    JUnit: one test case per figure compared, a regression a failure
#   summary.md            Markdown for the job summary or a pull-request comment
# Exit 0: every expectation holds and nothing regressed; 1: an expectation failed or a
# figure regressed; 2: bad input (the PR's scenarios, not the base's) or a file not written.
#
# GPUAAS_SIM names the binary (default: gpuaas-sim on the PATH). The same binary runs both
# trees, so the comparison shows what the PR's scenarios and manifests change; to show
# what a change to the simulator itself does, build the base's too and name it in
# GPUAAS_SIM_BASE. COMPARE_FLAGS is added to each `gpuaas-sim compare` (tolerances).
set -uo pipefail

if [ $# -lt 3 ]; then
  echo "usage: $0 BASE_TREE OUT SCENARIO..." >&2
  exit 2
fi
base_tree=$1
shift
mkdir -p "$1" || exit 2
out=$(cd "$1" && pwd)
shift
# A binary named by a path is made absolute: the base runs in another folder.
absolute() {
  case $1 in
    */*) echo "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")" ;;
    *) echo "$1" ;;
  esac
}
sim=$(absolute "${GPUAAS_SIM:-gpuaas-sim}")
sim_base=$(absolute "${GPUAAS_SIM_BASE:-$sim}")
rm -rf "$out/pr" "$out/base" "$out"/compare-*.xml "$out/summary.md" "$out/check.xml" "$out/check.txt"

status=0
worst() {
  # 2 (bad input) outranks 1 (a failure or a regression), which outranks 0.
  # Any other code (a crash) counts as 2.
  local rc=$1
  if [ "$rc" -gt 2 ]; then rc=2; fi
  if [ "$rc" -gt "$status" ]; then status=$rc; fi
}

# Reports go to DIR/<scenario>/ whatever the number of scenarios: `run --out` writes a
# lone scenario's straight into DIR, so it is moved into a folder named after it (the
# scenario's name, a Kubernetes name, is on report.json's third line).
nest() {
  if [ -f "$1/report.json" ]; then
    name=$(sed -n 's/^  "scenario": "\([a-z0-9.-]*\)",$/\1/p' "$1/report.json" | head -n 1)
    [ -n "$name" ] || return 2
    mkdir -p "$1/$name" && mv "$1/report.json" "$1/report.md" "$1/report.html" "$1/plots" "$1/$name/"
  fi
}

echo "== gpuaas-sim check (the PR's expectations)"
"$sim" check --quiet --junit "$out/check.xml" "$@" | tee "$out/check.txt"
worst "${PIPESTATUS[0]}"
counts=$(tail -n 1 "$out/check.txt")

echo "== gpuaas-sim run (the PR)"
notes=()
pr_ran=no
if "$sim" run --quiet --out "$out/pr" "$@"; then
  nest "$out/pr" && pr_ran=yes
else
  notes+=("The pull request's scenarios did not run (see the job's log): nothing was compared.")
  # Bad input is exit 2; a run that did not finish is said the same way.
  worst 2
fi

echo "== gpuaas-sim run (the base)"
# Scenarios the PR adds are not in the base; a base that does not run (the PR may be
# its fix) leaves nothing to compare with, which the summary says rather than fails on.
base_paths=()
for p in "$@"; do
  if [ -e "$base_tree/$p" ]; then base_paths+=("$p"); fi
done
if [ "$pr_ran" = yes ] && [ "${#base_paths[@]}" -gt 0 ]; then
  if (cd "$base_tree" && "$sim_base" run --quiet --out "$out/base" "${base_paths[@]}"); then
    nest "$out/base" || worst 2
  else
    notes+=("The base's scenarios did not run (see the job's log): nothing was compared.")
    rm -rf "$out/base"
  fi
fi

{
  echo "# gpuaas-sim"
  echo
  echo "Expectations of the pull request's scenarios: ${counts:-not checked, see the log}."
  echo
  for n in "${notes[@]}"; do
    printf '%s\n\n' "$n"
  done
} >"$out/summary.md"

if [ "$pr_ran" = yes ]; then
  echo "== gpuaas-sim compare (base, then the PR)"
  # shellcheck disable=SC2086 # COMPARE_FLAGS is a list of flags, split on purpose.
  bash "$(dirname "$0")/compare-runs.sh" "$out/base" "$out/pr" "$out" ${COMPARE_FLAGS:-}
  worst $?
fi
cat "$out/summary.md"
exit "$status"
