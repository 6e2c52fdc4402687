#!/bin/bash
# plinthctl status|rollback|history on a throwaway OSTree sysroot holding fixture
# composes 1.0 and 2.0, checked against the stock `ostree admin status`; the deploy
# step through the PLINTH_DEBUG=deploy hook; status.json and the Prometheus file; and
# what a corrupt state file does.
source "$(dirname "$0")/../lib/tap.sh"
source "$(dirname "$0")/../lib/sysroot.sh"
need_root
need_cmd plinthctl ostree python3

pl_sysroot_new
pl_sysroot_deploy fixture/1.0 --karg=console=ttyS0
pl_sysroot_deploy fixture/2.0
S=$PL_SYSROOT
ctl() { plinthctl --sysroot "$S" "$@"; }
# jget EXPR: evaluates a Python expression over the JSON on stdin (bound to d)
jget() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
agree() { # DESC: plinthctl's next boot and deployment order match ostree admin status
  local ours theirs
  ours=$(ctl status --json | jget "'\n'.join(x['commit'] for x in d['deployments'])")
  theirs=$(pl_sysroot_commits)
  check_eq "$1: deployment order agrees with ostree admin status" "$theirs" "$ours"
}

# --- status ----------------------------------------------------------------------
st=$(ctl status --json) || bail "plinthctl status --json failed"
tap_ok "plinthctl status --json on a sysroot with 1.0 and 2.0 deployed"
check_eq "two deployments" "2" "$(jget "len(d['deployments'])" <<<"$st")"
check_eq "2.0 first, the default" "2.0 True $PL_V2" \
  "$(jget "' '.join(str(x) for x in (d['deployments'][0]['version'], d['deployments'][0]['default'], d['deployments'][0]['commit']))" <<<"$st")"
check_eq "1.0 second, the rollback" "1.0 False True $PL_V1" \
  "$(jget "' '.join(str(x) for x in (d['deployments'][1]['version'], d['deployments'][1]['default'], d['deployments'][1]['rollback'], d['deployments'][1]['commit']))" <<<"$st")"
check_eq "next_boot is 2.0" "2.0" "$(jget "d['next_boot']['version']" <<<"$st")"
check_eq "not booted: no booted or staged deployment" "None None False" \
  "$(jget "d['booted'], d['staged'], d['sysroot_booted']" <<<"$st" | tr -d "(),'")"
check_eq "ostree admin status lists 2.0 first" "$PL_V2" "$(pl_sysroot_default_commit)"
agree "after two deploys"
human=$(ctl status)
check "human status names both versions and the next boot" \
  grep -Eq "2\.0 +$PL_V2\.0 +\(next boot\)" <<<"$human"
check "human status marks the rollback" grep -Eq "1\.0 +$PL_V1\.[0-9]+ +\(rollback\)" <<<"$human"
check "the sysroot is also taken from PLINTH_SYSROOT" \
  bash -c "PLINTH_SYSROOT='$S' plinthctl status --json | grep -q '$PL_V2'"

# --- status files ------------------------------------------------------------------
check "status.json published under the sysroot's /run/plinth" test -s "$S/run/plinth/status.json"
check_eq "status.json names the next boot" "$PL_V2" \
  "$(jget "d['next_boot']['commit']" <"$S/run/plinth/status.json")"
prom="$S/run/plinth/plinth.prom"
check "plinth.prom has the next boot's version and commit" \
  grep -qx "plinth_next_boot_info{os=\"plinth\",version=\"2.0\",commit=\"$PL_V2\"} 1" "$prom"
check "plinth.prom counts failed releases" grep -qx "plinth_update_failed_releases 0" "$prom"
check "plinth.prom is valid exposition format" python3 - "$prom" <<'PY'
import re, sys
typed = set()
for line in open(sys.argv[1]):
    line = line.rstrip("\n")
    m = re.match(r"# TYPE (\w+) (gauge|counter)$", line)
    if m: typed.add(m.group(1)); continue
    if line.startswith("# HELP ") or not line: continue
    m = re.match(r'([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_]\w*="(\\.|[^"\\])*",?)*\})? (-?[0-9.e+]+)$', line)
    assert m, "bad line: " + line
    assert m.group(1) in typed, "sample before its TYPE: " + line
PY
check "no temp files left in /run/plinth" bash -c "! ls -A '$S/run/plinth' | grep -q '^\.'"

# --- rollback ----------------------------------------------------------------------
check "plinthctl rollback" ctl rollback
check_eq "ostree admin status: 1.0 is the default after rollback" "$PL_V1" "$(pl_sysroot_default_commit)"
check_eq "plinthctl status: next boot 1.0" "1.0" "$(ctl status --json | jget "d['next_boot']['version']")"
agree "after rollback"
check_eq "boot entries: the default entry is 1.0" "1.0" \
  "$(grep -l 'ostree:0' "$S"/boot/loader/entries/*.conf | xargs grep -h '^title' | grep -o '[0-9]\.[0-9]' | head -1)"
check "plinthctl rollback again" ctl rollback
check_eq "ostree admin status: 2.0 is the default again" "$PL_V2" "$(pl_sysroot_default_commit)"
agree "after the second rollback"
check_eq "status.json follows the rollbacks" "$PL_V2" \
  "$(jget "d['next_boot']['commit']" <"$S/run/plinth/status.json")"

hist=$(ctl history --json)
check_eq "history has both rollbacks, newest first" \
  "rollback $PL_V1 $PL_V2|rollback $PL_V2 $PL_V1" \
  "$(jget "'|'.join(' '.join((h['kind'], h['from_commit'], h['to_commit'])) for h in d)" <<<"$hist")"
