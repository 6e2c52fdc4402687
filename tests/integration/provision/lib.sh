# Helpers for the plinth-provision blackbox tests (sourced after tests/lib/tap.sh).
# A case is a folder: config.json (the config given with --config), optional `args`
# (extra options, one line), optional `setup` (bash, sourced with ROOT and OUTSIDE set,
# to shape the root before the run), and either `expect` (bash, sourced after a
# successful run, calling the expect_* helpers below) or `should-fail` (an extended
# regex the error must match; the run must fail and change nothing at all).

# pl_fake_root DIR: a small root like an image's: passwd, group, shadow and gshadow
# with root and a few system users and groups.
pl_fake_root() {
  local r=$1
  mkdir -p "$r/etc" "$r/usr/lib/systemd/system" "$r/var"
  cat >"$r/etc/passwd" <<'P'
root:x:0:0:root:/root:/bin/bash
bin:x:1:1:bin:/bin:/sbin/nologin
daemon:x:2:2:daemon:/sbin:/sbin/nologin
nobody:x:65534:65534:Kernel Overflow User:/:/sbin/nologin
P
  cat >"$r/etc/group" <<'G'
root:x:0:
bin:x:1:
daemon:x:2:
wheel:x:10:
docker:x:990:
nobody:x:65534:
G
  cat >"$r/etc/shadow" <<'S'
root:!locked::0:99999:7:::
bin:*:19000:0:99999:7:::
daemon:*:19000:0:99999:7:::
nobody:*:19000:0:99999:7:::
S
  cat >"$r/etc/gshadow" <<'GS'
root:::
bin:::
daemon:::
wheel:::
docker:!::
nobody:::
GS
  chmod 0644 "$r/etc/passwd" "$r/etc/group"
  chmod 0000 "$r/etc/shadow" "$r/etc/gshadow"
}

# pl_tree_state DIR: every node with type, mode, owner, size, mtime, link target and
# content hash, so that "nothing was written" can be checked exactly.
pl_tree_state() {
  (cd "$1" && find . -printf '%y %m %U:%G %s %T@ %p -> %l\n' | sort -k6 &&
    find . -type f -exec sha256sum {} + | sort -k2)
}

_expect_errors=()
_expect_fail() { _expect_errors+=("$*"); }

_stat() { stat -c "$1" "$ROOT$2" 2>/dev/null; }

