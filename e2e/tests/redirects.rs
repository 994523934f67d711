//! Page aliases proven against the real nginx: the generator's `dist/_redirects.conf`, included
//! by the production configuration, makes every old URL a real `301` to its page.

use std::path::Path;
use std::process::Command;

use e2e::http::{self, Response};
use e2e::nginx::Nginx;
use e2e::workspace_root;

/// The workspace's site with one more page, `/moved`, that lists two old URLs.
fn site_with_aliases(root: &Path) {
    let source = workspace_root();
    let status = Command::new("cp")
        .arg("-R")
        .arg(source.join("site.toml"))
        .arg(source.join("content"))
        .arg(source.join("themes"))
        .arg(root)
        .status()
        .expect("running cp");
    assert!(status.success(), "copying the site failed: {status}");
    std::fs::write(
        root.join("content/moved.md"),
        "+++\ntitle = \"Moved\"\ndescription = \"A page with old URLs.\"\n\
         aliases = [\"/2023/old-page.html\", \"news/season\"]\n+++\n\nThe page moved here.\n",
    )
    .expect("writing content/moved.md");
}

struct Site {
    nginx: Nginx,
    _dir: tempfile::TempDir,
}

impl Site {
    fn start() -> Site {
        let dir = tempfile::tempdir().expect("creating a temporary folder");
        let root = dir.path().join("site");
        std::fs::create_dir(&root).expect("creating the site folder");
        site_with_aliases(&root);
        let dist = dir.path().join("dist");
        e2e::try_generate(&root, &dist).unwrap_or_else(|e| panic!("{e:#}"));
        let nginx = Nginx::start(&dist, &dir.path().join("access.log")).expect("starting nginx");
        Site { nginx, _dir: dir }
    }

    fn get(&self, path: &str) -> Response {
        http::get(self.nginx.port(), path).unwrap_or_else(|e| panic!("GET {path}: {e:#}"))
    }
}

#[test]
fn every_form_of_an_old_url_answers_301_to_its_page() {
    let site = Site::start();
    for old in [
        "/2023/old-page.html",
        "/news/season",
        "/news/season/",
        "/news/season/index.html",
    ] {
        let response = site.get(old);
        assert_eq!(response.status, 301, "GET {old}");
        assert_eq!(response.header("location"), Some("/moved"), "GET {old}");
    }
}

#[test]
fn the_redirect_carries_the_security_headers_and_the_page_itself_is_served() {
    let site = Site::start();
    let redirect = site.get("/news/season");
    assert!(
        redirect.header("content-security-policy").is_some(),
        "a 301 without the CSP: {:?}",
        redirect.headers
    );
    let page = site.get("/moved");
    assert_eq!(page.status, 200);
    assert!(page.text().contains("The page moved here."));
}

#[test]
fn the_redirect_map_itself_is_not_served() {
    let site = Site::start();
    for path in ["/_redirects.conf", "/_redirects.conf.gz"] {
        assert_eq!(site.get(path).status, 404, "GET {path}");
    }
}

#[test]
fn paths_that_are_not_aliases_are_not_redirected() {
    let site = Site::start();
    assert_eq!(site.get("/gandalf").status, 200);
    assert_eq!(site.get("/news/other").status, 404);
    assert_eq!(site.get("/news").status, 404);
}
