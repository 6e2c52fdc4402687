#!/bin/bash
# make demo: Plinth's main job so far, end to end on this machine, told for a person.
# Builds the fixture RPM repository, composes two releases of the fixture image from
# it with `plinth-build tree` (signed), and shows what came out.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${PL_BUILD:-$top/build}
export PATH="$build/bin:$PATH"
demo="$build/demo"

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
[ "$(id -u)" -eq 0 ] || { echo "make demo composes images (rpm scriptlets run in a chroot): run as root" >&2; exit 1; }

say "1. Build the fixture RPM repository (rpmbuild + createrepo_c, signed with a throwaway key)"
fx="$build/fixtures/rpms"
"$top/tests/fixtures/rpms/build-repo.sh" "$fx"
echo "   $(ls "$fx"/repo/*.rpm | wc -l) signed RPMs in $fx/repo"

rm -rf "$demo"
mkdir -p "$demo"
gnupg=$(mktemp -d /tmp/plinth-demo-gpg.XXXXXX)   # gpg-agent wants a short socket path
trap 'gpgconf --homedir "$gnupg" --kill all 2>/dev/null; rm -rf "$gnupg"' EXIT
cp -a "$fx/gnupg/." "$gnupg/"
key=$(cat "$fx/keyid")

compose() {
  local manifest=$1 name=$2
  plinth-build tree "$top/releases/manifests/$manifest" --repo "$demo/repo" \
    --define fixture="file://$fx" --gpg-sign "$key" --gpg-homedir "$gnupg" \
    --cachedir "$demo/cache" --workdir "$demo" --write-lockfile "$demo/$name.lock.json"
}

say "2. Compose release 1.0 (releases/manifests/fixture-1.0.json)"
compose fixture-1.0.json v1
v1=$(ostree --repo="$demo/repo" rev-parse plinth/fixture/x86_64/stable)

say "3. Compose release 2.0 (releases/manifests/fixture.json: fixture-app 1.1)"
compose fixture.json v2
v2=$(ostree --repo="$demo/repo" rev-parse plinth/fixture/x86_64/stable)

say "4. What the stock ostree CLI sees"
ostree --repo="$demo/repo" log plinth/fixture/x86_64/stable | grep -E '^commit|Version|^ +plinth' | sed 's/^/   /'
echo "   ostree fsck: $(ostree --repo="$demo/repo" fsck 2>&1 | tail -1)"
ostree --repo="$demo/repo" remote add --if-not-exists --gpg-import="$fx/RPM-GPG-KEY-plinth-fixture" demo "file://$demo/repo" 2>/dev/null
echo "   signature:   $(ostree --repo="$demo/repo" show --gpg-verify-remote=demo "$v2" 2>&1 | grep -m1 -o 'Good signature from.*')"
echo "   files that changed from 1.0 to 2.0:"
ostree --repo="$demo/repo" diff "$v1" "$v2" | grep -v sysimage/rpm | sed 's/^/     /'
echo "   packages that changed:"
diff <(python3 -c 'import json,sys; [print(p["nevra"]) for p in json.load(open(sys.argv[1]))["packages"]]' "$demo/v1.lock.json") \
     <(python3 -c 'import json,sys; [print(p["nevra"]) for p in json.load(open(sys.argv[1]))["packages"]]' "$demo/v2.lock.json") \
  | grep '^[<>]' | sed 's/^/     /' || true

say "5. The SBOM of release 2.0 (SPDX 2.3)"
python3 - "$demo/repo/sbom/$v2.spdx.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
rpms = [p for p in d["packages"] if p.get("externalRefs")]
print("   %s: %s, %d packages, e.g." % (sys.argv[1], d["spdxVersion"], len(rpms)))
for p in rpms[:3]:
    print("     %-22s %-10s %-18s %s" % (p["name"], p["versionInfo"], p["licenseDeclared"], p["externalRefs"][0]["referenceLocator"]))
PY

say "6. Publish both releases to a static site (signed index, single-file deltas)"
for v in "$v1" "$v2"; do
  plinth-build publish --repo "$demo/repo" --ref "$v" --site "$demo/site" --stream stable \
    --arch x86_64 --gpg-sign "$key" --gpg-homedir "$gnupg" >/dev/null
done
python3 - "$demo/site/stable/x86_64/index.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
print("   %s: serial %d, expires %s" % (sys.argv[1], d["serial"], d["expires"]))
for r in d["releases"]:
    print("     release %-4s commit %.12s  deltas: %s" % (r["version"], r["commit"],
          ", ".join("%s (%d bytes)" % (x["path"], x["size"]) for x in r.get("deltas", [])) or "none"))
PY
gpg --homedir "$gnupg" --verify "$demo/site/stable/x86_64/index.json.asc" "$demo/site/stable/x86_64/index.json" 2>&1 \
  | grep -m1 'Good signature' | sed 's/^gpg: /   index signature: /'
echo "   the site is plain files: serve $demo/site with any web server"

say "Done. Next in the story (update a node, boot, roll back) as the agent and boot work land."
