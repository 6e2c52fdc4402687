#!/bin/bash
# plinth-build publish: three fixture composes published to a static site, checked with
# the stock tools (python3 json, gpg --verify, ostree static-delta apply-offline, fsck,
# log, show --gpg-verify-remote, an HTTP pull from nginx on 127.0.0.1 with GPG
# verification), and refusals that must leave the site byte-for-byte unchanged.
source "$(dirname "$0")/../lib/tap.sh"
need_root
need_cmd plinth-build ostree gpg nginx python3 sha256sum

FX=$(pl_fixture_rpms)
REF=plinth/fixture/x86_64/stable
GNUPGHOME=$(mktemp -d /tmp/plgpg.XXXXXX)
cp -a "$FX/gnupg/." "$GNUPGHOME/"
at_exit "gpgconf --homedir '$GNUPGHOME' --kill all 2>/dev/null; rm -rf '$GNUPGHOME'"
KEYID=$(cat "$FX/keyid")
REPO="$PL_TMP/repo"
SITE="$PL_TMP/site"
IDX="$SITE/stable/x86_64/index.json"

compose() { # MANIFEST [ARGS...]: prints the new commit
  local m=$1; shift
  plinth-build tree "$PL_TOP/releases/manifests/$m" --cachedir "$PL_TMP/cache" \
    --workdir "$PL_TMP" --repo "$REPO" --define fixture="file://$FX" \
    --gpg-sign "$KEYID" --gpg-homedir "$GNUPGHOME" --json "$@" 2>"$PL_TMP/err" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["commit"])'
}
publish() {
  plinth-build publish --repo "$REPO" --site "$SITE" --stream stable --arch x86_64 \
    --gpg-sign "$KEYID" --gpg-homedir "$GNUPGHOME" "$@"
}
pyidx() { python3 -c "import json,sys; d=json.load(open('$IDX')); $1"; }
site_listing() { (cd "$SITE" && find . -type f | LC_ALL=C sort | xargs sha256sum); }

# --- three releases --------------------------------------------------------------
declare -A C
C[1.0]=$(compose fixture-1.0.json) || bail "compose 1.0 failed" "$(cat "$PL_TMP/err")"
publish --ref "$REF" --json >"$PL_TMP/p1.json" 2>"$PL_TMP/err" || bail "publish 1.0 failed" "$(cat "$PL_TMP/err")"
tap_ok "publish 1.0 to an empty site"
check_eq "serial 1 after the first publish" 1 "$(pyidx 'print(d["serial"])')"
check_eq "no deltas for the first release" 0 "$(pyidx 'print(len(d["releases"][0]["deltas"]))')"

C[2.0]=$(compose fixture.json --version 2.0) || bail "compose 2.0 failed" "$(cat "$PL_TMP/err")"
publish --ref "$REF" --rollout-start 2030-01-01T00:00:00Z --rollout-hours 24 \
  --rollout-start-percent 10 --barrier >"$PL_TMP/p2.txt" 2>"$PL_TMP/err" \
  || bail "publish 2.0 failed" "$(cat "$PL_TMP/err")"
tap_ok "publish 2.0 with a rollout and a barrier"
check_eq "serial 2" 2 "$(pyidx 'print(d["serial"])')"
check "the human output names the release and its delta" \
  grep -qzE "Published 2.0 \(stable/x86_64\).*serial 2.*delta +from 1.0: deltas/1.0-2.0.delta" "$PL_TMP/p2.txt"

C[3.0]=$(compose fixture.json --version 3.0) || bail "compose 3.0 failed" "$(cat "$PL_TMP/err")"
publish --ref "${C[3.0]}" --deadend "moves to stream next" --expires-days 3 --json \
  >"$PL_TMP/p3.json" 2>"$PL_TMP/err" || bail "publish 3.0 failed" "$(cat "$PL_TMP/err")"
tap_ok "publish 3.0 (by checksum) as a dead end"

# --- the index -------------------------------------------------------------------
check "index.json parses and lists 1.0, 2.0, 3.0 with their commits and flags" \
  python3 - "$IDX" "${C[1.0]}" "${C[2.0]}" "${C[3.0]}" <<'PY'
