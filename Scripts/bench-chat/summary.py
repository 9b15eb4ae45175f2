#!/usr/bin/env python3
"""Prints one bench-chat run (summary.py run NAME JSON) or the grest/node ratios (summary.py compare GREST NODE)."""
import json
import sys

if sys.argv[1] == "run":
    name, r = sys.argv[2], json.loads(sys.argv[3])
    print(f"{name:<6} {r['rate']:>4} msg/s  pushes/s {r['pushesPerSecond']:>9.0f}  delivered {r['delivered']}/{r['expected']}  "
          f"all-received p50 {r['allReceivedP50'] or 0:7.1f} ms  p99 {r['allReceivedP99'] or 0:7.1f} ms  "
          f"RSS/client {r['rssPerClient'] / 1024:6.1f} KiB")
else:
    g, n = json.loads(sys.argv[2]), json.loads(sys.argv[3])
    p99 = (g["allReceivedP99"] or 0) / max(n["allReceivedP99"] or 0, 1e-9)
    print(f"       grest/node pushes/s {g['pushesPerSecond'] / n['pushesPerSecond']:.2f}x (target >= 1.0)   "
          f"p99 grest/node {p99:.2f}x (target <= 2)")
