//! Rebuilds in one process (what `watch` does) publish exactly what a fresh build of the same
//! input publishes, whichever way the recycled folder was last left: this process's own
//! (written from memory, no reads), another build's, or none.

use std::fs;
use std::path::{Path, PathBuf};

use generator::Builder;
use indicatif::ProgressBar;

mod common;
use common::write;

fn site(root: &Path) {
    write(
        root,
        "site.toml",
        "title = \"R\"\nbase_url = \"https://example.org\"\n",
    );
    write(
        root,
        "content/_index.md",
        "+++\ntitle = \"Home\"\n+++\n[A](/a)\n",
    );
    write(root, "content/a.md", "+++\ntitle = \"A\"\n+++\nFirst.\n");
    write(root, "content/b.md", "+++\ntitle = \"B\"\n+++\nBee.\n");
    write(root, "content/notes.txt", &"some notes\n".repeat(30));
    let page = "<!doctype html><title>{{ page.title }}</title>{{ page.content }}\n";
    write(root, "themes/default/templates/page.html", page);
    write(root, "themes/default/templates/index.html", page);
    write(
        root,
        "themes/default/static/app.css",
        "body { margin: 0 }\n",
    );
}

/// Every file below `dir` with its bytes.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files: Vec<_> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e.path().strip_prefix(dir).expect("inside").to_owned();
            (rel, fs::read(e.path()).expect("read output"))
        })
        .collect();
    files.sort();
    files
}

fn fresh(root: &Path, precompress: bool) -> Vec<(PathBuf, Vec<u8>)> {
    let out = tempfile::tempdir().expect("fresh out");
    let dist = out.path().join("dist");
    Builder::new(root)
        .precompress(precompress)
        .build(&dist, &ProgressBar::hidden())
        .expect("fresh build");
    snapshot(&dist)
}

/// Edits that change which files and folders exist, one per rebuild.
fn edits(root: &Path) -> Vec<Box<dyn Fn()>> {
    let root = root.to_owned();
    let r = move || root.clone();
    vec![
        Box::new({
            let r = r.clone();
            move || write(&r(), "content/a.md", "+++\ntitle = \"A\"\n+++\nSecond.\n")
        }),
        Box::new({
            let r = r.clone();
            move || write(&r(), "content/c/deep.md", "+++\ntitle = \"C\"\n+++\nNew.\n")
        }),
        Box::new({
            let r = r.clone();
            // Back to the bytes of two builds ago: the recycled folder holds them already.
            move || write(&r(), "content/a.md", "+++\ntitle = \"A\"\n+++\nFirst.\n")
        }),
        Box::new({
            let r = r.clone();
            move || fs::remove_file(r().join("content/b.md")).expect("remove b")
        }),
        Box::new({
            let r = r.clone();
            // Too small to be worth compressing: its .gz must go too.
            move || write(&r(), "content/notes.txt", "short\n")
        }),
        Box::new({
            let r = r.clone();
            move || fs::remove_dir_all(r().join("content/c")).expect("remove c")
        }),
        Box::new({
            let r = r.clone();
            move || {
                write(
                    &r(),
                    "themes/default/static/app.css",
                    "body { margin: 1px }\n",
                )
            }
        }),
    ]
}

#[test]
fn every_rebuild_in_one_process_equals_a_fresh_build() {
    for precompress in [true, false] {
        let dir = tempfile::tempdir().expect("site");
        let root = dir.path().join("site");
        site(&root);
        let dist = dir.path().join("dist");
        let mut builder = Builder::new(&root).precompress(precompress);
        builder
            .build(&dist, &ProgressBar::hidden())
            .expect("first build");
        for (i, edit) in edits(&root).iter().enumerate() {
            edit();
            builder
                .build(&dist, &ProgressBar::hidden())
                .unwrap_or_else(|e| panic!("build after edit {i}: {e}"));
            assert_eq!(
                snapshot(&dist),
                fresh(&root, precompress),
                "after edit {i} (precompress {precompress})"
            );
        }
        let leftovers: Vec<_> = snapshot(&dist)
            .into_iter()
            .filter(|(p, _)| !precompress && p.extension().is_some_and(|e| e == "gz" || e == "br"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }
}

#[test]
fn a_recycled_folder_another_build_used_is_read_not_trusted() {
    let dir = tempfile::tempdir().expect("site");
    let root = dir.path().join("site");
    site(&root);
    let dist = dir.path().join("dist");
    let mut watching = Builder::new(&root);
    for text in ["One.", "Two.", "Three."] {
        write(
            &root,
            "content/a.md",
            &format!("+++\ntitle = \"A\"\n+++\n{text}\n"),
        );
        watching
            .build(&dist, &ProgressBar::hidden())
            .expect("watch build");
    }
    // Another build (a `touchline generate` beside the watcher) takes the recycled folder and
    // leaves a different one; the watcher's memory of it is now wrong.
    write(&root, "content/a.md", "+++\ntitle = \"A\"\n+++\nOther.\n");
    Builder::new(&root)
        .build(&dist, &ProgressBar::hidden())
        .expect("other build");
    write(&root, "content/a.md", "+++\ntitle = \"A\"\n+++\nTwo.\n");
    watching
        .build(&dist, &ProgressBar::hidden())
        .expect("watch build after the other");
    assert_eq!(snapshot(&dist), fresh(&root, true));
}

#[test]
fn turning_precompression_off_removes_the_copies_an_earlier_build_left() {
    let dir = tempfile::tempdir().expect("site");
    let root = dir.path().join("site");
    site(&root);
    let dist = dir.path().join("dist");
    for precompress in [true, true, false, false] {
        Builder::new(&root)
            .precompress(precompress)
            .build(&dist, &ProgressBar::hidden())
            .expect("build");
        let copies = snapshot(&dist)
            .iter()
            .filter(|(p, _)| p.extension().is_some_and(|e| e == "gz" || e == "br"))
            .count();
        assert_eq!(
            copies > 0,
            precompress,
            "precompress {precompress}: {copies} copies"
        );
    }
    assert_eq!(snapshot(&dist), fresh(&root, false));
}
