use std::io::Write;
use std::sync::{Arc, Mutex};

use super::*;
use crate::expose::{TallyCollector, encode_text};
use contract::Manifest;

use crate::route::Router;

/// The exposition text `replay` prints, through a registry as in main.
fn text(agg: Tally) -> String {
    let registry = prometheus::Registry::new();
    let collector = TallyCollector::new(Arc::new(Mutex::new(agg))).expect("collector");
    registry.register(Box::new(collector)).expect("register");
    encode_text(&registry.gather()).expect("encode")
}

fn manifest_router() -> Router {
    Router::with_manifest(&Manifest::new(
        vec![
            "/".try_into().expect("route"),
            "/p3".try_into().expect("route"),
            "/p7".try_into().expect("route"),
        ],
        vec!["/robots.txt".try_into().expect("route")],
    ))
}

/// xorshift: reproducible without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A log of valid lines over many paths (new ones keep appearing, so open-mode labels depend
/// on file order), junk, over-long lines, NUL holes, shuffled timestamps, and no final newline.
fn generated_log(seed: u64, lines: usize, odd_paths: bool) -> Vec<u8> {
    let mut rng = Rng(seed);
    let mut out = Vec::new();
    for i in 0..lines {
        match rng.below(40) {
            0 => out.extend_from_slice(b"garbage without structure\n"),
            1 => {
                out.extend(std::iter::repeat_n(b'x', MAX_LINE + 1 + rng.below(3000) as usize));
                out.push(b'\n');
            }
            2 => out.extend_from_slice(b"\0\0\0\0"),
            3 if odd_paths => out.extend_from_slice(
                format!(
                    "10.0.0.1 - - [23/Nov/2026:15:32:11 +0000] \"GET /odd%{:02X} HTTP/1.1\" 200 1 \"-\" \"t\" 0.001\n",
                    0xF0 + rng.below(8)
                )
                .as_bytes(),
            ),
            _ => {
                let path = match rng.below(4) {
                    0 => format!("/p{}", rng.below(10)),
                    1 => format!("/p{}/index.html?q={}", rng.below(10), rng.below(99)),
                    2 => format!("/assets/app.{:08x}.js", rng.below(3)),
                    _ => format!("/new{}", i / 7),
                };
                let status = [200, 200, 304, 404, 500][rng.below(5) as usize];
                let minute = rng.below(60);
                let time = match rng.below(3) {
                    0 => String::new(),
                    _ => format!(" {}.{:03}", rng.below(3), rng.below(1000)),
                };
                // Referring hosts keep appearing too (past the default cap), and clients vary.
                let referer = match rng.below(3) {
                    0 => "-".to_owned(),
                    1 => format!("https://r{}.example/x", rng.below(5)),
                    _ => format!("https://new{}.example/", i / 11),
                };
                let agent = ["t", "GPTBot/1.2", "curl/8", "-"][rng.below(4) as usize];
                // Two UTC days, so that visitor sets of both meet in the merge.
                let day = if i < lines / 2 { 22 } else { 23 };
                out.extend_from_slice(
                    format!(
                        "10.0.0.{} - - [{day}/Nov/2026:15:{minute:02}:11 +0000] \"{} {path} HTTP/1.1\" {status} {} \"{referer}\" \"{agent}\"{time}\n",
                        rng.below(255),
                        ["GET", "POST", "HEAD"][rng.below(3) as usize],
                        rng.below(100_000),
                    )
                    .as_bytes(),
                );
            }
        }
    }
    out.extend_from_slice(b"10.0.0.1 - - [23/Nov/2026:15:59:59 +0000] \"GET /tail HT");
    out
}

fn write_temp(content: &[u8]) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().expect("temp file");
    f.write_all(content).expect("write");
    f.flush().expect("flush");
    f
}

/// The sequential replay every split one must reproduce.
fn sequential(router: Router, files: &[&tempfile::NamedTempFile]) -> String {
    let mut agg = Tally::new(router);
    for f in files {
        super::super::replay_reader(&mut agg, f.reopen().expect("reopen")).expect("replay");
    }
    text(agg)
}

/// Counts the files split `threads` ways, asserting that the merge (not the sequential
/// fallback) was used when `expect_merge`.
fn split(
    router: Router,
    files: &[&tempfile::NamedTempFile],
    threads: usize,
    expect_merge: bool,
) -> String {
    let mut agg = Tally::new(router);
    for f in files {
        let file = f.as_file();
        let len = file.metadata().expect("metadata").len();
        if expect_merge {
            let ranges = line_ranges(file, len, threads).expect("ranges");
            let mut workers = Vec::new();
            for (i, r) in ranges.into_iter().enumerate() {
                let mut w = agg.worker(i == 0);
                replay_range(&mut w, file, r).expect("range");
                assert!(w.mergeable(i == 0), "range {i} of {threads} not mergeable");
                workers.push(w);
            }
            assert!(agg.mergeable_all(&workers), "visitors of {threads} ranges");
        }
        replay_split(&mut agg, file, len, threads).expect("split");
    }
    text(agg)
}

