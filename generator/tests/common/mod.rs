//! Shared helpers for tests that build fixture sites with the real `touchline` binary.
#![allow(dead_code)]

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

/// Writes a fixture file at `rel` under `root`, creating its folders.
pub fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    fs::write(path, text).expect("write fixture file");
}

/// Runs `touchline generate --root ROOT --out ROOT/dist`.
pub fn generate(root: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_touchline"))
        .args(["generate", "--root"])
        .arg(root)
        .arg("--out")
        .arg(root.join("dist"))
        .output()
        .expect("run touchline")
}

/// Builds the site (which must succeed) and returns a reader of its output files.
pub fn built(dir: &tempfile::TempDir) -> impl Fn(&str) -> String + '_ {
    let out = generate(dir.path());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    move |rel: &str| {
        fs::read_to_string(dir.path().join("dist").join(rel))
            .unwrap_or_else(|e| panic!("{rel}: {e}"))
    }
}
