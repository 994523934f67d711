//! Taxonomies in a real build, with the default theme's templates: the list page, a page per
//! term (paginated), term slugs, undeclared taxonomies; and the default section template.

use std::fs;
use std::path::Path;

mod common;
use common::{built, generate, write};

/// Copies the repository's default theme into the fixture, so its templates are tested.
fn copy_default_theme(root: &Path) {
    let theme = Path::new(env!("CARGO_MANIFEST_DIR")).join("../themes/default");
    for entry in walkdir::WalkDir::new(&theme) {
        let entry = entry.expect("walk theme");
        if entry.file_type().is_file() {
            let rel = entry.path().strip_prefix(&theme).expect("inside theme");
            let bytes = fs::read(entry.path()).expect("read theme file");
            let to = root.join("themes/default").join(rel);
            fs::create_dir_all(to.parent().expect("parent")).expect("mkdir");
            fs::write(to, bytes).expect("copy theme file");
        }
    }
}

/// A blog of three posts tagged `Rust 2024` and `news`, with `tags` declared as `taxonomies`.
fn site(taxonomies: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    write(
        root,
        "site.toml",
        &format!(
            "title = \"F\"\nbase_url = \"https://example.org\"\n{taxonomies}\n[extra]\nfooter = \"f\"\n"
        ),
    );
    write(
        root,
        "content/favicon.svg",
        "<svg xmlns=\"http://www.w3.org/2000/svg\"/>\n",
    );
    write(
        root,
        "content/_index.md",
        "+++\ntitle = \"Home\"\ntemplate = \"page.html\"\n+++\n",
    );
    write(
        root,
        "content/blog/_index.md",
        "+++\ntitle = \"Blog\"\nsort_by = \"date\"\npaginate_by = 2\n+++\n",
    );
    for (name, day, tags) in [
        ("one", "01", "[\"Rust 2024\"]"),
        ("two", "02", "[\"Rust 2024\", \"news\"]"),
        ("three", "03", "[\"rust 2024\"]"),
    ] {
        write(
            root,
            &format!("content/blog/{name}.md"),
            &format!(
                "+++\ntitle = \"Post {name}\"\ndate = 2024-05-{day}\n[taxonomies]\ntags = {tags}\n+++\nText.\n"
            ),
        );
    }
    copy_default_theme(root);
    dir
}

/// The page list a default template writes (the navigation lists every page too).
fn listed(html: &str) -> &str {
    let start = html
        .find("class=\"page-list\"")
        .unwrap_or_else(|| panic!("no list: {html}"));
    let rest = &html[start..];
    &rest[..rest.find("</ul>").unwrap_or(rest.len())]
}

const TAGS: &str = "[[taxonomies]]\nname = \"tags\"";

#[test]
fn the_list_page_links_every_term_by_its_slug_with_its_page_count() {
    let dir = site(TAGS);
    let read = built(&dir);
    let list = read("tags/index.html");
    assert!(
        list.contains("<a href=\"/tags/news\">news</a> (1)"),
        "{list}"
    );
    assert!(
        list.contains("<a href=\"/tags/rust-2024\">Rust 2024</a> (3)"),
        "{list}"
    );
}

#[test]
fn a_term_page_lists_its_pages_newest_first() {
    let dir = site(TAGS);
    let read = built(&dir);
    let html = read("tags/rust-2024/index.html");
    let term = listed(&html);
    let at = |path: &str| term.find(path).unwrap_or_else(|| panic!("{path}: {term}"));
    assert!(at("/blog/three") < at("/blog/two") && at("/blog/two") < at("/blog/one"));
}

#[test]
fn term_pages_are_paginated_with_paginate_by() {
    let dir = site(&format!("{TAGS}\npaginate_by = 2"));
    let read = built(&dir);
    let html = read("tags/rust-2024/page/2/index.html");
    let second = listed(&html);
    assert!(second.contains("/blog/one"), "{second}");
    assert!(!second.contains("/blog/three"), "{second}");
    assert!(read("tags/rust-2024/index.html").contains("href=\"/tags/rust-2024/page/2\""));
}

#[test]
fn render_false_publishes_no_taxonomy_pages() {
    let dir = site(&format!("{TAGS}\nrender = false"));
    let _ = built(&dir);
    assert!(!dir.path().join("dist/tags").exists());
}

#[test]
fn an_undeclared_taxonomy_is_an_error_saying_how_to_declare_it() {
    let dir = site("");
    let out = generate(dir.path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("taxonomy `tags` is not declared in site.toml"),
        "{stderr}"
    );
    assert!(stderr.contains("[[taxonomies]]"), "{stderr}");
}

#[test]
fn a_themes_own_list_template_for_a_taxonomy_wins() {
    let dir = site(TAGS);
    write(
        dir.path(),
        "themes/default/templates/tags/list.html",
        "<!doctype html><html lang=\"en\"><head><title>t</title></head><body>OWN</body></html>\n",
    );
    let read = built(&dir);
    assert!(read("tags/index.html").contains("OWN"));
}

#[test]
fn the_slugify_filter_gives_a_terms_url_from_page_taxonomies() {
    let dir = site(TAGS);
    write(
        dir.path(),
        "themes/default/templates/page.html",
        "<!doctype html><html lang=\"en\"><head><title>t</title></head><body>\
         {% for t in page.taxonomies.tags | default([]) %}<a href=\"/tags/{{ t | slugify }}\">{{ t }}</a>{% endfor %}\
         </body></html>\n",
    );
    let read = built(&dir);
    assert!(read("blog/two/index.html").contains("<a href=\"/tags/news\">news</a>"));
}

#[test]
fn the_default_section_template_lists_a_pager_and_links_the_next() {
    let dir = site(TAGS);
    let read = built(&dir);
    let blog = read("blog/index.html");
    assert!(listed(&blog).contains("href=\"/blog/three\""), "{blog}");
    assert!(!listed(&blog).contains("href=\"/blog/one\""), "{blog}");
    assert!(
        blog.contains("href=\"/blog/page/2\" rel=\"next\""),
        "{blog}"
    );
}
