"""Scrapes a monitoring endpoint with Prometheus's own text parser (prometheus_client).

usage: prometheus_scrape.py BASE_URL

Prints one JSON object: {"health": status, "ready": status, "samples": [{"name", "labels", "value"}]}.
A body the parser refuses makes the script fail (exit 1) with the parser's error.
"""
import json
import sys
import urllib.error
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

base = sys.argv[1]


def status(path):
    try:
        with urllib.request.urlopen(base + path, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


with urllib.request.urlopen(base + "/metrics", timeout=10) as response:
    content_type = response.headers.get("content-type", "")
    text = response.read().decode("utf-8")
samples = []
for family in text_string_to_metric_families(text):
    for sample in family.samples:
        samples.append({"family": family.name, "type": family.type, "name": sample.name,
                        "labels": sample.labels, "value": sample.value})
print(json.dumps({"health": status("/health"), "ready": status("/ready"), "content_type": content_type,
                  "samples": samples}))
