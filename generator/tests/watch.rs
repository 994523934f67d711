//! `touchline watch` on a real folder: rebuilds on change, re-renders only what a change
//! affects, and keeps the last good output when an edit breaks the build.

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

mod common;
use common::write;

/// Kills the watcher when the test ends, pass or fail.
struct Watcher {
    child: Child,
    lines: Receiver<String>,
}

impl Drop for Watcher {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Watcher {
    fn start(root: &Path) -> Watcher {
        let (root, out) = (root.to_str().expect("utf-8"), root.join("dist"));
        Watcher::start_in(
            Path::new("/"),
            &["--root", root, "--out", out.to_str().expect("utf-8")],
        )
    }

    /// `touchline watch ARGS` run from `cwd`, as a user runs it from a shell there.
    fn start_in(cwd: &Path, args: &[&str]) -> Watcher {
        let mut child = Command::new(env!("CARGO_BIN_EXE_touchline"))
            .arg("watch")
            .args(args)
            .current_dir(cwd)
            .stderr(Stdio::piped())
            .spawn()
            .expect("start touchline watch");
        let stderr = child.stderr.take().expect("stderr");
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Watcher { child, lines }
    }

    /// The next stderr line containing `needle`, within 30 seconds.
    fn wait_for(&self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut seen = Vec::new();
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(line) if line.contains(needle) => return line,
                Ok(line) => seen.push(line),
                Err(_) => break,
            }
        }
        panic!("no line with {needle:?} within 30 s; saw: {seen:#?}");
    }
}

fn site() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    write(
        root,
        "site.toml",
        "title = \"W\"\nbase_url = \"https://example.org\"\n",
    );
    write(
        root,
        "content/_index.md",
        "+++\ntitle = \"Home\"\n+++\nHome.\n",
    );
    write(root, "content/a.md", "+++\ntitle = \"A\"\n+++\nFirst.\n");
    write(root, "content/b.md", "+++\ntitle = \"B\"\n+++\nBee.\n");
    let page = "<!doctype html><title>{{ page.title }}</title>{{ page.content }}\n";
    write(root, "themes/default/templates/page.html", page);
    write(root, "themes/default/templates/index.html", page);
    dir
}

#[test]
fn an_edited_page_is_rebuilt_with_only_the_pages_that_show_it() {
    let dir = site();
    let watcher = Watcher::start(dir.path());
    watcher.wait_for("3 of 3 templated outputs rendered");
    write(
        dir.path(),
        "content/a.md",
        "+++\ntitle = \"A\"\n+++\nSecond.\n",
    );
    // The page and the home page, whose `section.pages` lists it; not b (sections sort by
    // `none` unless told, which gives no neighbours).
    watcher.wait_for("2 of 3 templated outputs rendered");
    let html = fs::read_to_string(dir.path().join("dist/a/index.html")).expect("page a");
    assert!(html.contains("Second."), "{html}");
}

#[test]
fn a_template_change_rebuilds_every_page() {
    let dir = site();
    let watcher = Watcher::start(dir.path());
    watcher.wait_for("3 of 3 templated outputs rendered");
    write(
        dir.path(),
        "themes/default/templates/page.html",
        "<!doctype html><h1>{{ page.title }}</h1>\n",
    );
    watcher.wait_for("3 of 3 templated outputs rendered");
    let html = fs::read_to_string(dir.path().join("dist/b/index.html")).expect("page b");
    assert!(html.contains("<h1>B</h1>"), "{html}");
}

#[test]
fn a_broken_edit_reports_the_error_and_keeps_the_last_good_site() {
    let dir = site();
    let watcher = Watcher::start(dir.path());
    watcher.wait_for("3 of 3 templated outputs rendered");
    let before = fs::read(dir.path().join("dist/a/index.html")).expect("page a");
    write(
        dir.path(),
        "content/a.md",
        "+++\ntitle = \"A\"\nweight = \"x\"\n+++\nBroken.\n",
    );
    let error = watcher.wait_for("error:");
    assert!(error.contains("content/a.md:3:"), "{error}");
    watcher.wait_for("still holds the last good site");
    assert_eq!(
        before,
        fs::read(dir.path().join("dist/a/index.html")).expect("page a")
    );
}

#[test]
fn watch_started_in_the_site_folder_with_the_defaults_rebuilds_a_new_page() {
    let dir = site();
    let watcher = Watcher::start_in(dir.path(), &[]);
    watcher.wait_for("3 of 3 templated outputs rendered");
    write(
        dir.path(),
        "content/new.md",
        "+++\ntitle = \"New\"\n+++\nFresh.\n",
    );
    // A new page changes the navigation every page shows: all four are rendered.
    watcher.wait_for("4 of 4 templated outputs rendered");
    let html = fs::read_to_string(dir.path().join("dist/new/index.html")).expect("new page");
    assert!(html.contains("Fresh."), "{html}");
}

#[test]
fn watch_with_a_relative_root_rebuilds_an_edited_page() {
    let dir = site();
    let work = dir.path().join("work");
    fs::create_dir(&work).expect("mkdir work");
    let watcher = Watcher::start_in(&work, &["--root", "..", "--out", "out"]);
    watcher.wait_for("3 of 3 templated outputs rendered");
    write(
        dir.path(),
        "content/a.md",
        "+++\ntitle = \"A\"\n+++\nEdited.\n",
    );
    watcher.wait_for("2 of 3 templated outputs rendered");
    let html = fs::read_to_string(work.join("out/a/index.html")).expect("page a");
    assert!(html.contains("Edited."), "{html}");
}
