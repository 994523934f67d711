#!/usr/bin/env python3
"""Counts an nginx access log (combined, optionally + $request_time) independently of the
sidecar: its own line regex, its own list of bot user agents, its own URL handling.

Usage: count.py LOG SITE_HOST. Prints JSON: requests by client class, referrals by host
(empty referers and SITE_HOST excluded), 404s by path and referer kind, and distinct
visitors (address, user agent) of the log's latest UTC day, site-wide and by path, humans
and bots apart, with the lines older than the day before the latest seen so far (late).
"""
import json
import re
import sys
from collections import Counter, defaultdict
from datetime import datetime, timezone
from urllib.parse import unquote, urlsplit

LINE = re.compile(
    r'^(\S+) - (.*?) \[([^\]]+)\] "((?:[^"\\]|\\.)*)" (\d{3}) (\d+|-) '
    r'"((?:[^"\\]|\\.)*)" "((?:[^"\\]|\\.)*)"(?: [0-9.]+|-)?$'
)

# Tokens of well-known bots, by class: written by hand from the bots' own documentation,
# deliberately not taken from the list the sidecar vendors.
BOTS = [
    ("GPTBot", "ai_crawler"),
    ("ChatGPT-User", "ai_crawler"),
    ("ClaudeBot", "ai_crawler"),
    ("CCBot", "ai_crawler"),
    ("PerplexityBot", "ai_crawler"),
    ("Bytespider", "ai_crawler"),
    ("Feedly", "feed_reader"),
    ("NewsBlur", "feed_reader"),
    ("Inoreader", "feed_reader"),
    ("UptimeRobot", "monitor"),
    ("Pingdom", "monitor"),
    ("Googlebot", "crawler"),
    ("bingbot", "crawler"),
    ("YandexBot", "crawler"),
    ("DuckDuckBot", "crawler"),
    ("curl/", "other"),
    ("python-requests/", "other"),
    ("Wget/", "other"),
]


def client(ua):
    if ua in ("", "-"):
        return "other"
    for token, cls in BOTS:
        if token in ua:
            return cls
    return "human"


def page(target):
    # An origin-form target: the path ends at the query or fragment ("//x" is a path here,
    # not a network location as urlsplit would read it).
    path = unquote(re.split("[?#]", target, maxsplit=1)[0])
    path = re.sub("/+", "/", path)
    if path.endswith("/index.html"):
        path = path[: -len("index.html")]
    if len(path) > 1:
        path = path.rstrip("/")
    return path


def utc_day(time_local):
    return datetime.strptime(time_local, "%d/%b/%Y:%H:%M:%S %z").astimezone(timezone.utc).date()


def main():
    log, site = sys.argv[1], sys.argv[2].lower()
    clients, referrals, not_found = Counter(), Counter(), Counter()
    # day -> set of (address, agent), and day -> path -> set of them: plain tuples, no hashing.
    site_visitors, path_visitors = defaultdict(set), defaultdict(lambda: defaultdict(set))
    latest, late = None, 0
    with open(log, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = LINE.match(line.rstrip("\n"))
            if not m:
                continue
            request, status, referer, ua = m.group(4), m.group(5), m.group(7), m.group(8)
            clients[client(ua)] += 1
            day = utc_day(m.group(3))
            if latest is not None and (latest - day).days >= 2:
                late += 1
            else:
                latest = day if latest is None else max(latest, day)
                kind = "human" if client(ua) == "human" else "bot"
                site_visitors[day].add((m.group(1), ua, kind))
                path_visitors[day][page(request.split(' ')[1])].add((m.group(1), ua, kind))
            host = None
            if referer not in ("", "-"):
                url = urlsplit(referer)
                # As documented: a referer that is not an http(s) URL counts as "other".
                host = (url.hostname or "").lower() if url.scheme in ("http", "https") else "other"
                if host != site:
                    referrals[host] += 1
            if status == "404":
                kind = "none" if host is None else ("internal" if host == site else "external")
                not_found[f"{page(request.split(' ')[1])} {kind}"] += 1
    today_site = Counter(kind for _, _, kind in site_visitors[latest])
    today_paths = Counter(
        f"{path} {kind}"
        for path, visitors in path_visitors[latest].items()
        for _, _, kind in visitors
    )
    json.dump(
        {
            "clients": clients,
            "referrals": referrals,
            "not_found": not_found,
            "visitors_site": today_site,
            "visitors_routes": today_paths,
            "visitors_uncounted": {"late": late} if late else {},
        },
        sys.stdout,
        sort_keys=True,
    )


main()