import json, sys, datetime
d = json.load(open(sys.argv[1]))
c = dict(zip(["1.0", "2.0", "3.0"], sys.argv[2:5]))
assert d["schema"] == 1 and d["stream"] == "stable" and d["arch"] == "x86_64", d
assert d["serial"] == 3, d["serial"]
assert [r["version"] for r in d["releases"]] == ["1.0", "2.0", "3.0"]
for r in d["releases"]:
    assert r["commit"] == c[r["version"]], r
t = lambda s: datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ")
assert (t(d["expires"]) - t(d["generated"])).total_seconds() == 3 * 86400
r2 = d["releases"][1]
assert r2["barrier"] is True and r2["rollout"] == {"start": "2030-01-01T00:00:00Z", "duration_minutes": 1440, "start_percentage": 10}, r2
r3 = d["releases"][2]
assert r3["deadend"] == "moves to stream next" and r3["barrier"] is False and "rollout" not in r3
PY
check "deltas 1.0->2.0, 1.0->3.0, 2.0->3.0 exist with the listed sha256 and size" \
  python3 - "$IDX" "${C[1.0]}" "${C[2.0]}" <<'PY'
import json, sys, os, hashlib
d = json.load(open(sys.argv[1])); base = os.path.dirname(sys.argv[1])
c1, c2 = sys.argv[2:4]
want = {"2.0": {c1: "deltas/1.0-2.0.delta"}, "3.0": {c1: "deltas/1.0-3.0.delta", c2: "deltas/2.0-3.0.delta"}}
for r in d["releases"]:
    got = {x["from"]: x["path"] for x in r["deltas"]}
    assert got == want.get(r["version"], {}), (r["version"], got)
    for x in r["deltas"]:
        data = open(os.path.join(base, x["path"]), "rb").read()
        assert len(data) == x["size"] and hashlib.sha256(data).hexdigest() == x["sha256"], x
PY
check "--json names the deltas it made" python3 -c "
import json; d = json.load(open('$PL_TMP/p3.json'))
assert d['serial'] == 3 and d['version'] == '3.0' and d['ref'] == 'stable/x86_64', d
assert sorted(x['from_version'] for x in d['deltas']) == ['1.0', '2.0'] and all(x['created'] for x in d['deltas'])"

VERIFY_HOME=$(mktemp -d /tmp/plgpv.XXXXXX)
at_exit "gpgconf --homedir '$VERIFY_HOME' --kill all 2>/dev/null; rm -rf '$VERIFY_HOME'"
gpg --homedir "$VERIFY_HOME" --batch --quiet --import "$FX/RPM-GPG-KEY-plinth-fixture" 2>/dev/null
check "gpg --verify index.json.asc index.json: Good signature (fixture key only)" \
  grep -q "Good signature" <<<"$(gpg --homedir "$VERIFY_HOME" --batch --verify "$IDX.asc" "$IDX" 2>&1)"
check "the signature does not verify for a modified index" \
  bash -c "! gpg --homedir '$VERIFY_HOME' --batch --verify '$IDX.asc' <(sed 's/\"serial\": 3/\"serial\": 4/' '$IDX') 2>/dev/null"

# --- the site's repo ----------------------------------------------------------------
check "ostree fsck on the site repo" ostree --repo="$SITE/repo" fsck
check_eq "the site ref stable/x86_64 points at 3.0" "${C[3.0]}" "$(ostree --repo="$SITE/repo" rev-parse stable/x86_64)"
log=$(ostree --repo="$SITE/repo" log stable/x86_64 2>&1)
check "ostree log shows the three commits" bash -c \
  "grep -q '${C[1.0]}' <<<'$log' && grep -q '${C[2.0]}' <<<'$log' && grep -q '${C[3.0]}' <<<'$log'"
ostree --repo="$SITE/repo" remote add --gpg-import="$FX/RPM-GPG-KEY-plinth-fixture" fixture-key "file://$SITE/repo" >/dev/null
check "ostree show --gpg-verify-remote: the pulled commit keeps its signature" \
  grep -q "Good signature" <<<"$(ostree --repo="$SITE/repo" show --gpg-verify-remote=fixture-key "${C[3.0]}" 2>&1)"
ostree --repo="$SITE/repo" remote delete fixture-key >/dev/null
check "the summary is signed" test -s "$SITE/repo/summary.sig"

