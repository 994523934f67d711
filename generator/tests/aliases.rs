//! Page `aliases` in a real build: a redirect page per old URL, the nginx map, the manifest.

use std::fs;

mod common;
use common::{generate, write};

/// A two-page site whose `about` page has moved from two old URLs.
fn site(aliases: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    write(
        root,
        "site.toml",
        "title = \"F\"\nbase_url = \"https://example.org\"\n",
    );
    write(
        root,
        "content/_index.md",
        "+++\ntitle = \"Home\"\n+++\n[About](/about)\n",
    );
    write(
        root,
        "content/about.md",
        &format!("+++\ntitle = \"About\"\naliases = {aliases}\n+++\nAbout us.\n"),
    );
    let page = "<!doctype html>\n<html lang=\"en\"><head><title>{{ page.title }}</title></head>\
                <body>{{ page.content }}</body></html>\n";
    write(root, "themes/default/templates/page.html", page);
    write(root, "themes/default/templates/index.html", page);
    dir
}

#[test]
fn each_alias_gets_a_redirect_page_a_map_line_and_a_manifest_entry() {
    let dir = site("[\"old-about\", \"/2015/about.html\"]");
    let out = generate(dir.path());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dist = dir.path().join("dist");
    for file in ["old-about/index.html", "2015/about.html"] {
        let html = fs::read_to_string(dist.join(file)).expect("redirect page");
        assert!(html.contains("content=\"0; url=/about\""), "{file}: {html}");
    }
    let map = fs::read_to_string(dist.join("_redirects.conf")).expect("map");
    assert!(map.contains("\"/old-about/\" \"/about\";\n"), "{map}");
    assert!(map.contains("\"/2015/about.html\" \"/about\";\n"), "{map}");
    let manifest = fs::read_to_string(dist.join(contract::manifest::FILE_NAME)).expect("manifest");
    assert!(manifest.contains("\"/old-about\""), "{manifest}");
    let sitemap = fs::read_to_string(dist.join("sitemap.xml")).expect("sitemap");
    assert!(!sitemap.contains("old-about"), "{sitemap}");
}

#[test]
fn an_alias_taking_a_pages_url_is_a_conflict_naming_the_page() {
    let dir = site("[\"/\"]");
    let out = generate(dir.path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("content/about.md"), "{stderr}");
}

#[test]
fn a_site_without_aliases_writes_no_map() {
    let dir = site("[]");
    let out = generate(dir.path());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!dir.path().join("dist/_redirects.conf").exists());
}
