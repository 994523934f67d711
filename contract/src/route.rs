//! Routes: the URL paths a site serves, and which request paths reach each one.
//!
//! nginx serves the page `/a` from `a/index.html`, and reaches it at `/a`, `/a/` and
//! `/a/index.html` alike; the generator writes it there, checks links against it and lists it in
//! the manifest, and the sidecar folds the three request paths back into the one label.

use std::fmt;
use std::path::PathBuf;

/// Longest route, in bytes. The sitemap protocol refuses URLs over 2,048 characters, and the
/// staging folder's path comes on top of it on disk.
pub const MAX_LEN: usize = 1024;

/// Longest segment, in bytes: a file system's 255-byte name limit, less room for the `.br`
/// and `.gz` siblings written beside every text file.
pub const MAX_SEGMENT: usize = 250;

/// A canonical URL path inside the site: starts with `/`, no trailing slash (except the root),
/// no empty, `.` or `..` segments, no segment nginx would hide (a leading `.`), and nothing a
/// URL would read as something else (`%`, `?`, `#`, `\`, control characters).
/// `/gandalf` is a page; `/robots.txt` a file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct Route(String);

/// Why a string is not a route.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
    /// Not absolute.
    #[error("a route must start with `/`")]
    NotAbsolute,
    /// `.` or `..` segments.
    #[error("a route must not contain `..` or `.` segments (it would escape the site root)")]
    DotSegment,
    /// A segment nginx refuses to serve.
    #[error(
        "segment `{0}` starts with `.`: nginx hides dot files and folders, so nothing could reach it"
    )]
    Hidden(String),
    /// `//`, a backslash or a control character.
    #[error("a route must not contain empty segments, backslashes or control characters")]
    Malformed,
    /// A character a URL gives another meaning to.
    #[error("a route must not contain `{0}`: write the path as it is, not URL-encoded")]
    Reserved(char),
    /// Over [`MAX_LEN`] bytes.
    #[error("a route must be at most {MAX_LEN} bytes long (this one is {0})")]
    TooLong(usize),
    /// A segment over [`MAX_SEGMENT`] bytes.
    #[error("a route segment must be at most {MAX_SEGMENT} bytes long (one is {0})")]
    SegmentTooLong(usize),
}

impl Route {
    /// The site's root page.
    pub fn root() -> Route {
        Route("/".to_owned())
    }

    /// Validates and canonicalises a path (a trailing slash is dropped).
    pub fn parse(path: &str) -> Result<Route, RouteError> {
        if !path.starts_with('/') {
            return Err(RouteError::NotAbsolute);
        }
        if path == "/" {
            return Ok(Route::root());
        }
        let trimmed = path.strip_suffix('/').unwrap_or(path);
        if trimmed.len() > MAX_LEN {
            return Err(RouteError::TooLong(trimmed.len()));
        }
        for segment in trimmed[1..].split('/') {
            check_segment(segment)?;
        }
        Ok(Route(trimmed.to_owned()))
    }

    /// The route as a URL path.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A page is served as `<route>/index.html`; a route whose last segment has an extension
    /// (`/robots.txt`, `/404.html`) is a file of that name.
    pub fn is_page(&self) -> bool {
        let last = self.0.rsplit('/').next().unwrap_or("");
        !last.contains('.')
    }

    /// The file this route is written to, relative to the output directory.
    pub fn output_file(&self) -> PathBuf {
        let rel = self.0.trim_start_matches('/');
        if self.is_page() {
            PathBuf::from(rel).join("index.html")
        } else {
            PathBuf::from(rel)
        }
    }

    /// Every request path nginx answers with this route: a page at `/a`, `/a/` and
    /// `/a/index.html` (the root at `/` and `/index.html`), a file at its own path.
    pub fn served_at(&self) -> Vec<String> {
        match (self.is_page(), self.0.as_str()) {
            (false, path) => vec![path.to_owned()],
            (true, "/") => vec!["/".to_owned(), "/index.html".to_owned()],
            (true, path) => vec![
                path.to_owned(),
                format!("{path}/"),
                format!("{path}/index.html"),
            ],
        }
    }
}

