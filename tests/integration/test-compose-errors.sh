#!/bin/bash
# Bad inputs to plinth-build tree: each fails with a clear error naming the problem,
# and nothing is committed (refs and commit objects unchanged).
source "$(dirname "$0")/../lib/tap.sh"
need_root
need_cmd plinth-build ostree python3

FX=$(pl_fixture_rpms)
REPO="$PL_TMP/repo"
CACHE="$PL_TMP/cache"
ostree --repo="$REPO" init --mode=archive >/dev/null || bail "ostree init failed"

# A manifest for the fixture repo asking for PACKAGES (JSON list items), with REPOS.
manifest() {
  local pkgs=$1 repos=${2:-'{"id": "fixture", "baseurl": "file://'$FX'/repo", "gpgkey": "file://'$FX'/RPM-GPG-KEY-plinth-fixture"}'}
  local f="$PL_TMP/m-$RANDOM.json"
  cat >"$f" <<JSON
{ "name": "bad", "version": "1", "arch": "x86_64", "ref": "test/bad",
  "repos": [ $repos ], "packages": [ "fixture-base", $pkgs ] }
JSON
  echo "$f"
}

state() {
  echo "refs: $(ostree --repo="$REPO" refs | sort | tr '\n' ' ')"
  echo "commits: $(find "$REPO/objects" -name '*.commit' | wc -l)"
}

# expect_refused DESC REGEX MANIFEST [EXTRA ARGS]
expect_refused() {
  local desc=$1 re=$2 m=$3; shift 3
  local before after
  before=$(state)
  check_fails "$desc: clear error" "$re" \
    plinth-build tree "$m" --repo "$REPO" --cachedir "$CACHE" --workdir "$PL_TMP" "$@"
  after=$(state)
  check_eq "$desc: nothing committed" "$before" "$after"
}

expect_refused "unknown package" 'No package matches "fixture-nonesuch"' \
  "$(manifest '"fixture-nonesuch"')"

expect_refused "unsatisfiable dependency" 'nothing provides fixture-libfoo >= 2.0 needed by fixture-unresolvable' \
  "$(manifest '"fixture-unresolvable"')"

# corrupted RPM: same metadata, different bytes
cp -a "$FX/repo" "$PL_TMP/corrupt-repo"
victim=$(ls "$PL_TMP/corrupt-repo"/*/fixture-hello-*.rpm "$PL_TMP/corrupt-repo"/fixture-hello-*.rpm 2>/dev/null | head -1)
[ -n "$victim" ] || bail "fixture-hello rpm not found in the fixture repo"
printf 'garbage' | dd of="$victim" bs=1 seek=2000 conv=notrunc status=none
expect_refused "corrupted RPM" 'fixture-hello.*SHA-256 is [0-9a-f]+, but the repo metadata says' \
  "$(manifest '"fixture-hello"' '{"id": "fixture", "baseurl": "file://'$PL_TMP'/corrupt-repo", "gpgkey": "file://'$FX'/RPM-GPG-KEY-plinth-fixture"}')"

# RPM signed by a key the repo does not trust
expect_refused "RPM signed by an untrusted key" 'fixture-untrusted.*(does not trust|untrusted)' \
  "$(manifest '"fixture-untrusted"' '{"id": "fixture", "baseurl": "file://'$FX'/repo", "gpgkey": "file://'$FX'/RPM-GPG-KEY-plinth-fixture"}, {"id": "other", "baseurl": "file://'$FX'/repo-untrusted", "gpgkey": "file://'$FX'/RPM-GPG-KEY-plinth-fixture"}')"

# an unsigned RPM in a repo that requires signatures
expect_refused "unsigned RPM where signatures are required" 'fixture-unsigned.*not signed, and the repo requires signed packages' \
  "$(manifest '"fixture-unsigned"' '{"id": "fixture", "baseurl": "file://'$FX'/repo", "gpgkey": "file://'$FX'/RPM-GPG-KEY-plinth-fixture"}, {"id": "nosig", "baseurl": "file://'$FX'/repo-unsigned", "gpgkey": "file://'$FX'/RPM-GPG-KEY-plinth-fixture"}')"

expect_refused "failing %post" '%post scriptlet of fixture-badpost-1.0-1.noarch failed' \
  "$(manifest '"fixture-badpost"')"

m="$PL_TMP/malformed.json"
echo '{ "name": "bad", "version": "1", "arch": "x86_64", "ref": "test/bad", "repos": [], "packages": ["a", 3] }' >"$m"
expect_refused "malformed manifest names the field" 'malformed.json: packages\[1\]: expected a string' "$m"

port=$(pl_free_port)
expect_refused "unreachable repo" 'Repo fixture is unreachable: http://127.0.0.1:'$port'/repo/repodata/repomd.xml' \
  "$(manifest '"fixture-hello"' '{"id": "fixture", "baseurl": "http://127.0.0.1:'$port'/repo", "gpgkey": "file://'$FX'/RPM-GPG-KEY-plinth-fixture"}')"

expect_refused "undefined manifest variable" 'variable \$\{nope\} is not defined' \
  "$(manifest '"fixture-hello"' '{"id": "fixture", "baseurl": "${nope}/repo", "unsigned": true}')"

# the unsigned repo is accepted when the manifest says so
m=$(manifest '"fixture-unsigned"' '{"id": "fixture", "baseurl": "file://'$FX'/repo", "gpgkey": "file://'$FX'/RPM-GPG-KEY-plinth-fixture"}, {"id": "nosig", "baseurl": "file://'$FX'/repo-unsigned", "unsigned": true}')
check "a repo marked unsigned is accepted" \
  plinth-build tree "$m" --repo "$REPO" --cachedir "$CACHE" --workdir "$PL_TMP"
check_eq "and its compose is committed" "test/bad" "$(ostree --repo="$REPO" refs)"
