#!/bin/bash
# Runs Plinth's tests and prints one closing line: "N passed, N failed[, N skipped]".
# Every test speaks TAP (GLib's g_test does; shell tests use tests/lib/tap.sh). A test
# program that exits non-zero, or prints no TAP result at all, counts as a failure, so
# a crash or a missing tool can never pass silently. Skips are counted and listed.
#
#   tests/run-tests.sh [--unit] [--fuzz] [--integration] [--e2e] [PATTERN...]
# With no kind given, all kinds run. PATTERNs (shell globs) pick tests by name.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${PL_BUILD:-build}
case "$build" in /*) ;; *) build="$top/$build" ;; esac
export PL_TOP="$top" PL_BUILD="$build"
logs="$build/test-logs"
mkdir -p "$logs"

kinds=()
patterns=()
for a in "$@"; do
  case "$a" in
    --unit|--fuzz|--integration|--e2e) kinds+=("${a#--}") ;;
    *) patterns+=("$a") ;;
  esac
done
[ ${#kinds[@]} -eq 0 ] && kinds=(unit fuzz integration e2e)

passed=0 failed=0 skipped=0
failures=() skips=()

selected() {
  [ ${#patterns[@]} -eq 0 ] && return 0
  local p
  for p in "${patterns[@]}"; do
    # shellcheck disable=SC2053
    [[ $1 == $p ]] && return 0
  done
  return 1
}

# run_one NAME TIMEOUT CMD...: runs CMD, tallies its TAP lines.
run_one() {
  local name=$1 limit=$2; shift 2
  selected "$name" || return 0
  local log="$logs/${name//\//_}.log" start end rc
  start=$(date +%s)
  timeout --kill-after=10 "$limit" "$@" >"$log" 2>&1 </dev/null
  rc=$?
  end=$(date +%s)
  local ok=0 bad=0 skip=0 line
  while IFS= read -r line; do
    case "$line" in
      "not ok "*"# TODO"*) ;;
      "not ok "*) bad=$((bad + 1)); failures+=("$name: $line") ;;
      "ok "*"# SKIP"*|"ok "*"# skip"*) skip=$((skip + 1)); skips+=("$name: $line") ;;
      "ok "*) ok=$((ok + 1)) ;;
    esac
  done <"$log"
  if [ $rc -ne 0 ] && [ $bad -eq 0 ]; then
    bad=1
    if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
      failures+=("$name: timed out after ${limit}s")
    else
      failures+=("$name: exited with status $rc")
    fi
  elif [ $((ok + bad + skip)) -eq 0 ]; then
    bad=1
    failures+=("$name: printed no test result")
  fi
  passed=$((passed + ok)) failed=$((failed + bad)) skipped=$((skipped + skip))
  local verdict=PASS
  [ $bad -gt 0 ] && verdict=FAIL
  printf '%-4s %-48s %3d ok %2d failed %2d skipped  %4ds\n' "$verdict" "$name" $ok $bad $skip $((end - start))
  if [ $bad -gt 0 ]; then
    echo "     --- last lines of $log:"
    tail -n 25 "$log" | sed 's/^/     | /'
  fi
}

for kind in "${kinds[@]}"; do
  case "$kind" in
    unit)
      for t in "$build"/tests/unit/test-*; do
        [ -x "$t" ] || continue
        G_DEBUG=fatal-warnings run_one "unit/$(basename "$t")" 300 "$t"
      done ;;
    fuzz)
      for t in "$build"/tests/fuzz/fuzz-*; do
        [ -x "$t" ] || continue
        n=$(basename "$t"); n=${n#fuzz-}
        run_one "fuzz/$n" 300 "$t" "$top/tests/fuzz/corpus/$n"
      done ;;
    integration|e2e)
      for t in "$top"/tests/"$kind"/test-*.sh; do
        [ -f "$t" ] || continue
        lim=1200; [ "$kind" = e2e ] && lim=2400
        run_one "$kind/$(basename "$t" .sh)" $lim bash "$t"
      done ;;
  esac
done

if [ ${#skips[@]} -gt 0 ]; then
  echo
  echo "Skipped:"
  printf '  %s\n' "${skips[@]}"
fi
if [ ${#failures[@]} -gt 0 ]; then
  echo
  echo "Failures:"
  printf '  %s\n' "${failures[@]}"
fi
echo
if [ $skipped -gt 0 ]; then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
[ $failed -eq 0 ]
