//! Routes: the URL paths a site serves, and the output files behind them.

use std::fmt;
use std::path::PathBuf;

/// A canonical URL path inside the site: starts with `/`, no `.`/`..` segments, no empty
/// segments, no trailing slash (except the root). `/gandalf` is a page; `/robots.txt` a file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct Route(String);

/// Why a string is not a route.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
    #[error("a route must start with `/`")]
    NotAbsolute,
    #[error("a route must not contain `..` or `.` segments (it would escape the site root)")]
    DotSegment,
    #[error("a route must not contain empty segments, backslashes or control characters")]
    Malformed,
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
        for segment in trimmed[1..].split('/') {
            if segment == "." || segment == ".." {
                return Err(RouteError::DotSegment);
            }
            if segment.is_empty() || segment.chars().any(|c| c == '\\' || c.is_control()) {
                return Err(RouteError::Malformed);
            }
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
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailing_slash_is_dropped() {
        assert_eq!(
            Route::parse("/gandalf/").map(|r| r.0),
            Ok("/gandalf".to_owned())
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
}
