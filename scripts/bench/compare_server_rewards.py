#!/usr/bin/env python3
"""Posts every benchmark payload to two /get_reward URLs and reports how often the rewards agree.

  compare_server_rewards.py PAYLOAD_DIR URL_A URL_B
"""
import glob
import json
import sys
import urllib.request


def rewards(url, body):
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.load(response)["rewards"]


directory, url_a, url_b = sys.argv[1:4]
same = total = 0
for path in sorted(glob.glob(f"{directory}/get_reward_*.json")):
    body = open(path, "rb").read()
    a, b = rewards(url_a, body), rewards(url_b, body)
    same += sum(1 for x, y in zip(a, b) if abs(x - y) < 1e-9)
    total += len(a)
print(f"agreement    RewardKit vs peer rewards: {same}/{total} items identical ({100 * same / total:.1f}%)")
