//! The `touchline` binary on small fixture sites and on the real site: one behaviour per test.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tempfile::TempDir;

/// A small valid site in a temporary folder; each test breaks one thing in it.
struct Fixture {
    dir: TempDir,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().expect("temp dir");
        let f = Fixture { dir };
        f.write(
            "site.toml",
            "title = \"Fixture\"\nbase_url = \"https://example.org\"\n",
        );
        f.write(
            "content/_index.md",
            "+++\ntitle = \"Home\"\n+++\n# Welcome\n\n[About](/about)\n",
        );
        f.write(
            "content/about.md",
            "+++\ntitle = \"About\"\nweight = 1\n+++\nAbout us.\n",
        );
        f.write(
            "themes/default/templates/base.html",
            "<!doctype html>\n<html lang=\"{{ site.language }}\"><head><title>{{ page.title }}</title>\
             <link rel=\"stylesheet\" href=\"{{ asset('app.css') }}\"></head>\n\
             <body>{% block body %}{% endblock %}</body></html>\n",
        );
        f.write(
            "themes/default/templates/page.html",
            "{% extends \"base.html\" %}\n{% block body %}\n{{ page.content }}\n{% endblock %}\n",
        );
        f.write(
            "themes/default/templates/index.html",
            "{% extends \"base.html\" %}\n{% block body %}{{ page.content }}\
             {% for p in pages %}<a href=\"{{ p.path }}\">{{ p.title }}</a>{% endfor %}{% endblock %}\n",
        );
        f.write("themes/default/static/app.css", "body { margin: 0 }\n");
        f
    }

    fn root(&self) -> &Path {
        self.dir.path()
    }

    fn out(&self) -> PathBuf {
        self.root().join("dist")
    }

    fn write(&self, rel: &str, text: &str) {
        self.write_bytes(rel, text.as_bytes());
    }

    fn write_bytes(&self, rel: &str, bytes: &[u8]) {
        let path = self.root().join(rel);
        fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        fs::write(path, bytes).expect("write fixture file");
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_touchline"))
            .args(args)
            .arg("--root")
            .arg(self.root())
            .current_dir(self.root())
            .output()
            .expect("run touchline")
    }

    fn generate(&self) -> Output {
        self.run(&[
            "generate",
            "--out",
            self.out().to_str().expect("utf-8 path"),
        ])
    }

    /// Runs `generate` expecting failure; returns stderr.
    fn fails(&self) -> String {
        let out = self.generate();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(
            out.status.code(),
            Some(1),
            "expected exit 1, got {:?}: {stderr}",
            out.status
        );
        stderr
    }
}

fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files: Vec<_> = walkdir::WalkDir::new(dir)
        .sort_by_file_name()
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

#[test]
fn a_valid_site_builds_with_pretty_urls_and_a_summary() {
    let f = Fixture::new();
    let out = f.generate();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(f.out().join("about/index.html").is_file());
    assert!(f.out().join("index.html").is_file());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("2 pages"), "{stderr}");
}

#[test]
fn text_files_are_written_precompressed_beside_themselves() {
    let f = Fixture::new();
    assert!(f.generate().status.success());
    for name in [
        "index.html.gz",
        "index.html.br",
        "sitemap.xml.gz",
        "robots.txt.br",
    ] {
        assert!(f.out().join(name).is_file(), "{name} missing");
    }
}

#[test]
fn assets_are_fingerprinted() {
    let f = Fixture::new();
    assert!(f.generate().status.success());
    let html = fs::read_to_string(f.out().join("index.html")).expect("index");
    let names: Vec<String> = fs::read_dir(f.out().join("assets"))
        .expect("assets dir")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".css"))
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
    assert!(
        names[0].starts_with("app.") && names[0].len() == "app.0123456789ab.css".len(),
        "{names:?}"
    );
    assert!(
        html.contains(&names[0]),
        "page links the fingerprinted name"
    );
}

#[test]
fn the_route_manifest_lists_every_page() {
    let f = Fixture::new();
    assert!(f.generate().status.success());
    let manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(f.out().join("_routes.json")).expect("manifest"))
            .expect("json");
    assert_eq!(manifest["pages"], serde_json::json!(["/", "/about"]));
    assert_eq!(manifest["assets_prefix"], "/assets/");
}

#[test]
fn two_builds_of_the_same_input_are_byte_identical() {
    let f = Fixture::new();
    assert!(f.generate().status.success());
    let first = snapshot(&f.out());
    assert!(f.generate().status.success());
    assert_eq!(first, snapshot(&f.out()));
}

