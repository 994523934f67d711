//! Step 5 of assembly: the files touchline writes beside the site's own: `sitemap.xml`,
//! `robots.txt` and the route manifest the sidecar reads.

use std::path::PathBuf;
use std::sync::Arc;

use contract::{Manifest, Route};

use crate::assets;
use crate::error::BuildErrors;
use crate::site::collect::{Origin, Outputs};

/// Claims the sitemap, robots.txt and the manifest (last, so it lists every other file).
/// `moved` are the page routes of redirects: in the manifest (they are served), not the sitemap.
pub fn add(
    outputs: &mut Outputs,
    base_url: &str,
    pages: &[Route],
    moved: &[Route],
    errors: &mut BuildErrors,
) {
    let built = [
        ("sitemap.xml", "sitemap", sitemap(base_url, pages)),
        ("robots.txt", "robots.txt", robots(base_url)),
    ];
    for (name, what, bytes) in built {
        outputs.claim(
            PathBuf::from(name),
            Origin::Built(what),
            Arc::new(bytes),
            errors,
        );
    }
    let mut served = pages.to_vec();
    served.extend_from_slice(moved);
    served.sort();
    let manifest = manifest(outputs, &served);
    outputs.claim(
        PathBuf::from(contract::manifest::FILE_NAME),
        Origin::Built("route manifest"),
        Arc::new(manifest),
        errors,
    );
}

/// `sitemap.xml` listing every page route under the base URL.
pub fn sitemap(base_url: &str, pages: &[Route]) -> Vec<u8> {
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for route in pages {
        xml.push_str(&format!(
            "  <url><loc>{}{}</loc></url>\n",
            xml_escape(base_url),
            xml_escape(route.as_str())
        ));
    }
    xml.push_str("</urlset>\n");
    xml.into_bytes()
}

/// `robots.txt` allowing everything and naming the sitemap.
pub fn robots(base_url: &str) -> Vec<u8> {
    format!("User-agent: *\nAllow: /\n\nSitemap: {base_url}/sitemap.xml\n").into_bytes()
}

/// The route manifest: every page, and every other file but the fingerprinted assets (one
/// label for all of them) and the pages' own `index.html` files.
fn manifest(outputs: &Outputs, pages: &[Route]) -> Vec<u8> {
    let files = outputs
        .files
        .keys()
        .map(|p| format!("/{}", p.to_string_lossy().replace('\\', "/")))
        .filter(|url| {
            !url.starts_with(assets::PREFIX)
                && !url.ends_with("/index.html")
                && url != "/index.html"
        })
        .filter_map(|url| Route::parse(&url).ok())
        .collect();
    Manifest::new(pages.to_vec(), files).to_json()
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
