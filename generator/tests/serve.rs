//! `touchline serve` as a user runs it: the real binary on a free 127.0.0.1 port, spoken to
//! over real sockets. It answers as the project's nginx does, reloads pages after an edit,
//! keeps the last good site when an edit breaks the build, refuses hostile requests, and
//! leaves what `touchline generate` writes untouched.

use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};
use std::fs;
use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use e2e::http::{self, Response};

/// How long anything a test waits for may take, however loaded the machine.
const DEADLINE: Duration = Duration::from_secs(30);

/// A running `touchline serve`, killed when the test ends, pass or fail.
struct Server {
    child: Child,
    lines: Receiver<String>,
    /// Lines read while starting, still to be searched by [`Server::wait_for`].
    backlog: RefCell<VecDeque<String>>,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// `touchline serve --port 0 ARGS` run from `cwd`, once it says where it serves.
    fn start_in(cwd: &Path, args: &[&str]) -> Server {
        Server::start_with(cwd, args, &[])
    }

    fn start_with(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_touchline"))
            .args(["serve", "--port", "0"])
            .args(args)
            // The defaults are under test, not whatever the caller's shell sets.
            .env_remove("TOUCHLINE_ROOT")
            .env_remove("TOUCHLINE_PORT")
            .envs(env.iter().copied())
            .current_dir(cwd)
            .stdin(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start touchline serve");
        let stderr = child.stderr.take().expect("stderr");
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut server = Server {
            child,
            lines,
            backlog: RefCell::default(),
            port: 0,
        };
        let line = server.wait_for("serving");
        let port = line
            .split("http://127.0.0.1:")
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .and_then(|port| port.parse().ok())
            .unwrap_or_else(|| panic!("no address in {line:?}"));
        server.port = port;
        server
    }

    /// The next stderr line containing `needle`, within the deadline. Lines passed over are
    /// kept for later calls only while starting (before the address is known).
    fn wait_for(&self, needle: &str) -> String {
        let mut backlog = self.backlog.borrow_mut();
        if let Some(at) = backlog.iter().position(|l| l.contains(needle)) {
            let line = backlog.remove(at).unwrap_or_default();
            backlog.drain(..at);
            return line;
        }
        let keep = self.port == 0;
        let deadline = Instant::now() + DEADLINE;
        let mut seen = Vec::new();
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(line) if line.contains(needle) => return line,
                Ok(line) => {
                    if keep {
                        backlog.push_back(line.clone());
                    }
                    seen.push(line);
                }
                Err(_) => break,
            }
        }
        panic!("no line with {needle:?} within {DEADLINE:?}; saw: {seen:#?}");
    }

    fn get(&self, path: &str) -> Response {
        http::get(self.port, path).expect("GET")
    }

    fn request(&self, method: &str, path: &str) -> Response {
        http::request(self.port, method, path, &[]).expect("request")
    }

    /// Sends `request` as it is (clients normalise paths; hostile peers do not) and reads
    /// the whole reply.
    fn raw(&self, request: &str) -> Response {
        let bytes = http::send_raw(self.port, request.as_bytes()).expect("send");
        http::parse_response(&bytes, false).expect("a response")
    }

    fn connect(&self) -> TcpStream {
        let stream = TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        stream.set_read_timeout(Some(DEADLINE)).expect("timeout");
        stream
    }

    /// The fingerprinted stylesheet's path, from the home page's link.
    fn stylesheet(&self) -> String {
        self.get("/")
            .text()
            .split("href=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("the stylesheet link")
            .to_owned()
    }

    /// The reload event stream, after its headers.
    fn events(&self) -> Events {
        let mut stream = self.connect();
        // HTTP/1.0: the stream comes unchunked, ended by closing.
        let request = format!(
            "GET /__touchline/events HTTP/1.0\r\nHost: 127.0.0.1:{}\r\n\r\n",
            self.port
        );
        stream.write_all(request.as_bytes()).expect("send");
        let mut reader = BufReader::new(stream);
        let mut status = String::new();
        reader.read_line(&mut status).expect("status line");
        assert!(status.starts_with("HTTP/1.0 200"), "{status}");
        let mut line = String::new();
        while reader.read_line(&mut line).expect("header") > 2 {
            line.clear();
        }
        Events { reader }
    }
}

