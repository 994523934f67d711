//! What the project's nginx config says about responses (security headers, media types,
//! charsets, cache lifetimes), read from the files in `nginx/` themselves at compile time so
//! `touchline serve` and production cannot drift apart.

use std::collections::HashMap;

use anyhow::{Context, bail};
use warp::http::{HeaderName, HeaderValue};

const HEADERS_CONF: &str = include_str!("../../../nginx/headers.conf");
const MIME_TYPES: &str = include_str!("../../../nginx/mime.types");
const HTTP_CONF: &str = include_str!("../../../nginx/touchline-http.conf");

/// What nginx answers with, as far as serving a site needs.
#[derive(Debug)]
pub struct Nginx {
    /// Headers with a fixed value on every response (headers.conf's `add_header ... always`).
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// Media type by lower-case extension (mime.types).
    types: HashMap<String, String>,
    /// Media types served with `; charset=utf-8` (`charset_types`, plus text/html as nginx
    /// always adds it).
    charset_types: Vec<String>,
}

impl Nginx {
    /// The config compiled into this binary.
    pub fn load() -> anyhow::Result<Nginx> {
        Ok(Nginx {
            headers: fixed_headers(HEADERS_CONF).context("reading nginx/headers.conf")?,
            types: media_types(MIME_TYPES).context("reading nginx/mime.types")?,
            charset_types: charset_types(HTTP_CONF).context("reading nginx/touchline-http.conf")?,
        })
    }

    /// The Content-Type nginx sends for a file (`default_type` when the extension is unknown).
    pub fn content_type(&self, path: &str) -> String {
        let name = path.rsplit('/').next().unwrap_or(path);
        let media = name
            .rsplit_once('.')
            .and_then(|(_, ext)| self.types.get(&ext.to_ascii_lowercase()))
            .map_or("application/octet-stream", String::as_str);
        if self.charset_types.iter().any(|t| t == media) {
            format!("{media}; charset=utf-8")
        } else {
            media.to_owned()
        }
    }
}

/// The `Cache-Control` of `$touchline_cache_control`: fingerprinted assets
/// (`/assets/<name>.<12 hex>.<ext>`) are immutable for a year, everything else revalidated.
pub fn cache_control(uri: &str) -> &'static str {
    if is_fingerprinted_asset(uri) {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    }
}

/// `^/assets/[^/]+\.[0-9a-f]{12}\.[0-9a-z]+$`, without a regex engine.
fn is_fingerprinted_asset(uri: &str) -> bool {
    let Some(name) = uri.strip_prefix("/assets/") else {
        return false;
    };
    let Some((stem, ext)) = name.rsplit_once('.') else {
        return false;
    };
    let Some((base, hash)) = stem.rsplit_once('.') else {
        return false;
    };
    // `[^/]+` may itself hold dots, so `base` is anything non-empty without a slash.
    !name.contains('/')
        && !base.is_empty()
        && hash.len() == 12
        && hash
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        && !ext.is_empty()
        && ext
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
}

/// `add_header NAME "VALUE" always;` lines whose value has no nginx variable (those, the
/// cache lifetime and `Allow`, depend on the request and are computed per response).
fn fixed_headers(conf: &str) -> anyhow::Result<Vec<(HeaderName, HeaderValue)>> {
    let mut headers = Vec::new();
    for (n, line) in conf.lines().enumerate() {
        let Some(rest) = line.trim().strip_prefix("add_header ") else {
            continue;
        };
        let Some((name, value)) = rest.split_once(' ') else {
            bail!("line {}: add_header without a value", n + 1);
        };
        let value = value.trim().trim_end_matches(';').trim_end();
        let value = value.strip_suffix(" always").unwrap_or(value);
        if value.starts_with('$') {
            continue;
        }
        let Some(value) = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) else {
            bail!(
                "line {}: the value of {name} is not one quoted string",
                n + 1
            );
        };
        headers.push((
            HeaderName::try_from(name).with_context(|| format!("line {}: {name}", n + 1))?,
            HeaderValue::try_from(value).with_context(|| format!("line {}: {name}", n + 1))?,
        ));
    }
    Ok(headers)
}