#[test]
fn a_rebuild_after_changes_equals_a_fresh_build() {
    let f = Fixture::new();
    f.write("content/old.md", "+++\ntitle = \"Old\"\n+++\n");
    assert!(f.generate().status.success());
    assert!(
        f.generate().status.success(),
        "second build recycles the first one's folder"
    );
    std::fs::remove_file(f.root().join("content/old.md")).expect("remove page");
    f.write(
        "content/about.md",
        "+++\ntitle = \"About\"\n+++\nChanged.\n",
    );
    assert!(f.generate().status.success());
    let fresh = f.root().join("fresh");
    let out = f.run(&["generate", "--out", fresh.to_str().expect("utf-8 path")]);
    assert!(out.status.success());
    assert_eq!(snapshot(&f.out()), snapshot(&fresh));
    assert!(!f.out().join("old").exists());
}

#[test]
fn a_failed_build_leaves_the_previous_output_byte_identical() {
    let f = Fixture::new();
    assert!(f.generate().status.success());
    let before = snapshot(&f.out());
    f.write(
        "content/about.md",
        "+++\ntitle = \"About\"\n+++\n[gone](/nowhere)\n",
    );
    f.fails();
    assert_eq!(before, snapshot(&f.out()));
    let leftovers: Vec<_> = fs::read_dir(f.root())
        .expect("root")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().contains("staging"))
        .collect();
    assert!(
        leftovers.is_empty(),
        "staging folder left behind: {leftovers:?}"
    );
}

