#!/usr/bin/env bash
# Speed of `leakscope lint` against the tools a user would otherwise run (ruff, ESLint, semgrep)
# on the same tree, each under /usr/bin/time -v (wall time, user CPU, peak RSS). Each tool reads
# only its languages; lines are counted per language with wc -l over the files the tool reads.
#
#   bench/lint/run.sh TREE
#
# Tools (not committed): python3 -m venv /tmp/venv && /tmp/venv/bin/pip install ruff semgrep;
#   (mkdir /tmp/eslint && cd /tmp/eslint && npm init -y && npm i eslint@9 eslint-plugin-listeners)
# Rule sets: ruff B019+SIM115 (its leak rules) and ALL; ESLint with bench/lint/eslint.config.mjs;
# semgrep with bench/lint/semgrep-checklist.yml (one rule per checklist item, written to match
# ours). Build: cargo build --release -p leakscope.
set -uo pipefail
tree="$(cd "$1" && pwd)"
here="$(cd "$(dirname "$0")" && pwd)"
bin="${LEAKSCOPE:-${CARGO_TARGET_DIR:-$here/../../target}/release/leakscope}"
venv="${VENV:-/tmp/venv}"
eslint_dir="${ESLINT_DIR:-/tmp/eslint}"
out="${OUT:-/tmp/leakscope-bench-lint}"
mkdir -p "$out"
lines() { find "$tree" -type f \( "$@" \) -not -path '*/node_modules/*' -print0 | xargs -0 cat | wc -l; }
py=$(lines -name '*.py'); js=$(lines -name '*.js' -o -name '*.mjs' -o -name '*.cjs' -o -name '*.ts' -o -name '*.tsx' -o -name '*.jsx')
go=$(lines -name '*.go')
echo "lines: python $py, js/ts $js, go $go, total $((py + js + go))"
run() {
  local name="$1" n="$2"; shift 2
  /usr/bin/time -v "$@" > "$out/$name.out" 2> "$out/$name.time"
  local wall rss user secs
  wall=$(grep "Elapsed (wall" "$out/$name.time" | awk '{print $NF}')
  rss=$(grep "Maximum resident" "$out/$name.time" | awk '{print $NF}')
  user=$(grep "User time" "$out/$name.time" | awk '{print $NF}')
  secs=$(echo "$wall" | awk -F: '{ if (NF == 3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
  printf '%-28s %8s lines  wall %7.2f s  user %7.2f s  %10.0f lines/s  peak RSS %5.0f MB\n' \
    "$name" "$n" "$secs" "$user" "$(echo "$n / $secs" | bc -l)" "$((rss / 1024))"
}
cd "$tree"
run leakscope-all $((py + js + go)) "$bin" lint --format json --severity note .
run leakscope-python "$py" "$bin" lint --format json --severity note --rule py .
run leakscope-js "$js" "$bin" lint --format json --severity note --rule js .
run leakscope-go "$go" "$bin" lint --format json --severity note --rule go .
run ruff-leak-rules "$py" "$venv/bin/ruff" check --no-cache --isolated --select B019,SIM115 --exit-zero .
run ruff-all-rules "$py" "$venv/bin/ruff" check --no-cache --isolated --select ALL --exit-zero .
cp "$here/eslint.config.mjs" "$eslint_dir/eslint.config.mjs"
run eslint-listeners "$js" "$eslint_dir/node_modules/.bin/eslint" -c "$eslint_dir/eslint.config.mjs" --no-config-lookup .
run semgrep-checklist $((py + js + go)) "$venv/bin/semgrep" scan --metrics=off --disable-version-check --config "$here/semgrep-checklist.yml" --json -q .
run semgrep-checklist-1job $((py + js + go)) "$venv/bin/semgrep" scan --metrics=off --disable-version-check -j 1 --config "$here/semgrep-checklist.yml" --json -q .