type MakeRouter = fn() -> Router;

#[test]
fn split_replay_equals_sequential_replay_byte_for_byte() {
    let a = write_temp(&generated_log(0x5EED, 3000, false));
    let b = write_temp(&generated_log(0xBEEF, 2000, false));
    let routers: [(&str, MakeRouter); 5] = [
        ("manifest", manifest_router),
        ("open 0", || Router::open(0)),
        ("open 5", || Router::open(5)),
        ("open 40", || Router::open(40)),
        ("open 500", || Router::open(500)),
    ];
    for (name, router) in routers {
        let expected = sequential(router(), &[&a, &b]);
        assert!(expected.contains("touchline_log_lines_total{outcome=\"too_long\"}"));
        for threads in [1, 2, 3, 4, 7, 16] {
            let got = split(router(), &[&a, &b], threads, true);
            assert_eq!(got, expected, "{name}, {threads} threads");
        }
    }
}

#[test]
fn split_replay_with_paths_sharing_a_label_still_equals_sequential() {
    // /odd%F0../odd%F7 all decode to the same lossy label: a later range may not be merged,
    // and must then fall back to counting sequentially.
    let a = write_temp(&generated_log(0xABCD, 3000, true));
    for max_paths in [3, 20, 500] {
        let expected = sequential(Router::open(max_paths), &[&a]);
        for threads in [2, 3, 5] {
            let got = split(Router::open(max_paths), &[&a], threads, false);
            assert_eq!(got, expected, "max_paths {max_paths}, {threads} threads");
        }
    }
}

fn ranges_of(content: &[u8], parts: usize) -> Vec<Range<u64>> {
    let f = write_temp(content);
    line_ranges(f.as_file(), content.len() as u64, parts).expect("ranges")
}

#[test]
fn ranges_start_at_line_starts_and_cover_the_file() {
    let content = generated_log(7, 500, false);
    for parts in 1..12 {
        let ranges = ranges_of(&content, parts);
        assert!(ranges.len() <= parts);
        assert_eq!(ranges[0].start, 0);
        assert_eq!(ranges.last().map(|r| r.end), Some(content.len() as u64));
        for w in ranges.windows(2) {
            assert_eq!(w[0].end, w[1].start);
            assert!(w[0].start < w[0].end);
            assert_eq!(content[w[1].start as usize - 1], b'\n');
        }
    }
}

#[test]
fn a_line_across_the_split_point_stays_in_the_first_range() {
    // Nominal split at 6, inside "cdefgh": the boundary moves to after its newline.
    assert_eq!(ranges_of(b"ab\ncdefgh\nij\n", 2), [0..10, 10..13]);
    // Nominal split right after a newline: kept.
    assert_eq!(ranges_of(b"abc\ndef\n", 2), [0..4, 4..8]);
    // One line longer than every range: no split at all.
    assert_eq!(ranges_of(b"abcdefghij\n", 4), vec![(0..11)]);
    // Empty file: one empty range.
    assert_eq!(ranges_of(b"", 3), vec![(0..0)]);
}

#[test]
fn a_file_without_final_newline_keeps_its_last_line() {
    let content = b"abc\ndefg";
    assert_eq!(ranges_of(content, 2), [0..4, 4..8]);
    assert_eq!(ranges_of(b"abcdefgh", 4), vec![(0..8)]);
    let f = write_temp(content);
    let mut agg = Tally::new(Router::open(10));
    replay_split(&mut agg, f.as_file(), content.len() as u64, 2).expect("split");
    assert_eq!(agg.total_lines(), 2);
    assert!(text(agg).contains("touchline_log_bytes_read_total 8\n"));
}

fn request(target: &str) -> String {
    format!(
        "10.0.0.1 - - [23/Nov/2026:15:32:11 +0000] \"GET {target} HTTP/1.1\" 200 1 \"-\" \"t\"\n"
    )
}

#[test]
fn a_later_range_that_runs_out_of_labels_falls_back_to_sequential() {
    // Range 2 starts just inside a block of more new paths than a worker may label, then meets
    // /a again: its worker must refuse /a a label, although range 1 labelled it.
    let mut tail = String::new();
    for i in 0..crate::route::WORKER_MAX_PATHS + 100 {
        tail.push_str(&request(&format!("/n{i}")));
    }
    for _ in 0..3 {
        tail.push_str(&request("/a"));
    }
    let mut head = String::new();
    let target = tail.len() - 2000;
    while target - head.len() > 400 {
        head.push_str(&request("/a"));
    }
    let pad = target - head.len() - request("/a?").len();
    head.push_str(&request(&format!("/a?{}", "x".repeat(pad))));
    let f = write_temp((head + &tail).as_bytes());
    let expected = sequential(Router::open(3), &[&f]);
    assert_eq!(split(Router::open(3), &[&f], 2, false), expected);
}
