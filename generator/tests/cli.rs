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

/// Pins a failing run's whole stderr (snapshot named after the test), with the temporary
/// folder's path made stable.
macro_rules! assert_stderr {
    ($stderr:expr) => {
        insta::with_settings!({
            filters => vec![(r"/tmp/\.tmp[A-Za-z0-9]+", "[TMP]")],
            prepend_module_to_snapshot => false,
            omit_expression => true,
        }, {
            insta::assert_snapshot!($stderr);
        })
    };
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
    assert_stderr!(f.fails());
}

#[test]
fn unknown_template_names_the_page_and_line() {
    let f = Fixture::new();
    f.write(
        "content/about.md",
        "+++\ntitle = \"About\"\ntemplate = \"nope.html\"\n+++\n",
    );
    assert_stderr!(f.fails());
}

#[test]
fn template_syntax_error_names_the_template_line_with_context() {
    let f = Fixture::new();
    f.write(
        "themes/default/templates/page.html",
        "{% extends \"base.html\" %}\n{% block body %}\n{% if %}\n{% endblock %}\n",
    );
    assert_stderr!(f.fails());
}

#[test]
fn undefined_variable_names_the_template_line_and_the_page() {
    let f = Fixture::new();
    f.write(
        "themes/default/templates/page.html",
        "{% extends \"base.html\" %}\n{% block body %}\n{{ page.titel }}\n{% endblock %}\n",
    );
    assert_stderr!(f.fails());
}

#[test]
fn a_link_that_escapes_the_site_root_is_refused() {
    let f = Fixture::new();
    f.write(
        "content/about.md",
        "+++\ntitle = \"About\"\n+++\n[secret](/../../etc/passwd)\n",
    );
    assert_stderr!(f.fails());
}

#[test]
fn an_include_that_escapes_the_theme_is_refused() {
    let f = Fixture::new();
    f.write(
        "themes/default/templates/page.html",
        "{% include \"../../../site.toml\" %}\n",
    );
    assert_stderr!(f.fails());
}

#[test]
fn a_broken_internal_link_names_page_and_target() {
    let f = Fixture::new();
    f.write(
        "content/about.md",
        "+++\ntitle = \"About\"\n+++\n[gone](/nowhere)\n",
    );
    assert_stderr!(f.fails());
}

#[test]
fn a_non_utf8_page_names_the_line() {
    let f = Fixture::new();
    f.write_bytes(
        "content/about.md",
        b"+++\ntitle = \"About\"\n+++\nfine\n\xff\xfe\n",
    );
    assert_stderr!(f.fails());
}

#[test]
fn an_unknown_key_in_site_toml_is_an_error() {
    let f = Fixture::new();
    f.write(
        "site.toml",
        "title = \"Fixture\"\nbase_url = \"https://example.org\"\nthem = \"dark\"\n",
    );
    assert_stderr!(f.fails());
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
    assert_stderr!(f.fails());
}

#[test]
fn a_folder_linked_from_outside_the_site_is_refused() {
    // Files below a folder are read without resolving each one's path: the folder itself must
    // be checked, or a linked `static/` would publish whatever it points at.
    let f = Fixture::new();
    let outside = tempfile::tempdir().expect("outside");
    fs::write(outside.path().join("app.css"), "body{}\n").expect("write");
    fs::remove_dir_all(f.root().join("themes/default/static")).expect("remove static");
    std::os::unix::fs::symlink(outside.path(), f.root().join("themes/default/static"))
        .expect("symlink");
    let stderr = f.fails();
    assert!(
        stderr.contains("themes/default/static/app.css")
            && stderr.contains("escapes the site root"),
        "{stderr}"
    );
}

