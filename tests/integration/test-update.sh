#!/bin/bash
# plinthctl check | update | deploy VERSION against a static site made by
# `plinth-build publish` from fixture composes, served by nginx (and, for network
# faults, a small Python server) on 127.0.0.1, on throwaway OSTree sysroots with 1.0
# deployed: 1.0 -> 2.0 by static delta, 2.0 -> 3.0 by GPG-verified pull, a downgrade by
# name, failed releases not retried, the immediate strategy's reboot command, a delta
# cut mid-way resumed by a Range request, 500s then success, server down. After each
# change the stock `ostree admin status` must agree with `plinthctl status --json`.
source "$(dirname "$0")/../lib/tap.sh"
source "$(dirname "$0")/../lib/sysroot.sh"
need_root
need_cmd plinthctl plinth-build ostree gpg gpgconf nginx python3 sha256sum

# --- fixtures: composes 1.0, 2.0 (pl_sysroot_fixture_repo) and 3.0 ------------------
pl_sysroot_fixture_repo
FX=$(pl_fixture_rpms)
KEYID=$(cat "$FX/keyid")
GNUPGHOME=$(mktemp -d /tmp/plgpg.XXXXXX)
cp -a "$FX/gnupg/." "$GNUPGHOME/"
at_exit "gpgconf --homedir '$GNUPGHOME' --kill all 2>/dev/null; rm -rf '$GNUPGHOME'"
PL_V3=$(plinth-build tree "$PL_TOP/releases/manifests/fixture.json" --version 3.0 \
          --define fixture="file://$FX" --repo "$PL_FIXTURE_REPO" --cachedir "$PL_TMP/cache" \
          --workdir "$PL_TMP" --gpg-sign "$KEYID" --gpg-homedir "$GNUPGHOME" --json \
          2>"$PL_TMP/err" | python3 -c 'import json,sys; print(json.load(sys.stdin)["commit"])') \
  || bail "composing fixture 3.0 failed" "$(cat "$PL_TMP/err")"

SITE="$PL_TMP/site"
IDX="$SITE/stable/x86_64/index.json"
publish() { # REF [ARGS...]
  local ref=$1; shift
  plinth-build publish --repo "$PL_FIXTURE_REPO" --ref "$ref" --site "$SITE" --stream stable \
    --arch x86_64 --gpg-sign "$KEYID" --gpg-homedir "$GNUPGHOME" "$@" >"$PL_TMP/publish.log" 2>&1 \
    || bail "publishing $ref failed" "$(cat "$PL_TMP/publish.log")"
}
publish fixture/1.0
publish fixture/2.0
chmod 755 "$PL_TMP"   # nginx's workers are not root
pl_nginx_start "$SITE"
ACCESS="$PL_TMP/nginx/logs/access.log"

