//! The internal link check: every `href`/`src` inside the site must point at an output file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use memchr::memmem;

/// What an internal link resolves to.
#[derive(Debug, PartialEq, Eq)]
pub enum Target {
    /// Not ours to check: another origin, a fragment, `mailto:`, `data:`...
    External,
    /// A URL path inside the site (query and fragment dropped, percent-decoded).
    Internal(String),
    /// A path whose `..` segments climb above the site root.
    Escapes,
}

/// The values of every `href="…"` and `src="…"` attribute in an HTML or SVG document.
pub fn extract(html: &str) -> Vec<String> {
    let bytes = html.as_bytes();
    let mut found = Vec::new();
    for attr in ["href=", "src="] {
        for at in memmem::find_iter(bytes, attr.as_bytes()) {
            let preceded_by_space = at > 0 && bytes[at - 1].is_ascii_whitespace();
            let start = at + attr.len();
            let Some(&quote) = bytes.get(start) else {
                continue;
            };
            if !preceded_by_space || (quote != b'"' && quote != b'\'') {
                continue;
            }
            if let Some(len) = html[start + 1..].find(quote as char) {
                let raw = &html[start + 1..start + 1 + len];
                found.push(html_escape::decode_html_entities(raw).into_owned());
            }
        }
    }
    found
}

/// Resolves a link found in the page published at `page_file` (e.g. `gandalf/index.html`).
pub fn resolve(page_file: &str, link: &str) -> Target {
    let link = link.trim();
    let scheme = link
        .find(':')
        .is_some_and(|colon| !link[..colon].contains(['/', '?', '#']));
    if link.is_empty() || link.starts_with('#') || link.starts_with("//") || scheme {
        return Target::External;
    }
    let path = link.split(['#', '?']).next().unwrap_or("");
    if path.is_empty() {
        return Target::External;
    }
    let decoded = percent_decode(path);
    let mut segments: Vec<&str> = if decoded.starts_with('/') {
        Vec::new()
    } else {
        let mut base: Vec<&str> = page_file.split('/').collect();
        base.pop();
        base
    };
    for segment in decoded.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                if segments.pop().is_none() {
                    return Target::Escapes;
                }
            }
            s => segments.push(s),
        }
    }
    let trailing = if decoded.ends_with('/') && !segments.is_empty() {
        "/"
    } else {
        ""
    };
    Target::Internal(format!("/{}{trailing}", segments.join("/")))
}

/// Whether nginx would serve something for this URL path from these output files: a file of
/// that name, or the page the path reaches (the contract's `/a` = `/a/` = `/a/index.html`).
pub fn exists(files: &BTreeMap<PathBuf, Arc<Vec<u8>>>, url_path: &str) -> bool {
    let as_file = url_path.trim_start_matches('/');
    let page = contract::route::canonical_page_str(url_path).trim_start_matches('/');
    let as_page = PathBuf::from(page).join("index.html");
    (!as_file.is_empty() && !as_file.ends_with('/') && files.contains_key(Path::new(as_file)))
        || files.contains_key(&as_page)
}

fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extracts_href_and_src_values() {
        let html = r#"<a href="/x">x</a><img src='/y.svg' alt=""><p data-href="/no">"#;
        assert_eq!(extract(html), vec!["/x".to_owned(), "/y.svg".to_owned()]);
    }

    #[test]
    fn character_references_in_values_are_decoded() {
        let html = r#"<a href="&#x2f;teams&#x2F;a?x=1&amp;y=2">"#;
        assert_eq!(extract(html), vec!["/teams/a?x=1&y=2".to_owned()]);
    }

    #[test]
    fn other_origins_and_fragments_are_external() {
        for link in [
            "https://example.org/",
            "//cdn.example/x.js",
            "#top",
            "mailto:a@b",
            "data:image/png;base64,AA",
        ] {
            assert_eq!(resolve("index.html", link), Target::External, "{link}");
        }
    }

    #[test]
    fn query_and_fragment_are_dropped() {
        assert_eq!(
            resolve("index.html", "/gandalf?x=1#top"),
            Target::Internal("/gandalf".into())
        );
    }

    #[test]
    fn relative_links_resolve_against_the_page_folder() {
        assert_eq!(
            resolve("gandalf/index.html", "../images/g.svg"),
            Target::Internal("/images/g.svg".into())
        );
    }

    #[test]
    fn climbing_above_the_root_escapes() {
        assert_eq!(resolve("index.html", "/../../etc/passwd"), Target::Escapes);
    }

    #[test]
    fn pages_exist_with_and_without_trailing_slash() {
        let files = BTreeMap::from([(PathBuf::from("gandalf/index.html"), Arc::new(Vec::new()))]);
        assert!(exists(&files, "/gandalf"));
        assert!(exists(&files, "/gandalf/"));
        assert!(!exists(&files, "/colombo"));
    }
}
