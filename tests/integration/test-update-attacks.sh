#!/bin/bash
# The node's refusals (ARCHITECTURE.md, "Trust"), one check per row, each asserting the
# specific error AND that the deployments, the repo's refs, the agent's state and the
# kept index are unchanged: bad signature, missing signature, untrusted key, a replayed
# older index, an expired index, another stream, another arch, a release older than the
# current one, an oversized delta, a delta with the right size and the wrong bytes.
# A site published by `plinth-build publish` (1.0, 2.0 with a delta) is served by nginx
# on 127.0.0.1; each attack alters a pristine copy of it, re-signing where the attack
# needs a valid signature.
source "$(dirname "$0")/../lib/tap.sh"
source "$(dirname "$0")/../lib/sysroot.sh"
need_root
need_cmd plinthctl plinth-build ostree gpg gpgconf nginx python3 sha256sum

pl_sysroot_fixture_repo
FX=$(pl_fixture_rpms)
KEYID=$(cat "$FX/keyid")
UNTRUSTED_KEYID=$(cat "$FX/untrusted-keyid")
GNUPGHOME=$(mktemp -d /tmp/plgpg.XXXXXX)
cp -a "$FX/gnupg/." "$GNUPGHOME/"
at_exit "gpgconf --homedir '$GNUPGHOME' --kill all 2>/dev/null; rm -rf '$GNUPGHOME'"

SITE="$PL_TMP/site"
D="$SITE/stable/x86_64"
publish() {
  plinth-build publish --repo "$PL_FIXTURE_REPO" --ref "$1" --site "$SITE" --stream stable \
    --arch x86_64 --gpg-sign "$KEYID" --gpg-homedir "$GNUPGHOME" >"$PL_TMP/publish.log" 2>&1 \
    || bail "publishing $1 failed" "$(cat "$PL_TMP/publish.log")"
}
publish fixture/1.0
cp "$D/index.json" "$PL_TMP/index-serial1.json"
cp "$D/index.json.asc" "$PL_TMP/index-serial1.json.asc"
publish fixture/2.0
cp -a "$SITE" "$PL_TMP/pristine"
chmod 755 "$PL_TMP"
pl_nginx_start "$SITE"

S="$PL_TMP/node"
mkdir -p "$S"
at_exit "chattr -i '$S'/ostree/deploy/*/deploy/*/ 2>/dev/null"
{
  ostree admin init-fs "$S" &&
  ostree admin os-init --sysroot="$S" plinth &&
  ostree --repo="$S/ostree/repo" config set sysroot.bootloader none &&
  ostree --repo="$S/ostree/repo" pull-local "$PL_FIXTURE_REPO" fixture/1.0 &&
  ostree admin deploy --sysroot="$S" --os=plinth fixture/1.0 &&
  ostree --repo="$S/ostree/repo" refs --delete fixture/1.0
} >"$PL_TMP/node.log" 2>&1 || bail "setting up the node failed" "$(cat "$PL_TMP/node.log")"
mkdir -p "$S/etc/plinth/keys" "$S/etc/plinth/updater.conf.d"
cp "$FX/RPM-GPG-KEY-plinth-fixture" "$S/etc/plinth/keys/fixture.asc"
echo 0123456789abcdef0123456789abcdef >"$S/etc/machine-id"
printf '[Updates]\nBaseURL=%s\nStream=stable\n[Download]\nRetries=0\n' "$PL_HTTP_URL" \
  >"$S/etc/plinth/updater.conf.d/50-test.conf"
ctl() { plinthctl --sysroot "$S" "$@"; }

# A check accepts serial 2, so the state has something to guard.
check "a check of the genuine index passes" ctl check
check_eq "serial 2 accepted" "2" "$(python3 -c "import json; print(json.load(open('$S/var/lib/plinth/state.json'))['last_index_serial'])")"