# new_node DIR URL [CONF...]: a sysroot with only 1.0 in its repo, deployed with a kernel
# argument; trusts the fixture key; a machine id; the updater pointed at URL.
new_node() {
  local s=$1 url=$2; shift 2
  mkdir -p "$s"
  at_exit "chattr -i '$s'/ostree/deploy/*/deploy/*/ 2>/dev/null"
  {
    ostree admin init-fs "$s" &&
    ostree admin os-init --sysroot="$s" plinth &&
    ostree --repo="$s/ostree/repo" config set sysroot.bootloader none &&
    ostree --repo="$s/ostree/repo" pull-local "$PL_FIXTURE_REPO" fixture/1.0 &&
    ostree admin deploy --sysroot="$s" --os=plinth --karg=console=ttyS0 fixture/1.0 &&
    ostree --repo="$s/ostree/repo" refs --delete fixture/1.0
  } >"$PL_TMP/node.log" 2>&1 || bail "setting up the node $s failed" "$(cat "$PL_TMP/node.log")"
  mkdir -p "$s/etc/plinth/keys" "$s/etc/plinth/updater.conf.d"
  cp "$FX/RPM-GPG-KEY-plinth-fixture" "$s/etc/plinth/keys/fixture.asc"
  echo 0123456789abcdef0123456789abcdef >"$s/etc/machine-id"
  { printf '[Updates]\nBaseURL=%s\nStream=stable\nStrategy=manual\n' "$url"; printf '%s\n' "$@"; } \
    >"$s/etc/plinth/updater.conf.d/50-test.conf"
}
commits() { ostree admin status --sysroot="$1" | awk '$1 == "*" { $1 = ""; $0 = $0 } $1 == "plinth" { split($2, a, "."); print a[1] }' | tr '\n' ' ' | sed 's/ $//'; }
jget() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
agree() { # DESC DIR: plinthctl's deployment order matches ostree admin status
  local ours
  ours=$(plinthctl --sysroot "$2" status --json | jget "' '.join(x['commit'] for x in d['deployments'])")
  check_eq "$1: plinthctl status agrees with ostree admin status" "$(commits "$2")" "$ours"
}
snapshot() { # DIR: deployments, refs and state, to compare before/after a failure
  echo "deployments: $(commits "$1")"
  echo "refs: $(ostree --repo="$1/ostree/repo" refs | tr '\n' ' ')"
  echo "state: $(sha256sum <"$1/var/lib/plinth/state.json" 2>/dev/null || echo none)"
}

S="$PL_TMP/node"
new_node "$S" "$PL_HTTP_URL"
ctl() { plinthctl --sysroot "$S" "$@"; }
DELTA_SIZE=$(python3 -c "import json; print(json.load(open('$IDX'))['releases'][1]['deltas'][0]['size'])")

# --- check ----------------------------------------------------------------------------
out=$(ctl check 2>&1) || bail "plinthctl check failed" "$out"
check "check names the target release and its commit" grep -q "Would take release 2.0 ($PL_V2) from 1.0" <<<"$out"
check "check prints the delta's byte count from the index" grep -q "Download: $DELTA_SIZE bytes (static delta)" <<<"$out"
j=$(ctl check --json) || bail "plinthctl check --json failed"
check_eq "check --json: decision, target, method, bytes" "update 2.0 delta $DELTA_SIZE False" \
  "$(jget "' '.join(str(x) for x in (d['decision'], d['target']['version'], d['method'], d['download_bytes'], d['staged']))" <<<"$j")"
check_eq "check changes no deployment" "$PL_V1" "$(commits "$S")"
check_eq "check records the accepted serial" "2" "$(ctl status --json | jget "d['last_index_serial']")"
check "the second check was a conditional GET answered 304" \
  grep -q '"GET /stable/x86_64/index.json HTTP/1.1" 304' "$ACCESS"

# --- 1.0 -> 2.0 by delta --------------------------------------------------------------
: >"$ACCESS"
check "update stages 2.0" ctl update
check_eq "status.json written by update carries the policy decision" "update" "$(jget "d['policy']['decision']" <"$S/run/plinth/status.json")"
check_eq "ostree admin status: 2.0 next, 1.0 kept as fallback" "$PL_V2 $PL_V1" "$(commits "$S")"
agree "after the delta update" "$S"
check "the delta file was fetched" grep -q '"GET /stable/x86_64/deltas/1.0-2.0.delta HTTP/1.1" 200' "$ACCESS"
check "no object was fetched from /repo" bash -c "! grep -q '/repo/objects/' '$ACCESS'"
check "kernel arguments carried over" bash -c \
  "grep -l 'ostree:0' '$S'/boot/loader/entries/*.conf | xargs grep '^options' | grep -q console=ttyS0"
check_eq "history: update 1.0 -> 2.0 by delta" "update 1.0 2.0 delta" \
  "$(ctl history --json | jget "' '.join((d[0]['kind'], d[0]['from_version'], d[0]['to_version'], d[0]['detail']))")"