/// The reload stream: `state` events of `{"build": .., "error": ..}`.
struct Events {
    reader: BufReader<TcpStream>,
}

#[derive(Debug, serde::Deserialize)]
struct News {
    build: String,
    error: Option<String>,
}

impl Events {
    /// The next `state` event (keep-alive comments skipped).
    fn next(&mut self) -> News {
        let mut data = String::new();
        loop {
            let mut line = String::new();
            match self.reader.read_line(&mut line) {
                Ok(0) => panic!("the event stream ended"),
                Ok(_) => {}
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    panic!("no event within {DEADLINE:?}")
                }
                Err(e) => panic!("reading events: {e}"),
            }
            let line = line.trim_end_matches(['\r', '\n']);
            if let Some(json) = line.strip_prefix("data:") {
                data.push_str(json);
            } else if line.is_empty() && !data.is_empty() {
                return serde_json::from_str(&data).expect("event JSON");
            }
        }
    }
}

/// Replaces a file in one rename, as editors save: a build never reads it half-written.
fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    let staged = root.join(".staged");
    fs::write(&staged, text).expect("write");
    fs::rename(&staged, path).expect("rename into place");
}

/// A small site: three pages, a 404 page, a stylesheet asset and a plain file.
fn site() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    write(
        root,
        "site.toml",
        "title = \"S\"\nbase_url = \"https://example.org\"\n",
    );
    write(
        root,
        "content/_index.md",
        "+++\ntitle = \"Home\"\n+++\nHome.\n",
    );
    write(root, "content/a.md", "+++\ntitle = \"A\"\n+++\nFirst.\n");
    write(root, "content/b.md", "+++\ntitle = \"B\"\n+++\nBee.\n");
    write(
        root,
        "content/404.md",
        "+++\ntitle = \"Missing\"\npath = \"/404.html\"\n+++\nNo such page here.\n",
    );
    write(root, "content/files/notes.txt", "plain notes\n");
    let page = "<!doctype html><html lang=\"en\"><head><title>{{ page.title }}</title>\
                <link rel=\"stylesheet\" href=\"{{ asset('app.css') }}\"></head>\
                <body>{{ page.content }}</body></html>\n";
    write(root, "themes/default/templates/page.html", page);
    write(root, "themes/default/templates/index.html", page);
    write(
        root,
        "themes/default/static/app.css",
        "body { margin: 0 }\n",
    );
    dir
}

/// `touchline generate --out OUT` in the site folder; every file it wrote with its bytes.
fn generate(root: &Path, out: &str) -> BTreeMap<PathBuf, Vec<u8>> {
    let status = Command::new(env!("CARGO_BIN_EXE_touchline"))
        .args(["generate", "-q", "--out", out])
        .current_dir(root)
        .status()
        .expect("run generate");
    assert!(status.success());
    snapshot(&root.join(out))
}

/// Every file under `dir` with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e.path().strip_prefix(dir).expect("inside").to_owned();
            (rel, fs::read(e.path()).expect("read output"))
        })
        .collect()
}

/// The fixed headers of nginx/headers.conf, read from the file nginx uses.
fn nginx_headers() -> Vec<(String, String)> {
    let conf = fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../nginx/headers.conf"
    ))
    .expect("nginx/headers.conf");
    conf.lines()
        .filter_map(|l| l.trim().strip_prefix("add_header "))
        .filter_map(|l| l.split_once(" \""))
        .filter_map(|(name, rest)| {
            Some((
                name.to_ascii_lowercase(),
                rest.split_once('"')?.0.to_owned(),
            ))
        })
        .collect()
}