#[test]
fn every_problem_is_reported_in_one_run() {
    let f = Fixture::new();
    f.write(
        "content/about.md",
        "+++\ntitle = \"About\"\ntemplate = \"nope.html\"\n+++\n",
    );
    f.write("content/other.md", "+++\ntitel = \"x\"\n+++\n");
    assert_stderr!(f.fails());
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

/// The fixture with people generated from `content/data/people.toml` by `[[generate]]`.
fn people(f: &Fixture, generate: &str, people: &str) {
    f.write(
        "site.toml",
        &format!("title = \"F\"\nbase_url = \"https://example.org\"\n\n[[generate]]\n{generate}"),
    );
    f.write("content/data/people.toml", people);
    f.write(
        "themes/default/templates/person.html",
        "<p>{{ page.title }} {{ item.slug }}</p>\n",
    );
}

const PEOPLE: &str = "[[people]]\nslug = \"ada\"\nname = \"Ada\"\n\n[[people]]\nslug = \"alan turing\"\nname = \"Alan\"\n";

#[test]
fn a_bad_value_in_a_data_item_is_reported_where_the_item_sets_it() {
    let f = Fixture::new();
    people(
        &f,
        "data = \"people\"\nitems = \"people\"\npath = \"/people/{slug}\"\ntemplate = \"person.html\"\n",
        &PEOPLE.replace("alan turing", "alan/../x"),
    );
    assert_stderr!(f.fails());
}

#[test]
fn a_bad_generate_pattern_is_reported_at_its_line() {
    let f = Fixture::new();
    people(
        &f,
        "data = \"people\"\nitems = \"people\"\npath = \"people/{slug}\"\ntemplate = \"person.html\"\n",
        PEOPLE,
    );
    assert_stderr!(f.fails());
}

#[test]
fn a_generate_field_no_item_has_is_reported_at_the_pattern() {
    let f = Fixture::new();
    people(
        &f,
        "data = \"people\"\nitems = \"people\"\npath = \"/people/{slgu}\"\ntemplate = \"person.html\"\n",
        PEOPLE,
    );
    assert_stderr!(f.fails());
}

#[test]
fn a_generate_naming_a_missing_data_file_suggests_the_nearest() {
    let f = Fixture::new();
    people(
        &f,
        "data = \"peple\"\nitems = \"people\"\npath = \"/people/{slug}\"\ntemplate = \"person.html\"\n",
        PEOPLE,
    );
    assert_stderr!(f.fails());
}

#[test]
fn a_generate_naming_a_missing_template_is_reported_at_its_line() {
    let f = Fixture::new();
    people(
        &f,
        "data = \"people\"\nitems = \"people\"\npath = \"/people/{slug}\"\ntemplate = \"persn.html\"\n",
        PEOPLE,
    );
    assert_stderr!(f.fails());
}

#[test]
fn a_broken_data_file_is_one_error_not_a_cascade() {
    let f = Fixture::new();
    people(
        &f,
        "data = \"people\"\nitems = \"people\"\npath = \"/people/{slug}\"\ntemplate = \"person.html\"\n",
        PEOPLE,
    );
    f.write("content/data/other.toml", "x = \n");
    assert_stderr!(f.fails());
}

/// `touchline ARGS` from the fixture's folder: its whole stdout.
fn help(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_touchline"))
        .args(args)
        .output()
        .expect("run touchline");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 help")
}

#[test]
fn help_is_pinned() {
    insta::assert_snapshot!("help", help(&["--help"]));
    for command in ["generate", "check", "watch", "serve"] {
        insta::assert_snapshot!(format!("help_{command}"), help(&[command, "--help"]));
    }
}

impl Fixture {
    /// `touchline ARGS` from the site folder without `--root`, as a user types it there.
    fn run_here(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_touchline"))
            .args(args)
            .current_dir(self.root())
            .output()
            .expect("run touchline")
    }

    /// [`Fixture::run_here`] expecting exit 1; returns stderr.
    fn fails_here(&self, args: &[&str]) -> String {
        let out = self.run_here(args);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        stderr
    }
}

#[test]
fn out_naming_the_content_folder_is_refused_before_anything_moves() {
    let f = Fixture::new();
    let before = snapshot(f.root());
    assert_stderr!(f.fails_here(&["generate", "--out", "content"]));
    assert_eq!(before, snapshot(f.root()), "the site folder changed");
}

#[test]
fn out_naming_the_site_folder_itself_is_refused() {
    let f = Fixture::new();
    let before = snapshot(f.root());
    assert_stderr!(f.fails_here(&["generate", "--out", "."]));
    assert_eq!(before, snapshot(f.root()));
}

#[test]
fn out_inside_content_or_naming_themes_is_refused() {
    let f = Fixture::new();
    let inside = f.fails_here(&["generate", "--out", "content/out"]);
    assert!(
        inside.contains("it lies inside the site's content/ folder"),
        "{inside}"
    );
    let themes = f.fails_here(&["generate", "--out", "themes/"]);
    assert!(
        themes.contains("it is the site's themes/ folder"),
        "{themes}"
    );
    assert!(!f.root().join("content/out").exists());
}

#[test]
fn generate_from_the_site_folder_with_the_defaults_builds_dist() {
    let f = Fixture::new();
    let out = f.run_here(&["generate"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(f.root().join("dist/about/index.html").is_file());
}

#[test]
fn a_folder_without_a_site_is_named_with_what_to_do() {
    let f = Fixture::new();
    fs::create_dir(f.root().join("elsewhere")).expect("mkdir");
    let out = Command::new(env!("CARGO_BIN_EXE_touchline"))
        .arg("generate")
        .current_dir(f.root().join("elsewhere"))
        .output()
        .expect("run touchline");
    assert_eq!(out.status.code(), Some(1));
    assert_stderr!(String::from_utf8_lossy(&out.stderr));
}

#[test]
fn a_root_that_does_not_exist_is_named() {
    let f = Fixture::new();
    assert_stderr!(f.fails_here(&["check", "--root", "no-such-site"]));
}

#[test]
fn a_file_named_like_a_pages_precompressed_copy_is_a_conflict() {
    let f = Fixture::new();
    f.write("content/about/index.html.br", "not brotli");
    assert_stderr!(f.fails());
}

#[test]
fn a_route_named_like_a_pages_precompressed_copy_is_a_conflict() {
    let f = Fixture::new();
    f.write(
        "content/zip.md",
        "+++\ntitle = \"Zip\"\npath = \"/index.html.gz\"\n+++\n",
    );
    assert_stderr!(f.fails());
}

#[test]
fn a_link_to_a_hidden_file_outside_content_is_refused() {
    let f = Fixture::new();
    f.write(".env", "SECRET=1\n");
    std::os::unix::fs::symlink("../.env", f.root().join("content/env.txt")).expect("symlink");
    assert_stderr!(f.fails());
}

#[test]
fn a_link_to_a_hidden_file_inside_content_is_refused() {
    let f = Fixture::new();
    f.write("content/.secret", "SECRET=1\n");
    std::os::unix::fs::symlink(".secret", f.root().join("content/secret.txt")).expect("symlink");
    assert_stderr!(f.fails());
}

#[test]
fn a_link_to_a_file_inside_content_is_published() {
    let f = Fixture::new();
    f.write("content/files/a.txt", "a\n");
    std::os::unix::fs::symlink("files/a.txt", f.root().join("content/b.txt")).expect("symlink");
    assert!(f.generate().status.success());
    assert_eq!(
        fs::read_to_string(f.out().join("b.txt")).expect("b.txt"),
        "a\n"
    );
}

#[test]
fn a_base_url_that_is_not_http_is_refused() {
    let f = Fixture::new();
    f.write(
        "site.toml",
        "title = \"F\"\nbase_url = \"javascript:alert(1)\"\n",
    );
    assert_stderr!(f.fails());
}

#[test]
fn a_base_url_without_a_scheme_is_refused() {
    let f = Fixture::new();
    f.write(
        "site.toml",
        "title = \"F\"\nbase_url = \"touchline.example\"\n",
    );
    let err = f.fails();
    assert!(
        err.contains("must be an absolute http:// or https:// URL"),
        "{err}"
    );
}

#[test]
fn a_base_url_with_a_trailing_slash_is_accepted_and_normalised() {
    let f = Fixture::new();
    f.write(
        "site.toml",
        "title = \"F\"\nbase_url = \"https://example.org/\"\n",
    );
    assert!(f.generate().status.success());
    let sitemap = fs::read_to_string(f.out().join("sitemap.xml")).expect("sitemap");
    assert!(
        sitemap.contains("<loc>https://example.org/about</loc>"),
        "{sitemap}"
    );
    let robots = fs::read_to_string(f.out().join("robots.txt")).expect("robots");
    assert!(
        robots.contains("Sitemap: https://example.org/sitemap.xml"),
        "{robots}"
    );
}

#[test]
fn an_encoded_path_that_climbs_out_is_one_error_at_the_source() {
    let f = Fixture::new();
    f.write(
        "content/p.md",
        "+++\ntitle = \"P\"\npath = \"/%2e%2e/%2e%2e/x\"\n+++\n",
    );
    assert_stderr!(f.fails());
}

#[test]
fn an_over_long_path_is_one_error_at_the_source() {
    let f = Fixture::new();
    f.write(
        "content/p.md",
        &format!(
            "+++\ntitle = \"P\"\npath = \"/{}\"\n+++\n",
            "a".repeat(5000)
        ),
    );
    assert_stderr!(f.fails());
}

#[test]
fn a_hidden_route_is_refused_because_nginx_would_hide_it() {
    let f = Fixture::new();
    f.write(
        "content/p.md",
        "+++\ntitle = \"P\"\npath = \"/.git/config\"\n+++\n",
    );
    assert_stderr!(f.fails());
}

#[test]
fn a_file_name_that_is_not_utf8_is_an_error() {
    use std::os::unix::ffi::OsStrExt;
    let f = Fixture::new();
    let name = std::ffi::OsStr::from_bytes(b"caf\xe9.txt");
    fs::write(f.root().join("content").join(name), "x").expect("write");
    assert_stderr!(f.fails());
}

#[test]
fn a_page_or_file_whose_name_is_no_route_is_an_error_not_a_silent_move() {
    let f = Fixture::new();
    f.write("content/50%.md", "+++\ntitle = \"Half\"\n+++\n");
    f.write("content/files/100%.txt", "full\n");
    assert_stderr!(f.fails());
}