check_eq "status: staged by the agent, last check says update" "2.0 update" \
  "$(ctl status --json | jget "d['staged_by_agent']['version'] + ' ' + d['last_check']['result'].split(':')[0]")"
check "no delta left in the cache" bash -c "! ls -A '$S/var/cache/plinth/deltas' | grep -q ."
check "ostree fsck of the node's repo" ostree --repo="$S/ostree/repo" fsck

out=$(ctl update 2>&1)
check_eq "a second update finds nothing newer" "0" "$?"
check "... and says so" grep -q "No update: release 2.0 is the newest release" <<<"$out"
check_eq "... and changes nothing" "$PL_V2 $PL_V1" "$(commits "$S")"

# --- 2.0 -> 3.0 by pull (no delta published) -------------------------------------------
publish "$PL_V3" --deltas-from 0
check_eq "3.0 is published without deltas" "0" \
  "$(python3 -c "import json; print(len(json.load(open('$IDX'))['releases'][2]['deltas']))")"
: >"$ACCESS"
j=$(ctl update --json 2>"$PL_TMP/err") || bail "update to 3.0 failed" "$j" "$(cat "$PL_TMP/err")"
check_eq "update --json: 3.0 by pull, staged" "3.0 pull True" \
  "$(jget "' '.join(str(x) for x in (d['target']['version'], d['method'], d['staged']))" <<<"$j")"
check_eq "ostree admin status: 3.0 next, 2.0 fallback" "$PL_V3 $PL_V2" "$(commits "$S")"
agree "after the pull" "$S"
check "objects came from /repo" grep -q '/repo/objects/' "$ACCESS"
check "no delta was asked for" bash -c "! grep -q '\.delta' '$ACCESS'"
check "the transient pull remote is gone" bash -c "! ostree --repo='$S/ostree/repo' remote list | grep -q ."
check_eq "no refs left in the node's repo (besides ostree's own deployment refs)" "" \
  "$(ostree --repo="$S/ostree/repo" refs | grep -v '^ostree/')"

# --- deploy an older version by name ----------------------------------------------------
check_fails "deploy of a version not in the index" "Release 9.9 is not in the index .*\(it lists: 1.0, 2.0, 3.0\)" ctl deploy 9.9
check "deploy 1.0 (a downgrade, by name)" ctl deploy 1.0
check_eq "ostree admin status: 1.0 next, 3.0 fallback" "$PL_V1 $PL_V3" "$(commits "$S")"
agree "after the downgrade" "$S"
check_eq "history: deploy 3.0 -> 1.0" "deploy 3.0 1.0" \
  "$(ctl history --json | jget "' '.join((d[0]['kind'], d[0]['from_version'], d[0]['to_version']))")"

# --- a failed release is not taken again ---------------------------------------------
python3 - "$S/var/lib/plinth/state.json" "$PL_V3" <<'PY'
import json, sys
p, c = sys.argv[1], sys.argv[2]
d = json.load(open(p))
d.setdefault("failed", []).append({"version": "3.0", "commit": c, "reason": "test: did not boot", "time": 1700000000})
json.dump(d, open(p, "w"))
PY
j=$(ctl check --json) || bail "check with a failed release failed" "$j"
check_eq "with 3.0 failed, the policy picks 2.0" "update 2.0" "$(jget "d['decision'] + ' ' + d['target']['version']" <<<"$j")"
check "update takes 2.0" ctl update
check_eq "ostree admin status: 2.0 next" "$PL_V2" "$(commits "$S" | cut -d' ' -f1)"
agree "after skipping the failed release" "$S"
out=$(ctl update 2>&1)
check "on 2.0, 3.0 (failed here) is not retried" grep -q "1 newer release(s) failed here and are not retried" <<<"$out"
check_eq "... and nothing changes" "$PL_V2" "$(commits "$S" | cut -d' ' -f1)"