check "human history shows the versions" grep -q "rollback 1.0 (${PL_V1:0:12}) -> 2.0 (${PL_V2:0:12})" <<<"$(ctl history)"

# --- deploy through the agent's deploy function (test hook) -------------------------
check_fails "the deploy hook is hidden without PLINTH_DEBUG" "Unknown verb" ctl debug-deploy "$PL_V1"
check "deploy 1.0 with pl_deployments_deploy_commit" env PLINTH_DEBUG=deploy plinthctl --sysroot "$S" debug-deploy "$PL_V1"
check_eq "ostree admin status: 1.0 first, 2.0 kept as fallback (A/B pair only)" \
  "$PL_V1 $PL_V2" "$(pl_sysroot_commits | tr '\n' ' ' | sed 's/ $//')"
check "kernel arguments carried over to the new deployment" \
  grep -q "console=ttyS0" <<<"$(grep -l 'ostree:0' "$S"/boot/loader/entries/*.conf | xargs grep '^options')"
check_eq "history records the update" "update $PL_V2 $PL_V1" \
  "$(ctl history --json | jget "' '.join((d[0]['kind'], d[0]['from_commit'], d[0]['to_commit']))")"
check_eq "status shows what the agent put in place" "1.0" \
  "$(ctl status --json | jget "d['staged_by_agent']['version']")"
before=$(pl_sysroot_commits)
check_fails "deploying a commit that is not in the repo fails clearly" "is not in the repo" \
  env PLINTH_DEBUG=deploy plinthctl --sysroot "$S" debug-deploy "$(printf 'a%.0s' {1..64})"
check_eq "... and changes no deployment" "$before" "$(pl_sysroot_commits)"
check_fails "a malformed checksum is refused" "not a commit checksum" \
  env PLINTH_DEBUG=deploy plinthctl --sysroot "$S" debug-deploy xyz
check "deploy 2.0 with --no-kargs" env PLINTH_DEBUG=deploy plinthctl --sysroot "$S" debug-deploy --no-kargs "$PL_V2"
check "--no-kargs: the new boot entry has no console=ttyS0" \
  bash -c "! grep -l 'ostree:0' '$S'/boot/loader/entries/*.conf | xargs grep '^options' | grep -q console="
check_eq "still an A/B pair: 2.0, then 1.0" "$PL_V2 $PL_V1" "$(pl_sysroot_commits | tr '\n' ' ' | sed 's/ $//')"
check "ostree fsck of the sysroot repo passes" ostree --repo="$S/ostree/repo" fsck

# --- corrupt state ------------------------------------------------------------------
state="$S/var/lib/plinth/state.json"
printf '{"schema": 1, "history": [' >"$state"
cp "$state" "$PL_TMP/corrupt"
out=$(ctl status --json 2>"$PL_TMP/err"); rc=$?
check_eq "status still works with a corrupt state file" "0" "$rc"
check "status warns, naming the file" grep -q "warning: /var/lib/plinth/state.json: not valid JSON" "$PL_TMP/err"
check "status --json reports state_error" bash -c "python3 -c 'import json,sys; d=json.load(sys.stdin); assert \"not valid JSON\" in d[\"state_error\"]' <<<'$out'"
check "plinth.prom says the state is not ok" grep -qx "plinth_state_ok 0" "$prom"
check "status leaves the corrupt file as is" cmp "$state" "$PL_TMP/corrupt"
check_fails "history fails naming the file" "/var/lib/plinth/state.json: not valid JSON" ctl history
printf '{"schema": 1, "history": [{"kind": "rollback", "time": "yesterday"}]}' >"$state"
check_fails "a wrong type names the JSON path" "state.json: history\[0\]\.time: expected an integer" ctl history
cp "$PL_TMP/corrupt" "$state"
out=$(ctl rollback 2>&1); rc=$?
check_eq "rollback works with a corrupt state file" "0" "$rc"
check "... and says it set the file aside" grep -q "set aside as /var/lib/plinth/state.json.bad" <<<"$out"
check "the corrupt file is kept as state.json.bad" cmp "$S/var/lib/plinth/state.json.bad" "$PL_TMP/corrupt"
check_eq "the rollback still happened" "$PL_V1" "$(pl_sysroot_default_commit)"
check_eq "the fresh history holds the rollback and the reset" "rollback reset" \
  "$(ctl history --json | jget "' '.join(h['kind'] for h in d)")"
check "status is clean again" bash -c "plinthctl --sysroot '$S' status --json 2>&1 | python3 -c 'import json,sys; assert json.load(sys.stdin)[\"state_error\"] is None'"

# --- errors and usage ----------------------------------------------------------------
check_fails "a directory that is not a sysroot" "is not an OSTree sysroot" plinthctl --sysroot "$PL_TMP" status
pl_sysroot_new "$PL_TMP/single"
pl_sysroot_deploy fixture/1.0
out=$(plinthctl --sysroot "$PL_TMP/single" rollback 2>&1); rc=$?
check_eq "rollback with one deployment exits 3" "3" "$rc"
check "... saying there is nothing to roll back to" grep -q "nothing to roll back to" <<<"$out"
check_fails "an unknown OS" "No deployments of OS \"other\"" plinthctl --sysroot "$S" --os other rollback
check "plinthctl --help lists the verbs" bash -c "plinthctl --help | grep -q rollback"
check "plinthctl status --help describes the verb" bash -c "plinthctl status --help | grep -q -- --sysroot"
out=$(plinthctl frobnicate 2>&1); rc=$?
check_eq "an unknown verb is a usage error (2)" "2" "$rc"