/// The `types { media ext...; }` block.
fn media_types(text: &str) -> anyhow::Result<HashMap<String, String>> {
    let body = text
        .split_once('{')
        .and_then(|(_, rest)| rest.rsplit_once('}'))
        .map(|(body, _)| body)
        .context("no `types { ... }` block")?;
    let mut types = HashMap::new();
    for entry in without_comments(body).split(';') {
        let mut words = entry.split_whitespace();
        let Some(media) = words.next() else { continue };
        for ext in words {
            types.insert(ext.to_ascii_lowercase(), media.to_owned());
        }
    }
    Ok(types)
}

/// The `charset_types` directive's list, with text/html, which nginx always includes.
fn charset_types(conf: &str) -> anyhow::Result<Vec<String>> {
    let conf = without_comments(conf);
    let list = conf
        .split_once("charset_types")
        .and_then(|(_, rest)| rest.split_once(';'))
        .map(|(list, _)| list)
        .context("no charset_types directive")?;
    let mut types: Vec<String> = list.split_whitespace().map(str::to_owned).collect();
    types.push("text/html".to_owned());
    Ok(types)
}

fn without_comments(text: &str) -> String {
    text.lines()
        .map(|line| line.split_once('#').map_or(line, |(code, _)| code))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_compiled_in_config_parses_with_the_strict_csp() {
        let nginx = Nginx::load().expect("nginx config");
        let names: Vec<&str> = nginx.headers.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "content-security-policy",
                "x-content-type-options",
                "referrer-policy",
                "permissions-policy",
                "x-frame-options",
                "cross-origin-opener-policy"
            ]
        );
        let csp = nginx.headers[0].1.to_str().expect("ascii");
        assert!(csp.contains("script-src 'self';"), "{csp}");
        assert!(csp.contains("connect-src 'self';"), "{csp}");
    }

    #[test]
    fn media_types_and_charsets_are_nginx_s() {
        let nginx = Nginx::load().expect("nginx config");
        assert_eq!(
            nginx.content_type("/a/index.html"),
            "text/html; charset=utf-8"
        );
        assert_eq!(nginx.content_type("/app.CSS"), "text/css; charset=utf-8");
        assert_eq!(
            nginx.content_type("/x.js"),
            "application/javascript; charset=utf-8"
        );
        assert_eq!(nginx.content_type("/b.svg"), "image/svg+xml; charset=utf-8");
        assert_eq!(nginx.content_type("/photo.jpg"), "image/jpeg");
        assert_eq!(nginx.content_type("/notes.md"), "text/markdown");
        assert_eq!(nginx.content_type("/LICENSE"), "application/octet-stream");
        assert_eq!(nginx.content_type("/.v1/x"), "application/octet-stream");
    }

    #[test]
    fn only_fingerprinted_assets_are_immutable() {
        let immutable = "public, max-age=31536000, immutable";
        assert_eq!(cache_control("/assets/app.1a2b3c4d5e6f.css"), immutable);
        assert_eq!(cache_control("/assets/a.b.1a2b3c4d5e6f.woff2"), immutable);
        for uri in [
            "/assets/app.css",
            "/assets/.1a2b3c4d5e6f.css",
            "/assets/app.1A2B3C4D5E6F.css",
            "/assets/app.1a2b3c4d5e6.css",
            "/assets/app.1a2b3c4d5e6f.",
            "/assets/x/app.1a2b3c4d5e6f.css",
            "/other/app.1a2b3c4d5e6f.css",
            "/index.html",
        ] {
            assert_eq!(cache_control(uri), "no-cache", "{uri}");
        }
    }
}
