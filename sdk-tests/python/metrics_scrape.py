"""Scrapes a Prometheus endpoint and parses it with the official client's text parser; prints
one JSON object: {"name{label=value,...}": value} for every sample.

    python metrics_scrape.py URL [BEARER_TOKEN]
"""

import json
import sys
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

req = urllib.request.Request(sys.argv[1])
if len(sys.argv) > 2:
    req.add_header("Authorization", f"Bearer {sys.argv[2]}")
with urllib.request.urlopen(req) as r:
    text = r.read().decode()
out = {}
for family in text_string_to_metric_families(text):
    for s in family.samples:
        labels = ",".join(f"{k}={v}" for k, v in sorted(s.labels.items()))
        out[f"{s.name}{{{labels}}}"] = s.value
print(json.dumps(out))
