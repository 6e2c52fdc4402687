#!/bin/bash
# plinth-provision against a fake Azure on 127.0.0.1 (tests/integration/provision/
# fake-azure.py): IMDS user data with 429 and 500 before success, empty user data
# falling back to OVF media (an ISO 9660 image built here with genisoimage), the OVF
# cache after the media is ejected, the other sources (kernel command line, fw_cfg),
# and the WireServer health report: Ready checked field by field, NotReady with
# ProvisioningFailed for a bad config. No request leaves 127.0.0.1.
source "$(dirname "$0")/../lib/tap.sh"
source "$PL_TOP/tests/integration/provision/lib.sh"

need_root
need_cmd python3 genisoimage plinth-provision
export PLINTH_DEBUG=fast-retries
P=$PL_TOP/tests/integration/provision

# fake_azure NAME SCRIPT_JSON: starts a fake; sets URL and LOG
fake_azure() {
  local dir="$PL_TMP/$1"
  mkdir -p "$dir"
  printf '%s\n' "$2" >"$dir/script.json"
  LOG="$dir/requests.jsonl"
  : >"$LOG"
  python3 "$P/fake-azure.py" "$dir/script.json" "$LOG" "$dir/port" &
  local pid=$!
  at_exit "kill $pid 2>/dev/null"
  for _ in $(seq 100); do [ -f "$dir/port" ] && break; sleep 0.05; done
  [ -f "$dir/port" ] || bail "the fake Azure server did not start"
  URL="http://127.0.0.1:$(cat "$dir/port")"
}

# count METHOD PATH-SUBSTRING: requests in $LOG
count() { python3 -c 'import json,sys; print(sum(1 for l in open(sys.argv[1]) if json.loads(l)["method"]==sys.argv[2] and sys.argv[3] in json.loads(l)["path"]))' "$LOG" "$1" "$2"; }

b64() { base64 -w0 "$@"; }

new_root() { rm -rf "$1"; pl_fake_root "$1"; }

USERDATA_CFG='{"ignition":{"version":"3.4.0"},"storage":{"files":[{"path":"/etc/from-imds","contents":{"source":"data:,imds%0A"}}]}}'

# ---- 1. IMDS: 429, 500, then user data; Ready after goal state 500 then 200 ----
fake_azure imds-retry "{\"imds\": [429, 500, {\"status\": 200, \"body\": \"$(printf '%s' "$USERDATA_CFG" | b64)\"}], \"goalstate\": [500, 200], \"health\": [503, 200]}"
R=$PL_TMP/root1
new_root "$R"
out=$(plinth-provision --root "$R" --cmdline "" --fw-cfg "" --imds-url "$URL" --ovf "" \
  --wireserver-url "$URL" --report-ready --json 2>/dev/null)
rc=$?
check_eq "IMDS user data after 429 and 500: exit status" 0 "$rc"
check_eq "IMDS was asked three times" 3 "$(count GET userData)"
check "every IMDS request had Metadata: true and api-version 2021-01-01" python3 -c '
import json,sys
for l in open(sys.argv[1]):
    r=json.loads(l)
    if "userData" in r["path"]:
        assert r["headers"].get("metadata")=="true", r
        assert "api-version=2021-01-01" in r["path"] and "format=text" in r["path"], r' "$LOG"
check "the file from IMDS user data is written" grep -qx imds "$R/etc/from-imds"
check_eq "the JSON outcome names the source" '"imds"' "$(python3 -c 'import json,sys; print(json.dumps(json.loads(sys.stdin.read())["source"]))' <<<"$out")"
check_eq "goal state fetched twice (500, then 200)" 2 "$(count GET comp=goalstate)"
check_eq "health posted twice (503, then 200)" 2 "$(count POST comp=health)"
check "the Ready report is right field by field" python3 "$P/check-health.py" "$LOG" Ready