snapshot() {
  echo "deployments: $(ostree admin status --sysroot="$S" | grep -o '[0-9a-f]\{64\}\.[0-9]*' | tr '\n' ' ')"
  echo "refs: $(ostree --repo="$S/ostree/repo" refs | LC_ALL=C sort | tr '\n' ' ')"
  echo "commits: $(find "$S/ostree/repo/objects" -name '*.commit' | LC_ALL=C sort | tr '\n' ' ')"
  (cd "$S/var" && find lib/plinth cache/plinth -type f | LC_ALL=C sort | xargs sha256sum)
}
BEFORE=$(snapshot)

stamp=0
# reset: the pristine site, with fresh mtimes so nginx's ETags differ from the kept one
reset_site() {
  rm -rf "$SITE"
  cp -a "$PL_TMP/pristine" "$SITE"
  stamp=$((stamp + 1))
  find "$SITE" -type f -exec touch -d "2031-01-01 00:00:$(printf %02d $stamp)" {} +
}
# edit_index PYTHON: rewrites the index's JSON (bound to d) and re-signs it with KEY
edit_index() {
  local py=$1 key=${2:-$KEYID}
  python3 - "$D/index.json" <<PY || bail "editing the index failed"
import json, sys
p = sys.argv[1]; d = json.load(open(p))
$py
open(p, "w").write(json.dumps(d, indent=2) + "\n")
PY
  resign "$key"
}
resign() {
  gpg --homedir "$GNUPGHOME" --batch --yes --local-user "$1" --armor --detach-sign \
    -o "$D/index.json.asc" "$D/index.json" 2>"$PL_TMP/gpg.err" || bail "re-signing failed" "$(cat "$PL_TMP/gpg.err")"
  touch -d "2031-01-01 00:00:$(printf %02d $stamp)" "$D/index.json" "$D/index.json.asc"
}
# attack DESC REGEX VERB...: the verb fails with REGEX and nothing changed
attack() {
  local desc=$1 re=$2; shift 2
  check_fails "$desc" "$re" ctl "$@"
  check_eq "  ... deployments, refs, state and kept index unchanged" "$BEFORE" "$(snapshot)"
}

reset_site
sed -i 's/"serial": 2/"serial": 3/' "$D/index.json"
touch -d "2031-01-01 00:00:$(printf %02d $stamp)" "$D/index.json"
attack "bad signature (index.json tampered after signing)" \
  "Verifying release index .*index.json: signature by key [0-9A-F]+ does not match the data \(corrupted or tampered with\)" update

reset_site
rm "$D/index.json.asc"
attack "missing signature (no index.json.asc)" \
  "Verifying release index .*index.json: no signature: .*/stable/x86_64/index.json.asc: HTTP 404" update

reset_site
resign "$UNTRUSTED_KEYID"
attack "signed by a key that is not trusted" \
  "Verifying release index .*index.json: signature made by key $UNTRUSTED_KEYID, which is not among the trusted keys" update

reset_site
cp "$PL_TMP/index-serial1.json" "$D/index.json"
cp "$PL_TMP/index-serial1.json.asc" "$D/index.json.asc"
touch -d "2031-01-01 00:00:$(printf %02d $stamp)" "$D/index.json" "$D/index.json.asc"
attack "replay of an older, validly signed index (serial 1 < 2)" \
  "serial 1 is lower than the last accepted serial 2" update

reset_site
edit_index 'd["serial"] = 10; d["generated"] = "2020-01-01T00:00:00Z"; d["expires"] = "2020-01-08T00:00:00Z"'
attack "an expired index (freeze attack)" "Refusing release index .*: expired at 2020-01-08" update

reset_site
edit_index 'd["serial"] = 11; d["stream"] = "beta"'
attack "an index for another stream" 'stream is "beta" but this node follows "stable"' update

reset_site
edit_index 'd["serial"] = 12; d["arch"] = "aarch64"'
attack "an index for another architecture" 'arch is "aarch64" but this node is "x86_64"' update