# --- deltas apply offline into a fresh repo ------------------------------------------
# A node's repo is bare (/ostree/repo). libostree 2022.7 aborts applying a delta with
# bsdiff parts into an archive repo (_ostree_repo_load_file_bare: "should not be
# reached"), so the deltas, made for nodes, are checked in bare repos.
apply_delta() { # FROM TO
  local r="$PL_TMP/apply-$1-$2"
  ostree init --repo="$r" --mode=bare >/dev/null &&
  ostree pull-local --repo="$r" "$SITE/repo" "${C[$1]}" >/dev/null &&
  ostree static-delta apply-offline --repo="$r" "$SITE/stable/x86_64/deltas/$1-$2.delta" &&
  ostree --repo="$r" fsck >/dev/null &&
  ostree --repo="$r" remote add --gpg-import="$FX/RPM-GPG-KEY-plinth-fixture" k "file://$r" >/dev/null &&
  ostree --repo="$r" show --gpg-verify-remote=k "${C[$2]}" | grep -q "Good signature"
}
for p in "1.0 2.0" "1.0 3.0" "2.0 3.0"; do
  set -- $p
  check "delta $1->$2: apply-offline in a fresh repo, fsck, target commit signed" apply_delta "$1" "$2"
done

# --- served by nginx: a GPG-verified ostree pull ----------------------------------------
chmod 755 "$PL_TMP"   # nginx's workers are not root
pl_nginx_start "$SITE"
PULL="$PL_TMP/pull"
ostree init --repo="$PULL" --mode=archive >/dev/null
ostree --repo="$PULL" remote add --set=gpg-verify=true --set=gpg-verify-summary=true \
  --gpg-import="$FX/RPM-GPG-KEY-plinth-fixture" site "$PL_HTTP_URL/repo" >/dev/null
check "ostree pull over HTTP with gpg-verify and gpg-verify-summary" \
  ostree --repo="$PULL" pull site stable/x86_64
check_eq "the pulled ref is 3.0" "${C[3.0]}" "$(ostree --repo="$PULL" rev-parse site:stable/x86_64)"
check "the pulled repo passes fsck" ostree --repo="$PULL" fsck
UNTRUSTED="$PL_TMP/pull-untrusted"
ostree init --repo="$UNTRUSTED" --mode=archive >/dev/null
ostree --repo="$UNTRUSTED" remote add --set=gpg-verify=true \
  --gpg-import="$FX/RPM-GPG-KEY-plinth-untrusted" site "$PL_HTTP_URL/repo" >/dev/null
check_fails "a pull trusting only another key is refused" "GPG|signature|key" \
  ostree --repo="$UNTRUSTED" pull site stable/x86_64

# --- refusals leave the site unchanged ---------------------------------------------
site_listing >"$PL_TMP/before"
refuse() { # DESC REGEX ARGS...
  local desc=$1 re=$2; shift 2
  check_fails "$desc" "$re" publish "$@"
  check_eq "  ... and the site is byte-for-byte unchanged" "$(cat "$PL_TMP/before")" "$(site_listing)"
}
refuse "unknown ref" 'Ref "no/such/ref" is not in' --ref no/such/ref
refuse "wrong arch (--arch aarch64 for an x86_64 commit)" "is for x86_64, not aarch64|stream stable, arch x86_64" \
  --ref "$REF" --arch aarch64
TREE="${C[3.0]}"
mk_commit() { # BRANCH [ostree commit args...]
  local b=$1; shift
  ostree --repo="$REPO" commit -b "$b" --tree=ref="$TREE" --no-bindings "$@" 2>&1 | tail -1
}
mk_commit test/dup --add-metadata-string=version=3.0 --add-metadata-string=plinth.arch=x86_64 \
  --gpg-sign="$KEYID" --gpg-homedir="$GNUPGHOME" >/dev/null
refuse "the same version with another commit" "Version 3.0 is already released" --ref test/dup
mk_commit test/dup2 --add-metadata-string=version=3.00 --add-metadata-string=plinth.arch=x86_64 \
  --gpg-sign="$KEYID" --gpg-homedir="$GNUPGHOME" >/dev/null