#[test]
fn pretty_urls_serve_the_page_as_nginx_does() {
    let dir = site();
    let server = Server::start_in(dir.path(), &[]);
    let page = server.get("/a");
    assert_eq!(page.status, 200);
    assert!(page.text().contains("First."), "{}", page.text());
    for path in ["/a/", "/a/index.html", "//a//", "/b/../a", "/%61"] {
        let other = server.get(path);
        assert_eq!(
            (other.status, other.body.clone()),
            (200, page.body.clone()),
            "{path}"
        );
    }
    let home = server.get("/");
    assert!(home.text().contains("Home."), "{}", home.text());
    assert_eq!(
        home.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let notes = server.get("/files/notes.txt");
    assert_eq!(notes.text(), "plain notes\n");
    assert_eq!(
        notes.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(notes.header("content-length"), Some("12"));

    let head = server.request("HEAD", "/a");
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    assert_eq!(head.content_length(), Some(page.body.len()));
}

#[test]
fn misses_get_the_404_page_with_status_404_and_private_files_are_hidden() {
    let dir = site();
    let server = Server::start_in(dir.path(), &[]);
    for path in [
        "/nope",
        "/a/nope",
        "/_routes.json",
        "/_routes.json.gz",
        "/.git/config",
        "/a/.env",
    ] {
        let reply = server.get(path);
        assert_eq!(reply.status, 404, "{path}");
        assert!(
            reply.text().contains("No such page here."),
            "{path}: {}",
            reply.text()
        );
        assert!(reply.text().contains("/__touchline/reload.js"), "{path}");
    }
    assert_eq!(server.get("/healthz").text(), "ok\n");
}

#[test]
fn every_response_carries_nginx_s_headers_and_the_strict_csp() {
    let dir = site();
    let server = Server::start_in(dir.path(), &[]);
    let expected = nginx_headers();
    assert!(
        expected
            .iter()
            .any(|(n, v)| n == "content-security-policy" && v.contains("script-src 'self'")),
        "{expected:?}"
    );
    let asset = server.stylesheet();
    let replies = [
        ("/", server.get("/")),
        ("/nope", server.get("/nope")),
        ("asset", server.get(&asset)),
        ("reload.js", server.get("/__touchline/reload.js")),
        ("POST", server.request("POST", "/")),
        ("400", server.get("/%zz")),
    ];
    for (what, reply) in &replies {
        for (name, value) in &expected {
            assert_eq!(reply.header(name), Some(value.as_str()), "{what}: {name}");
        }
    }
    let [home, missing, asset, script, post, bad] = replies.map(|(_, r)| r);
    assert_eq!(home.header("cache-control"), Some("no-cache"));
    assert_eq!(missing.header("cache-control"), Some("no-cache"));
    assert_eq!(
        asset.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    assert_eq!(
        asset.header("content-type"),
        Some("text/css; charset=utf-8")
    );
    assert_eq!(
        script.header("content-type"),
        Some("application/javascript; charset=utf-8")
    );
    assert_eq!(
        (post.status, post.header("allow")),
        (405, Some("GET, HEAD"))
    );
    assert_eq!(home.header("allow"), None);
    assert_eq!(bad.status, 400);
    for method in ["PUT", "DELETE", "OPTIONS", "PATCH"] {
        assert_eq!(server.request(method, "/a").status, 405, "{method}");
    }
}

#[test]
fn the_reload_script_is_served_only_and_never_generated() {
    let dir = site();
    let root = dir.path();
    let before = generate(root, "first");

    let server = Server::start_in(root, &[]);
    let served = server.get("/a").text();
    assert!(
        served.contains("<script src=\"/__touchline/reload.js\" data-build=\""),
        "{served}"
    );
    let script = server.get("/__touchline/reload.js");
    assert_eq!(script.status, 200);
    assert!(
        script
            .text()
            .contains("EventSource(\"/__touchline/events\")")
    );
    write(
        root,
        "content/b.md",
        "+++\ntitle = \"B\"\n+++\nBee again.\n",
    );
    server.wait_for("reloading open pages");
    write(root, "content/b.md", "+++\ntitle = \"B\"\n+++\nBee.\n");
    server.wait_for("reloading open pages");
    drop(server);

    assert!(!root.join("dist").exists(), "serve wrote an output folder");
    let after = generate(root, "second");
    assert_eq!(
        before, after,
        "generate's output changed after a serve session"
    );
    for (rel, bytes) in &after {
        let text = String::from_utf8_lossy(bytes);
        assert!(
            !text.contains("__touchline"),
            "{} mentions the dev server",
            rel.display()
        );
    }
}

#[test]
fn an_edit_sends_a_reload_event_and_the_new_page() {
    let dir = site();
    let server = Server::start_in(dir.path(), &[]);
    let mut events = server.events();
    let first = events.next();
    assert!(first.error.is_none());
    assert!(
        server
            .get("/a")
            .text()
            .contains(&format!("data-build=\"{}\"", first.build))
    );

    let mut latencies = Vec::new();
    let mut build = first.build;
    for round in 1..=5 {
        let text = format!("+++\ntitle = \"A\"\n+++\nEdit number {round}.\n");
        let start = Instant::now();
        write(dir.path(), "content/a.md", &text);
        let news = events.next();
        latencies.push(start.elapsed());
        assert_ne!(news.build, build, "round {round}");
        assert!(news.error.is_none());
        let page = server.get("/a/").text();
        assert!(page.contains(&format!("Edit number {round}.")), "{page}");
        assert!(page.contains(&format!("data-build=\"{}\"", news.build)));
        build = news.build;
    }
    latencies.sort();
    eprintln!(
        "edit to reload event: median {} ms (min {} ms, max {} ms)",
        latencies[2].as_millis(),
        latencies[0].as_millis(),
        latencies[4].as_millis()
    );
    assert!(latencies[2] < Duration::from_secs(10), "{latencies:?}");
}

#[test]
fn a_broken_edit_keeps_the_last_good_page_and_reports_the_error() {
    let dir = site();
    let server = Server::start_in(dir.path(), &[]);
    let mut events = server.events();
    let good = events.next();
    let before = server.get("/a").body;

    write(
        dir.path(),
        "content/a.md",
        "+++\ntitle = \"A\"\nweight = \"x\"\n+++\nBroken.\n",
    );
    let error = server.wait_for("error:");
    assert!(error.contains("content/a.md:3:"), "{error}");
    server.wait_for("still serving the last good site");
    let broken = events.next();
    assert_eq!(broken.build, good.build, "a failed build is no new site");
    let message = broken.error.expect("the error reaches the page");
    assert!(message.contains("content/a.md:3:"), "{message}");
    assert_eq!(server.get("/a").body, before);

    write(
        dir.path(),
        "content/a.md",
        "+++\ntitle = \"A\"\n+++\nMended.\n",
    );
    let mended = events.next();
    assert_ne!(mended.build, good.build);
    assert!(mended.error.is_none());
    assert!(server.get("/a").text().contains("Mended."));
}

#[test]
fn a_site_that_fails_at_start_is_served_once_mended() {
    let dir = site();
    write(dir.path(), "content/a.md", "+++\ntitle = 1\n+++\n");
    let server = Server::start_in(dir.path(), &[]);
    server.wait_for("nothing to serve until a build succeeds");
    let waiting = server.get("/a");
    assert_eq!(waiting.status, 503);
    assert!(
        waiting.text().contains("/__touchline/reload.js"),
        "{}",
        waiting.text()
    );
    let mut events = server.events();
    let news = events.next();
    assert!(news.error.is_some_and(|e| e.contains("content/a.md")));

    write(
        dir.path(),
        "content/a.md",
        "+++\ntitle = \"A\"\n+++\nAt last.\n",
    );
    let news = events.next();
    assert!(news.error.is_none());
    assert!(server.get("/a").text().contains("At last."));
}

#[test]
fn serve_from_a_subfolder_with_a_relative_root_rebuilds() {
    let dir = site();
    let work = dir.path().join("work");
    fs::create_dir(&work).expect("mkdir work");
    let server = Server::start_in(&work, &["--root", ".."]);
    assert!(server.get("/b").text().contains("Bee."));
    write(
        dir.path(),
        "content/b.md",
        "+++\ntitle = \"B\"\n+++\nEdited.\n",
    );
    // The page and the home page, whose `section.pages` lists it.
    server.wait_for("2 of 4 templated outputs rendered");
    assert!(server.get("/b").text().contains("Edited."));
}

#[test]
fn paths_that_climb_out_or_name_files_beside_the_build_are_refused() {
    let dir = site();
    let root = dir.path();
    // A stale output folder with a symlink out of it: serve reads no output folder at all.
    fs::create_dir(root.join("dist")).expect("mkdir dist");
    std::os::unix::fs::symlink("/etc/passwd", root.join("dist/passwd")).expect("symlink");
    let server = Server::start_in(root, &[]);
    for path in [
        "/../../etc/passwd",
        "/a/../../site.toml",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/a/%2E%2E%2F%2E%2E%2Fsite.toml",
        "/%2e%2e%2fsite.toml",
        "/a%00",
        "/%zz",
    ] {
        let reply = server.get(path);
        assert_eq!(reply.status, 400, "{path}: {}", reply.text());
    }
    for path in [
        "/passwd",
        "/site.toml",
        "/content/a.md",
        "/themes/default/templates/page.html",
        "/dist/passwd",
    ] {
        let reply = server.get(path);
        assert_eq!(reply.status, 404, "{path}");
        assert!(!reply.text().contains("root:"), "{path}");
    }
    let other_site =
        server.raw("GET /a HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n");
    assert_eq!(
        other_site.status, 421,
        "a DNS-rebinding page is not answered"
    );
}

#[test]
fn huge_and_slow_requests_and_floods_are_bounded() {
    let dir = site();
    let server = Server::start_in(dir.path(), &[]);

    // More connections than the server takes: the extra one is closed unanswered, the others
    // are served. First, while no earlier connection can still hold a slot.
    let mut open: Vec<TcpStream> = (0..128).map(|_| server.connect()).collect();
    let mut extra = server.connect();
    let _ = extra.write_all(b"GET /a HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    let mut got = Vec::new();
    let _ = extra.read_to_end(&mut got);
    assert!(got.is_empty(), "the 129th connection was served");
    let last = open.last_mut().expect("128 connections");
    last.write_all(b"GET /a HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .expect("send");
    let mut bytes = Vec::new();
    last.read_to_end(&mut bytes).expect("read");
    assert!(
        bytes.starts_with(b"HTTP/1.1 200"),
        "the 128th connection was refused"
    );
    drop(open);

    let huge = format!(
        "GET /a HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: {}\r\nConnection: close\r\n\r\n",
        "x".repeat(64 * 1024)
    );
    assert_eq!(server.raw(&huge).status, 431);

    // A body nobody asked for is not read: the refusal comes at once, and the connection ends.
    let mut post = server.connect();
    let head = format!(
        "POST /a HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {}\r\n\r\n",
        100 << 20
    );
    post.write_all(head.as_bytes()).expect("send");
    let mut reply = Vec::new();
    post.read_to_end(&mut reply)
        .expect("an answer, then the end of the connection");
    assert!(
        reply.starts_with(b"HTTP/1.1 405"),
        "{:?}",
        String::from_utf8_lossy(&reply)
    );

    // Headers that never finish: the connection is closed (nginx's client_header_timeout).
    let start = Instant::now();
    let mut slow = server.connect();
    slow.write_all(b"GET /a HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .expect("send");
    let mut rest = Vec::new();
    let _ = slow.read_to_end(&mut rest);
    let waited = start.elapsed();
    assert!(
        waited >= Duration::from_secs(9) && waited < DEADLINE,
        "closed after {waited:?}"
    );

    // Closed connections' slots serve new ones.
    let deadline = Instant::now() + DEADLINE;
    while !http::get(server.port, "/a").is_ok_and(|r| r.status == 200) {
        assert!(Instant::now() < deadline, "no slot came free");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn ctrl_c_stops_cleanly_with_a_page_connected() {
    let dir = site();
    let mut server = Server::start_in(dir.path(), &[]);
    let mut events = server.events();
    events.next();
    let pid = server.child.id().to_string();
    let status = Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .expect("kill");
    assert!(status.success());
    let deadline = Instant::now() + DEADLINE;
    let exit = loop {
        if let Some(exit) = server.child.try_wait().expect("wait") {
            break exit;
        }
        assert!(Instant::now() < deadline, "still running after SIGINT");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(exit.success(), "{exit:?}");
    server.wait_for("touchline: stopped");
    let mut rest = String::new();
    let _ = events.reader.read_to_string(&mut rest);
    assert!(
        TcpStream::connect(("127.0.0.1", server.port)).is_err(),
        "still listening"
    );
}

#[test]
fn only_127_0_0_1_is_listened_on() {
    let dir = site();
    let server = Server::start_in(dir.path(), &[]);
    assert_eq!(server.get("/a").status, 200);
    // All of 127.0.0.0/8 reaches this machine: a server on 0.0.0.0 would answer here too.
    assert!(TcpStream::connect(("127.0.0.2", server.port)).is_err());
}

#[test]
fn a_port_in_use_is_named() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("addr").port().to_string();
    let dir = site();
    let out = Command::new(env!("CARGO_BIN_EXE_touchline"))
        .args(["serve", "--port", &port])
        .current_dir(dir.path())
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains(&format!("binding 127.0.0.1:{port}")) && stderr.contains("--port 0"),
        "{stderr}"
    );
}

#[test]
fn open_starts_the_system_browser_or_says_there_is_none() {
    let dir = site();
    let bin = dir.path().join("bin");
    fs::create_dir(&bin).expect("mkdir");
    let opened = dir.path().join("opened");
    let opener = bin.join("xdg-open");
    fs::write(
        &opener,
        format!("#!/bin/sh\nprintf '%s' \"$1\" > '{}'\n", opened.display()),
    )
    .expect("write opener");
    fs::set_permissions(&opener, fs::Permissions::from_mode(0o755)).expect("chmod");
    let path = bin.to_str().expect("utf-8");
    let server = Server::start_with(dir.path(), &["--open"], &[("PATH", path)]);
    let want = format!("http://127.0.0.1:{}/", server.port);
    let deadline = Instant::now() + DEADLINE;
    while fs::read_to_string(&opened).ok().as_deref() != Some(want.as_str()) {
        assert!(
            Instant::now() < deadline,
            "xdg-open was not run with {want}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    drop(server);

    let empty = dir.path().join("empty");
    fs::create_dir(&empty).expect("mkdir");
    let server = Server::start_with(
        dir.path(),
        &["--open"],
        &[("PATH", empty.to_str().expect("utf-8"))],
    );
    let line = server.wait_for("--open");
    assert!(line.contains("no xdg-open"), "{line}");
    assert_eq!(server.get("/a").status, 200, "serving goes on");
}

/// `body` without the one tag serve adds to HTML.
fn without_reload_tag(body: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(body);
    let Some(start) = text.find("<script src=\"/__touchline/reload.js\"") else {
        return body.to_vec();
    };
    let end = text[start..]
        .find("</script>\n")
        .map_or(text.len(), |i| start + i + "</script>\n".len());
    format!("{}{}", &text[..start], &text[end..]).into_bytes()
}

/// A `.gz` or `.br` file decoded; any other body as it is.
fn decompressed(path: &str, reply: &Response) -> Vec<u8> {
    let (mut out, body) = (Vec::new(), reply.body.as_slice());
    if reply.status != 200 {
        out.extend_from_slice(body);
    } else if path.ends_with(".gz") {
        flate2::read::GzDecoder::new(body)
            .read_to_end(&mut out)
            .expect("gzip");
    } else if path.ends_with(".br") {
        brotli::Decompressor::new(body, 4096)
            .read_to_end(&mut out)
            .expect("brotli");
    } else {
        out.extend_from_slice(body);
    }
    out
}

#[test]
fn every_path_is_answered_as_the_project_s_nginx_answers_it() {
    let dir = site();
    let root = dir.path();
    generate(root, "dist");
    let nginx = e2e::nginx::Nginx::start(&root.join("dist"), &root.join("access.log"))
        .expect("start nginx");
    let server = Server::start_in(root, &[]);
    let asset = server.stylesheet();
    let mut cases: Vec<(&str, &str)> = [
        "/",
        "/index.html",
        "/a",
        "/a/",
        "/a/index.html",
        "/a/index.html/",
        "//a//",
        "/a/./",
        "/b/../a",
        "/%61",
        "/a%2Findex.html",
        "/files/notes.txt",
        "/files/notes.txt/",
        "/files/",
        "/files",
        "/404.html",
        "/nope",
        "/a/nope",
        "/nope/",
        "/_routes.json",
        "/_routes.json.gz",
        "/_routes.json.br",
        "/_routesxjson",
        "/.git/config",
        "/a/.env",
        "/.well-known/x",
        "/healthz",
        "/healthz/",
        "/sitemap.xml",
        "/robots.txt",
        "/index.html.gz",
        "/a/index.html.br",
        "/files/notes.txt.gz",
        "/a.gz",
        "/a/.gz",
        "/../x",
        "/a/../../x",
        "/%2e%2e/x",
        "/%zz",
        "/a?x=/../..",
        "/a%00",
        "/%2e%2e%2fx",
        "/a/%2E%2E/b",
        "/x/y/../../a",
        "/caf%C3%A9",
        "/%ff",
        "/a#frag",
        "/A",
        "/files/NOTES.txt",
    ]
    .into_iter()
    .map(|path| ("GET", path))
    .collect();
    cases.push(("GET", &asset));
    cases.extend([
        ("HEAD", "/a"),
        ("HEAD", "/nope"),
        ("POST", "/a"),
        ("PUT", "/nope"),
        ("DELETE", "/"),
    ]);

    let compared = [
        "content-type",
        "content-security-policy",
        "x-content-type-options",
        "referrer-policy",
        "permissions-policy",
        "x-frame-options",
        "cross-origin-opener-policy",
        "cache-control",
        "allow",
    ];
    let mut differences = Vec::new();
    for (method, path) in cases {
        let ask = |port: u16| {
            let request = format!(
                "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
            let raw = http::send_raw(port, request.as_bytes()).expect("send");
            http::parse_response(&raw, method == "HEAD").expect("a response")
        };
        let (want, got) = (ask(nginx.port()), ask(server.port));
        let case = format!("{method} {path}");
        if want.status != got.status {
            differences.push(format!(
                "{case}: status {} from nginx, {} from serve",
                want.status, got.status
            ));
            continue;
        }
        // Error pages nginx writes itself (400, 405) are its own HTML; only their headers count.
        let own_page = matches!(want.status, 400 | 405);
        for name in compared {
            if own_page && name == "content-type" {
                continue;
            }
            if want.header(name) != got.header(name) {
                differences.push(format!(
                    "{case}: {name} {:?} from nginx, {:?} from serve",
                    want.header(name),
                    got.header(name)
                ));
            }
        }
        // Precompressed copies are made on request: the same content, maybe other bytes.
        let (want_body, got_body) = (decompressed(path, &want), decompressed(path, &got));
        if !own_page && want_body != without_reload_tag(&got_body) {
            differences.push(format!("{case}: the bodies differ"));
        }
    }
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}