# ---- 2. empty user data: the OVF media (an ISO image) gives config, host, user ----
OVFCFG='{"ignition":{"version":"3.4.0"},"storage":{"files":[{"path":"/etc/from-ovf","mode":384,"contents":{"source":"data:,ovf%0A"}}]}}'
mkdir -p "$PL_TMP/ovf"
cat >"$PL_TMP/ovf/ovf-env.xml" <<XML
<?xml version="1.0" encoding="utf-8"?>
<ns0:Environment xmlns:ns0="http://schemas.dmtf.org/ovf/environment/1" xmlns:ns1="http://schemas.microsoft.com/windowsazure" xmlns:i="http://www.w3.org/2001/XMLSchema-instance">
  <ns1:ProvisioningSection>
    <ns1:Version>1.0</ns1:Version>
    <ns1:LinuxProvisioningConfigurationSet>
      <ns1:ConfigurationSetType>LinuxProvisioningConfiguration</ns1:ConfigurationSetType>
      <ns1:HostName>aks-node-0</ns1:HostName>
      <ns1:UserName>azureuser</ns1:UserName>
      <ns1:DisableSshPasswordAuthentication>true</ns1:DisableSshPasswordAuthentication>
      <ns1:SSH>
        <ns1:PublicKeys>
          <ns1:PublicKey>
            <ns1:Fingerprint>0123456789ABCDEF</ns1:Fingerprint>
            <ns1:Path>/home/azureuser/.ssh/authorized_keys</ns1:Path>
            <ns1:Value>ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ azureuser@ovf</ns1:Value>
          </ns1:PublicKey>
        </ns1:PublicKeys>
      </ns1:SSH>
      <ns1:CustomData>$(printf '%s' "$OVFCFG" | b64)</ns1:CustomData>
    </ns1:LinuxProvisioningConfigurationSet>
  </ns1:ProvisioningSection>
  <ns1:PlatformSettingsSection>
    <ns1:Version>1.0</ns1:Version>
    <ns1:PlatformSettings><ns1:ProvisionGuestAgent>false</ns1:ProvisionGuestAgent></ns1:PlatformSettings>
  </ns1:PlatformSettingsSection>
</ns0:Environment>
XML
ISO=$PL_TMP/ovf.iso
genisoimage -quiet -J -R -V rd_rdfe_stable -o "$ISO" "$PL_TMP/ovf" || bail "genisoimage failed"
fake_azure imds-empty '{"imds": [{"status": 200, "body": ""}], "goalstate": [200], "health": [200]}'
R=$PL_TMP/root2
new_root "$R"
out=$(plinth-provision --root "$R" --cmdline "" --fw-cfg "" --imds-url "$URL" --ovf "$ISO" \
  --wireserver-url "$URL" --report-ready 2>&1)
check_eq "empty user data, OVF ISO: exit status" 0 "$?"
check_eq "IMDS asked once (an empty answer is final)" 1 "$(count GET userData)"
check "the file from the OVF CustomData is written (mode 0600)" \
  test "$(stat -c %a "$R/etc/from-ovf" 2>&1)" = 600 -a "$(cat "$R/etc/from-ovf" 2>&1)" = ovf
check_eq "the hostname comes from the OVF media" aks-node-0 "$(cat "$R/etc/hostname" 2>&1)"
check "the OVF admin user exists" grep -qx 'azureuser:x:1000:1000::/home/azureuser:/bin/bash' "$R/etc/passwd"
check_eq "the OVF user's key is in authorized_keys.d/ignition" \
  "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ azureuser@ovf" "$(cat "$R/home/azureuser/.ssh/authorized_keys.d/ignition" 2>&1)"
check_eq "the OVF user may sudo without a password" "azureuser ALL=(ALL) NOPASSWD:ALL" \
  "$(cat "$R/etc/sudoers.d/90-plinth-azureuser" 2>&1)"
check_eq "the media is cached in the root, readable by root only" "600 0:0" \
  "$(stat -c '%a %u:%g' "$R/var/lib/plinth/provision/ovf-env.xml" 2>&1)"
check "the cache is the media's ovf-env.xml" cmp "$PL_TMP/ovf/ovf-env.xml" "$R/var/lib/plinth/provision/ovf-env.xml"
check "Ready reported" python3 "$P/check-health.py" "$LOG" Ready

# ---- 3. the media is ejected: a second run uses the cache ----
out=$(plinth-provision --root "$R" --cmdline "" --fw-cfg "" --imds-url "$URL" --ovf "$PL_TMP/ejected" -v 2>&1)
check_eq "after the media is ejected: exit status" 0 "$?"
check "the second run read the OVF cache" grep -q "Config from ovf /var/lib/plinth/provision/ovf-env.xml" <<<"$out"

