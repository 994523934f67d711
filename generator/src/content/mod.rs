//! Content: Markdown pages with front matter.

pub mod code_info;
pub mod front_matter;
pub mod highlight;
pub mod markdown;
pub mod section;
pub mod toc;

use std::path::{Path, PathBuf};

use crate::error::{BuildError, Location, quoted, utf8};
use crate::source::SourceFile;
use contract::Route;
pub use front_matter::FrontMatter;
pub use section::{SectionMeta, SortBy};

/// A parsed, rendered Markdown page.
#[derive(Debug, Clone)]
pub struct Page {
    /// Where it came from (`content/gandalf.md`).
    pub source: PathBuf,
    /// Its path under `content/` (`blog/post.md`).
    pub rel: PathBuf,
    /// For a section's `_index.md`, the section's own keys.
    pub section: Option<SectionMeta>,
    /// Where it is published.
    pub route: Route,
    /// Its metadata.
    pub front_matter: FrontMatter,
    /// Its body as HTML.
    pub html: String,
    /// The HTML of the text before `<!-- more -->`, if the body has that marker.
    pub summary: Option<String>,
    /// Words in the body (whitespace-separated, as Zola counts).
    pub word_count: usize,
    /// Whether its body has highlighted code (so its template links `highlight.css`).
    pub highlighted: bool,
    /// Its headings as a tree (`page.toc`).
    pub toc: Vec<toc::Heading>,
    /// Hash of the source bytes: a page whose source is unchanged can reuse its last render.
    pub source_hash: blake3::Hash,
    /// Where `template` is set in the front matter, for error messages.
    pub template_at: Location,
}

/// Ends a page's summary: the text before it is `page.summary`.
pub const SUMMARY_MARKER: &str = "<!-- more -->";

/// Reading speed behind `page.reading_time` (words per minute, Zola's).
const WORDS_PER_MINUTE: usize = 200;

impl Page {
    /// Minutes to read the page, rounded up.
    pub fn reading_time(&self) -> usize {
        self.word_count.div_ceil(WORDS_PER_MINUTE)
    }

    /// The template this page renders with when neither it nor a section names one.
    pub fn template(&self) -> &str {
        match &self.front_matter.template {
            Some(t) => t,
            None if self.route == Route::root() => "index.html",
            None if self.section.is_some() => "section.html",
            None => "page.html",
        }
    }

