#!/usr/bin/env python3
"""Writes LINES access log lines in which every line has a new path (a 404), a new referring
host and a new user agent: the worst case for the sidecar's bounded tables and caches.
Usage: junk_log.py LINES OUT."""
import sys

lines, out = int(sys.argv[1]), sys.argv[2]
with open(out, "w", buffering=1 << 20) as f:
    for i in range(lines):
        f.write(
            f'10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255} - - [23/Nov/2026:15:32:11 +0000] '
            f'"GET /junk/{i:x}/page HTTP/1.1" 404 150 "https://h{i:x}.example/p" '
            f'"Mozilla/5.0 (junk {i:x}) Gecko/20100101 Firefox/128.0" 0.001\n'
        )
