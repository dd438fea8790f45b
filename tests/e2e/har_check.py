"""Validate a HAR file with haralyzer (a HAR parsing library) and print a summary as JSON."""
import json
import sys

from haralyzer import HarParser

with open(sys.argv[1]) as f:
    data = json.load(f)
parser = HarParser(data)
entries = parser.har_data["entries"]
log = data["log"]
assert log["version"] == "1.2", log["version"]
assert log["creator"]["name"] == "badreq"
out = []
for entry in entries:
    for key in ("startedDateTime", "time", "request", "response", "cache", "timings"):
        assert key in entry, f"entry lacks {key}"
    out.append({
        "url": entry["request"]["url"],
        "status": entry["response"]["status"],
        "diagnoses": [d["rule"] for d in entry.get("_diagnoses", [])],
    })
print(json.dumps({"entries": out, "pages": len(parser.pages)}))
