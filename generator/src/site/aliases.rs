//! Step 4b of assembly: a page's `aliases` (its old URLs). Each becomes a small redirect page
//! at the old URL (for hosts without the map), and lines of `_redirects.conf`, an nginx `map`
//! body a server's config can include so real clients get a real `301`.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;

use contract::Route;

use crate::content::Page;
use crate::error::{BuildError, BuildErrors, Location, quoted};
use crate::site::collect::{Origin, Outputs};

/// The nginx map file written beside the site, e.g. `dist/_redirects.conf`.
pub const MAP_FILE: &str = "_redirects.conf";

/// One old URL and where it moved to (a route, or an absolute URL for a section's
/// `redirect_to`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirect {
    /// The old URL.
    pub from: Route,
    /// Where it redirects.
    pub to: String,
}

/// A redirect the site's structure makes (a section's `redirect_to`, a first pager's
/// `/page/1`), with the source it comes from.
#[derive(Debug, Clone)]
pub struct Planned {
    /// The redirect.
    pub redirect: Redirect,
    /// Where it comes from, for errors.
    pub at: Location,
}

/// Claims a redirect page per alias of every page and per `planned` redirect, and the nginx
/// map listing them all (when there are any); returns the redirects (for the route manifest).
pub fn add(
    pages: &[Page],
    planned: Vec<Planned>,
    outputs: &mut Outputs,
    errors: &mut BuildErrors,
) -> Vec<Redirect> {
    let mut redirects = Vec::new();
    for p in planned {
        let origin = Origin::Source {
            at: p.at,
            template: None,
        };
        let html = redirect_page(&p.redirect.to);
        outputs.claim(
            p.redirect.from.output_file(),
            origin,
            Arc::new(html),
            errors,
        );
        redirects.push(p.redirect);
    }
    for page in pages {
        for alias in &page.front_matter.aliases {
            let at = Location::file(&page.source);
            let from = match parse_alias(alias) {
                Ok(from) => from,
                Err(why) => {
                    errors.push(
                        BuildError::invalid(at, format!("alias `{}`: {why}", quoted(alias)))
                            .with_help("an alias is an old URL path such as `/2019/01/post.html`"),
                    );
                    continue;
                }
            };
            let origin = Origin::Source { at, template: None };
            let html = redirect_page(page.route.as_str());
            outputs.claim(from.output_file(), origin, Arc::new(html), errors);
            redirects.push(Redirect {
                from,
                to: page.route.as_str().to_owned(),
            });
        }
    }
    redirects.sort_by(|a, b| a.from.cmp(&b.from));
    // A site without aliases gets no map (nginx includes `_redirects*.conf`, none is fine).
    if redirects.is_empty() {
        return redirects;
    }
    outputs.claim(
        PathBuf::from(MAP_FILE),
        Origin::Built("nginx redirect map"),
        Arc::new(nginx_map(&redirects)),
        errors,
    );
    redirects
}

/// An alias as a route: the leading `/` is optional (Zola's aliases often omit it), and it
/// must not hold a character nginx's configuration syntax gives a meaning to.
fn parse_alias(alias: &str) -> Result<Route, String> {
    let path = if alias.starts_with('/') {
        alias.to_owned()
    } else {
        format!("/{alias}")
    };
    map_safe(&path)?;
    Route::parse(&path).map_err(|e| e.to_string())
}

/// A section's `redirect_to`: an absolute http(s) URL, or a route (the leading `/` optional).
pub fn parse_target(target: &str) -> Result<String, String> {
    map_safe(target)?;
    if target.starts_with("https://") || target.starts_with("http://") {
        return Ok(target.to_owned());
    }
    parse_alias(target).map(|r| r.as_str().to_owned())
}

/// Refuses a character nginx's configuration syntax gives a meaning to.
fn map_safe(url: &str) -> Result<(), String> {
    match url
        .chars()
        .find(|c| matches!(c, '"' | '\'' | '$' | ';' | '{' | '}' | '\\') || c.is_whitespace())
    {
        Some(c) => Err(format!("`{c}` cannot be written in the nginx redirect map")),
        None => Ok(()),
    }
}

/// A page that sends the browser on to `to`: no script (the CSP forbids inline script), a
/// refresh and a canonical link, and a plain link for everything else.
fn redirect_page(to: &str) -> Vec<u8> {
    let to = html_escape(to);
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>Moved</title>\n<link rel=\"canonical\" href=\"{to}\">\n\
         <meta name=\"robots\" content=\"noindex\">\n\
         <meta http-equiv=\"refresh\" content=\"0; url={to}\">\n</head>\n\
         <body><p>This page has moved to <a href=\"{to}\">{to}</a>.</p></body>\n</html>\n"
    )
    .into_bytes()
}

/// The body of an nginx `map $uri $touchline_redirect { ... }`: each old URL, in every form a
/// client may ask for it (a page also with `/` and `/index.html`), to its new route.
pub fn nginx_map(redirects: &[Redirect]) -> Vec<u8> {
    let mut map =
        String::from("# Written by touchline: old URLs (page aliases) and where they moved.\n");
    for r in redirects {
        for from in served_forms(&r.from) {
            let _ = writeln!(map, "\"{from}\" \"{}\";", r.to);
        }
    }
    map.into_bytes()
}

fn served_forms(route: &Route) -> Vec<String> {
    let s = route.as_str();
    if !route.is_page() {
        return vec![s.to_owned()];
    }
    if s == "/" {
        return vec!["/".to_owned(), "/index.html".to_owned()];
    }
    vec![s.to_owned(), format!("{s}/"), format!("{s}/index.html")]
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(s: &str) -> Route {
        Route::parse(s).expect("valid route")
    }

    #[test]
    fn an_alias_without_a_leading_slash_is_rooted() {
        assert_eq!(
            parse_alias("2015/05/15/Rust-1.0.html"),
            Ok(route("/2015/05/15/Rust-1.0.html"))
        );
    }

    #[test]
    fn an_alias_nginx_could_not_quote_is_refused() {
        assert!(parse_alias("/a$b").is_err());
        assert!(parse_alias("/a\"b").is_err());
    }

    #[test]
    fn the_map_lists_every_form_of_a_page_and_a_file_once() {
        let map = nginx_map(&[
            Redirect {
                from: route("/old"),
                to: "/blog/new".into(),
            },
            Redirect {
                from: route("/x.html"),
                to: "/blog/new".into(),
            },
        ]);
        insta::assert_snapshot!(String::from_utf8_lossy(&map), @r#"
        # Written by touchline: old URLs (page aliases) and where they moved.
        "/old" "/blog/new";
        "/old/" "/blog/new";
        "/old/index.html" "/blog/new";
        "/x.html" "/blog/new";
        "#);
    }

    #[test]
    fn the_redirect_page_refreshes_to_the_target_without_script() {
        let html = String::from_utf8_lossy(&redirect_page("/blog/new")).into_owned();
        assert!(html.contains("<meta http-equiv=\"refresh\" content=\"0; url=/blog/new\">"));
        assert!(html.contains("<link rel=\"canonical\" href=\"/blog/new\">"));
        assert!(!html.contains("<script"));
    }
}
