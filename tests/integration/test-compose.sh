#!/bin/bash
# plinth-build tree against the fixture RPM repository, checked with the stock tools:
# ostree fsck/ls/show, rpm -qa on a checkout, getcap, gpg verification; over file://
# and over HTTP from nginx on 127.0.0.1.
source "$(dirname "$0")/../lib/tap.sh"
need_root
need_cmd plinth-build ostree rpm getcap nginx python3

FX=$(pl_fixture_rpms)
MANIFEST="$PL_TOP/releases/manifests/fixture.json"
REF=plinth/fixture/x86_64/stable
# gpg-agent's socket path must stay short: sign from a copy of the fixture homedir
GNUPGHOME=$(mktemp -d /tmp/plgpg.XXXXXX)
cp -a "$FX/gnupg/." "$GNUPGHOME/"
at_exit "gpgconf --homedir '$GNUPGHOME' --kill all 2>/dev/null; rm -rf '$GNUPGHOME'"
KEYID=$(cat "$FX/keyid")
CACHE="$PL_TMP/cache"
REPO="$PL_TMP/repo"

compose() {
  plinth-build tree "$MANIFEST" --cachedir "$CACHE" --workdir "$PL_TMP" "$@"
}

# --- compose over file:// --------------------------------------------------------
out=$(compose --repo "$REPO" --define fixture="file://$FX" --gpg-sign "$KEYID" \
        --gpg-homedir "$GNUPGHOME" --write-lockfile "$PL_TMP/lock.json" --json 2>"$PL_TMP/err") \
  || bail "compose from file:// failed" "$(cat "$PL_TMP/err")"
tap_ok "compose from the fixture repo over file://"
jq() { python3 -c "import json,sys; d=json.load(sys.stdin); print(d$1)"; }
COMMIT=$(jq "['commit']" <<<"$out")
NPKGS=$(jq "['packages']" <<<"$out")
SBOM=$(jq "['sbom']" <<<"$out")
check_eq "the ref points at the new commit" "$COMMIT" "$(ostree --repo="$REPO" rev-parse "$REF")"
check "ostree fsck passes" ostree --repo="$REPO" fsck
check_eq "commit metadata: version" "'2.0'" "$(ostree --repo="$REPO" show --print-metadata-key=version "$COMMIT")"
check_eq "commit metadata: arch" "'x86_64'" "$(ostree --repo="$REPO" show --print-metadata-key=plinth.arch "$COMMIT")"
pkglist=$(ostree --repo="$REPO" show --print-metadata-key=plinth.packages "$COMMIT")
check "commit metadata lists the packages" grep -q "fixture-app-1.1-1.noarch" <<<"$pkglist"
check_eq "commit metadata: kernel" "'6.1.0-fixture'" "$(ostree --repo="$REPO" show --print-metadata-key=ostree.linux "$COMMIT")"
sbom_sum=$(sha256sum "$SBOM" | cut -d' ' -f1)
check_eq "commit metadata carries the SBOM's checksum" "'$sbom_sum'" \
  "$(ostree --repo="$REPO" show --print-metadata-key=plinth.sbom-sha256 "$COMMIT")"

# layout, as the stock CLI sees it
ls_() { ostree --repo="$REPO" ls "$COMMIT" "$@" 2>&1; }
check "/usr/etc holds the configuration" grep -q "/usr/etc/passwd" <<<"$(ls_ -R /usr/etc)"
check "/etc is gone from the commit" bash -c "! ostree --repo='$REPO' ls '$COMMIT' /etc >/dev/null 2>&1"
check_eq "/var is empty" "" "$(ls_ /var | grep -v ' /var$')"
for l in "home var/home" "root var/roothome" "opt var/opt" "srv var/srv" "mnt var/mnt" "ostree sysroot/ostree"; do
  set -- $l
  check "/$1 is a symlink to $2" grep -qE " /$1 -> $2\$" <<<"$(ls_ -d /$1)"
done
check "tmpfiles.d recreates /var" grep -q "^d /var/home" <<<"$(ostree --repo="$REPO" cat "$COMMIT" /usr/lib/tmpfiles.d/plinth-var.conf)"
check "kernel at /usr/lib/modules/KVER/vmlinuz" ls_ /usr/lib/modules/6.1.0-fixture/vmlinuz
check "initramfs at /usr/lib/modules/KVER/initramfs.img" ls_ /usr/lib/modules/6.1.0-fixture/initramfs.img
check "os-release from the manifest" grep -q '^VERSION_ID="\{0,1\}2.0"\{0,1\}$' <<<"$(ostree --repo="$REPO" cat "$COMMIT" /usr/lib/os-release)"

# owners and capabilities survive into the commit
owned=$(ls_ /usr/share/fixture-owned/secret 2>/dev/null || ls_ -R /usr/share | grep fixture-owned | head -1)
co="$PL_TMP/co"
ostree --repo="$REPO" checkout "$COMMIT" "$co" >/dev/null 2>&1 || bail "ostree checkout failed"
tap_ok "ostree checkout of the commit"
owned_file=$(rpm --root "$co" --dbpath /usr/lib/sysimage/rpm -ql fixture-owned | while read -r f; do
  [ -f "$co$f" ] && [ "$(stat -c %u "$co$f")" = 990 ] && echo "$f"; done | head -1)
