//! Site configuration: `site.toml` (or `content/site.toml`).

use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::error::{BuildError, Location};

/// The parsed `site.toml`. Unknown keys are errors: a typo must not be silently ignored.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct SiteConfig {
    /// The site's name, shown in titles.
    pub title: String,
    /// The default meta description.
    #[serde(default)]
    pub description: String,
    /// Absolute http(s) URL the site is published at, kept without a trailing slash.
    pub base_url: String,
    /// The `lang` of every page.
    #[serde(default = "default_language")]
    pub language: String,
    /// The folder under `themes/` whose templates and static files render the site.
    #[serde(default = "default_theme")]
    pub theme: String,
    /// Free-form values for templates (`site.extra`).
    #[serde(default)]
    pub extra: toml::Table,
    /// How Markdown is rendered (`[markdown]`).
    #[serde(default)]
    pub markdown: MarkdownConfig,
    /// Taxonomies pages may use in `[taxonomies]`, each with its list and term pages.
    #[serde(default)]
    pub taxonomies: Vec<TaxonomyConfig>,
    /// Outputs generated from data files, one per item.
    #[serde(default, rename = "generate", skip_serializing)]
    pub generators: Vec<Generator>,
}

/// One `[[generate]]` table: render `template` once per item of a data array. Each value keeps
/// its place in `site.toml`, for errors about it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Generator {
    /// Data file stem (`clubs` for `content/data/clubs.toml`).
    pub data: Spanned<String>,
    /// The array of tables in that file.
    pub items: Spanned<String>,
    /// Route pattern with `{field}` placeholders, e.g. `/teams/{slug}`.
    pub path: Spanned<String>,
    /// Template name under the theme's `templates/`.
    pub template: Spanned<String>,
    /// Title pattern with `{field}` placeholders.
    #[serde(default)]
    pub title: Option<Spanned<String>>,
}

/// One `[[taxonomies]]` table.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct TaxonomyConfig {
    /// Its name, as pages use it in `[taxonomies]` and as its URL: `tags` -> `/tags/`.
    pub name: String,
    /// Pages per pager of a term page; one page with them all when absent.
    #[serde(default)]
    pub paginate_by: Option<usize>,
    /// The segment before a pager's number: `/tags/rust/page/2`.
    #[serde(default = "default_paginate_path")]
    pub paginate_path: String,
    /// Publish a feed per term (`/tags/rust/atom.xml`).
    #[serde(default)]
    pub feed: bool,
    /// Whether its list and term pages are published.
    #[serde(default = "yes")]
    pub render: bool,
}

fn default_paginate_path() -> String {
    "page".to_owned()
}

/// The `[markdown]` table.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct MarkdownConfig {
    /// Colour code blocks at build time (classes styled by the `highlight.css` asset).
    #[serde(default = "yes")]
    pub highlight_code: bool,
}

impl Default for MarkdownConfig {
    fn default() -> MarkdownConfig {
        MarkdownConfig {
            highlight_code: true,
        }
    }
}

fn yes() -> bool {
    true
}

fn default_language() -> String {
    "en".to_owned()
}

fn default_theme() -> String {
    "default".to_owned()
}

/// Where the site's config lives: `site.toml` at the root, else `content/site.toml`.
pub fn locate(root: &Path) -> Option<PathBuf> {
    [
        root.join("site.toml"),
        root.join("content").join("site.toml"),
    ]
    .into_iter()
    .find(|p| p.is_file())
}

impl SiteConfig {
    /// Parses a config file's text; `path` is only used in error messages.
    pub fn parse(path: &Path, text: &str) -> Result<SiteConfig, BuildError> {
        let mut config: SiteConfig =
            toml::from_str(text).map_err(|e| BuildError::toml(path, text, 0, &e))?;
        config.base_url = base_url(&config.base_url)
            .map_err(|why| BuildError::invalid(Location::key(path, text, "base_url"), why))?;
        for t in &config.taxonomies {
            if slug::slugify(&t.name) != t.name {
                return Err(BuildError::invalid(
                    Location::key(path, text, "name"),
                    format!(
                        "taxonomy name `{}` must be a URL slug such as `tags`",
                        t.name
                    ),
                ));
            }
        }
        if config.theme.contains(['/', '\\']) || config.theme.starts_with('.') {
            return Err(BuildError::Escape {
                at: Location::key(path, text, "theme"),
                target: config.theme.clone(),
            });
        }
        Ok(config)
    }
}

