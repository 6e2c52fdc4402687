# Fake-sysroot harness (sourced after tests/lib/tap.sh): a throwaway OSTree sysroot in
# $PL_TMP, built with the stock ostree CLI the way an image build does it, plus a local
# archive repo holding two fixture composes (1.0 and 2.0) made by plinth-build. No root
# filesystem is touched and nothing boots from it: libostree sees a sysroot that is not
# the running system, so deployments are written at once (no staging).
#
#   pl_sysroot_fixture_repo      composes v1/v2 into $PL_FIXTURE_REPO, refs fixture/1.0
#                                and fixture/2.0; sets PL_V1 and PL_V2 (commit checksums)
#   pl_sysroot_new [DIR]         init-fs + os-init plinth, pulls both refs; sets PL_SYSROOT
#   pl_sysroot_deploy REF [ARGS] ostree admin deploy --os plinth REF (ARGS: e.g. --karg=x)
#   pl_sysroot_status            `ostree admin status` of $PL_SYSROOT
#   pl_sysroot_default_commit    the checksum ostree admin status lists first (next boot)
#
# sysroot.bootloader=none is set in the sysroot repo's config: without it libostree
# probes for GRUB/syslinux/u-boot files under the sysroot's /boot and, finding none,
# writes only BLS entries anyway; saying so explicitly keeps the result the same on a
# build host whose own layout might confuse the probe (e.g. a /boot/grub2 in the tree).

PL_SYSROOT_OS=plinth

pl_sysroot_fixture_repo() {
  need_cmd ostree plinth-build gpg gpgconf
  [ -n "${PL_FIXTURE_REPO:-}" ] && return 0
  local fx gnupg keyid out
  fx=$(pl_fixture_rpms)
  PL_FIXTURE_REPO="$PL_TMP/fixture-repo"
  # gpg-agent's socket path must stay short: sign from a copy of the fixture homedir
  gnupg=$(mktemp -d /tmp/plgpg.XXXXXX)
  cp -a "$fx/gnupg/." "$gnupg/"
  at_exit "gpgconf --homedir '$gnupg' --kill all 2>/dev/null; rm -rf '$gnupg'"
  keyid=$(cat "$fx/keyid")
  local v manifest
  for v in 1.0 2.0; do
    if [ $v = 1.0 ]; then manifest=fixture-1.0.json; else manifest=fixture.json; fi
    out=$(plinth-build tree "$PL_TOP/releases/manifests/$manifest" --version $v \
            --define fixture="file://$fx" --repo "$PL_FIXTURE_REPO" \
            --cachedir "$PL_TMP/cache" --workdir "$PL_TMP" \
            --gpg-sign "$keyid" --gpg-homedir "$gnupg" --json 2>"$PL_TMP/compose.err") \
      || bail "composing fixture $v failed" "$(cat "$PL_TMP/compose.err")"
    local csum
    csum=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["commit"])' <<<"$out")
    ostree --repo="$PL_FIXTURE_REPO" refs --create="fixture/$v" "$csum" \
      || bail "creating ref fixture/$v failed"
    if [ $v = 1.0 ]; then PL_V1=$csum; else PL_V2=$csum; fi
  done
  export PL_V1 PL_V2 PL_FIXTURE_REPO
}

pl_sysroot_new() {
  pl_sysroot_fixture_repo
  need_cmd chattr
  PL_SYSROOT=${1:-$PL_TMP/sysroot}
  mkdir -p "$PL_SYSROOT"
  # libostree marks each deployment root immutable (chattr +i); lift that before the
  # work directory is removed
  at_exit "chattr -i '$PL_SYSROOT'/ostree/deploy/*/deploy/*/ 2>/dev/null"
  local log="$PL_TMP/sysroot-setup.log"
  {
    ostree admin init-fs "$PL_SYSROOT" &&
    ostree admin os-init --sysroot="$PL_SYSROOT" "$PL_SYSROOT_OS" &&
    ostree --repo="$PL_SYSROOT/ostree/repo" config set sysroot.bootloader none &&
    # refs keep both commits in the sysroot repo: deploy's cleanup prunes objects that
    # neither a ref nor a deployment holds
    ostree --repo="$PL_SYSROOT/ostree/repo" pull-local "$PL_FIXTURE_REPO" fixture/1.0 fixture/2.0
  } >"$log" 2>&1 || bail "setting up the fake sysroot failed" "$(cat "$log")"
  export PL_SYSROOT
}

pl_sysroot_deploy() {
  local ref=$1; shift
  ostree admin deploy --sysroot="$PL_SYSROOT" --os="$PL_SYSROOT_OS" "$@" "$ref" \
    >"$PL_TMP/deploy.log" 2>&1 || bail "ostree admin deploy $ref failed" "$(cat "$PL_TMP/deploy.log")"
}

pl_sysroot_status() {
  ostree admin status --sysroot="$PL_SYSROOT"
}

# The checksum of the first deployment ostree admin status lists (the next boot):
# lines look like "  plinth <csum>.<serial>" (with "* " for the booted one).
pl_sysroot_default_commit() {
  pl_sysroot_status | awk '$1 == "*" { $1 = "" ; $0 = $0 } $1 == "'"$PL_SYSROOT_OS"'" { split($2, a, "."); print a[1]; exit }'
}

# All deployments' checksums in the order ostree admin status lists them, one a line.
pl_sysroot_commits() {
  pl_sysroot_status | awk '$1 == "*" { $1 = "" ; $0 = $0 } $1 == "'"$PL_SYSROOT_OS"'" { split($2, a, "."); print a[1] }'
}