check "a file of fixture-owned is owned by uid 990 (fixtured)" test -n "$owned_file"
caps_file=$(rpm --root "$co" --dbpath /usr/lib/sysimage/rpm -ql fixture-caps | grep /usr/bin/ | head -1)
check "file capabilities survive (getcap $caps_file)" grep -q cap_net_raw <<<"$(getcap "$co$caps_file")"

# the rpm database on a checkout knows every package
n_rpm=$(rpm --root "$co" --dbpath /usr/lib/sysimage/rpm -qa | wc -l)
check_eq "rpm -qa on a checkout lists every package" "$NPKGS" "$n_rpm"
# A deployed node has /etc (from /usr/etc); with it, rpm can resolve owner names and
# the files must verify (mtimes aside: OSTree checkouts carry none).
cp -a "$co/usr/etc" "$co/etc"
check "rpm -V: modes, owners, digests and capabilities as packaged" \
  rpm --root "$co" --dbpath /usr/lib/sysimage/rpm -V --nomtime fixture-hello fixture-caps fixture-perms fixture-hardlinks

# scriptlets ran inside the root
for p in fixture-scripts fixture-webapp; do
  check "%post of $p left its marker" test -e "$co/usr/share/fixture-post/$p.ran"
done
check "the Lua scriptlet ran" bash -c "grep -rqs lua '$co/usr/share/fixture-post/' '$co/usr/lib/fixture-lua' 2>/dev/null || ls '$co'/usr/share/fixture-post/ | grep -q lua"
check "%pre, %post and %posttrans ran in order" grep -qz "pre 1.*post 1.*posttrans" "$co/usr/lib/fixture-scripts/log"

# the GPG signature verifies with the stock CLI
ostree --repo="$REPO" remote add --gpg-import="$FX/RPM-GPG-KEY-plinth-fixture" verify "file://$REPO" >/dev/null
check "ostree verifies the commit's GPG signature" \
  grep -q "Good signature" <<<"$(ostree --repo="$REPO" show --gpg-verify-remote=verify "$COMMIT" 2>&1)"

# the SBOM
check "SBOM is SPDX 2.3 with one package per RPM" python3 - "$SBOM" "$NPKGS" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["spdxVersion"] == "SPDX-2.3", d["spdxVersion"]
rpms = [p for p in d["packages"] if any(r.get("referenceLocator", "").startswith("pkg:rpm/") for r in p.get("externalRefs", []))]
assert len(rpms) == int(sys.argv[2]), (len(rpms), sys.argv[2])
for p in rpms:
    assert p["checksums"][0]["algorithm"] == "SHA256" and len(p["checksums"][0]["checksumValue"]) == 64
    assert p["versionInfo"] and p["licenseDeclared"]
PY

# --- compose over HTTP from nginx ------------------------------------------------
pl_nginx_start "$FX"
out2=$(compose --repo "$PL_TMP/repo-http" --define fixture="$PL_HTTP_URL" --json 2>"$PL_TMP/err") \
  || bail "compose over HTTP failed" "$(cat "$PL_TMP/err")"
tap_ok "compose from the fixture repo over HTTP (nginx on 127.0.0.1)"
check_eq "same packages over HTTP as over file://" "$NPKGS" "$(jq "['packages']" <<<"$out2")"
check "packages were fetched through nginx" grep -q "GET /repo/.*\.rpm" "$PL_TMP/nginx/logs/access.log"
check "unsigned compose: ostree fsck passes" ostree --repo="$PL_TMP/repo-http" fsck

# --- compose over HTTPS: the repo's own CA via sslcacert ---------------------------
python3 - "$PL_TOP/releases/manifests/fixture.json" "$PL_TMP/https.json" "$PL_TLS_CA" <<'PY'
import json, sys, os
# the fixture manifest's packages and repo, with the repo trusting the test CA
base = json.load(open(os.path.join(os.path.dirname(sys.argv[1]), "fixture-common.json")))
m = dict(base, version="2.0", packages=base["packages"] + ["fixture-app"])
m["repos"] = [dict(base["repos"][0], sslcacert=sys.argv[3])]
json.dump(m, open(sys.argv[2], "w"))
PY
check "compose from the fixture repo over HTTPS with the repo's sslcacert" \
  plinth-build tree "$PL_TMP/https.json" --repo "$PL_TMP/repo-https" --define fixture="$PL_HTTPS_URL" \
    --cachedir "$PL_TMP/cache-https"
python3 - "$PL_TMP/https.json" "$PL_TMP/https-noca.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
del m["repos"][0]["sslcacert"]
json.dump(m, open(sys.argv[2], "w"))
PY
check_fails "HTTPS without trusting the repo's CA is refused" \
  'Repo fixture is unreachable: https://127.0.0.1:[0-9]+/repo/repodata/repomd.xml: SSL certificate problem[^(]*$' \
  plinth-build tree "$PL_TMP/https-noca.json" --repo "$PL_TMP/repo-https2" --define fixture="$PL_HTTPS_URL" \
    --cachedir "$PL_TMP/cache-https2"
check_eq "and commits nothing" "" "$(ostree --repo="$PL_TMP/repo-https2" refs 2>/dev/null)"
