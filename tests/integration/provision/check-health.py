#!/usr/bin/env python3
"""Checks the Health document plinth-provision posted, field by field.

    check-health.py LOG.jsonl Ready|NotReady [DESCRIPTION-REGEX]

Reads the last POST to /machine/?comp=health from the fake WireServer's log and
prints one problem per line; exits non-zero when there is any."""
import json
import re
import sys
import xml.etree.ElementTree as ET

log, want = sys.argv[1], sys.argv[2]
posts = [json.loads(l) for l in open(log) if '"POST"' in l]
posts = [p for p in posts if "comp=health" in p["path"]]
problems = []
if not posts:
    print("no health report was posted")
    sys.exit(1)
p = posts[-1]
if p["headers"].get("x-ms-version") != "2012-11-30":
    problems.append("x-ms-version header missing or wrong")
if not p["headers"].get("content-type", "").startswith("text/xml"):
    problems.append("content type is %r" % p["headers"].get("content-type"))
root = ET.fromstring(p["body"])
def text(path):
    e = root.find(path)
    return e.text if e is not None else None
checks = {
    "GoalStateIncarnation": (text("GoalStateIncarnation"), "7"),
    "Container/ContainerId": (text("Container/ContainerId"), "c6d5e2a8-3b1f-4e0c-9d7a-2f8b1e4c6a90"),
    "InstanceId": (text("Container/RoleInstanceList/Role/InstanceId"), "896d1a3b-7c2e-4f5a-b8d9-0e1f2a3b4c5d._aks-node-0"),
    "State": (text("Container/RoleInstanceList/Role/Health/State"), want),
}
if root.tag != "Health":
    problems.append("root element is %s" % root.tag)
for name, (have, expected) in checks.items():
    if have != expected:
        problems.append("%s is %r, expected %r" % (name, have, expected))
details = root.find("Container/RoleInstanceList/Role/Health/Details")
if want == "Ready" and details is not None:
    problems.append("a Ready report has Details")
if want == "NotReady":
    sub = text("Container/RoleInstanceList/Role/Health/Details/SubStatus")
    desc = text("Container/RoleInstanceList/Role/Health/Details/Description") or ""
    if sub != "ProvisioningFailed":
        problems.append("SubStatus is %r" % sub)
    if len(desc) > 3600:
        problems.append("Description has %d characters (> 3600)" % len(desc))
    if len(sys.argv) > 3 and not re.search(sys.argv[3], desc):
        problems.append("Description %r does not match /%s/" % (desc, sys.argv[3]))
for pr in problems:
    print(pr)
sys.exit(1 if problems else 0)