# expect_file PATH MODE UID:GID [CONTENT]: a regular file; CONTENT takes printf %b
# escapes (\n).
expect_file() {
  local p=$1 mode=$2 owner=$3
  [ -f "$ROOT$p" ] && [ ! -L "$ROOT$p" ] || { _expect_fail "$p: not a regular file"; return; }
  [ "$(_stat %a "$p")" = "$mode" ] || _expect_fail "$p: mode $(_stat %a "$p"), expected $mode"
  [ "$(_stat %u:%g "$p")" = "$owner" ] || _expect_fail "$p: owner $(_stat %u:%g "$p"), expected $owner"
  if [ $# -ge 4 ]; then
    local want
    want=$(printf '%b' "$4"; printf x)
    local have
    have=$(cat "$ROOT$p"; printf x)
    [ "$have" = "$want" ] || _expect_fail "$p: contents differ:" "$(diff <(printf '%s' "${want%x}") "$ROOT$p" | head -20)"
  fi
}

# expect_same PATH FILE: the file at PATH has exactly the bytes of FILE (case-relative).
expect_same() {
  cmp -s "$ROOT$1" "$CASE/$2" || _expect_fail "$1: differs from $2:" "$(diff "$CASE/$2" "$ROOT$1" 2>&1 | head -20)"
}

expect_dir() {
  local p=$1 mode=$2 owner=$3
  [ -d "$ROOT$p" ] && [ ! -L "$ROOT$p" ] || { _expect_fail "$p: not a directory"; return; }
  [ "$(_stat %a "$p")" = "$mode" ] || _expect_fail "$p: mode $(_stat %a "$p"), expected $mode"
  [ "$(_stat %u:%g "$p")" = "$owner" ] || _expect_fail "$p: owner $(_stat %u:%g "$p"), expected $owner"
}

expect_link() {
  [ -L "$ROOT$1" ] || { _expect_fail "$1: not a symlink"; return; }
  [ "$(readlink "$ROOT$1")" = "$2" ] || _expect_fail "$1: points to $(readlink "$ROOT$1"), expected $2"
}

expect_hardlink() {
  [ "$(_stat %i "$1")" = "$(_stat %i "$2")" ] || _expect_fail "$1 and $2 are not the same inode"
}

expect_absent() {
  [ ! -e "$ROOT$1" ] && [ ! -L "$ROOT$1" ] || _expect_fail "$1 exists"
}

# expect_line FILE LINE: FILE (in the root) has LINE exactly.
expect_line() {
  grep -qxF -- "$2" "$ROOT$1" 2>/dev/null || _expect_fail "$1 has no line '$2':" "$(cat "$ROOT$1" 2>&1)"
}

expect_no_line() {
  ! grep -qxF -- "$2" "$ROOT$1" 2>/dev/null || _expect_fail "$1 has the line '$2'"
}

# expect_output REGEX: the program's output matched REGEX.
expect_output() {
  grep -Eq -- "$1" <<<"$OUTPUT" || _expect_fail "output does not match /$1/:" "$OUTPUT"
}

# pl_run_case CASE_DIR: one TAP result for the case.
pl_run_case() {
  local case=$1 name
  name=$(basename "$case")
  local work="$PL_TMP/cases/$name"
  ROOT="$work/root" OUTSIDE="$work/outside" CASE="$case"
  mkdir -p "$OUTSIDE"
  echo "outside the root" >"$OUTSIDE/sentinel"
  pl_fake_root "$ROOT"
  if [ -f "$case/setup" ]; then
    # shellcheck disable=SC1091
    (set -e; source "$case/setup") || { tap_not_ok "$name: setup failed"; return; }
  fi
  local args=()
  [ -f "$case/args" ] && read -r -a args <"$case/args"
  local before_root before_work
  before_root=$(pl_tree_state "$ROOT")
  before_work=$(cd "$work" && find . -path ./root -prune -o -printf '%y %m %s %T@ %p\n' | sort)
  local rc=0
  OUTPUT=$(plinth-provision --root "$ROOT" --config "$case/config.json" "${args[@]}" 2>&1) || rc=$?
  _expect_errors=()
  local after_work
  after_work=$(cd "$work" && find . -path ./root -prune -o -printf '%y %m %s %T@ %p\n' | sort)
  [ "$before_work" = "$after_work" ] || _expect_fail "something changed outside the root:" \
    "$(diff <(echo "$before_work") <(echo "$after_work"))"
  if [ -f "$case/should-fail" ]; then
    local re
    re=$(cat "$case/should-fail")
    [ $rc -ne 0 ] || _expect_fail "expected a failure, but it succeeded"
    grep -Eq -- "$re" <<<"$OUTPUT" || _expect_fail "the message does not match /$re/"
    local after_root
    after_root=$(pl_tree_state "$ROOT")
    [ "$before_root" = "$after_root" ] || _expect_fail "the root changed although the run failed:" \
      "$(diff <(echo "$before_root") <(echo "$after_root") | head -20)"
  else
    [ $rc -eq 0 ] || _expect_fail "exit status $rc"
    if [ $rc -eq 0 ]; then
      # shellcheck disable=SC1091
      source "$case/expect"
    fi
  fi
  if [ ${#_expect_errors[@]} -eq 0 ]; then
    tap_ok "$name"
    [ -f "$case/should-fail" ] && tap_diag "$name: $(grep -m1 -E -- "$(cat "$case/should-fail")" <<<"$OUTPUT")"
  else
    tap_not_ok "$name" "${_expect_errors[@]}" "output: $OUTPUT"
  fi
  return 0
}
