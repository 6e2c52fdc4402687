#!/bin/bash
# Benchmark: compose a 200-package repo with `plinth-build tree`, and side by side the
# same package set with `dnf --installroot` + `ostree commit` (the baseline). Prints
# each time (median of RUNS) and the ratio. Target: Plinth <= 0.5x the baseline.
#   tests/bench/compose.sh [N_PACKAGES] [RUNS]
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${PL_BUILD:-$top/build}
n=${1:-200}
runs=${2:-3}
[ "$(id -u)" -eq 0 ] || { echo "compose.sh: run as root (rpm scriptlets chroot)" >&2; exit 1; }
for c in dnf ostree python3; do command -v $c >/dev/null || { echo "compose.sh: needs $c" >&2; exit 1; }; done
[ -x "$build/bin/plinth-build" ] || { echo "compose.sh: build first (make)" >&2; exit 1; }

fx="$build/fixtures/bench-$n"
"$top/tests/fixtures/rpms/gen-bench-repo.sh" "$n" "$fx" >&2
work=$(mktemp -d /var/tmp/plinth-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

mapfile -t pkgs <"$fx/packages.txt"
pkgs=(fixture-base "${pkgs[@]}")
python3 - "$work/bench.json" "$fx/repo" "${pkgs[@]}" <<'PY'
import json, sys
json.dump({"name": "bench", "version": "1", "arch": "x86_64", "ref": "bench/x86_64",
           "repos": [{"id": "bench", "baseurl": "file://" + sys.argv[2], "unsigned": True}],
           "packages": sys.argv[3:]}, open(sys.argv[1], "w"), indent=1)
PY

now() { date +%s.%N; }
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# plinth_run ID [EXTRA ARGS]: plinth-build as a user runs it (its default staging
# directory is in memory when the tree fits); extra args can force disk staging.
plinth_run() {
  local id=$1; shift
  local r="$work/plinth-repo-$id"
  local t0; t0=$(now)
  "$build/bin/plinth-build" tree "$work/bench.json" --repo "$r" --cachedir "$work/cache" \
    --json "$@" >"$work/plinth-$id.json"
  echo "$(now) - $t0" | bc
}

dnf_run() {
  local root="$work/dnf-root-$1" r="$work/dnf-repo-$1"
  local t0; t0=$(now)
  dnf -q -y --installroot="$root" --releasever=1 --setopt=reposdir=/dev/null \
    --setopt=cachedir="$work/dnf-cache" --setopt=install_weak_deps=False \
    --setopt=keepcache=True --nogpgcheck --repofrompath=bench,"file://$fx/repo" \
    --repo=bench install "${pkgs[@]}" >/dev/null 2>"$work/dnf-$1.err"
  ostree --repo="$r" init --mode=archive
  ostree --repo="$r" commit --branch=bench/x86_64 --tree=dir="$root" \
    --subject="bench" >/dev/null
  local t; t=$(echo "$(now) - $t0" | bc)
  rm -rf "$root"
  echo "$t"
}

# One warm-up of each fills the metadata caches, as on a build host that composes daily
plinth_run warm >/dev/null
dnf_run warm >/dev/null
pt=() dt=() pdt=()
for i in $(seq "$runs"); do
  pt+=("$(plinth_run "$i")")
  pdt+=("$(plinth_run "disk$i" --workdir "$work")")
  dt+=("$(dnf_run "$i")")
done
p=$(median "${pt[@]}")
pd=$(median "${pdt[@]}")
d=$(median "${dt[@]}")
staged=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["workdir"])' "$work/plinth-1.json")
np=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["packages"])' "$work/plinth-1.json")
phases=$(python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["seconds"]; print(", ".join("%s %.2fs" % (k, v) for k, v in s.items()))' "$work/plinth-1.json")
ratio=$(echo "scale=3; $p / $d" | bc)
echo "compose of $np packages (median of $runs runs, warm caches)"
ratio_disk=$(echo "scale=3; $pd / $d" | bc)
echo "  plinth-build tree:             ${p}s   (staged in $staged; $phases)"
echo "  plinth-build tree, disk stage: ${pd}s   (--workdir on $(df --output=fstype "$work" | tail -1))"
echo "  dnf --installroot + ostree:    ${d}s"
echo "  ratio plinth/baseline:         ${ratio}x   (target <= 0.5x)"
echo "  ratio with disk staging:       ${ratio_disk}x"
