#!/bin/bash
# Lockfiles: --write-lockfile records what was installed; --lockfile composes exactly
# that and refuses a lockfile the repos cannot satisfy. Also the reproducibility probe:
# two composes from one lockfile with one SOURCE_DATE_EPOCH, compared.
source "$(dirname "$0")/../lib/tap.sh"
need_root
need_cmd plinth-build ostree python3

FX=$(pl_fixture_rpms)
MANIFEST="$PL_TOP/releases/manifests/fixture.json"
REF=plinth/fixture/x86_64/stable
CACHE="$PL_TMP/cache"
compose() {
  plinth-build tree "$MANIFEST" --define fixture="file://$FX" --cachedir "$CACHE" --workdir "$PL_TMP" "$@"
}
pkgs_of() { ostree --repo="$1" show --print-metadata-key=plinth.packages "$2" | tr -d "[]' " | tr ',' '\n' | sort; }

compose --repo "$PL_TMP/r0" --write-lockfile "$PL_TMP/lock.json" >/dev/null 2>"$PL_TMP/err" \
  || bail "compose with --write-lockfile failed" "$(cat "$PL_TMP/err")"
tap_ok "compose with --write-lockfile"
locked=$(python3 -c 'import json,sys; print("\n".join(sorted(p["nevra"] for p in json.load(open(sys.argv[1]))["packages"])))' "$PL_TMP/lock.json")
check_eq "the lockfile lists exactly the installed packages" "$locked" "$(pkgs_of "$PL_TMP/r0" "$REF")"

# pin fixture-app to 1.0 although 1.1 is the newest
python3 - "$PL_TMP/lock.json" "$PL_TMP/lock-app10.json" "$FX/repo" <<'PY'
import json, sys, hashlib, glob
d = json.load(open(sys.argv[1]))
rpm = glob.glob(sys.argv[3] + "/**/fixture-app-1.0-1.noarch.rpm", recursive=True)[0]
for p in d["packages"]:
    if p["name"] == "fixture-app":
        p["version"], p["nevra"] = "1.0", "fixture-app-1.0-1.noarch"
        p["sha256"] = hashlib.sha256(open(rpm, "rb").read()).hexdigest()
        p["size"] = len(open(rpm, "rb").read())
json.dump(d, open(sys.argv[2], "w"), indent=2)
PY
check "compose from a lockfile pinning fixture-app 1.0" compose --repo "$PL_TMP/r1" --lockfile "$PL_TMP/lock-app10.json"
check "the pinned version is what got installed" grep -qx "fixture-app-1.0-1.noarch" <<<"$(pkgs_of "$PL_TMP/r1" "$REF")"

python3 - "$PL_TMP/lock.json" "$PL_TMP/lock-missing.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for p in d["packages"]:
    if p["name"] == "fixture-hello":
        p["version"], p["nevra"] = "9.9", "fixture-hello-9.9-1.x86_64"
json.dump(d, open(sys.argv[2], "w"))
PY
check_fails "a locked package missing from the repos fails the compose" \
  'fixture-hello-9.9-1.x86_64 \(in no repo\)' \
  compose --repo "$PL_TMP/r2" --lockfile "$PL_TMP/lock-missing.json"
check_eq "and commits nothing" "" "$(ostree --repo="$PL_TMP/r2" refs 2>/dev/null)"

python3 - "$PL_TMP/lock.json" "$PL_TMP/lock-sum.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for p in d["packages"]:
    if p["name"] == "fixture-hello":
        p["sha256"] = "0" * 64
json.dump(d, open(sys.argv[2], "w"))
PY
check_fails "a locked package whose checksum changed fails the compose" \
  'fixture-hello-.*checksum differs from the lockfile' \
  compose --repo "$PL_TMP/r3" --lockfile "$PL_TMP/lock-sum.json"

# --- reproducibility probe -----------------------------------------------------
export SOURCE_DATE_EPOCH=1700000000
a=$(compose --repo "$PL_TMP/ra" --lockfile "$PL_TMP/lock.json" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["commit"])')
b=$(compose --repo "$PL_TMP/rb" --lockfile "$PL_TMP/lock.json" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["commit"])')
check "two composes from one lockfile and SOURCE_DATE_EPOCH both succeed" test -n "$a" -a -n "$b"
check_eq "commit timestamp is SOURCE_DATE_EPOCH" "$SOURCE_DATE_EPOCH" \
  "$(ostree --repo="$PL_TMP/ra" show "$a" --print-metadata-key=version >/dev/null; python3 - "$PL_TMP/ra" "$a" <<'PY'
import subprocess, sys, re
out = subprocess.run(["ostree", "--repo=" + sys.argv[1], "log", sys.argv[2]], capture_output=True, text=True).stdout
from datetime import datetime, timezone
m = re.search(r"Date:\s+(\S+ \S+) \+0000", out)
print(int(datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc).timestamp()))
PY
)"
report="$PL_BUILD/test-logs/reproducibility.txt"
{
  echo "Two composes of releases/manifests/fixture.json from one lockfile, SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH"
  echo "commit A: $a"
  echo "commit B: $b"
  if [ "$a" = "$b" ]; then
    echo "result: identical commits"
  else
    echo "result: the commits differ; files that differ:"
    ostree --repo="$PL_TMP/ra" pull-local "$PL_TMP/rb" "$b" >/dev/null
    ostree --repo="$PL_TMP/ra" diff "$a" "$b"
  fi
} >"$report"
tap_diag "reproducibility: $(grep '^result' "$report")" "$(sed -n '/files that differ/,$p' "$report" | tail -n +2)"
if [ "$a" = "$b" ]; then
  tap_ok "reproducible: both composes give commit $a"
else
  check "the report lists what differs between the two commits" test "$(sed -n '/files that differ/,$p' "$report" | wc -l)" -gt 1
fi
