#!/usr/bin/env python3
"""Writes a synthetic nginx access log in the `touchline` format (combined + $request_time).

Usage: make_log.py LINES OUT. Deterministic (seeded). The mix resembles a static site: mostly
GET 200 on pages and fingerprinted assets, some 304/404, query strings, IPv6 clients, escaped
user agents, and about one line in a thousand of junk.
"""
import random
import sys

lines, out = int(sys.argv[1]), sys.argv[2]
rng = random.Random(4)
pages = ["/", "/colombo", "/gandalf", "/tasks"] + [f"/teams/club-{i}" for i in range(20)]
paths = (
    pages
    + [p + "/" for p in pages[1:6]]
    + ["/gandalf/index.html?ref=home", "/?utm_source=feed"]
    + ["/assets/app.1a2b3c4d5e6f.css", "/assets/app.9f8e7d6c5b4a.js", "/favicon.svg", "/robots.txt", "/sitemap.xml"]
    + [f"/badges/club-{i}.svg" for i in range(20)]
    + ["/wp-login.php", "/.env", "/nope?q=" + "x" * 200]
)
weights = [20] * len(pages) + [3] * 5 + [2, 2] + [30, 30, 5, 2, 2] + [4] * 20 + [1, 1, 1]
ips = [f"{rng.randrange(1, 224)}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(256)}" for _ in range(2000)]
ips += [f"2001:db8::{rng.randrange(65536):x}" for _ in range(200)]
agents = [
    "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36",
    "curl/8.5.0",
    r"Go-http-client/1.1 \xE2\x80\x94 probe",
]
referers = ["-", "https://touchline.example/", "https://www.google.com/"]
statuses = ["200"] * 90 + ["304"] * 6 + ["404"] * 3 + ["499"]
months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

with open(out, "w", buffering=1 << 20) as f:
    batch = []
    second = 0
    for i in range(lines):
        if i % 10 == 0:
            second += 1
        if i % 1000 == 999:
            batch.append("\\x16\\x03\\x01 garbage line\n")
            continue
        h, m, s = (second // 3600) % 24, (second // 60) % 60, second % 60
        day = 1 + (second // 86400) % 28
        path = rng.choices(paths, weights)[0]
        status = rng.choice(statuses)
        size = 0 if status == "304" else rng.randrange(200, 60000)
        method = "GET" if rng.random() < 0.97 else "HEAD"
        batch.append(
            f'{rng.choice(ips)} - - [{day:02d}/{months[(second // 2419200) % 12]}/2026:{h:02d}:{m:02d}:{s:02d} +0000] '
            f'"{method} {path} HTTP/1.1" {status} {size} "{rng.choice(referers)}" "{rng.choice(agents)}" '
            f"{rng.randrange(0, 300) / 1000:.3f}\n"
        )
        if len(batch) >= 10000:
            f.write("".join(batch))
            batch.clear()
    f.write("".join(batch))
