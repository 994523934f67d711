use super::*;

fn manifest() -> Manifest {
    serde_json::from_str(
        r#"{"pages": ["/", "/colombo", "/gandalf", "/tasks", "/teams/arsenal"],
            "files": ["/404.html", "/badges/arsenal.svg", "/favicon.svg", "/robots.txt", "/sitemap.xml"],
            "assets_prefix": "/assets/"}"#,
    )
    .expect("manifest")
}

fn label(router: &mut Router, target: &str) -> String {
    let id = router.route(target.as_bytes());
    router.label(id).to_owned()
}

#[test]
fn page_variants_map_to_one_route() {
    let mut r = Router::with_manifest(&manifest());
    for t in [
        "/gandalf",
        "/gandalf/",
        "/gandalf/index.html?x=1",
        "//gandalf",
        "/x/../gandalf",
        "/./gandalf#top",
    ] {
        assert_eq!(label(&mut r, t), "/gandalf", "{t}");
    }
}

#[test]
fn the_home_page_has_its_variants_too() {
    let mut r = Router::with_manifest(&manifest());
    for t in [
        "/",
        "/index.html",
        "/?utm=x",
        "/..",
        "http://touchline.example",
        "https://touchline.example/?a",
    ] {
        assert_eq!(label(&mut r, t), "/", "{t}");
    }
}

#[test]
fn percent_encoding_and_log_escapes_are_decoded() {
    let mut r = Router::with_manifest(&manifest());
    assert_eq!(label(&mut r, "/%67andalf"), "/gandalf");
    assert_eq!(label(&mut r, "/teams%2Farsenal"), "/teams/arsenal");
    assert_eq!(label(&mut r, r"/\x67andalf"), "/gandalf");
}

#[test]
fn absolute_form_targets_use_their_path() {
    let mut r = Router::with_manifest(&manifest());
    assert_eq!(label(&mut r, "http://touchline.example/tasks?x"), "/tasks");
}

#[test]
fn files_match_exactly() {
    let mut r = Router::with_manifest(&manifest());
    assert_eq!(label(&mut r, "/robots.txt"), "/robots.txt");
    assert_eq!(
        label(&mut r, "/badges/arsenal.svg?v=2"),
        "/badges/arsenal.svg"
    );
    assert_eq!(label(&mut r, "/robots.txt/"), "other");
}

#[test]
fn fingerprinted_assets_fold_into_one_label() {
    let mut r = Router::with_manifest(&manifest());
    assert_eq!(label(&mut r, "/assets/app.1a2b3c4d5e6f.css"), "/assets/*");
    assert_eq!(
        label(&mut r, "/assets/app.0123456789ab.js?v=1"),
        "/assets/*"
    );
    // The generator fingerprints a theme's static subfolders too.
    assert_eq!(label(&mut r, "/assets/x/app.1a2b3c4d5e6f.css"), "/assets/*");
    assert_eq!(label(&mut r, "/assets/app.css"), "other");
    assert_eq!(
        label(&mut r, "/assets/app.0123abcd.js"),
        "other",
        "not the contract's 12 hex"
    );
}

#[test]
fn unknown_paths_and_non_paths_are_other() {
    let mut r = Router::with_manifest(&manifest());
    for t in [
        "/wp-login.php",
        "*",
        "touchline.example:443",
        "/gandalf.html",
        "",
    ] {
        assert_eq!(label(&mut r, t), "other", "{t}");
    }
}

#[test]
fn every_manifest_route_is_an_initial_series() {
    let r = Router::with_manifest(&manifest());
    let labels: Vec<&str> = r.initial_routes().iter().map(|id| r.label(*id)).collect();
    assert_eq!(labels.len(), 10);
    assert!(labels.contains(&"/teams/arsenal") && labels.contains(&"/404.html"));
}

#[test]
fn without_a_manifest_paths_are_labels_up_to_the_cap() {
    let mut r = Router::open(2);
    assert_eq!(label(&mut r, "/a/?q"), "/a");
    assert_eq!(label(&mut r, "/b"), "/b");
    assert_eq!(label(&mut r, "/c"), "other");
    assert_eq!(label(&mut r, "/a/index.html"), "/a");
}

#[test]
fn without_a_manifest_overlong_paths_are_other() {
    let mut r = Router::open(10);
    assert_eq!(
        label(&mut r, &format!("/{}", "x".repeat(MAX_LABEL_LEN))),
        "other"
    );
}

#[test]
fn a_million_distinct_paths_keep_the_label_set_bounded() {
    let mut r = Router::open(DEFAULT_MAX_PATHS);
    for i in 0..1_000_000u32 {
        r.route(format!("/junk/{i}").as_bytes());
    }
    assert_eq!(r.labels().len(), DEFAULT_MAX_PATHS + 1);
}

#[test]
fn every_route_of_a_large_manifest_is_its_own_label_and_initial_series() {
    let pages: Vec<contract::Route> = (0..20_000)
        .map(|i| format!("/p/{i}").try_into().expect("route"))
        .collect();
    let files: Vec<contract::Route> = (0..5_000)
        .map(|i| format!("/f/{i}.svg").try_into().expect("route"))
        .collect();
    let mut r = Router::with_manifest(&Manifest::new(pages, files));
    assert_eq!(r.initial_routes().len(), 25_000);
    assert!(r.initial_routes().windows(2).all(|w| w[0] < w[1]));
    for i in (0..20_000).step_by(997) {
        let page = format!("/p/{i}");
        assert_eq!(label(&mut r, &format!("{page}/index.html")), page);
        let id = r.id_for_label(&page);
        assert_eq!(r.label(id), page);
    }
    assert_eq!(label(&mut r, "/f/4999.svg"), "/f/4999.svg");
    assert_eq!(r.id_for_label("/nowhere"), OTHER_ID);
}

#[test]
fn a_page_and_a_file_of_one_name_share_a_label_and_one_initial_series() {
    let m: Manifest = serde_json::from_str(
        r#"{"pages": ["/", "/x"], "files": ["/x", "/y"], "assets_prefix": "/assets/"}"#,
    )
    .expect("manifest");
    let r = Router::with_manifest(&m);
    let labels: Vec<&str> = r.initial_routes().iter().map(|id| r.label(*id)).collect();
    assert_eq!(labels, ["/", "/x", "/y"]);
}

#[test]
fn a_checkpointed_label_gets_an_id_while_the_open_router_has_room() {
    let mut r = Router::open(1);
    let a = r.id_for_label("/a");
    assert_eq!(r.label(a), "/a");
    assert_eq!(r.id_for_label("/a"), a);
    assert_eq!(r.id_for_label("/b"), OTHER_ID, "no room left");
    assert_eq!(label(&mut r, "/a/"), "/a");
}