# --- strategy immediate: the reboot command runs -----------------------------------------
STUB="$PL_TMP/stub-bin"
mkdir -p "$STUB"
printf '#!/bin/sh\necho "systemctl $*" >>"%s/reboots"\n' "$PL_TMP" >"$STUB/systemctl"
chmod +x "$STUB/systemctl"
check "update --now with nothing to take does not reboot" env PATH="$STUB:$PATH" plinthctl --sysroot "$S" update --now
check "... the stub was not called" test ! -e "$PL_TMP/reboots"
printf 'Strategy=immediate\n' >>"$S/etc/plinth/updater.conf.d/50-test.conf"
check "deploy 1.0 with the immediate strategy" env PATH="$STUB:$PATH" plinthctl --sysroot "$S" deploy 1.0
check_eq "the reboot command (systemctl reboot) was called once" "systemctl reboot" "$(cat "$PL_TMP/reboots" 2>/dev/null)"
sed -i 's/^Strategy=immediate$/Strategy=off/' "$S/etc/plinth/updater.conf.d/50-test.conf"

# --- network faults, through a Python server that can misbehave --------------------------
cat >"$PL_TMP/server.py" <<'PY'
# Serves ROOT on 127.0.0.1:PORT with Range support. Faults: --cut SUFFIX:N closes the
# connection after N body bytes of the first request for a path ending in SUFFIX;
# --fail500 SUFFIX:K answers 500 to the first K requests for such paths. Logs
# "METHOD PATH RANGE STATUS" lines to LOG.
import http.server, os, sys, argparse
ap = argparse.ArgumentParser()
ap.add_argument("root"); ap.add_argument("port", type=int); ap.add_argument("log")
ap.add_argument("--cut"); ap.add_argument("--fail500")
a = ap.parse_args()
cut = a.cut.split(":") if a.cut else None
fail = a.fail500.split(":") if a.fail500 else None
state = {"cut": 0, "fail": 0}
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args): pass
    def log(self, status):
        with open(a.log, "a") as f:
            f.write("%s %s %s %d\n" % (self.command, self.path, self.headers.get("Range", "-"), status))
    def do_GET(self):
        p = os.path.join(a.root, self.path.lstrip("/").split("?")[0])
        if fail and self.path.endswith(fail[0]) and state["fail"] < int(fail[1]):
            state["fail"] += 1; self.log(500); self.send_error(500); return
        if not os.path.isfile(p):
            self.log(404); self.send_error(404); return
        data = open(p, "rb").read(); start = 0; status = 200
        r = self.headers.get("Range")
        if r and r.startswith("bytes=") and r.endswith("-"):
            start = int(r[6:-1])
            if start >= len(data):
                self.log(416); self.send_error(416); return
            status = 206
        body = data[start:]
        self.log(status)
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        if status == 206:
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, len(data) - 1, len(data)))
        self.end_headers()
        if cut and self.path.endswith(cut[0]) and state["cut"] == 0:
            state["cut"] = 1
            self.wfile.write(body[:int(cut[1])]); self.wfile.flush()
            self.connection.shutdown(2); self.close_connection = True; return
        self.wfile.write(body)
http.server.HTTPServer(("127.0.0.1", a.port), H).serve_forever()
PY
start_server() { # LOG [FAULT ARGS...]: sets SRV_URL
  local log=$1; shift
  local port; port=$(pl_free_port)
  : >"$log"
  python3 "$PL_TMP/server.py" "$SITE" "$port" "$log" "$@" 2>>"$PL_TMP/server.err" &
  local pid=$!
  at_exit "kill $pid 2>/dev/null"
  SRV_PID=$pid
  SRV_URL="http://127.0.0.1:$port"
  for _ in $(seq 50); do curl -s -o /dev/null "$SRV_URL/" 2>/dev/null && return 0; sleep 0.1; done
  bail "the test server did not start" "$(cat "$PL_TMP/server.err")"
}
need_cmd curl

