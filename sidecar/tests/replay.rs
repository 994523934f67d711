//! `touchline-sidecar replay`: whole files, plain and gzip, to exposition text.

mod common;

use common::*;
use std::fs;
use std::io::Write;
use std::process::Command;

fn replay(args: &[&std::path::Path]) -> String {
    let out = Command::new(bin())
        .arg("replay")
        .args(args)
        .output()
        .expect("run replay");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf8")
}

#[test]
fn replay_counts_plain_and_gzip_files_alike() {
    let dir = tempfile::tempdir().expect("tempdir");
    let plain = dir.path().join("access.log");
    append_lines(&plain, "/p", 7);
    let gz = dir.path().join("access.log.1.gz");
    let mut enc = flate2::write::GzEncoder::new(
        fs::File::create(&gz).expect("create"),
        flate2::Compression::fast(),
    );
    enc.write_all(&fs::read(&plain).expect("read"))
        .expect("compress");
    enc.finish().expect("finish");
    let text = replay(&[&plain, &gz]);
    assert_eq!(sample(&text, &get_200("/p")), Some(14.0));
}

#[test]
fn replay_counts_a_truncated_last_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("access.log");
    append_lines(&log, "/t", 2);
    let mut f = fs::OpenOptions::new()
        .append(true)
        .open(&log)
        .expect("open");
    f.write_all(b"127.0.0.1 - - [23/Nov/2026:15:32:11 +0000] \"GET /t HT")
        .expect("write");
    let text = replay(&[&log]);
    assert_eq!(
        sample(&text, r#"touchline_log_lines_total{outcome="parsed"}"#),
        Some(2.0)
    );
    assert_eq!(
        sample(&text, r#"touchline_log_lines_total{outcome="syntax"}"#),
        Some(1.0)
    );
    assert_eq!(
        sample(&text, "touchline_log_bytes_read_total"),
        Some(fs::metadata(&log).expect("stat").len() as f64)
    );
}

#[test]
fn replay_output_passes_promtool() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("access.log");
    append_lines(&log, "/", 3);
    assert_eq!(promtool_check(&replay(&[&log])), "");
}

#[test]
fn a_missing_file_is_an_error_naming_it() {
    let out = Command::new(bin())
        .args(["replay", "/nonexistent/access.log"])
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/access.log"));
}
