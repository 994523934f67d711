//! `replay`'s client classes, referrals, missing pages and unique visitors against an
//! independent count
//! (`tests/independent/count.py`: its own parser, its own hand-written bot list) of a
//! real-format log with real user agents.

mod common;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::process::Command;

use common::*;

const SITE: &str = "touchline.example";

/// Real user agents of each kind.
const AGENTS: [&str; 12] = [
    "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)",
    "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; ClaudeBot/1.0; +claudebot@anthropic.com)",
    "CCBot/2.0 (https://commoncrawl.org/faq/)",
    "Feedly/1.0 (+http://www.feedly.com/fetcher.html; 3 subscribers)",
    "NewsBlur Feed Fetcher - 12 subscribers - https://www.newsblur.com/site/1 (Mozilla/5.0)",
    "Mozilla/5.0 (compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)",
    "curl/8.5.0",
    "-",
];

const REFERERS: [&str; 6] = [
    "-",
    "https://touchline.example/news",
    "https://www.google.com/",
    "https://news.ycombinator.com/item?id=42",
    "https://Touchline.example/",
    "android-app://com.slack",
];

const TARGETS: [(&str, &str); 7] = [
    ("/", "200"),
    ("/gandalf/", "200"),
    ("/old-post/", "404"),
    ("/old-post/index.html?utm=x", "404"),
    ("//old-post", "404"),
    ("/wp-login.php", "404"),
    ("/teams/arsenal", "304"),
];

/// A deterministic log mixing every agent, referer and target over two UTC days (the first
/// thousand lines on the 22nd), with a line of three days before now and then (late).
fn log() -> String {
    let mut out = String::new();
    let mut x: u64 = 7;
    for i in 0..3000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let agent = AGENTS[(x % 12) as usize];
        let referer = REFERERS[((x >> 8) % 6) as usize];
        let (target, status) = TARGETS[((x >> 16) % 7) as usize];
        let day = match i {
            0..1000 => 22,
            _ if i % 97 == 0 => 20,
            _ => 23,
        };
        let _ = writeln!(
            out,
            r#"203.0.113.{} - - [{day}/Nov/2026:15:{:02}:11 +0000] "GET {target} HTTP/1.1" {status} 512 "{referer}" "{agent}" 0.00{}"#,
            i % 250,
            i % 60,
            i % 10
        );
    }
    out
}

/// Sums of the samples of `family` by the values of `label_names`, from exposition text.
fn sums(text: &str, family: &str, label_names: &[&str]) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for line in text
        .lines()
        .filter(|l| l.starts_with(&format!("{family}{{")))
    {
        let (labels, value) = line.rsplit_once(' ').expect("sample");
        let key: Vec<String> = label_names
            .iter()
            .map(|name| {
                let start = labels.find(&format!("{name}=\"")).expect("label") + name.len() + 2;
                let end = labels[start..].find('"').expect("end") + start;
                labels[start..end].to_owned()
            })
            .collect();
        let n: f64 = value.parse().expect("number");
        *out.entry(key.join(" ")).or_default() += n as u64;
    }
    out.retain(|_, n| *n > 0);
    out
}

fn counted(json: &serde_json::Value, key: &str) -> BTreeMap<String, u64> {
    json[key]
        .as_object()
        .expect("object")
        .iter()
        .map(|(k, v)| (k.clone(), v.as_u64().expect("count")))
        .collect()
}

#[test]
fn replay_agrees_with_an_independent_count_of_clients_referrals_missing_pages_and_visitors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("access.log");
    std::fs::write(&path, log()).expect("write log");

    let out = Command::new(bin())
        .args(["replay", "--site-host", SITE])
        .arg(&path)
        .output()
        .expect("run replay");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("utf8");

    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/independent/count.py");
    let independent = Command::new("python3")
        .arg(script)
        .arg(&path)
        .arg(SITE)
        .output()
        .expect("python3 runs the independent count");
    assert!(
        independent.status.success(),
        "{}",
        String::from_utf8_lossy(&independent.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&independent.stdout).expect("json");

    assert_eq!(
        sums(&text, "touchline_http_requests_total", &["client"]),
        counted(&json, "clients"),
        "requests by client class"
    );
    assert_eq!(
        sums(&text, "touchline_http_referrals_total", &["host"]),
        counted(&json, "referrals"),
        "referrals by host"
    );
    assert_eq!(
        sums(
            &text,
            "touchline_http_not_found_total",
            &["path", "referer"]
        ),
        counted(&json, "not_found"),
        "404s by path and referer kind"
    );
    assert_eq!(
        sums(&text, "touchline_site_visitors_today", &["client_kind"]),
        counted(&json, "visitors_site"),
        "site-wide visitors of the last day"
    );
    assert_eq!(
        sums(&text, "touchline_visitors_today", &["path", "client_kind"]),
        counted(&json, "visitors_routes"),
        "visitors of the last day by route"
    );
    assert_eq!(
        sums(&text, "touchline_visitors_uncounted_total", &["reason"]),
        counted(&json, "visitors_uncounted"),
        "lines older than the days held"
    );
}