refuse "a version equal by rpm comparison (3.00 = 3.0)" "Version 3.00 is already released as 3.0" --ref test/dup2
mk_commit test/old --add-metadata-string=version=2.5 --add-metadata-string=plinth.arch=x86_64 \
  --gpg-sign="$KEYID" --gpg-homedir="$GNUPGHOME" >/dev/null
refuse "a version below the newest release" "2.5 is older than the newest release 3.0" --ref test/old
mk_commit test/unsigned --add-metadata-string=version=4.0 --add-metadata-string=plinth.arch=x86_64 >/dev/null
refuse "an unsigned commit" "has no valid signature" --ref test/unsigned
mk_commit test/otherkey --add-metadata-string=version=4.0 --add-metadata-string=plinth.arch=x86_64 \
  --gpg-sign="$(cat "$FX/untrusted-keyid")" --gpg-homedir="$GNUPGHOME" >/dev/null
refuse "a commit signed by another key than the publishing key" "has no valid signature by the publishing key" \
  --ref test/otherkey
mk_commit test/noversion --add-metadata-string=plinth.arch=x86_64 \
  --gpg-sign="$KEYID" --gpg-homedir="$GNUPGHOME" >/dev/null
refuse "a commit without version metadata" 'no "version" metadata' --ref test/noversion
mk_commit test/arm --add-metadata-string=version=4.0 --add-metadata-string=plinth.arch=aarch64 \
  --gpg-sign="$KEYID" --gpg-homedir="$GNUPGHOME" >/dev/null
refuse "a commit whose plinth.arch is another architecture" "is for aarch64, not x86_64" --ref test/arm
refuse "a bad stream name" "stream" --ref "$REF" --stream "../x"
refuse "a rollout percentage above 100" "start_percentage|percent" --ref "$REF" \
  --rollout-start 2030-01-01T00:00:00Z --rollout-start-percent 150
cp "$IDX" "$PL_TMP/index.good"
sed -i 's/"serial": 3/"serial": 30/' "$IDX"
site_listing >"$PL_TMP/before"
refuse "an index that does not verify with the publisher's key" "does not verify" --ref "$REF"
cp "$PL_TMP/index.good" "$IDX"

# --- republishing the newest commit ---------------------------------------------------
sums_before=$(pyidx 'print(" ".join(x["sha256"] for x in d["releases"][2]["deltas"]))')
publish --ref "${C[3.0]}" --barrier --json >"$PL_TMP/p4.json" 2>"$PL_TMP/err"
check_eq "republishing 3.0 succeeds" 0 $?
check "republishing bumps the serial to 4, sets the new flags, keeps the deltas" python3 -c "
import json; d = json.load(open('$IDX')); r = d['releases'][2]
assert d['serial'] == 4 and r['barrier'] is True and 'deadend' not in r, d
assert ' '.join(x['sha256'] for x in r['deltas']) == '$sums_before'
p = json.load(open('$PL_TMP/p4.json')); assert p['republished'] and not any(x['created'] for x in p['deltas']), p"
check "the republished index verifies" \
  grep -q "Good signature" <<<"$(gpg --homedir "$VERIFY_HOME" --batch --verify "$IDX.asc" "$IDX" 2>&1)"
check "no temp files are left in the site" bash -c "! find '$SITE/stable' -name '.tmp*' | grep -q ."

# --- an older release, explicitly ----------------------------------------------------
publish --ref test/old --allow-downgrade --json >"$PL_TMP/p5.json" 2>"$PL_TMP/err"
check_eq "--allow-downgrade adds 2.5 below 3.0" 0 $?
check "2.5 gets deltas from 2.0 and 1.0; the site ref stays at 3.0" python3 -c "
import json; d = json.load(open('$IDX'))
assert d['serial'] == 5 and [r['version'] for r in d['releases']] == ['1.0', '2.0', '2.5', '3.0'], d
assert sorted(x['path'] for x in d['releases'][2]['deltas']) == ['deltas/1.0-2.5.delta', 'deltas/2.0-2.5.delta']
p = json.load(open('$PL_TMP/p5.json')); assert p['ref'] is None, p"
check_eq "the site ref still points at 3.0" "${C[3.0]}" "$(ostree --repo="$SITE/repo" rev-parse stable/x86_64)"