/// An absolute `http` or `https` URL with a host, normalised without its trailing slash (the
/// sitemap and feeds append routes, which start with one).
fn base_url(url: &str) -> Result<String, String> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    let Some(rest) = rest else {
        return Err(format!(
            "`base_url` must be an absolute http:// or https:// URL, like \"https://example.org\" (not `{url}`)"
        ));
    };
    let host = rest.split('/').next().unwrap_or("");
    let host_ok = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    if !host_ok || url.contains(['?', '#', ' ', '"', '<', '>', '\\']) {
        return Err(format!(
            "`base_url` `{url}` has no valid host: expected a URL like \"https://example.org\" or \"https://example.org/blog\""
        ));
    }
    Ok(url.trim_end_matches('/').to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = "title = \"T\"\nbase_url = \"https://example.org\"\n";

    #[test]
    fn minimal_config_gets_defaults() -> Result<(), BuildError> {
        let c = SiteConfig::parse(Path::new("site.toml"), MINIMAL)?;
        assert_eq!((c.language.as_str(), c.theme.as_str()), ("en", "default"));
        Ok(())
    }

    #[test]
    fn unknown_key_is_an_error_naming_its_line_with_a_suggestion() {
        let text = format!("{MINIMAL}titel = \"typo\"\n");
        let err = SiteConfig::parse(Path::new("site.toml"), &text).expect_err("unknown key");
        let msg = err.to_string();
        assert!(
            msg.starts_with("site.toml:3:1: unknown field `titel`"),
            "{msg}"
        );
        assert!(msg.ends_with("= help: did you mean `title`?"), "{msg}");
    }

    #[test]
    fn highlighting_is_on_unless_the_markdown_table_turns_it_off() -> Result<(), BuildError> {
        let on = SiteConfig::parse(Path::new("site.toml"), MINIMAL)?;
        let text = format!("{MINIMAL}[markdown]\nhighlight_code = false\n");
        let off = SiteConfig::parse(Path::new("site.toml"), &text)?;
        assert!(on.markdown.highlight_code && !off.markdown.highlight_code);
        Ok(())
    }

    #[test]
    fn an_unknown_markdown_key_is_an_error_with_a_suggestion() {
        let text = format!("{MINIMAL}[markdown]\nhighlight_cod = false\n");
        let err = SiteConfig::parse(Path::new("site.toml"), &text).expect_err("unknown key");
        let msg = err.to_string();
        assert!(
            msg.starts_with("site.toml:4:1: unknown field `highlight_cod`"),
            "{msg}"
        );
        assert!(
            msg.ends_with("= help: did you mean `highlight_code`?"),
            "{msg}"
        );
    }

    #[test]
    fn theme_cannot_escape_the_themes_folder() {
        let text = format!("{MINIMAL}theme = \"../../etc\"\n");
        let err = SiteConfig::parse(Path::new("site.toml"), &text).expect_err("escape");
        assert!(matches!(err, BuildError::Escape { .. }));
    }

    #[test]
    fn a_trailing_slash_in_base_url_is_normalised_away() {
        assert_eq!(
            base_url("https://example.org/"),
            Ok("https://example.org".into())
        );
        assert_eq!(
            base_url("http://example.org/blog/"),
            Ok("http://example.org/blog".into())
        );
    }

    #[test]
    fn base_url_without_http_scheme_is_refused() {
        for bad in [
            "javascript:alert(1)",
            "touchline.example",
            "ftp://x.org",
            "https://",
        ] {
            assert!(base_url(bad).is_err(), "{bad}");
        }
    }
}
