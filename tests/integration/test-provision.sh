#!/bin/bash
# Blackbox tests of plinth-provision in the style of Ignition's own: for each case in
# tests/integration/provision/cases/, a config goes in, `plinth-provision --root DIR`
# runs against a fresh fake root, and the resulting tree is checked (paths, contents,
# modes, owners, unit links, passwd/group/shadow lines), or, for an invalid or hostile
# config, the error message is checked and the root must be byte-for-byte and
# timestamp-for-timestamp unchanged, with nothing written outside it either.
source "$(dirname "$0")/../lib/tap.sh"
source "$PL_TOP/tests/integration/provision/lib.sh"

need_root
command -v plinth-provision >/dev/null || bail "build/bin/plinth-provision is missing (run make)"

cases=("$PL_TOP"/tests/integration/provision/cases/*/)
[ ${#cases[@]} -ge 40 ] || bail "expected at least 40 cases, found ${#cases[@]}"
for c in "${cases[@]}"; do
  pl_run_case "${c%/}"
done

# Both AKS paths give the same node files: the aksnodeconfig and the Butane-style
# Ignition config describe one node.
aks_a="$PL_TMP/cases/aks-nodeconfig/root"
aks_b="$PL_TMP/cases/aks-ignition/root"
node_files=(/etc/default/kubelet /var/lib/kubelet/bootstrap-kubeconfig
  /etc/kubernetes/certs/ca.crt /etc/kubernetes/azure.json /etc/containerd/config.toml
  /etc/containerd/certs.d/mcr.microsoft.com/hosts.toml /etc/sysctl.d/60-aks-node.conf
  /etc/modules-load.d/aks-node.conf /etc/systemd/system/kubelet.service.d/10-http-proxy.conf
  /etc/systemd/system/containerd.service.d/10-http-proxy.conf)
diffs=()
for f in "${node_files[@]}"; do
  [ -f "$aks_a$f" ] || { diffs+=("$f missing from the aksnodeconfig run"); continue; }
  cmp -s "$aks_a$f" "$aks_b$f" || diffs+=("$f differs")
  [ "$(stat -c %a:%u:%g "$aks_a$f")" = "$(stat -c %a:%u:%g "$aks_b$f" 2>/dev/null)" ] \
    || diffs+=("$f: mode or owner differ")
done
# and no other file differs between the two trees
tree_a=$(cd "$aks_a" && find . -printf '%y %m %U:%G %p\n' | sort)
tree_b=$(cd "$aks_b" && find . -printf '%y %m %U:%G %p\n' | sort)
[ "$tree_a" = "$tree_b" ] || diffs+=("the trees differ:" "$(diff <(echo "$tree_a") <(echo "$tree_b"))")
if [ ${#diffs[@]} -eq 0 ]; then
  tap_ok "aksnodeconfig and the AKS Ignition config produce identical node trees"
else
  tap_not_ok "aksnodeconfig and the AKS Ignition config produce identical node trees" "${diffs[@]}"
fi