# a delta cut mid-way: the run fails and keeps the partial file; the next run resumes it
HALF=$((DELTA_SIZE / 2))
start_server "$PL_TMP/cut.log" --cut ".delta:$HALF"
N="$PL_TMP/node-cut"
new_node "$N" "$SRV_URL" "[Download]" "Retries=0"
# 3.0 has no delta from 1.0: ask for 2.0, whose delta from 1.0 exists
before=$(snapshot "$N")
check_fails "a connection cut mid-delta fails the run" "Downloading delta" plinthctl --sysroot "$N" deploy 2.0
check_eq "... changing no deployment, ref or state" "$before" "$(snapshot "$N")"
part=$(ls "$N"/var/cache/plinth/deltas/*.part 2>/dev/null | head -1)
check_eq "... and keeping the partial delta ($HALF bytes)" "$HALF" "$(stat -c %s "$part" 2>/dev/null)"
j=$(plinthctl --sysroot "$N" deploy --json 2.0 2>"$PL_TMP/err") || bail "the resumed deploy failed" "$j"
check_eq "the next run finishes the delta, resumed" "delta True True" \
  "$(jget "' '.join(str(x) for x in (d['method'], d['resumed'], d['staged']))" <<<"$j")"
check "the next run asked for the rest with a Range request" \
  grep -q "GET /stable/x86_64/deltas/1.0-2.0.delta bytes=$HALF- 206" "$PL_TMP/cut.log"
check_eq "only the rest was downloaded" "$((DELTA_SIZE - HALF))" "$(jget "d['download_bytes']" <<<"$j")"
check_eq "ostree admin status: 2.0 next on the resumed node" "$PL_V2 $PL_V1" "$(commits "$N")"
agree "after the resumed delta" "$N"
kill "$SRV_PID" 2>/dev/null

# 500s, then success (retries with backoff)
start_server "$PL_TMP/500.log" --fail500 "index.json:2"
N="$PL_TMP/node-500"
new_node "$N" "$SRV_URL" "[Download]" "Retries=3"
check "two 500s on the index, then success" plinthctl --sysroot "$N" update
check_eq "the index was asked for three times" "3" "$(grep -c 'GET /stable/x86_64/index.json ' "$PL_TMP/500.log")"
check_eq "ostree admin status: 3.0 next (pull)" "$PL_V3 $PL_V1" "$(commits "$N")"
agree "after 500s then success" "$N"
kill "$SRV_PID" 2>/dev/null

# server down
N="$PL_TMP/node-down"
new_node "$N" "http://127.0.0.1:$(pl_free_port)" "[Download]" "Retries=1"
before=$(snapshot "$N")
check_fails "server down: a clear error" "Fetching the release index: http://127.0.0.1:[0-9]+/stable/x86_64/index.json: .*(onnect|refused)" \
  plinthctl --sysroot "$N" update
check_eq "... and nothing changed" "$before" "$(snapshot "$N")"
check "... no state file was written" test ! -e "$N/var/lib/plinth/state.json"

# --- config errors ---------------------------------------------------------------------
N="$PL_TMP/node-conf"
new_node "$N" "ftp://example.invalid"
check_fails "a BaseURL that is not http(s)/file names the file and key" \
  "50-test.conf: \[Updates\] BaseURL: not an http://, https:// or file:// URL" plinthctl --sysroot "$N" check
printf '[Updates]\nStrategy=sometimes\n' >"$N/etc/plinth/updater.conf.d/60-x.conf"
check_fails "a bad Strategy names the file and key" "60-x.conf: \[Updates\] Strategy" plinthctl --sysroot "$N" check
rm -f "$N/etc/plinth/updater.conf.d/"*.conf
check_fails "no BaseURL: says what to set" "No release site configured: set \[Updates\] BaseURL" plinthctl --sysroot "$N" check
