//! nginx/ proven against the real nginx: each test starts `/usr/sbin/nginx` with the project's
//! configuration on a free loopback port, serving a freshly generated `dist/`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use e2e::http::{self, Response};
use e2e::nginx::{self, Nginx};
use e2e::{wait_until, workspace_root};

// ---------------------------------------------------------------------------------------------
// Scaffolding

/// Generates the real site (this workspace's content and theme) into `out`.
fn build_dist(out: &Path) {
    e2e::generate_site(out);
}

/// One generated `dist/` shared by the tests of this process that do not modify it.
fn shared_dist() -> &'static Path {
    static DIST: OnceLock<PathBuf> = OnceLock::new();
    DIST.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("e2e-nginx");
        std::fs::create_dir_all(&dir).expect("creating target/tmp/e2e-nginx");
        let out = dir.join(format!("dist-{}", std::process::id()));
        build_dist(&out);
        out
    })
}

/// A running nginx with its own access log, serving `dist`.
struct Served {
    nginx: Nginx,
    dist: PathBuf,
    access_log: PathBuf,
    _logs: tempfile::TempDir,
}

impl Served {
    fn get(&self, path: &str) -> Response {
        http::get(self.nginx.port(), path).unwrap_or_else(|e| panic!("GET {path}: {e:#}"))
    }

    fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Response {
        http::get_with(self.nginx.port(), path, headers)
            .unwrap_or_else(|e| panic!("GET {path} {headers:?}: {e:#}"))
    }

    fn request(&self, method: &str, path: &str) -> Response {
        http::request(self.nginx.port(), method, path, &[])
            .unwrap_or_else(|e| panic!("{method} {path}: {e:#}"))
    }

    fn routes(&self) -> contract::Manifest {
        e2e::read_routes(&self.dist).expect("reading the route manifest")
    }

    fn access_log_lines(&self) -> Vec<String> {
        std::fs::read_to_string(&self.access_log)
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }
}

fn serve(dist: &Path) -> Served {
    let logs = tempfile::tempdir().expect("creating a log directory");
    let access_log = logs.path().join("access.log");
    let nginx = Nginx::start(dist, &access_log).expect("starting nginx");
    Served {
        nginx,
        dist: dist.to_path_buf(),
        access_log,
        _logs: logs,
    }
}

/// nginx serving the shared generated site.
fn serve_site() -> Served {
    serve(shared_dist())
}

/// The file in `dist` a URL path is served from.
fn file_for(dist: &Path, route: &str) -> PathBuf {
    let relative = route.trim_start_matches('/');
    let path = dist.join(relative);
    if route.ends_with('/') || path.is_dir() {
        path.join("index.html")
    } else {
        path
    }
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// The media type nginx must send for a served file, from its extension.
fn expected_content_type(file: &Path) -> &'static str {
    match file
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
    {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" => "application/javascript; charset=utf-8",
        "svg" => "image/svg+xml; charset=utf-8",
        "xml" => "text/xml; charset=utf-8",
        "txt" => "text/plain; charset=utf-8",
        "json" => "application/json; charset=utf-8",
        "webmanifest" => "application/manifest+json; charset=utf-8",
        "ico" => "image/x-icon",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "woff2" => "font/woff2",
        other => panic!("no expected Content-Type for .{other} ({})", file.display()),
    }
}

/// Fingerprinted assets in `dist/assets/` (`app.1a2b3c4d5e6f.css`), as URL paths.
fn fingerprinted_assets(dist: &Path, routes: &contract::Manifest) -> Vec<String> {
    let dir = dist.join(routes.assets_prefix.trim_matches('/'));
    let mut assets: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("listing {}: {e}", dir.display()))
        .map(|entry| entry.expect("reading a directory entry").file_name())
        .filter_map(|name| name.to_str().map(str::to_string))
        .filter(|name| contract::asset::is_fingerprinted(name.as_bytes()))
        .map(|name| format!("{}{name}", routes.assets_prefix))
        .collect();
    assets.sort();
    assets
}

const SECURITY_HEADERS: [&str; 5] = [
    "content-security-policy",
    "x-content-type-options",
    "referrer-policy",
    "permissions-policy",
    "x-frame-options",
];

