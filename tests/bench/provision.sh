#!/bin/bash
# Benchmark: plinth-provision applying a typical AKS Ignition config (30 files, most
# gzip'd base64 data: URLs as Butane makes them; 10 units enabled, 2 with drop-ins;
# 2 users with ssh keys) to a fresh root, against a minimal C loop writing the same
# nodes with the same fsync discipline (tests/bench/provision-baseline.c), side by side.
# Prints medians, the ratio and each side's fsync count. Target: <= 1.5x.
#   tests/bench/provision.sh [RUNS]
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${PL_BUILD:-$top/build}
runs=${1:-20}
[ -x "$build/bin/plinth-provision" ] || { echo "provision.sh: build first (make)" >&2; exit 1; }
for c in cc python3 strace; do command -v $c >/dev/null || { echo "provision.sh: needs $c" >&2; exit 1; }; done
# shellcheck source=../integration/provision/lib.sh
. "$top/tests/integration/provision/lib.sh"

work=$(mktemp -d /var/tmp/plinth-provision-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
cc -O2 -o "$work/baseline" "$top/tests/bench/provision-baseline.c"
pl_fake_root "$work/template"

python3 - "$work/config.json" <<'PY'
import base64, gzip, json, sys, random
random.seed(7)
def blob(i, n):
    words = ["kubelet", "containerd", "azure", "node", "pool", "cgroup", "cni", "pause"]
    return ("\n".join("%s_%d = %s" % (random.choice(words), j, random.choice(words) * 3)
                      for j in range(n)) + "\n").encode()
files = []
for i in range(30):
    data = blob(i, 20 + 10 * (i % 7))
    if i % 3 == 0:   # plain, as Butane writes small inline files
        src = "data:," + data.decode().replace("%", "%25").replace("\n", "%0A").replace(" ", "%20")
        contents = {"source": src}
    else:            # gzip + base64, as Butane writes everything larger
        contents = {"compression": "gzip",
                    "source": "data:;base64," + base64.b64encode(gzip.compress(data, mtime=0)).decode()}
    d = ["/etc/kubernetes", "/etc/containerd", "/etc/sysctl.d", "/etc/modules-load.d",
         "/etc/default", "/var/lib/kubelet"][i % 6]
    files.append({"path": "%s/bench-%02d.conf" % (d, i), "mode": 0o644, "overwrite": True,
                  "contents": contents})
units = []
for i in range(10):
    u = {"name": "bench-%02d.service" % i, "enabled": True,
         "contents": "[Unit]\nDescription=bench %d\n[Service]\nExecStart=/usr/bin/true\n[Install]\nWantedBy=multi-user.target\n" % i}
    if i < 2:
        u["dropins"] = [{"name": "10-env.conf", "contents": "[Service]\nEnvironment=BENCH=%d\n" % i}]
    units.append(u)
users = [{"name": n, "groups": ["wheel"], "sshAuthorizedKeys": ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI%s %s@bench" % ("x" * 40, n)]}
         for n in ("azureuser", "ops")]
json.dump({"ignition": {"version": "3.4.0"}, "storage": {"files": files},
           "systemd": {"units": units}, "passwd": {"users": users}}, open(sys.argv[1], "w"))
PY

# One real run gives the nodes the baseline must write: everything that differs from
# the template, with the same bytes, modes and owners.
cp -a "$work/template" "$work/ref"
"$build/bin/plinth-provision" --root "$work/ref" --config "$work/config.json" >/dev/null
python3 - "$work/template" "$work/ref" "$work/plan" "$work/blobs" <<'PY'
import os, sys, stat, hashlib
tmpl, ref, plan, blobs = sys.argv[1:]
os.makedirs(blobs)
dirs, files, links = [], [], []
for top, dnames, fnames in os.walk(ref):
    for name in dnames + fnames:
        p = os.path.join(top, name)
        rel = os.path.relpath(p, ref)
        t = os.path.join(tmpl, rel)
        st = os.lstat(p)
        if stat.S_ISLNK(st.st_mode):
            if not os.path.lexists(t):
                links.append("l %s %s" % (rel, os.readlink(p)))
        elif stat.S_ISDIR(st.st_mode):
            if not os.path.exists(t):
                dirs.append((rel.count("/"), "d %o %d %d %s" % (stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid, rel)))
        else:
            data = open(p, "rb").read()
            if not os.path.exists(t) or open(t, "rb").read() != data or os.lstat(t).st_mode != st.st_mode:
                b = os.path.join(blobs, hashlib.sha256(rel.encode()).hexdigest())
                open(b, "wb").write(data)
                files.append("f %o %d %d %s %s" % (stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid, rel, b))
with open(plan, "w") as f:
    for _, d in sorted(dirs):
        print(d, file=f)
    for line in files + links:
        print(line, file=f)
print("nodes: %d dirs, %d files, %d links" % (len(dirs), len(files), len(links)))
PY

fsyncs() { strace -f -c -e trace=fsync,fdatasync,syncfs "$@" 2>&1 >/dev/null | awk '/total/ {print $4}'; }
cp -a "$work/template" "$work/s1"; cp -a "$work/template" "$work/s2"
f_plinth=$(fsyncs "$build/bin/plinth-provision" --root "$work/s1" --config "$work/config.json")
f_base=$(fsyncs "$work/baseline" "$work/s2" "$work/plan")

python3 - "$runs" "$work" "$build/bin/plinth-provision" "$f_plinth" "$f_base" <<'PY'
import subprocess, sys, time, shutil, statistics
runs, work, prov, fp, fb = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
def timed(cmd, root):
    shutil.rmtree(root, ignore_errors=True)
    subprocess.run(["cp", "-a", work + "/template", root], check=True)
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0
p, b = [], []
for i in range(runs):
    p.append(timed([prov, "--root", work + "/rp", "--config", work + "/config.json"], work + "/rp"))
    b.append(timed([work + "/baseline", work + "/rb", work + "/plan"], work + "/rb"))
mp, mb = statistics.median(p), statistics.median(b)
print("apply a typical AKS Ignition config (30 files, 10 units, 2 users), median of %d runs" % runs)
print("  plinth-provision:      %6.1f ms   (%s fsync calls)" % (mp * 1000, fp))
print("  minimal C loop:        %6.1f ms   (%s fsync calls)" % (mb * 1000, fb))
print("  ratio plinth/baseline: %6.2fx     (target <= 1.5x)" % (mp / mb))
PY