fn check_segment(segment: &str) -> Result<(), RouteError> {
    if segment == "." || segment == ".." {
        return Err(RouteError::DotSegment);
    }
    if segment.is_empty() || segment.chars().any(|c| c == '\\' || c.is_control()) {
        return Err(RouteError::Malformed);
    }
    if let Some(c) = segment.chars().find(|c| matches!(c, '%' | '?' | '#')) {
        return Err(RouteError::Reserved(c));
    }
    if segment.starts_with('.') {
        return Err(RouteError::Hidden(segment.to_owned()));
    }
    if segment.len() > MAX_SEGMENT {
        return Err(RouteError::SegmentTooLong(segment.len()));
    }
    Ok(())
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Route {
    type Error = RouteError;

    fn try_from(s: String) -> Result<Route, RouteError> {
        Route::parse(&s)
    }
}

impl TryFrom<&str> for Route {
    type Error = RouteError;

    fn try_from(s: &str) -> Result<Route, RouteError> {
        Route::parse(s)
    }
}

impl std::str::FromStr for Route {
    type Err = RouteError;

    fn from_str(s: &str) -> Result<Route, RouteError> {
        Route::parse(s)
    }
}

impl<'de> serde::Deserialize<'de> for Route {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Route, D::Error> {
        let s = String::deserialize(d)?;
        Route::parse(&s).map_err(|e| serde::de::Error::custom(format!("route `{s}`: {e}")))
    }
}

/// The page a request path reaches, by nginx's `index index.html` and the generator's pretty
/// URLs: `/a/index.html` and `/a/` are `/a`, `/index.html` is `/`. Other paths are unchanged.
/// The path must already be decoded and free of dot segments.
pub fn canonical_page(path: &[u8]) -> &[u8] {
    let path = path
        .strip_suffix(b"index.html")
        .filter(|p| p.ends_with(b"/"))
        .unwrap_or(path);
    if path.len() > 1 {
        path.strip_suffix(b"/").unwrap_or(path)
    } else {
        path
    }
}

/// [`canonical_page`] for a `str`.
pub fn canonical_page_str(path: &str) -> &str {
    let page = canonical_page(path.as_bytes());
    // A prefix cut at an ASCII byte (`/` or `index.html`) is always a char boundary.
    &path[..page.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn trailing_slash_is_dropped() {
        assert_eq!(
            Route::parse("/gandalf/").map(|r| r.0),
            Ok("/gandalf".into())
        );
    }

    #[test]
    fn dot_dot_segments_are_rejected() {
        assert_eq!(Route::parse("/a/../../etc"), Err(RouteError::DotSegment));
    }

    #[test]
    fn relative_paths_are_rejected() {
        assert_eq!(Route::parse("gandalf"), Err(RouteError::NotAbsolute));
    }

    #[test]
    fn empty_segments_are_rejected() {
        assert_eq!(Route::parse("/a//b"), Err(RouteError::Malformed));
    }

    #[test]
    fn hidden_segments_are_rejected_because_nginx_hides_them() {
        assert_eq!(
            Route::parse("/.git/config"),
            Err(RouteError::Hidden(".git".into()))
        );
    }

    #[test]
    fn percent_encoding_is_rejected() {
        assert_eq!(
            Route::parse("/%2e%2e/%2e%2e/x"),
            Err(RouteError::Reserved('%'))
        );
        assert_eq!(Route::parse("/a?b"), Err(RouteError::Reserved('?')));
    }

    #[test]
    fn over_long_routes_and_segments_are_rejected() {
        let long = format!("/{}", "a".repeat(MAX_SEGMENT + 1));
        assert_eq!(
            Route::parse(&long),
            Err(RouteError::SegmentTooLong(MAX_SEGMENT + 1))
        );
        let deep = "/abcdefghi".repeat(MAX_LEN / 10 + 1);
        assert_eq!(Route::parse(&deep), Err(RouteError::TooLong(deep.len())));
    }

    #[test]
    fn pages_are_written_as_index_html() -> Result<(), RouteError> {
        assert_eq!(
            Route::parse("/gandalf")?.output_file(),
            PathBuf::from("gandalf/index.html")
        );
        assert_eq!(Route::root().output_file(), PathBuf::from("index.html"));
        Ok(())
    }

    #[test]
    fn files_keep_their_name() -> Result<(), RouteError> {
        let route = Route::parse("/badges/arsenal.svg")?;
        assert!(!route.is_page());
        assert_eq!(route.output_file(), PathBuf::from("badges/arsenal.svg"));
        Ok(())
    }

    #[test]
    fn a_page_is_served_at_three_paths_that_are_all_its_canonical_page() -> Result<(), RouteError> {
        let route = Route::parse("/teams/arsenal")?;
        let served = route.served_at();
        assert_eq!(
            served,
            [
                "/teams/arsenal",
                "/teams/arsenal/",
                "/teams/arsenal/index.html"
            ]
        );
        for path in &served {
            assert_eq!(canonical_page_str(path), route.as_str(), "{path}");
        }
        Ok(())
    }

    #[test]
    fn the_root_is_served_at_slash_and_index_html() {
        assert_eq!(Route::root().served_at(), ["/", "/index.html"]);
        assert_eq!(canonical_page_str("/index.html"), "/");
        assert_eq!(canonical_page_str("/"), "/");
    }

    #[test]
    fn a_file_named_index_html_in_a_name_is_not_a_page() {
        assert_eq!(canonical_page_str("/notindex.html"), "/notindex.html");
    }

    #[test]
    fn routes_deserialize_only_when_valid() {
        let ok: Result<Route, _> = serde_json::from_str("\"/a/\"");
        assert_eq!(ok.map(|r| r.0).ok(), Some("/a".to_owned()));
        let bad: Result<Route, _> = serde_json::from_str("\"a\"");
        assert!(bad.is_err());
    }

    proptest! {
        #[test]
        fn every_path_a_page_is_served_at_canonicalises_to_it(
            segments in proptest::collection::vec("[a-z0-9][a-z0-9_-]{0,8}", 0..5)
        ) {
            let route = Route::parse(&format!("/{}", segments.join("/"))).expect("valid route");
            for path in route.served_at() {
                prop_assert_eq!(canonical_page_str(&path), route.as_str());
            }
        }

        #[test]
        fn parse_is_idempotent(s in "/[a-z./%_-]{0,30}") {
            if let Ok(route) = Route::parse(&s) {
                prop_assert_eq!(Route::parse(route.as_str()), Ok(route.clone()));
            }
        }
    }
}
