#!/bin/bash
# plinth-provision with remote contents served by a real nginx on 127.0.0.1: every
# remote file is fetched and its hash checked before anything is written, so a bad
# hash, a missing file or an oversized one fails the whole config with nothing written.
source "$(dirname "$0")/../lib/tap.sh"
source "$PL_TOP/tests/integration/provision/lib.sh"

need_root
need_cmd nginx python3 gzip plinth-provision
mkdir -p "$PL_TMP/www"
# nginx workers run unprivileged: they need to reach the served files
chmod 755 "$PL_TMP"
pl_nginx_start "$PL_TMP/www"

printf 'remote payload\n' >"$PL_TMP/www/payload.txt"
head -c 300000 /dev/urandom | base64 >"$PL_TMP/www/big.txt"
seq 1 20000 >"$PL_TMP/www/numbers.txt"
gzip -9 -n -c "$PL_TMP/www/numbers.txt" >"$PL_TMP/www/numbers.txt.gz"
sha512() { echo "sha512-$(sha512sum <"$1" | cut -c1-128)"; }
sha256() { echo "sha256-$(sha256sum <"$1" | cut -c1-64)"; }

# run NAME CONFIG [ARGS...]: sets RC, OUT, ROOT; BEFORE is the root's state before
run() {
  ROOT="$PL_TMP/$1"
  rm -rf "$ROOT"
  pl_fake_root "$ROOT"
  printf '%s\n' "$2" >"$PL_TMP/$1.json"
  BEFORE=$(pl_tree_state "$ROOT")
  shift 2
  RC=0
  OUT=$(plinth-provision --root "$ROOT" --config "${ROOT}.json" "$@" 2>&1) || RC=$?
}

U=$PL_HTTP_URL
export no_proxy="127.0.0.1,localhost${no_proxy:+,$no_proxy}" NO_PROXY="127.0.0.1,localhost${NO_PROXY:+,$NO_PROXY}"
run ok "{\"ignition\":{\"version\":\"3.4.0\"},\"storage\":{\"files\":[
  {\"path\":\"/etc/payload\",\"contents\":{\"source\":\"$U/payload.txt\",\"verification\":{\"hash\":\"$(sha512 "$PL_TMP/www/payload.txt")\"}}},
  {\"path\":\"/etc/numbers\",\"mode\":384,\"contents\":{\"source\":\"$U/numbers.txt.gz\",\"compression\":\"gzip\",\"verification\":{\"hash\":\"$(sha256 "$PL_TMP/www/numbers.txt")\"}}},
  {\"path\":\"/etc/unverified\",\"contents\":{\"source\":\"$U/payload.txt\"},\"append\":[{\"source\":\"$U/payload.txt\"}]}]}}"
check_eq "remote files with sha512 / gzip+sha256 / no hash: exit status" 0 "$RC"
check "the sha512-verified remote file is written" cmp "$PL_TMP/www/payload.txt" "$ROOT/etc/payload"
check "the gzip'd remote file is written decompressed" cmp "$PL_TMP/www/numbers.txt" "$ROOT/etc/numbers"
check_eq "its mode is 0600" 600 "$(stat -c %a "$ROOT/etc/numbers")"
check_eq "contents then a remote append" "$(printf 'remote payload\nremote payload')" "$(cat "$ROOT/etc/unverified")"

run mismatch "{\"ignition\":{\"version\":\"3.4.0\"},\"storage\":{\"files\":[
  {\"path\":\"/etc/first\",\"contents\":{\"source\":\"data:,first\"}},
  {\"path\":\"/etc/payload\",\"contents\":{\"source\":\"$U/payload.txt\",\"verification\":{\"hash\":\"$(sha512 "$PL_TMP/www/big.txt")\"}}}]}}"
check_eq "a remote hash mismatch: exit status 2" 2 "$RC"
check "the message names the entry and the mismatch" grep -Eq 'storage\.files\[1\]\.contents: hash mismatch' <<<"$OUT"
check_eq "nothing was written, not even the valid first file" "$BEFORE" "$(pl_tree_state "$ROOT")"

run missing "{\"ignition\":{\"version\":\"3.4.0\"},\"storage\":{\"files\":[
  {\"path\":\"/etc/first\",\"contents\":{\"source\":\"data:,first\"}},
  {\"path\":\"/etc/gone\",\"contents\":{\"source\":\"$U/does-not-exist\"}}]}}"
check_eq "a remote file that is not there: exit status 3" 3 "$RC"
check "the message names the entry and the 404" grep -Eq 'storage\.files\[1\]\.contents: fetching: .*HTTP 404' <<<"$OUT"
check_eq "nothing was written" "$BEFORE" "$(pl_tree_state "$ROOT")"

run toolarge "{\"ignition\":{\"version\":\"3.4.0\"},\"storage\":{\"files\":[
  {\"path\":\"/etc/big\",\"contents\":{\"source\":\"$U/big.txt\"}}]}}" --max-file-size 65536
check_fails_msg() { grep -Eq "$1" <<<"$OUT"; }
check_eq "a remote file over the size limit: exit status 2" 2 "$RC"
check "the message says it is too large" check_fails_msg 'storage\.files\[0\]\.contents: fetching: .*more than the expected 65536 bytes'
check_eq "nothing was written" "$BEFORE" "$(pl_tree_state "$ROOT")"
