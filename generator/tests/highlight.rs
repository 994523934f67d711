//! Build-time code highlighting through the `touchline` binary: one behaviour per test.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use tempfile::TempDir;

const PAGE: &str = "+++\ntitle = \"Code\"\n+++\n# Code\n\n```rust,hl_lines=2\nfn main() {\n    println!(\"<script>\");\n}\n```\n";

/// A site whose home page has a Rust block; `extra_config` is appended to `site.toml`.
fn site(extra_config: &str, page: &str) -> TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let write = |rel: &str, text: &str| {
        let path = dir.path().join(rel);
        fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        fs::write(path, text).expect("write fixture");
    };
    write(
        "site.toml",
        &format!("title = \"T\"\nbase_url = \"https://example.org\"\n{extra_config}"),
    );
    write("content/_index.md", page);
    write(
        "themes/default/templates/index.html",
        "<!doctype html><html lang=\"en\"><head><title>{{ page.title }}</title>\
         {% if page.highlighted %}<link rel=\"stylesheet\" href=\"{{ asset('highlight.css') }}\">{% endif %}\
         </head><body>{{ page.content }}</body></html>\n",
    );
    dir
}

fn generate(root: &Path) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_touchline"))
        .args(["generate", "--root"])
        .arg(root)
        .arg("--out")
        .arg(root.join("dist"))
        .output()
        .expect("run touchline");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn css_assets(root: &Path) -> Vec<String> {
    let Ok(dir) = fs::read_dir(root.join("dist/assets")) else {
        return Vec::new();
    };
    let mut names: Vec<String> = dir
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".css"))
        .collect();
    names.sort();
    names
}

#[test]
fn code_is_classed_and_the_page_links_the_fingerprinted_highlight_css() {
    let dir = site("", PAGE);
    generate(dir.path());
    let html = fs::read_to_string(dir.path().join("dist/index.html")).expect("index");
    let css = css_assets(dir.path());
    assert_eq!(css.len(), 1, "{css:?}");
    assert!(css[0].starts_with("highlight.") && css[0].len() == "highlight.0123456789ab.css".len());
    assert!(
        html.contains(&format!("href=\"/assets/{}\"", css[0])),
        "{html}"
    );
    assert!(
        html.contains("hl-storage") && html.contains("<span class=\"line hl\">"),
        "{html}"
    );
    assert!(
        html.contains("&lt;script&gt;") && !html.contains("<script"),
        "{html}"
    );
    assert!(!html.contains("style="), "{html}");
}

#[test]
fn turned_off_there_are_no_classes_and_no_css() {
    let dir = site("[markdown]\nhighlight_code = false\n", PAGE);
    generate(dir.path());
    let html = fs::read_to_string(dir.path().join("dist/index.html")).expect("index");
    assert!(
        !html.contains("hl-") && !html.contains("stylesheet"),
        "{html}"
    );
    assert!(html.contains("<pre><code class=\"language-rust"), "{html}");
    assert!(css_assets(dir.path()).is_empty());
}

#[test]
fn a_site_without_code_gets_no_highlight_css() {
    let dir = site("", "+++\ntitle = \"Home\"\n+++\nNo code here.\n");
    generate(dir.path());
    assert!(css_assets(dir.path()).is_empty());
}

#[test]
fn an_unknown_language_warns_naming_file_and_line_and_still_builds() {
    let page = "+++\ntitle = \"Home\"\n+++\nText.\n\n```klingon\nqapla'\n```\n";
    let dir = site("", page);
    let out = generate(dir.path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("content/_index.md:6: unknown language `klingon`"),
        "{stderr}"
    );
}