    /// The folder under `content/` whose section this page belongs to (its own folder for a
    /// section's `_index.md`, the bundle's parent for `a/b/index.md`).
    pub fn folder(&self) -> &Path {
        let parent = self.rel.parent().unwrap_or(Path::new(""));
        match self.rel.file_name().and_then(|n| n.to_str()) {
            Some("index.md") => parent.parent().unwrap_or(Path::new("")),
            _ => parent,
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
    let (mut fm, section, source_body) = if file.rel.file_name().is_some_and(|n| n == "_index.md") {
        let (keys, body) =
            front_matter::split_as::<section::SectionFrontMatter>(&file.path, &text)?;
        let (fm, meta) = keys.into_parts();
        check_paginate_path(&meta.paginate_path).map_err(|why| {
            BuildError::invalid(Location::key(&file.path, &text, "paginate_path"), why)
        })?;
        (fm, Some(meta), body)
    } else {
        let split = front_matter::split(&file.path, &text)?;
        (split.front_matter, None, split.body)
    };
    let route = match &fm.path {
        Some(p) => Route::parse(&with_leading_slash(p)).map_err(|e| {
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
    let route = match &fm.slug {
        Some(slug) if fm.path.is_none() => with_slug(&route, slug).map_err(|e| {
            BuildError::invalid(
                Location::key(&file.path, &text, "slug"),
                format!("slug `{}`: {e}", quoted(slug)),
            )
            .with_help("a slug is one URL segment such as `my-post`")
        })?,
        _ => route,
    };
    if fm.description.is_empty() {
        fm.description = default_description.to_owned();
    }
    let body = markdown::render_with(source_body, highlight);
    let body_line = text[..text.len().saturating_sub(source_body.len())]
        .matches('\n')
        .count();
    for (line, warning) in &body.warnings {
        let at = format!("{}:{}", file.path.display(), body_line + line);
        tracing::warn!("{at}: {warning}");
    }
    Ok(Page {
        source: file.path.clone(),
        rel: file.rel.clone(),
        section,
        route,
        html: body.html,
        highlighted: body.highlighted,
        toc: toc::tree(body.headings),
        summary: source_body
            .split_once(SUMMARY_MARKER)
            .map(|(before, _)| markdown::render_with(before, highlight).html),
        word_count: source_body.split_whitespace().count(),
        source_hash: blake3::hash(&file.bytes),
        template_at: match fm.template {
            Some(_) => Location::key(&file.path, &text, "template"),
            None => Location::file(&file.path),
        },
        front_matter: fm,
    })
}

/// A pager's segment (`page` in `/blog/page/2`) must be one plain URL segment.
fn check_paginate_path(segment: &str) -> Result<(), String> {
    if segment.contains('/') || Route::parse(&format!("/{segment}")).is_err() || segment.is_empty()
    {
        return Err(format!(
            "paginate_path `{}` must be one URL segment such as `page`",
            quoted(segment)
        ));
    }
    Ok(())
}

/// Zola's `path` may be written without its leading `/`.
fn with_leading_slash(path: &str) -> String {
    if path.starts_with('/') {
        path.to_owned()
    } else {
        format!("/{path}")
    }
}

/// The route with its last segment replaced by `slug` (the root gains it as its one segment).
fn with_slug(route: &Route, slug: &str) -> Result<Route, contract::RouteError> {
    if slug.is_empty() || slug.contains('/') {
        return Err(contract::RouteError::Malformed);
    }
    let parent = route.as_str().rsplit_once('/').map_or("", |(p, _)| p);
    Route::parse(&format!("{parent}/{slug}"))
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
    fn a_path_without_a_leading_slash_is_rooted() -> Result<(), BuildError> {
        let page = parse_page(
            &file("x.md", "+++\ntitle = \"x\"\npath = \"blog/2024/x\"\n+++\n"),
            "",
            true,
        )?;
        assert_eq!(page.route.as_str(), "/blog/2024/x");
        Ok(())
    }

    #[test]
    fn a_slug_replaces_the_file_name() -> Result<(), BuildError> {
        let page = parse_page(
            &file(
                "blog/2024-05-01-x.md",
                "+++\ntitle = \"x\"\nslug = \"final\"\n+++\n",
            ),
            "",
            true,
        )?;
        assert_eq!(page.route.as_str(), "/blog/final");
        Ok(())
    }

    #[test]
    fn a_slug_with_a_slash_is_an_error() {
        let err = parse_page(
            &file("x.md", "+++\ntitle = \"x\"\nslug = \"a/b\"\n+++\n"),
            "",
            true,
        )
        .expect_err("slash");
        assert!(err.to_string().starts_with("content/x.md:3:"), "{err}");
    }

    #[test]
    fn the_text_before_the_more_marker_is_the_summary() -> Result<(), BuildError> {
        let text = "+++\ntitle = \"x\"\n+++\nFirst *part*.\n\n<!-- more -->\n\nRest.\n";
        let page = parse_page(&file("x.md", text), "", true)?;
        assert_eq!(
            page.summary.as_deref(),
            Some("<p>First <em>part</em>.</p>\n")
        );
        assert!(page.html.contains("Rest."));
        Ok(())
    }

    #[test]
    fn a_page_without_the_marker_has_no_summary() -> Result<(), BuildError> {
        let page = parse_page(&file("x.md", "+++\ntitle = \"x\"\n+++\nAll.\n"), "", true)?;
        assert_eq!(page.summary, None);
        Ok(())
    }

    #[test]
    fn reading_time_is_words_at_200_a_minute_rounded_up() -> Result<(), BuildError> {
        let body = "word ".repeat(201);
        let page = parse_page(
            &file("x.md", &format!("+++\ntitle = \"x\"\n+++\n{body}")),
            "",
            true,
        )?;
        assert_eq!(page.word_count, 201);
        assert_eq!(page.reading_time(), 2);
        Ok(())
    }

    #[test]
    fn the_toc_holds_the_headings_with_the_ids_of_the_html() -> Result<(), BuildError> {
        let body = "## Kick-off\n\n### First half {#h1}\n\n## Kick-off\n";
        let page = parse_page(
            &file("x.md", &format!("+++\ntitle = \"x\"\n+++\n{body}")),
            "",
            true,
        )?;
        let ids: Vec<(&str, Vec<&str>)> = page
            .toc
            .iter()
            .map(|h| {
                (
                    h.id.as_str(),
                    h.children.iter().map(|c| c.id.as_str()).collect(),
                )
            })
            .collect();
        assert_eq!(ids, vec![("kick-off", vec!["h1"]), ("kick-off-1", vec![])]);
        for (id, _) in &ids {
            assert!(page.html.contains(&format!("id=\"{id}\"")), "{}", page.html);
        }
        assert_eq!(page.toc[0].children[0].title, "First half");
        Ok(())
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