#[test]
fn check_writes_nothing() {
    let f = Fixture::new();
    let out = f.run(&["check"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!f.out().exists());
}

#[test]
fn check_fails_on_a_problem() {
    let f = Fixture::new();
    f.write(
        "content/about.md",
        "+++\ntitle = \"About\"\n+++\n[gone](/nowhere)\n",
    );
    assert_eq!(f.run(&["check"]).status.code(), Some(1));
}

#[test]
fn malformed_front_matter_names_file_and_line() {
    let f = Fixture::new();
    f.write(
        "content/about.md",
        "+++\ntitle = \"About\"\nweight = \"heavy\"\n+++\n",
    );
    let err = f.fails();
    assert!(
        err.contains("error: content/about.md:3: invalid type: string \"heavy\", expected i64"),
        "{err}"
    );
}

#[test]
fn unknown_template_names_the_page_and_line() {
    let f = Fixture::new();
    f.write(
        "content/about.md",
        "+++\ntitle = \"About\"\ntemplate = \"nope.html\"\n+++\n",
    );
    let err = f.fails();
    assert!(
        err.contains("error: content/about.md:3: unknown template `nope.html` (not in the theme's templates/ folder)"),
        "{err}"
    );
}

#[test]
fn template_syntax_error_names_the_template_line_with_context() {
    let f = Fixture::new();
    f.write(
        "themes/default/templates/page.html",
        "{% extends \"base.html\" %}\n{% block body %}\n{% if %}\n{% endblock %}\n",
    );
    let err = f.fails();
    assert!(
        err.contains(
            "error: themes/default/templates/page.html:3: syntax error: unexpected end of block"
        ),
        "{err}"
    );
    assert!(err.contains("^"), "context marker: {err}");
}

#[test]
fn undefined_variable_names_the_template_line_and_the_page() {
    let f = Fixture::new();
    f.write(
        "themes/default/templates/page.html",
        "{% extends \"base.html\" %}\n{% block body %}\n{{ page.titel }}\n{% endblock %}\n",
    );
    let err = f.fails();
    assert!(
        err.contains(
            "error: themes/default/templates/page.html:3: undefined value (while rendering /about)"
        ),
        "{err}"
    );
}

#[test]
fn a_link_that_escapes_the_site_root_is_refused() {
    let f = Fixture::new();
    f.write(
        "content/about.md",
        "+++\ntitle = \"About\"\n+++\n[secret](/../../etc/passwd)\n",
    );
    let err = f.fails();
    assert!(
        err.contains("error: about/index.html: `/../../etc/passwd` escapes the site root"),
        "{err}"
    );
}

#[test]
fn an_include_that_escapes_the_theme_is_refused() {
    let f = Fixture::new();
    f.write(
        "themes/default/templates/page.html",
        "{% include \"../../../site.toml\" %}\n",
    );
    let err = f.fails();
    assert!(
        err.contains(
            "error: themes/default/templates/page.html:1: template not found: tried to include non-existing \
             template \"../../../site.toml\" (a template name cannot climb out of the theme's templates/ folder)"
        ),
        "{err}"
    );
}

#[test]
fn a_broken_internal_link_names_page_and_target() {
    let f = Fixture::new();
    f.write(
        "content/about.md",
        "+++\ntitle = \"About\"\n+++\n[gone](/nowhere)\n",
    );
    let err = f.fails();
    assert!(
        err.contains(
            "error: about/index.html: broken internal link `/nowhere` (no such file in the output)"
        ),
        "{err}"
    );
}

#[test]
fn a_non_utf8_page_names_the_line() {
    let f = Fixture::new();
    f.write_bytes(
        "content/about.md",
        b"+++\ntitle = \"About\"\n+++\nfine\n\xff\xfe\n",
    );
    let err = f.fails();
    assert!(
        err.contains("error: content/about.md:5: not valid UTF-8 (invalid byte at offset 29)"),
        "{err}"
    );
}

#[test]
fn an_unknown_key_in_site_toml_is_an_error() {
    let f = Fixture::new();
    f.write(
        "site.toml",
        "title = \"Fixture\"\nbase_url = \"https://example.org\"\nthem = \"dark\"\n",
    );
    let err = f.fails();
    assert!(
        err.contains("error: site.toml:3: unknown field `them`"),
        "{err}"
    );
}

#[test]
fn a_symlink_out_of_the_site_is_refused() {
    let f = Fixture::new();
    let outside = tempfile::tempdir().expect("outside");
    fs::write(
        outside.path().join("secret.md"),
        "+++\ntitle = \"x\"\n+++\n",
    )
    .expect("write");
    std::os::unix::fs::symlink(
        outside.path().join("secret.md"),
        f.root().join("content/secret.md"),
    )
    .expect("symlink");
    let err = f.fails();
    assert!(err.contains("error: content/secret.md: `"), "{err}");
    assert!(err.contains("escapes the site root"), "{err}");
}

#[test]
fn every_problem_is_reported_in_one_run() {
    let f = Fixture::new();
    f.write(
        "content/about.md",
        "+++\ntitle = \"About\"\ntemplate = \"nope.html\"\n+++\n",
    );
    f.write("content/other.md", "+++\ntitel = \"x\"\n+++\n");
    let err = f.fails();
    assert!(
        err.contains("content/about.md:3") && err.contains("content/other.md:2"),
        "{err}"
    );
    assert!(err.contains("2 problem(s); nothing was written"), "{err}");
}

#[test]
fn drafts_are_not_published() {
    let f = Fixture::new();
    f.write(
        "content/draft.md",
        "+++\ntitle = \"Draft\"\ndraft = true\n+++\n",
    );
    assert!(f.generate().status.success());
    assert!(!f.out().join("draft").exists());
}

#[test]
fn generated_outputs_come_one_per_data_item() {
    let f = Fixture::new();
    f.write(
        "site.toml",
        "title = \"F\"\nbase_url = \"https://example.org\"\n\n[[generate]]\ndata = \"people\"\nitems = \"people\"\npath = \"/people/{slug}\"\ntemplate = \"person.html\"\ntitle = \"{name}\"\n",
    );
    f.write("content/data/people.toml", "[[people]]\nslug = \"ada\"\nname = \"Ada\"\n\n[[people]]\nslug = \"alan\"\nname = \"Alan\"\n");
    f.write(
        "themes/default/templates/person.html",
        "<p>{{ page.title }} {{ item.slug }}</p>\n",
    );
    assert!(f.generate().status.success());
    let ada = fs::read_to_string(f.out().join("people/ada/index.html")).expect("ada");
    assert_eq!(ada, "<p>Ada ada</p>\n");
    assert!(f.out().join("people/alan/index.html").is_file());
}

#[test]
fn yaml_front_matter_is_accepted() {
    let f = Fixture::new();
    f.write(
        "content/about.md",
        "---\ntitle: About\nweight: 1\n---\nAbout us.\n",
    );
    assert!(f.generate().status.success());
}

#[test]
fn the_real_site_builds_with_all_twenty_clubs_and_the_final_table() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = tempfile::tempdir().expect("out");
    let dist = out.path().join("dist");
    let status = Command::new(env!("CARGO_BIN_EXE_touchline"))
        .args(["-q", "generate", "--root"])
        .arg(&root)
        .arg("--out")
        .arg(&dist)
        .status()
        .expect("run touchline");
    assert!(status.success());
    let clubs: toml::Table =
        toml::from_str(&fs::read_to_string(root.join("content/data/clubs.toml")).expect("clubs"))
            .expect("toml");
    let clubs = clubs["clubs"].as_array().expect("clubs array");
    assert_eq!(clubs.len(), 20);
    let home = fs::read_to_string(dist.join("index.html")).expect("home");
    let mut last = 0;
    for club in clubs {
        let slug = club["slug"].as_str().expect("slug");
        assert!(
            dist.join(format!("teams/{slug}/index.html")).is_file(),
            "{slug} page"
        );
        assert!(
            dist.join(format!("badges/{slug}.svg")).is_file(),
            "{slug} badge"
        );
        assert!(
            home.contains(&format!("/badges/{slug}.svg")),
            "{slug} in the carousel"
        );
        // The table lists clubs in final order: each name appears after the previous one.
        let name = html_escape::encode_text(club["name"].as_str().expect("name")).into_owned();
        let at = home[last..].find(&name).map(|i| i + last);
        assert!(
            at.is_some(),
            "{name} after position {last} on the home page"
        );
        last = at.unwrap_or(last);
    }
    for page in [
        "gandalf/index.html",
        "colombo/index.html",
        "tasks/index.html",
        "404.html",
        "sitemap.xml",
        "robots.txt",
        "favicon.svg",
        "_routes.json",
    ] {
        assert!(dist.join(page).is_file(), "{page}");
    }
}
