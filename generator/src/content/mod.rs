//! Content: Markdown pages with front matter.

pub mod code_info;
pub mod front_matter;
pub mod highlight;
pub mod markdown;

use std::path::{Path, PathBuf};

use crate::error::{BuildError, Location, quoted, utf8};
use crate::source::SourceFile;
use contract::Route;
pub use front_matter::FrontMatter;

/// A parsed, rendered Markdown page.
#[derive(Debug, Clone)]
pub struct Page {
    /// Where it came from (`content/gandalf.md`).
    pub source: PathBuf,
    /// Where it is published.
    pub route: Route,
    /// Its metadata.
    pub front_matter: FrontMatter,
    /// Its body as HTML.
    pub html: String,
    /// Whether its body has highlighted code (so its template links `highlight.css`).
    pub highlighted: bool,
    /// Hash of the source bytes: a page whose source is unchanged can reuse its last render.
    pub source_hash: blake3::Hash,
    /// Where `template` is set in the front matter, for error messages.
    pub template_at: Location,
}

impl Page {
    /// The template this page renders with.
    pub fn template(&self) -> &str {
        match &self.front_matter.template {
            Some(t) => t,
            None if self.route == Route::root() => "index.html",
            None => "page.html",
        }
    }
}

/// Parses and renders one Markdown file; `default_description` fills an empty description;
/// `highlight` turns on syntax highlighting of its code blocks.
pub fn parse_page(
    file: &SourceFile,
    default_description: &str,
    highlight: bool,
) -> Result<Page, BuildError> {
    let text = utf8(&file.path, &file.bytes)?;
    let split = front_matter::split(&file.path, &text)?;
    let mut fm = split.front_matter;
    let route = match &fm.path {
        Some(p) => Route::parse(p).map_err(|e| {
            let at = Location::key(&file.path, &text, "path");
            match e {
                contract::RouteError::DotSegment => BuildError::Escape {
                    at,
                    target: p.clone(),
                },
                other => BuildError::invalid(at, format!("path `{}`: {other}", quoted(p))),
            }
        })?,
        None => route_of(&file.rel).map_err(|e| {
            BuildError::invalid(
                Location::file(&file.path),
                format!("its file name gives no valid route: {e}; rename the file or set `path`"),
            )
        })?,
    };
    if fm.description.is_empty() {
        fm.description = default_description.to_owned();
    }
    let body = markdown::render_with(split.body, highlight);
    let body_line = text[..text.len().saturating_sub(split.body.len())]
        .matches('\n')
        .count();
    for (line, warning) in &body.warnings {
        let at = format!("{}:{}", file.path.display(), body_line + line);
        tracing::warn!("{at}: {warning}");
    }
    Ok(Page {
        source: file.path.clone(),
        route,
        html: body.html,
        highlighted: body.highlighted,
        source_hash: blake3::hash(&file.bytes),
        template_at: match fm.template {
            Some(_) => Location::key(&file.path, &text, "template"),
            None => Location::file(&file.path),
        },
        front_matter: fm,
    })
}

/// `gandalf.md` -> `/gandalf`; `teams/_index.md` -> `/teams`; `_index.md` -> `/`.
pub fn route_of(rel: &Path) -> Result<Route, contract::RouteError> {
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if let Some(last) = parts.pop() {
        let stem = last.strip_suffix(".md").unwrap_or(&last);
        if stem != "_index" && stem != "index" {
            parts.push(stem.to_owned());
        }
    }
    Route::parse(&format!("/{}", parts.join("/")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(rel: &str, text: &str) -> SourceFile {
        SourceFile {
            path: PathBuf::from("content").join(rel),
            rel: PathBuf::from(rel),
            bytes: text.as_bytes().to_vec(),
        }
    }

    #[test]
    fn routes_follow_file_names() {
        let route = |p: &str| route_of(Path::new(p)).map(|r| r.as_str().to_owned());
        assert_eq!(route("gandalf.md"), Ok("/gandalf".into()));
        assert_eq!(route("_index.md"), Ok("/".into()));
        assert_eq!(route("teams/_index.md"), Ok("/teams".into()));
        assert!(route("50%.md").is_err());
    }

    #[test]
    fn the_root_page_defaults_to_the_index_template() -> Result<(), BuildError> {
        let page = parse_page(
            &file("_index.md", "+++\ntitle = \"Home\"\n+++\n"),
            "d",
            false,
        )?;
        assert_eq!(page.template(), "index.html");
        Ok(())
    }

    #[test]
    fn a_path_override_that_climbs_out_is_an_escape() {
        let err = parse_page(
            &file(
                "x.md",
                "+++\ntitle = \"x\"\npath = \"/../../etc/passwd\"\n+++\n",
            ),
            "",
            false,
        )
        .expect_err("escape");
        assert_eq!(
            err.to_string(),
            "content/x.md:3:8: `/../../etc/passwd` escapes the site root"
        );
    }

    #[test]
    fn an_empty_description_takes_the_sites() -> Result<(), BuildError> {
        let page = parse_page(
            &file("x.md", "+++\ntitle = \"x\"\n+++\n"),
            "site description",
            false,
        )?;
        assert_eq!(page.front_matter.description, "site description");
        Ok(())
    }
}