fn assert_security_headers(response: &Response, what: &str) {
    for name in SECURITY_HEADERS {
        assert_eq!(
            response.headers_named(name).count(),
            1,
            "{what}: exactly one {name} header expected; headers: {:?}",
            response.headers
        );
    }
    let csp = response
        .header("content-security-policy")
        .expect("Content-Security-Policy");
    for directive in [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "object-src 'none'",
    ] {
        assert!(
            csp.split(';').any(|d| d.trim() == directive),
            "{what}: CSP lacks {directive:?}: {csp}"
        );
    }
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
        "{what}: CSP must not allow inline code or eval: {csp}"
    );
    assert_eq!(response.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(response.header("x-frame-options"), Some("DENY"));
    assert_eq!(
        response.header("server"),
        Some("nginx"),
        "{what}: server_tokens off hides the version"
    );
}

// ---------------------------------------------------------------------------------------------
// The configuration itself

#[test]
fn nginx_accepts_the_configuration() {
    let runtime = tempfile::tempdir().expect("temp dir");
    let env = nginx::Environment {
        listen: "127.0.0.1:8080".to_string(),
        root: runtime.path().join("dist"),
        access_log: runtime.path().join("access.log"),
        runtime_dir: runtime.path().to_path_buf(),
    };
    let conf = nginx::write_config(&env).expect("rendering nginx.conf");
    let output = nginx::test_config(&env, &conf).expect("nginx -t");
    assert!(
        output.contains("test is successful"),
        "nginx -t said:\n{output}"
    );
    assert!(!output.contains("[warn]"), "nginx -t warned:\n{output}");
}

#[test]
fn gixy_reports_no_finding_on_the_production_configuration() {
    let gixy = workspace_root().join(".tools/venv/bin/gixy");
    assert!(
        gixy.is_file(),
        "{} is missing; install it with: scripts/install-deps",
        gixy.display()
    );
    let output = Command::new(&gixy)
        .args(["--format", "text"])
        .arg(nginx::config_dir().join("nginx.conf"))
        .output()
        .expect("running gixy");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "gixy found problems:\n{text}");
    assert!(text.contains("No issues found"), "gixy said:\n{text}");
}

#[test]
fn only_the_environment_lines_differ_from_the_production_configuration() {
    let template = std::fs::read_to_string(nginx::config_dir().join("nginx.conf"))
        .expect("reading nginx/nginx.conf");
    let env = nginx::Environment {
        listen: "127.0.0.1:1234".to_string(),
        root: PathBuf::from("/srv/site"),
        access_log: PathBuf::from("/var/log/site.log"),
        runtime_dir: PathBuf::from("/run/site"),
    };
    let rendered = nginx::render_config(&template, &env).expect("rendering");
    let (template_lines, rendered_lines): (Vec<_>, Vec<_>) =
        (template.lines().collect(), rendered.lines().collect());
    assert_eq!(template_lines.len(), rendered_lines.len());
    for (original, new) in template_lines.iter().zip(&rendered_lines) {
        if original.trim_end().ends_with("# env") && !original.trim_start().starts_with('#') {
            continue;
        }
        assert_eq!(original, new, "a line without \"# env\" was changed");
    }
    assert!(rendered.contains("listen 127.0.0.1:1234 default_server;"));
    assert!(rendered.contains("root \"/srv/site\";"));
    assert!(rendered.contains("access_log \"/var/log/site.log\" touchline;"));
}