reset_site
edit_index 'd["serial"] = 13; r = d["releases"][0]; r["version"] = "0.9"; r["commit"] = "ab" * 32; d["releases"] = [r]'
attack "a release older than the current one (policy path)" \
  "Refusing release 0.9 from .*: it is older than the current release 1.0" update

reset_site
printf 'trailing bytes beyond the signed size' >>"$D/deltas/1.0-2.0.delta"
attack "an oversized delta (bigger than the index says)" \
  "Delta .*/deltas/1.0-2.0.delta: larger than the [0-9]+ bytes the signed index gives; refused" update
check "  ... and no partial delta is kept" bash -c "! ls '$S/var/cache/plinth/deltas/' 2>/dev/null | grep -q ."

reset_site
python3 - "$D/deltas/1.0-2.0.delta" <<'PY'
import sys
p = sys.argv[1]; b = bytearray(open(p, "rb").read()); b[len(b) // 2] ^= 0xff
open(p, "wb").write(bytes(b))
PY
attack "a delta with the index's size and other bytes" \
  "Delta .*/deltas/1.0-2.0.delta: SHA-256 [0-9a-f]{64} does not match the signed index's [0-9a-f]{64}; refused" update
check "  ... and the bad delta is not kept" bash -c "! ls '$S/var/cache/plinth/deltas/' 2>/dev/null | grep -q ."

# a release whose commit is signed by an untrusted key, in a correctly signed index:
# by delta (applied, then the commit's signature is checked and the commit dropped) and
# by pull (libostree's gpg-verify refuses it)
EVIL=$(ostree --repo="$PL_TMP/pristine/repo" commit -b evil --tree=ref="$PL_V2" --no-bindings \
         --add-metadata-string=version=2.1 --add-metadata-string=plinth.arch=x86_64 \
         --gpg-sign="$UNTRUSTED_KEYID" --gpg-homedir="$GNUPGHOME" 2>"$PL_TMP/err" | tail -1)
[ ${#EVIL} -eq 64 ] || bail "making a commit signed by the untrusted key failed" "$(cat "$PL_TMP/err")"
ostree --repo="$PL_TMP/pristine/repo" static-delta generate --from="$PL_V1" --to="$EVIL" --inline \
  --min-fallback-size=0 --filename="$PL_TMP/evil.delta" >/dev/null 2>"$PL_TMP/err" \
  || bail "generating the evil delta failed" "$(cat "$PL_TMP/err")"
add_evil() { # WITH_DELTA(0/1) SERIAL
  cp "$PL_TMP/evil.delta" "$D/deltas/1.0-2.1.delta"
  edit_index "
import copy, hashlib
r = copy.deepcopy(d['releases'][1]); r['version'] = '2.1'; r['commit'] = '$EVIL'
b = open('$PL_TMP/evil.delta', 'rb').read()
r['deltas'] = [{'from': '$PL_V1', 'path': 'deltas/1.0-2.1.delta', 'sha256': hashlib.sha256(b).hexdigest(), 'size': len(b)}] if $1 else []
d['releases'].append(r); d['serial'] = $2"
}
reset_site
add_evil 1 20
attack "a delta whose commit is signed by an untrusted key" \
  "Release 2.1: Commit $EVIL has no valid signature by a trusted key" update
reset_site
add_evil 0 21
attack "a pulled commit signed by an untrusted key" \
  "Release 2.1: Pulling commit $EVIL of release 2.1 from .*/repo: .*(GPG|signature|key)" update

# the same refusals hold for an exact version asked for by name
reset_site
resign "$UNTRUSTED_KEYID"
attack "deploy VERSION also refuses an untrusted signature" \
  "Verifying release index .*index.json: signature made by key $UNTRUSTED_KEYID, which is not among the trusted keys" deploy 2.0

# and after all that, the genuine site still works
reset_site
check "the genuine site still updates the node" ctl update
check_eq "  ... to 2.0" "$PL_V2" "$(ostree admin status --sysroot="$S" | grep -o '[0-9a-f]\{64\}' | head -1)"
