//! The whole output of the command line, pinned: `--help`, the stderr of every bad input, and
//! the exposition `replay` prints for a fixed log. A message that gets worse shows up in the
//! `.snap` diff of the change that made it worse.
//!
//! Snapshots are in `tests/snapshots/`. After an intended change, `cargo insta review` (with
//! cargo-insta) or `INSTA_UPDATE=always cargo test -p sidecar --test cli` (without) rewrites
//! them; review the diff before committing it. A plain `cargo test` fails on any difference,
//! and on CI (`CI` set) it writes nothing.

mod common;

use std::fs;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::bin;

/// Where the committed input files are.
fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Runs the sidecar in `dir` with an empty environment (no `TOUCHLINE_SIDECAR_*` values in the
/// help, no `RUST_BACKTRACE`, no colours), and describes what it did: the command, its exit
/// status, and everything it printed.
fn outcome(dir: &Path, args: &[&str]) -> String {
    let out = Command::new(bin())
        .args(args)
        .current_dir(dir)
        .env_clear()
        .output()
        .expect("run touchline-sidecar");
    let status = out
        .status
        .code()
        .map_or_else(|| out.status.to_string(), |c| c.to_string());
    format!(
        "$ touchline-sidecar {}\nexit status: {status}\n--- stdout\n{}--- stderr\n{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    )
}

/// A fresh folder holding `files` (name, content).
fn folder(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, content) in files {
        fs::write(dir.path().join(name), content).expect("write fixture");
    }
    dir
}

/// `outcome` of a `run` that must fail before it serves: its `--listen` is a port this test
/// holds, so a regression fails to bind instead of serving forever; the port is redacted.
fn run_fails(dir: &Path, args: &[&str]) -> String {
    let taken = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("addr").to_string();
    let mut args = args.to_vec();
    args.extend(["--listen", &addr]);
    outcome(dir, &args).replace(&addr, "127.0.0.1:PORT")
}

const MANIFEST: &str = r#"{"pages": ["/"], "files": [], "assets_prefix": "/assets/"}"#;

/// A checkpoint this program would have written, with `counts` as its counts.
fn checkpoint(version: u32, counts: &str) -> String {
    format!(r#"{{"version": {version}, "files": [], "counts": {counts}}}"#)
}

const NO_COUNTS: &str = r#"{"requests": [], "paths": [], "lines": {}, "bytes_read": 0, "rotations": 0, "last_line_timestamp": null}"#;

#[test]
fn help() {
    let here = fixtures();
    insta::assert_snapshot!("help", outcome(&here, &["--help"]));
    insta::assert_snapshot!("run_help", outcome(&here, &["run", "--help"]));
    insta::assert_snapshot!("replay_help", outcome(&here, &["replay", "--help"]));
}

#[test]
fn bad_command_lines() {
    let here = fixtures();
    insta::assert_snapshot!("no_command", outcome(&here, &[]));
    insta::assert_snapshot!("run_without_log", outcome(&here, &["run"]));
    insta::assert_snapshot!(
        "run_bad_listen",
        outcome(&here, &["run", "--log", "access.log", "--listen", "nope"])
    );
    insta::assert_snapshot!(
        "run_listen_host_name",
        outcome(
            &here,
            &["run", "--log", "access.log", "--listen", "localhost:9145"]
        )
    );
    insta::assert_snapshot!(
        "run_bad_max_paths",
        outcome(
            &here,
            &["run", "--log", "access.log", "--max-paths", "many"]
        )
    );
    insta::assert_snapshot!(
        "run_header_timeout_without_unit",
        outcome(
            &here,
            &["run", "--log", "access.log", "--header-timeout", "10"]
        )
    );
    insta::assert_snapshot!(
        "run_zero_max_connections",
        outcome(
            &here,
            &["run", "--log", "access.log", "--max-connections", "0"]
        )
    );
    insta::assert_snapshot!("replay_without_files", outcome(&here, &["replay"]));
}

#[test]
fn bad_route_manifests() {
    let run = |files: &[(&str, &str)]| {
        let dir = folder(files);
        run_fails(
            dir.path(),
            &["run", "--log", "access.log", "--routes", "_routes.json"],
        )
    };
    insta::assert_snapshot!("routes_missing", run(&[]));
    insta::assert_snapshot!("routes_not_json", run(&[("_routes.json", "<html>\n")]));
    insta::assert_snapshot!(
        "routes_from_a_newer_generator",
        run(&[(
            "_routes.json",
            r#"{"version": 2, "pages": [], "files": [], "assets_prefix": "/assets/", "feeds": []}"#
        )])
    );
    insta::assert_snapshot!(
        "routes_unknown_field",
        run(&[(
            "_routes.json",
            r#"{"pages": [], "files": [], "assets_prefix": "/assets/", "page": []}"#
        )])
    );
    insta::assert_snapshot!(
        "routes_bad_route",
        run(&[(
            "_routes.json",
            r#"{"pages": ["/", "gandalf"], "files": [], "assets_prefix": "/assets/"}"#
        )])
    );
    insta::assert_snapshot!(
        "routes_bad_assets_prefix",
        run(&[(
            "_routes.json",
            r#"{"pages": [], "files": [], "assets_prefix": "assets"}"#
        )])
    );
    let dir = folder(&[]);
    fs::create_dir(dir.path().join("dist")).expect("mkdir");
    insta::assert_snapshot!(
        "routes_a_folder",
        outcome(dir.path(), &["replay", "--routes", "dist", "access.log"])
    );
}

#[test]
fn bad_state_files() {
    let run = |files: &[(&str, &str)]| {
        let dir = folder(files);
        run_fails(
            dir.path(),
            &[
                "run",
                "--log",
                "access.log",
                "--routes",
                "_routes.json",
                "--state",
                "sidecar.state",
            ],
        )
    };
    insta::assert_snapshot!(
        "state_not_json",
        run(&[
            ("_routes.json", MANIFEST),
            ("sidecar.state", "{\"version\": 1,\n")
        ])
    );
    insta::assert_snapshot!(
        "state_from_another_version",
        run(&[
            ("_routes.json", MANIFEST),
            ("sidecar.state", &checkpoint(3, r#"{"per_pod": []}"#))
        ])
    );
    let unknown_method = NO_COUNTS.replace(
        r#""requests": []"#,
        r#""requests": [{"path": "/", "method": "BREW", "status": "200", "count": 1}]"#,
    );
    insta::assert_snapshot!(
        "state_unknown_method",
        run(&[
            ("_routes.json", MANIFEST),
            ("sidecar.state", &checkpoint(1, &unknown_method))
        ])
    );
    let dir = folder(&[("_routes.json", MANIFEST)]);
    fs::create_dir(dir.path().join("state")).expect("mkdir");
    insta::assert_snapshot!(
        "state_a_folder",
        run_fails(
            dir.path(),
            &["run", "--log", "access.log", "--state", "state"]
        )
    );
}

#[test]
fn a_listen_address_in_use() {
    let dir = folder(&[]);
    insta::assert_snapshot!(
        "listen_in_use",
        run_fails(dir.path(), &["run", "--log", "access.log"])
    );
}

#[test]
fn bad_replay_inputs() {
    let dir = folder(&[]);
    fs::create_dir(dir.path().join("logs")).expect("mkdir");
    insta::assert_snapshot!(
        "replay_missing_file",
        outcome(dir.path(), &["replay", "access.log"])
    );
    insta::assert_snapshot!("replay_a_folder", outcome(dir.path(), &["replay", "logs"]));
}

#[test]
fn replay_prints_a_whole_exposition() {
    let here = fixtures();
    insta::assert_snapshot!(
        "replay_with_routes",
        outcome(&here, &["replay", "--routes", "_routes.json", "access.log"])
    );
    insta::assert_snapshot!(
        "replay_without_routes",
        outcome(&here, &["replay", "access.log"])
    );
}

#[test]
fn a_directory_as_log_is_refused_at_start() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = std::process::Command::new(common::bin())
        .args(["run", "--listen", "127.0.0.1:0", "--log"])
        .arg(dir.path())
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("is a directory"));
}

#[test]
fn a_fifo_as_log_is_refused_at_start() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fifo = dir.path().join("access.log");
    rustix::fs::mknodat(
        rustix::fs::CWD,
        &fifo,
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o600),
        0,
    )
    .expect("mkfifo");
    let out = std::process::Command::new(common::bin())
        .args(["run", "--listen", "127.0.0.1:0", "--log"])
        .arg(&fifo)
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("is a FIFO"));
}

#[test]
fn a_routes_file_that_is_not_a_regular_file_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = std::process::Command::new(common::bin())
        .args([
            "run",
            "--listen",
            "127.0.0.1:0",
            "--routes",
            "/dev/zero",
            "--log",
        ])
        .arg(dir.path().join("access.log"))
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(!String::from_utf8_lossy(&out.stderr).is_empty());
}