# ---- 4. a bad config: NotReady with ProvisioningFailed, nothing written ----
BAD='{"ignition":{"version":"3.4.0"},"storage":{"disks":[{"device":"/dev/sdb"}],"files":[{"path":"/etc/x"}]}}'
fake_azure bad "{\"imds\": [{\"status\": 200, \"body\": \"$(printf '%s' "$BAD" | b64)\"}], \"goalstate\": [200], \"health\": [200]}"
R=$PL_TMP/root4
new_root "$R"
before=$(pl_tree_state "$R")
out=$(plinth-provision --root "$R" --cmdline "" --fw-cfg "" --imds-url "$URL" --ovf "" \
  --wireserver-url "$URL" --report-ready 2>&1)
check_eq "a bad config from IMDS: exit status 2" 2 "$?"
check "NotReady / ProvisioningFailed with the error as description" \
  python3 "$P/check-health.py" "$LOG" NotReady 'storage\.disks: not supported'
check_eq "nothing was written for the bad config" "$before" "$(pl_tree_state "$R")"

# ---- 5. IMDS keeps answering 404: bounded retries at most 5 per second, then on ----
fake_azure imds-404 '{"imds": [404]}'
R=$PL_TMP/root5
new_root "$R"
out=$(plinth-provision --root "$R" --cmdline "" --fw-cfg "" --imds-url "$URL" --ovf "" --json 2>/dev/null)
check_eq "no config anywhere: exit status 0 (an empty config is valid)" 0 "$?"
check_eq "IMDS 404 retried 10 times" 10 "$(count GET userData)"
check "IMDS requests are at least 200 ms apart (5 per second)" python3 -c '
import json,sys
t=[json.loads(l)["time"] for l in open(sys.argv[1])]
gaps=[b-a for a,b in zip(t,t[1:])]
assert min(gaps) >= 0.19, gaps' "$LOG"
check_eq "the outcome says no source had a config" '"none"' "$(python3 -c 'import json,sys; print(json.dumps(json.loads(sys.stdin.read())["source"]))' <<<"$out")"

# ---- 6. the kernel command line and fw_cfg come before IMDS ----
fake_azure untouched '{"imds": [500]}'
echo '{"ignition":{"version":"3.4.0"},"storage":{"files":[{"path":"/etc/from-cmdline","contents":{"source":"data:,c"}}]}}' >"$PL_TMP/cmdline.ign"
echo "BOOT_IMAGE=/vmlinuz ro plinth.config.url=file://$PL_TMP/cmdline.ign console=ttyS0" >"$PL_TMP/cmdline"
R=$PL_TMP/root6
new_root "$R"
plinth-provision --root "$R" --cmdline "$PL_TMP/cmdline" --fw-cfg "" --imds-url "$URL" --ovf "" >/dev/null 2>&1
check_eq "plinth.config.url=file:// is used" c "$(cat "$R/etc/from-cmdline" 2>&1)"
echo '{"ignition":{"version":"3.4.0"},"storage":{"files":[{"path":"/etc/from-fwcfg","contents":{"source":"data:,f"}}]}}' >"$PL_TMP/fwcfg.raw"
echo "BOOT_IMAGE=/vmlinuz ro" >"$PL_TMP/cmdline2"
plinth-provision --root "$R" --cmdline "$PL_TMP/cmdline2" --fw-cfg "$PL_TMP/fwcfg.raw" --imds-url "$URL" --ovf "" >/dev/null 2>&1
check_eq "the QEMU fw_cfg blob is used" f "$(cat "$R/etc/from-fwcfg" 2>&1)"
check_eq "IMDS was not asked when an earlier source had a config" 0 "$(count GET userData)"
echo "ro plinth.config.url=file://$PL_TMP/missing.ign" >"$PL_TMP/cmdline3"
check_fails "a command line URL that cannot be read is an error, not a fallthrough" \
  'plinth\.config\.url=file://.*missing\.ign' \
  plinth-provision --root "$R" --cmdline "$PL_TMP/cmdline3" --fw-cfg "" --imds-url "$URL" --ovf ""

# ---- 7. the WireServer never accepts: provisioned, exit 5 ----
fake_azure ws-down '{"imds": [{"status": 200, "body": ""}], "goalstate": [503]}'
R=$PL_TMP/root7
new_root "$R"
plinth-provision --root "$R" --cmdline "" --fw-cfg "" --imds-url "$URL" --ovf "" \
  --wireserver-url "$URL" --report-ready >/dev/null 2>&1
check_eq "WireServer unreachable after retries: exit status 5" 5 "$?"
check_eq "the goal state was retried 6 times" 6 "$(count GET comp=goalstate)"