#[test]
fn the_shell_renderer_writes_the_same_configuration_as_the_tests() {
    let dir = tempfile::tempdir().expect("temp dir");
    let env = nginx::Environment {
        listen: "127.0.0.1:18080".to_string(),
        root: dir.path().join("dist"),
        access_log: dir.path().join("logs/access.log"),
        runtime_dir: dir.path().join("rust"),
    };
    let rust_conf = nginx::write_config(&env).expect("rendering in Rust");
    let shell_dir = dir.path().join("shell");
    let status = Command::new(nginx::config_dir().join("render-conf"))
        .arg(&shell_dir)
        .arg(&env.listen)
        .arg(&env.root)
        .arg(&env.access_log)
        .arg(&env.runtime_dir)
        .status()
        .expect("running nginx/render-conf");
    assert!(status.success(), "nginx/render-conf failed");
    let conf_dir = rust_conf.parent().expect("conf dir");
    let mut names: Vec<_> = std::fs::read_dir(conf_dir)
        .expect("listing")
        .map(|e| e.expect("entry").file_name())
        .collect();
    names.sort();
    let mut shell_names: Vec<_> = std::fs::read_dir(&shell_dir)
        .expect("listing")
        .map(|e| e.expect("entry").file_name())
        .collect();
    shell_names.sort();
    assert_eq!(names, shell_names, "the same files");
    for name in names {
        assert_eq!(
            std::fs::read_to_string(conf_dir.join(&name)).expect("read"),
            std::fs::read_to_string(shell_dir.join(&name)).expect("read"),
            "{name:?} differs"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Routes

#[test]
fn every_manifest_route_returns_200_with_its_content_type() {
    let site = serve_site();
    let routes = site.routes();
    assert!(!routes.pages.is_empty(), "the manifest lists no page");
    let mut checked = 0;
    for route in routes.all() {
        let response = site.get(route);
        let file = file_for(&site.dist, route);
        assert_eq!(response.status, 200, "GET {route}");
        assert_eq!(
            response.header("content-type"),
            Some(expected_content_type(&file)),
            "GET {route}"
        );
        assert_eq!(
            response.body,
            read(&file),
            "GET {route}: body differs from {file:?}"
        );
        checked += 1;
    }
    println!("{checked} routes checked");
}

#[test]
fn pages_are_served_with_and_without_trailing_slash_without_redirect() {
    let site = serve_site();
    for page in ["/gandalf", "/colombo"] {
        let expected = read(&file_for(&site.dist, page));
        for path in [
            page.to_string(),
            format!("{page}/"),
            format!("{page}/index.html"),
        ] {
            let response = site.get(&path);
            assert_eq!(response.status, 200, "GET {path}");
            assert_eq!(
                response.header("location"),
                None,
                "GET {path} must not redirect"
            );
            assert_eq!(response.body, expected, "GET {path} serves {page}'s page");
        }
    }
    let home = site.get("/");
    assert_eq!(home.status, 200);
    assert_eq!(home.body, read(&site.dist.join("index.html")));
}

#[test]
fn a_missing_page_returns_404_with_the_404_page() {
    let site = serve_site();
    let not_found = read(&site.dist.join("404.html"));
    for path in [
        "/no-such-page",
        "/no/such/page/",
        "/gandalf/nope",
        "/missing.css",
    ] {
        let response = site.get(path);
        assert_eq!(response.status, 404, "GET {path}");
        assert_eq!(
            response.header("content-type"),
            Some("text/html; charset=utf-8")
        );
        assert_eq!(response.body, not_found, "GET {path} serves 404.html");
    }
}

#[test]
fn directories_are_not_listed() {
    let site = serve_site();
    let routes = site.routes();
    let assets = routes.assets_prefix.trim_end_matches('/');
    // Directories without an index.html, with and without the slash: 404, never a listing nor
    // nginx's redirect to the slashed URL (which would name nginx's own host and port).
    for path in [
        routes.assets_prefix.as_str(),
        assets,
        "/teams",
        "/teams/",
        "/badges/",
    ] {
        let response = site.get(path);
        assert_eq!(response.status, 404, "GET {path}");
        assert_eq!(
            response.header("location"),
            None,
            "GET {path} must not redirect"
        );
        assert!(
            !response.text().contains("Index of"),
            "GET {path}: no directory listing"
        );
    }
}

#[test]
fn hidden_files_and_the_route_manifest_are_not_served() {
    let dir = tempfile::tempdir().expect("temp dir");
    let dist = dir.path().join("dist");
    build_dist(&dist);
    let site = serve(&dist);
    // Put hidden files where a careless deploy might leave them.
    std::fs::create_dir_all(site.dist.join(".git")).expect("mkdir .git");
    std::fs::write(site.dist.join(".git/config"), "[core]\n").expect("write .git/config");
    std::fs::write(site.dist.join(".env"), "SECRET=1\n").expect("write .env");
    std::fs::write(site.dist.join("gandalf/.secret"), "x\n").expect("write gandalf/.secret");
    for path in [
        "/.git/config",
        "/.git/",
        "/.env",
        "/gandalf/.secret",
        "/_routes.json",
        "/_routes.json.gz",
    ] {
        let response = site.get_with(path, &[("Accept-Encoding", "gzip, br")]);
        assert_eq!(response.status, 404, "GET {path}");
    }
}

// ---------------------------------------------------------------------------------------------
// Compression

/// `path` asked with `accept_encoding` is answered with the generator's `<file>.<ext>` as is,
/// `Content-Encoding: <encoding>`, decoding to the plain file.
fn assert_precompressed(
    site: &Served,
    path: &str,
    accept_encoding: &str,
    encoding: &str,
    ext: &str,
) {
    let file = file_for(&site.dist, path);
    let response = site.get_with(path, &[("Accept-Encoding", accept_encoding)]);
    assert_eq!(response.status, 200, "GET {path}");
    assert_eq!(
        response.header("content-encoding"),
        Some(encoding),
        "GET {path}"
    );
    assert_eq!(
        response.header("vary"),
        Some("Accept-Encoding"),
        "GET {path}"
    );
    let mut compressed = file.clone().into_os_string();
    compressed.push(format!(".{ext}"));
    assert_eq!(
        response.body,
        read(Path::new(&compressed)),
        "GET {path}: the .{ext} file as is"
    );
    assert_eq!(
        response.decoded_body().expect("decoding"),
        read(&file),
        "GET {path}"
    );
}

#[test]
fn gzip_requests_get_the_precompressed_file() {
    let site = serve_site();
    for path in ["/", "/gandalf", "/sitemap.xml"] {
        assert_precompressed(&site, path, "gzip", "gzip", "gz");
    }
}

#[test]
fn a_file_gzip_would_make_larger_has_no_gz_copy_and_is_served_plain() {
    // robots.txt is 71 bytes; gzip's 18 bytes of framing make it larger, so the generator
    // writes no .gz, and nginx (gzip_min_length 256) sends the file itself.
    let site = serve_site();
    let file = file_for(&site.dist, "/robots.txt");
    let mut gz = file.clone().into_os_string();
    gz.push(".gz");
    assert!(!Path::new(&gz).exists(), "{gz:?} should not be written");
    let response = site.get_with("/robots.txt", &[("Accept-Encoding", "gzip")]);
    assert_eq!(response.status, 200);
    assert_eq!(response.header("content-encoding"), None);
    assert_eq!(response.body, read(&file));
}

#[test]
fn http_1_0_clients_like_reverse_proxies_get_the_precompressed_file_too() {
    let site = serve_site();
    let raw = http::send_raw(
        site.nginx.port(),
        b"GET /gandalf HTTP/1.0\r\nHost: touchline\r\nAccept-Encoding: gzip\r\nVia: 1.1 proxy\r\n\r\n",
    )
    .expect("HTTP/1.0 request");
    let response = http::parse_response(&raw, false).expect("parsing the response");
    assert_eq!(response.status, 200);
    assert_eq!(response.header("content-encoding"), Some("gzip"));
    assert_eq!(
        response.decoded_body().expect("gunzip"),
        read(&file_for(&site.dist, "/gandalf"))
    );
}

#[test]
fn brotli_requests_get_the_precompressed_file() {
    let site = serve_site();
    for path in ["/", "/gandalf", "/sitemap.xml"] {
        assert_precompressed(&site, path, "br, gzip", "br", "br");
    }
}

#[test]
fn text_without_a_precompressed_file_is_gzipped_on_the_fly() {
    let dir = tempfile::tempdir().expect("temp dir");
    let dist = dir.path().join("dist");
    build_dist(&dist);
    let text = "User-agent: *\nAllow: /\n".repeat(40);
    std::fs::write(dist.join("extra.txt"), &text).expect("write extra.txt");
    let site = serve(&dist);
    let response = site.get_with("/extra.txt", &[("Accept-Encoding", "gzip")]);
    assert_eq!(response.status, 200);
    assert_eq!(response.header("content-encoding"), Some("gzip"));
    assert_eq!(response.decoded_body().expect("gunzip"), text.as_bytes());
}

#[test]
fn clients_without_accept_encoding_get_the_plain_file() {
    let site = serve_site();
    let response = site.get("/");
    assert_eq!(response.header("content-encoding"), None);
    assert_eq!(response.body, read(&site.dist.join("index.html")));
    assert_eq!(response.content_length(), Some(response.body.len()));
}

// ---------------------------------------------------------------------------------------------
// Caching

#[test]
fn fingerprinted_assets_are_cached_immutable_for_a_year() {
    let site = serve_site();
    let assets = fingerprinted_assets(&site.dist, &site.routes());
    assert!(!assets.is_empty(), "no fingerprinted asset in dist/");
    for asset in assets {
        for encoding in ["gzip", "br", "identity"] {
            let response = site.get_with(&asset, &[("Accept-Encoding", encoding)]);
            assert_eq!(response.status, 200, "GET {asset}");
            assert_eq!(
                response.header("cache-control"),
                Some("public, max-age=31536000, immutable"),
                "GET {asset} ({encoding})"
            );
        }
    }
}

#[test]
fn html_is_revalidated_with_etag_and_last_modified() {
    let site = serve_site();
    for path in ["/", "/gandalf", "/404.html"] {
        let response = site.get(path);
        assert_eq!(
            response.header("cache-control"),
            Some("no-cache"),
            "GET {path}"
        );
        assert!(response.header("etag").is_some(), "GET {path} has an ETag");
        assert!(response.header("last-modified").is_some(), "GET {path}");
    }
    let missing = site.get("/no-such-page");
    assert_eq!(
        missing.header("cache-control"),
        Some("no-cache"),
        "the 404 page"
    );
}

#[test]
fn an_html_page_answers_304_to_a_matching_if_none_match() {
    let site = serve_site();
    for encoding in ["identity", "gzip", "br"] {
        let first = site.get_with("/gandalf", &[("Accept-Encoding", encoding)]);
        let etag = first.header("etag").expect("ETag").to_string();
        let again = site.get_with(
            "/gandalf",
            &[("Accept-Encoding", encoding), ("If-None-Match", &etag)],
        );
        assert_eq!(again.status, 304, "If-None-Match {etag} ({encoding})");
        assert!(again.body.is_empty());
        assert_eq!(again.header("etag"), Some(etag.as_str()));
        let changed = site.get_with(
            "/gandalf",
            &[
                ("Accept-Encoding", encoding),
                ("If-None-Match", "\"other\""),
            ],
        );
        assert_eq!(changed.status, 200, "a stale ETag gets the page");
    }
    let first = site.get("/gandalf");
    let modified = first
        .header("last-modified")
        .expect("Last-Modified")
        .to_string();
    let again = site.get_with("/gandalf", &[("If-Modified-Since", &modified)]);
    assert_eq!(again.status, 304, "If-Modified-Since {modified}");
}

// ---------------------------------------------------------------------------------------------
// Headers and methods

#[test]
fn security_headers_are_on_every_kind_of_response() {
    let site = serve_site();
    let routes = site.routes();
    let asset = fingerprinted_assets(&site.dist, &routes)
        .into_iter()
        .next()
        .expect("a fingerprinted asset");
    let etag = site.get("/").header("etag").expect("ETag").to_string();
    let responses = [
        ("200 page", 200, site.get("/")),
        (
            "200 gzip page",
            200,
            site.get_with("/gandalf", &[("Accept-Encoding", "gzip")]),
        ),
        ("200 asset", 200, site.get(&asset)),
        ("304", 304, site.get_with("/", &[("If-None-Match", &etag)])),
        ("404", 404, site.get("/no-such-page")),
        ("404 hidden", 404, site.get("/.git/config")),
        ("405", 405, site.request("POST", "/")),
        ("healthz", 200, site.get("/healthz")),
    ];
    for (what, status, response) in &responses {
        assert_eq!(response.status, *status, "{what}");
        assert_security_headers(response, what);
    }
}

#[test]
fn only_get_and_head_are_allowed() {
    let site = serve_site();
    let head = site.request("HEAD", "/gandalf");
    assert_eq!(head.status, 200, "HEAD");
    assert_eq!(
        head.content_length(),
        Some(read(&file_for(&site.dist, "/gandalf")).len())
    );
    assert_eq!(head.header("allow"), None, "Allow only on 405");
    for method in ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"] {
        for path in ["/", "/gandalf", "/no-such-page", "/healthz"] {
            let response = site.request(method, path);
            assert_eq!(response.status, 405, "{method} {path}");
            assert_eq!(
                response.header("allow"),
                Some("GET, HEAD"),
                "{method} {path}"
            );
        }
    }
}

#[test]
fn healthz_answers_ok_and_is_not_logged() {
    let site = serve_site();
    let response = site.get("/healthz");
    assert_eq!(response.status, 200);
    assert_eq!(response.text().trim(), "ok");
    assert_eq!(
        response.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    // A logged request after it: once its line is there, /healthz would have been too.
    site.get("/gandalf");
    assert!(
        wait_until(Duration::from_secs(5), || site.access_log_lines().len()
            == 1),
        "one line for /gandalf expected: {:?}",
        site.access_log_lines()
    );
    let lines = site.access_log_lines();
    assert!(
        !lines.iter().any(|l| l.contains("/healthz")),
        "/healthz logged: {lines:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// The access log

/// One line of the `touchline` log format, parsed strictly.
#[derive(Debug, PartialEq)]
struct LogLine {
    remote_addr: String,
    remote_user: String,
    time_local: String,
    request: String,
    status: u16,
    body_bytes_sent: u64,
    referer: String,
    user_agent: String,
    request_time: f64,
}

/// `$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent
/// "$http_referer" "$http_user_agent" $request_time`
fn parse_log_line(line: &str) -> Option<LogLine> {
    let (remote_addr, rest) = line.split_once(" - ")?;
    let (remote_user, rest) = rest.split_once(" [")?;
    let (time_local, rest) = rest.split_once("] \"")?;
    let (request, rest) = rest.split_once("\" ")?;
    let (status, rest) = rest.split_once(' ')?;
    let (bytes, rest) = rest.split_once(" \"")?;
    let (referer, rest) = rest.split_once("\" \"")?;
    let (user_agent, request_time) = rest.rsplit_once("\" ")?;
    // $request_time: seconds with millisecond resolution, "0.000".
    let (seconds, millis) = request_time.split_once('.')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(seconds) || !digits(millis) || millis.len() != 3 {
        return None;
    }
    Some(LogLine {
        remote_addr: remote_addr.to_string(),
        remote_user: remote_user.to_string(),
        time_local: time_local.to_string(),
        request: request.to_string(),
        status: status.parse().ok()?,
        body_bytes_sent: bytes.parse().ok()?,
        referer: referer.to_string(),
        user_agent: user_agent.to_string(),
        request_time: request_time.parse().ok()?,
    })
}

/// The format the sidecar parses, as documented (docs and issue): nginx's `combined` plus
/// `$request_time`.
const TOUCHLINE_LOG_FORMAT: &str = r#"log_format touchline '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_time';"#;

#[test]
fn the_log_format_is_the_documented_one() {
    let http_conf = std::fs::read_to_string(nginx::config_dir().join("touchline-http.conf"))
        .expect("reading nginx/touchline-http.conf");
    let formats: Vec<&str> = http_conf
        .lines()
        .filter(|l| l.trim_start().starts_with("log_format"))
        .collect();
    assert_eq!(formats, [TOUCHLINE_LOG_FORMAT]);
}

#[test]
fn every_request_but_healthz_is_one_line_in_the_touchline_log_format() {
    let site = serve_site();
    let port = site.nginx.port();
    // (method, path, extra headers, expected status); each with a user agent of its own.
    type Header<'a> = (&'a str, &'a str);
    let requests: Vec<(&str, &str, Vec<Header>, u16)> = vec![
        ("GET", "/", vec![], 200),
        ("GET", "/gandalf", vec![("Accept-Encoding", "gzip")], 200),
        (
            "GET",
            "/colombo/",
            vec![("Referer", "http://127.0.0.1/")],
            200,
        ),
        ("HEAD", "/gandalf/index.html", vec![], 200),
        ("GET", "/no-such-page?x=1", vec![], 404),
        ("POST", "/", vec![], 405),
        ("GET", "/.git/config", vec![], 404),
        ("GET", "/healthz", vec![], 200),
    ];
    let mut expected = Vec::new();
    for (i, (method, path, headers, status)) in requests.iter().enumerate() {
        let agent = format!("touchline-e2e/{i} (log test)");
        let mut all = headers.clone();
        all.push(("User-Agent", &agent));
        let response = http::request(port, method, path, &all).expect("request");
        assert_eq!(response.status, *status, "{method} {path}");
        if *path != "/healthz" {
            let sent = if *method == "HEAD" {
                0
            } else {
                response.body.len() as u64
            };
            let referer = headers
                .iter()
                .find(|(n, _)| *n == "Referer")
                .map_or("-", |(_, v)| v);
            expected.push((
                format!("{method} {path} HTTP/1.1"),
                *status,
                sent,
                referer,
                agent,
            ));
        }
    }
    assert!(
        wait_until(Duration::from_secs(5), || {
            site.access_log_lines().len() >= expected.len()
        }),
        "expected {} log lines, got {:?}",
        expected.len(),
        site.access_log_lines()
    );
    std::thread::sleep(Duration::from_millis(100));
    let lines = site.access_log_lines();
    assert_eq!(
        lines.len(),
        expected.len(),
        "one line a request: {lines:#?}"
    );
    let parsed: Vec<LogLine> = lines
        .iter()
        .map(|l| parse_log_line(l).unwrap_or_else(|| panic!("not the touchline format: {l}")))
        .collect();
    for (request, status, sent, referer, agent) in &expected {
        let matching: Vec<&LogLine> = parsed.iter().filter(|l| &l.user_agent == agent).collect();
        assert_eq!(matching.len(), 1, "one line for {request}: {lines:#?}");
        let line = matching[0];
        assert_eq!(&line.request, request);
        assert_eq!(line.status, *status, "{request}");
        assert_eq!(line.body_bytes_sent, *sent, "{request}");
        assert_eq!(line.referer, *referer, "{request}");
        assert_eq!(line.remote_addr, "127.0.0.1");
        assert_eq!(line.remote_user, "-");
        assert!(line.request_time >= 0.0 && line.request_time < 5.0);
        // [23/Nov/2026:15:50:01 +0000]
        assert_eq!(
            line.time_local.len(),
            26,
            "time_local {:?}",
            line.time_local
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Atomic publish under load

#[test]
fn rebuilding_dist_under_load_serves_no_error_and_no_truncated_body() {
    const REBUILDS: usize = 20;
    const CLIENTS: usize = 3;
    const MAX_TIME: Duration = Duration::from_secs(60);

    let dir = tempfile::tempdir().expect("temp dir");
    let dist = dir.path().join("dist");
    build_dist(&dist);
    let routes = e2e::read_routes(&dist).expect("manifest");
    // Every version of every route seen on disk (a deterministic build has one each).
    let versions: HashMap<String, Vec<u8>> = routes
        .all()
        .map(|r| (r.to_string(), read(&file_for(&dist, r))))
        .collect();
    let site = serve(&dist);
    let port = site.nginx.port();
    let all_routes: Vec<String> = routes.all().map(str::to_string).collect();

    let stop = std::sync::atomic::AtomicBool::new(false);
    let started = Instant::now();
    let (rebuilds, results) = std::thread::scope(|scope| {
        let clients: Vec<_> = (0..CLIENTS)
            .map(|c| {
                let (routes, versions, stop) = (&all_routes, &versions, &stop);
                scope.spawn(move || {
                    let mut stats = LoadStats::default();
                    let mut i = c;
                    while !stop.load(std::sync::atomic::Ordering::Relaxed)
                        && started.elapsed() < MAX_TIME
                    {
                        let route = &routes[i % routes.len()];
                        i += 1;
                        let encoding = ["identity", "gzip", "br"][i % 3];
                        match http::get_with(port, route, &[("Accept-Encoding", encoding)]) {
                            Ok(response) => stats.check(route, &response, versions),
                            Err(e) => stats.failures.push(format!("GET {route}: {e:#}")),
                        }
                    }
                    stats
                })
            })
            .collect();
        let mut rebuilds = 0;
        while rebuilds < REBUILDS && started.elapsed() < MAX_TIME {
            build_dist(&dist);
            rebuilds += 1;
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let results: Vec<LoadStats> = clients
            .into_iter()
            .map(|c| c.join().expect("client thread"))
            .collect();
        (rebuilds, results)
    });
    let total = results.iter().fold(LoadStats::default(), |mut acc, s| {
        acc.requests += s.requests;
        acc.other_versions += s.other_versions;
        acc.failures.extend(s.failures.iter().cloned());
        acc
    });
    println!(
        "atomic publish: {rebuilds} rebuilds, {} requests in {:.1} s, {} bodies of another \
         complete version, {} failures",
        total.requests,
        started.elapsed().as_secs_f64(),
        total.other_versions,
        total.failures.len()
    );
    assert!(
        rebuilds >= REBUILDS,
        "only {rebuilds} rebuilds within {MAX_TIME:?}"
    );
    assert!(total.requests > 0, "no request made");
    assert!(
        total.failures.is_empty(),
        "{} failures, first: {:#?}",
        total.failures.len(),
        &total.failures[..total.failures.len().min(10)]
    );
}

#[derive(Default)]
struct LoadStats {
    requests: usize,
    other_versions: usize,
    failures: Vec<String>,
}

impl LoadStats {
    fn check(&mut self, route: &str, response: &Response, versions: &HashMap<String, Vec<u8>>) {
        self.requests += 1;
        if response.status != 200 {
            self.failures
                .push(format!("GET {route}: status {}", response.status));
            return;
        }
        if response
            .content_length()
            .is_some_and(|n| n != response.body.len())
        {
            self.failures.push(format!(
                "GET {route}: truncated: Content-Length {:?}, {} bytes",
                response.content_length(),
                response.body.len()
            ));
            return;
        }
        let body = match response.decoded_body() {
            Ok(body) => body,
            Err(e) => {
                self.failures.push(format!("GET {route}: {e:#}"));
                return;
            }
        };
        if versions.get(route).is_some_and(|v| *v == body) {
            return;
        }
        let is_html = response
            .header("content-type")
            .is_some_and(|t| t.starts_with("text/html"));
        let complete = !is_html || body.trim_ascii_end().ends_with(b"</html>");
        if complete {
            self.other_versions += 1;
        } else {
            self.failures
                .push(format!("GET {route}: incomplete HTML document"));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The Content-Security-Policy and the site's pages

/// Every `.html` file under `dir`.
fn html_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("listing dist") {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "html") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// What the CSP forbids that a page could contain: inline `<script>` code, `<style>` elements,
/// `style="..."` attributes, `on*=` event handlers, `javascript:` URLs and external hosts.
fn csp_problems(html: &str) -> Vec<String> {
    let lower = html.to_ascii_lowercase();
    let mut problems = Vec::new();
    let mut rest = lower.as_str();
    while let Some(start) = rest.find("<script") {
        let tag_end = rest[start..].find('>').map_or(rest.len(), |e| start + e);
        let tag = &rest[start..tag_end];
        let body_end = rest[tag_end..]
            .find("</script>")
            .map_or(rest.len(), |e| tag_end + e);
        let body = rest.get(tag_end + 1..body_end).unwrap_or_default();
        if !tag.contains(" src=") || !body.trim().is_empty() {
            problems.push(format!("inline script: {tag}>"));
        }
        rest = &rest[body_end..];
    }
    if lower.contains("<style") {
        problems.push("a <style> element".to_string());
    }
    // Attributes: inside tags only.
    for tag in lower.split('<').skip(1).filter_map(|t| t.split('>').next()) {
        if tag.starts_with('!') || tag.starts_with('/') {
            continue;
        }
        for attribute in tag.split_whitespace().skip(1) {
            let name = attribute.split('=').next().unwrap_or_default();
            if attribute.contains('=') && (name == "style" || name.starts_with("on")) {
                problems.push(format!("attribute {attribute} in <{tag}>"));
            }
        }
        if tag.contains("javascript:") {
            problems.push(format!("javascript: URL in <{tag}>"));
        }
        for attr in ["src=\"http", "href=\"//", "src=\"//", "srcset=\"http"] {
            if tag.contains(attr) {
                problems.push(format!("external resource in <{tag}>"));
            }
        }
        if tag.starts_with("link") && tag.contains("href=\"http") && tag.contains("stylesheet") {
            problems.push(format!("external stylesheet in <{tag}>"));
        }
    }
    problems
}

#[test]
fn no_page_has_inline_code_or_external_resources_the_csp_would_block() {
    let dist = shared_dist();
    let pages = html_files(dist);
    assert!(pages.len() > 5, "only {} HTML files in dist/", pages.len());
    let mut problems = Vec::new();
    for page in &pages {
        let html = std::fs::read_to_string(page).expect("reading a page");
        for problem in csp_problems(&html) {
            problems.push(format!("{}: {problem}", page.display()));
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
    // The check itself catches what it must.
    let bad = "<p style=\"x\" onclick=\"y()\"></p><script>z()</script><style></style>";
    assert_eq!(csp_problems(bad).len(), 4, "{:?}", csp_problems(bad));
}

#[test]
fn chromium_reports_csp_violations_of_inline_code() {
    // The canary for the test below: a page with inline code does show violations.
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("canary.html"),
        "<!doctype html><html><body><p style=\"color:red\">x</p><script>1</script></body></html>",
    )
    .expect("write canary.html");
    let site = serve(dir.path());
    let load = e2e::chromium::load(&site.nginx.url("/canary.html"), Duration::from_secs(60))
        .expect("loading the canary in Chromium");
    let violations = load
        .console()
        .into_iter()
        .filter(|l| l.contains("Content Security Policy"))
        .count();
    assert_eq!(
        violations, 2,
        "inline style and script blocked: {}",
        load.log
    );
}

#[test]
fn chromium_reports_no_csp_violation_on_the_site_pages() {
    let site = serve_site();
    // One page of each template, and an SVG document (served with the same CSP).
    let routes = site.routes();
    let mut urls = vec!["/", "/gandalf", "/colombo", "/tasks", "/no-such-page"];
    urls.extend(
        routes
            .pages
            .iter()
            .map(contract::Route::as_str)
            .find(|p| p.starts_with("/teams/")),
    );
    urls.extend(
        routes
            .files
            .iter()
            .map(contract::Route::as_str)
            .find(|p| p.ends_with(".svg")),
    );
    for path in urls {
        let load = e2e::chromium::load(&site.nginx.url(path), Duration::from_secs(60))
            .unwrap_or_else(|e| panic!("loading {path} in Chromium: {e:#}"));
        let violations: Vec<&str> = load
            .console()
            .into_iter()
            .filter(|l| l.contains("Content Security Policy") || l.contains("Refused to"))
            .collect();
        assert!(violations.is_empty(), "{path}: {violations:#?}");
        assert!(!load.dom.is_empty(), "{path}: Chromium loaded nothing");
    }
    // Every subresource the pages asked for was found (no 404 in the log but the missing page).
    let log = std::fs::read_to_string(&site.access_log).expect("access log");
    let not_found: Vec<&str> = log
        .lines()
        .filter(|l| {
            l.contains("\" 404 ") && !l.contains("/no-such-page") && !l.contains("/favicon.ico")
        })
        .collect();
    assert!(not_found.is_empty(), "{not_found:#?}");
}
