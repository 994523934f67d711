//! Which file answers a URL path: the decisions of nginx/touchline-site.conf and the
//! `$touchline_page` map of nginx/touchline-http.conf, made over the built site's file names.
//!
//! The site is served from memory, so a path can only ever name one of the build's outputs:
//! there is no file system under it to climb out of with `..` or a symlink.

/// The dev server's own namespace: its script, style and event stream.
pub const INTERNAL_PREFIX: &str = "/__touchline/";

/// What answers a request path.
#[derive(Debug, PartialEq, Eq)]
pub enum Target {
    /// A file of the site, by its path in the output (`about/index.html`).
    File(String),
    /// No such page: the site's 404.html with status 404.
    NotFound,
    /// nginx's `location = /healthz`.
    Health,
    /// Under [`INTERNAL_PREFIX`]: the name after it.
    Internal(String),
}

/// A path nginx refuses before routing (400 Bad Request).
#[derive(Debug, PartialEq, Eq)]
pub struct BadPath;

/// Decodes and normalises a request path the way nginx does before matching locations:
/// percent escapes decoded (`%2e%2e` is `..`), `//` merged, `.` and `..` segments resolved.
/// A bad escape, a NUL or a `..` above the root is refused, as nginx refuses them.
///
/// Returns `Ok(None)` for a path that is valid but not UTF-8: no output file has such a name.
pub fn normalize(raw: &str) -> Result<Option<String>, BadPath> {
    if !raw.starts_with('/') {
        return Err(BadPath);
    }
    let decoded = percent_decode(raw.as_bytes())?;
    let mut segments: Vec<&[u8]> = Vec::new();
    let mut trailing_slash = false;
    for segment in decoded.split(|&b| b == b'/').skip(1) {
        // A path that ends in `/`, `/.` or `/..` names a folder: keep its trailing slash.
        trailing_slash = matches!(segment, b"" | b"." | b"..");
        match segment {
            b"" | b"." => {}
            b".." => {
                segments.pop().ok_or(BadPath)?;
            }
            name => segments.push(name),
        }
    }
    let mut path = Vec::with_capacity(decoded.len());
    for segment in &segments {
        path.push(b'/');
        path.extend_from_slice(segment);
    }
    if trailing_slash || segments.is_empty() {
        path.push(b'/');
    }
    Ok(String::from_utf8(path).ok())
}

fn percent_decode(raw: &[u8]) -> Result<Vec<u8>, BadPath> {
    let mut out = Vec::with_capacity(raw.len());
    let mut bytes = raw.iter().copied();
    while let Some(b) = bytes.next() {
        let b = if b == b'%' {
            let hi = bytes.next().and_then(hex).ok_or(BadPath)?;
            let lo = bytes.next().and_then(hex).ok_or(BadPath)?;
            hi << 4 | lo
        } else {
            b
        };
        if b == 0 {
            return Err(BadPath);
        }
        out.push(b);
    }
    Ok(out)
}

fn hex(b: u8) -> Option<u8> {
    char::from(b)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

/// Routes a normalised path: `has` says whether the site has an output of that name.
pub fn resolve(path: &str, has: impl Fn(&str) -> bool) -> Target {
    if path == "/healthz" {
        return Target::Health;
    }
    // `location ^~ /_routes.json` (the sidecar's manifest and its .gz/.br) and
    // `location ~ "/\."` (hidden files and folders).
    if path.starts_with("/_routes.json") || path.contains("/.") {
        return Target::NotFound;
    }
    if let Some(name) = path.strip_prefix(INTERNAL_PREFIX) {
        return Target::Internal(name.to_owned());
    }
    // try_files $touchline_page $touchline_page/index.html =404, where $touchline_page is the
    // path without one trailing slash: /a, /a/ and /a/index.html are one page.
    let page = path.strip_suffix('/').unwrap_or(path);
    let rel = page.strip_prefix('/').unwrap_or(page);
    if !rel.is_empty() && has(rel) {
        return Target::File(rel.to_owned());
    }
    let index = if rel.is_empty() {
        "index.html".to_owned()
    } else {
        format!("{rel}/index.html")
    };
    if has(&index) {
        Target::File(index)
    } else {
        Target::NotFound
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(raw: &str) -> Result<Option<String>, BadPath> {
        normalize(raw)
    }

    fn ok(raw: &str) -> String {
        norm(raw)
            .expect("valid")
            .unwrap_or_else(|| panic!("{raw} is UTF-8"))
    }

    #[test]
    fn paths_are_normalised_as_nginx_does() {
        assert_eq!(ok("/"), "/");
        assert_eq!(ok("/a"), "/a");
        assert_eq!(ok("/a/"), "/a/");
        assert_eq!(ok("//a///b"), "/a/b");
        assert_eq!(ok("/a/./b"), "/a/b");
        assert_eq!(ok("/a/b/.."), "/a/");
        assert_eq!(ok("/a/b/."), "/a/b/");
        assert_eq!(ok("/a/../b"), "/b");
        assert_eq!(ok("/a/%2e%2e/b"), "/b");
        assert_eq!(ok("/a%2Fb"), "/a/b");
        assert_eq!(ok("/caf%C3%A9"), "/café");
        assert_eq!(ok("/a/%2e%2e"), "/");
    }

    #[test]
    fn climbing_out_bad_escapes_and_nul_are_refused() {
        for raw in [
            "/..",
            "/../etc/passwd",
            "/a/../../etc/passwd",
            "/%2e%2e/%2e%2e/etc/passwd",
            "/a/%2E%2E%2f%2e%2e%2fsite.toml",
            "/%zz",
            "/%4",
            "/a%00.html",
            "relative",
        ] {
            assert_eq!(norm(raw), Err(BadPath), "{raw}");
        }
        assert_eq!(norm("/%ff"), Ok(None));
    }

    fn site(name: &str) -> bool {
        [
            "index.html",
            "about/index.html",
            "404.html",
            "favicon.svg",
            "assets/app.1a2b3c4d5e6f.css",
            "_routes.json",
            ".well-known/x",
        ]
        .contains(&name)
    }

    fn file(name: &str) -> Target {
        Target::File(name.to_owned())
    }

    #[test]
    fn pretty_urls_find_the_page() {
        assert_eq!(resolve("/", site), file("index.html"));
        assert_eq!(resolve("/index.html", site), file("index.html"));
        assert_eq!(resolve("/about", site), file("about/index.html"));
        assert_eq!(resolve("/about/", site), file("about/index.html"));
        assert_eq!(resolve("/about/index.html", site), file("about/index.html"));
        assert_eq!(resolve("/favicon.svg", site), file("favicon.svg"));
        assert_eq!(resolve("/favicon.svg/", site), file("favicon.svg"));
        assert_eq!(resolve("/nope", site), Target::NotFound);
        assert_eq!(resolve("/about/nope", site), Target::NotFound);
    }

    #[test]
    fn the_manifest_hidden_files_and_internal_names_are_not_site_files() {
        assert_eq!(resolve("/_routes.json", site), Target::NotFound);
        assert_eq!(resolve("/_routes.json.gz", site), Target::NotFound);
        assert_eq!(resolve("/.well-known/x", site), Target::NotFound);
        assert_eq!(resolve("/a/.git/config", site), Target::NotFound);
        assert_eq!(resolve("/healthz", site), Target::Health);
        assert_eq!(
            resolve("/__touchline/reload.js", site),
            Target::Internal("reload.js".to_owned())
        );
    }
}
