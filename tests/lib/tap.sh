# Shell test library for Plinth's integration and e2e tests (sourced, bash). It prints
# TAP, makes a throwaway work directory, and starts real servers on 127.0.0.1 that are
# stopped when the test exits. A tool a test needs that is missing is a failure with a
# message saying what to install, never a silent skip.

set -uo pipefail

PL_TOP=${PL_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
PL_BUILD=${PL_BUILD:-$PL_TOP/build}
export PATH="$PL_BUILD/bin:$PATH"

_tap_n=0
_tap_failed=0
_tap_cleanups=()

tap_ok() { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n - $*"; }
tap_not_ok() {
  _tap_n=$((_tap_n + 1)); _tap_failed=$((_tap_failed + 1))
  echo "not ok $_tap_n - $1"
  shift
  [ $# -gt 0 ] && printf '%s\n' "$@" | sed 's/^/#   /'
  return 0
}
tap_skip() { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n - $1 # SKIP ${2:-}"; }
tap_diag() { printf '%s\n' "$@" | sed 's/^/# /'; }

_tap_finish() {
  local rc=$?
  local i
  for ((i = ${#_tap_cleanups[@]} - 1; i >= 0; i--)); do eval "${_tap_cleanups[$i]}" || true; done
  if [ $_tap_n -eq 0 ]; then
    echo "not ok 1 - the test script ended before any check (status $rc)"
    _tap_n=1
  fi
  echo "1..$_tap_n"
}
trap _tap_finish EXIT
at_exit() { _tap_cleanups+=("$1"); }

# Stops the script with a failure: for setup steps whose failure makes the rest moot.
bail() { tap_not_ok "$@"; exit 1; }

# check DESC CMD...: ok when CMD exits 0; its output is shown on failure.
check() {
  local desc=$1; shift
  local out
  if out=$("$@" 2>&1); then tap_ok "$desc"; return 0; fi
  tap_not_ok "$desc" "command: $*" "$out"
  return 1
}

# check_fails DESC REGEX CMD...: ok when CMD fails and its stderr+stdout match REGEX.
check_fails() {
  local desc=$1 re=$2; shift 2
  local out rc
  out=$("$@" 2>&1); rc=$?
  if [ $rc -eq 0 ]; then tap_not_ok "$desc" "expected failure, but it succeeded: $*" "$out"; return 1; fi
  if ! grep -Eq -- "$re" <<<"$out"; then
    tap_not_ok "$desc" "failed (status $rc) but the message does not match /$re/:" "$out"; return 1
  fi
  tap_ok "$desc"
  tap_diag "message: $(grep -E -m1 -- "$re" <<<"$out")"
}

# check_eq DESC EXPECTED ACTUAL
check_eq() {
  if [ "$2" = "$3" ]; then tap_ok "$1"; else tap_not_ok "$1" "expected: $2" "actual:   $3"; fi
}

need_cmd() {
  local c
  for c in "$@"; do
    command -v "$c" >/dev/null 2>&1 || bail "this test needs '$c', which is not installed (run tests/install-deps.sh)"
  done
}

need_root() {
  [ "$(id -u)" -eq 0 ] || bail "this test needs root (it installs RPMs into a chroot and keeps file owners)"
}

# A work directory removed at exit unless PL_KEEP_TMP=1.
PL_TMP=$(mktemp -d "${TMPDIR:-/tmp}/plinth-test.XXXXXX")
at_exit '[ "${PL_KEEP_TMP:-0}" = 1 ] && echo "# kept $PL_TMP" || rm -rf "$PL_TMP"'

# The fixture RPM repository, built once per build directory and reused.
pl_fixture_rpms() {
  local out="$PL_BUILD/fixtures/rpms"
  "$PL_TOP/tests/fixtures/rpms/build-repo.sh" "$out" >&2 || bail "building the fixture RPM repository failed"
  echo "$out"
}

pl_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# A throwaway CA and a server certificate for 127.0.0.1, for HTTPS tests.
_pl_make_tls() {
  local dir=$1
  need_cmd openssl
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj "/CN=Plinth test CA" -keyout "$dir/ca.key" -out "$dir/ca.pem" 2>/dev/null \
    || bail "openssl could not make a test CA"
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -subj "/CN=127.0.0.1" -keyout "$dir/server.key" -out "$dir/server.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$dir/san.ext"
  openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" \
    -CAcreateserial -days 2 -extfile "$dir/san.ext" -out "$dir/server.pem" 2>/dev/null \
    || bail "openssl could not sign the test server certificate"
}

# pl_nginx_start ROOT: serves ROOT on http://127.0.0.1:$PL_HTTP_PORT and, with a test
# CA in $PL_TLS_CA, on https://127.0.0.1:$PL_HTTPS_PORT until the test exits.
pl_nginx_start() {
  local root=$1 dir="$PL_TMP/nginx"
  need_cmd nginx
  mkdir -p "$dir/logs" "$dir/tmp"
  _pl_make_tls "$dir"
  PL_HTTP_PORT=$(pl_free_port)
  PL_HTTPS_PORT=$(pl_free_port)
  cat >"$dir/nginx.conf" <<NGINX
daemon on;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/logs/error.log;
events { worker_connections 64; }
http {
  access_log $dir/logs/access.log;
  client_body_temp_path $dir/tmp/body;
  proxy_temp_path $dir/tmp/proxy;
  fastcgi_temp_path $dir/tmp/fastcgi;
  uwsgi_temp_path $dir/tmp/uwsgi;
  scgi_temp_path $dir/tmp/scgi;
  types { application/json json; application/octet-stream rpm; }
  server {
    listen 127.0.0.1:$PL_HTTP_PORT;
    root $root;
    autoindex on;
  }
  server {
    listen 127.0.0.1:$PL_HTTPS_PORT ssl;
    ssl_certificate $dir/server.pem;
    ssl_certificate_key $dir/server.key;
    root $root;
  }
}
NGINX
  nginx -c "$dir/nginx.conf" -p "$dir" 2>"$dir/logs/start.log" \
    || bail "starting nginx failed: $(cat "$dir/logs/start.log")"
  at_exit "kill \$(cat '$dir/nginx.pid' 2>/dev/null) 2>/dev/null"
  export PL_HTTP_PORT PL_HTTPS_PORT
  PL_HTTP_URL="http://127.0.0.1:$PL_HTTP_PORT"
  PL_HTTPS_URL="https://127.0.0.1:$PL_HTTPS_PORT"
  PL_TLS_CA="$dir/ca.pem"
}
