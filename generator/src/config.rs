//! Site configuration: `site.toml` (or `content/site.toml`).

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{BuildError, key_line, line_of};

/// The parsed `site.toml`. Unknown keys are errors: a typo must not be silently ignored.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct SiteConfig {
    /// The site's name, shown in titles.
    pub title: String,
    /// The default meta description.
    #[serde(default)]
    pub description: String,
    /// Absolute URL the site is published at (used in the sitemap), without a trailing slash.
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
    /// Outputs generated from data files, one per item.
    #[serde(default, rename = "generate", skip_serializing)]
    pub generators: Vec<Generator>,
}

/// One `[[generate]]` table: render `template` once per item of a data array.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Generator {
    /// Data file stem (`clubs` for `content/data/clubs.toml`).
    pub data: String,
    /// The array of tables in that file.
    pub items: String,
    /// Route pattern with `{field}` placeholders, e.g. `/teams/{slug}`.
    pub path: String,
    /// Template name under the theme's `templates/`.
    pub template: String,
    /// Title pattern with `{field}` placeholders.
    #[serde(default)]
    pub title: Option<String>,
}

fn default_language() -> String {
    "en".to_owned()
}

fn default_theme() -> String {
    "default".to_owned()
}

/// Where the site's config lives: `site.toml` at the root, else `content/site.toml`.
pub fn locate(root: &Path) -> PathBuf {
    let at_root = root.join("site.toml");
    if at_root.is_file() {
        at_root
    } else {
        root.join("content").join("site.toml")
    }
}

impl SiteConfig {
    /// Parses a config file's text; `path` is only used in error messages.
    pub fn parse(path: &Path, text: &str) -> Result<SiteConfig, BuildError> {
        let config: SiteConfig = toml::from_str(text).map_err(|e| toml_error(path, text, &e))?;
        if config.base_url.ends_with('/') {
            return Err(BuildError::invalid(
                path,
                key_line(text, "base_url"),
                "`base_url` must not end with `/`",
            ));
        }
        if config.theme.contains(['/', '\\']) || config.theme.starts_with('.') {
            return Err(BuildError::Escape {
                path: path.to_owned(),
                target: config.theme.clone(),
            });
        }
        Ok(config)
    }
}

/// Converts a `toml` error into one naming the file and line.
pub fn toml_error(path: &Path, text: &str, e: &toml::de::Error) -> BuildError {
    let line = e.span().map_or(1, |span| line_of(text, span.start));
    BuildError::invalid(path, line, e.message().to_owned())
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
    fn unknown_key_is_an_error_naming_its_line() {
        let text = format!("{MINIMAL}titel = \"typo\"\n");
        let err = SiteConfig::parse(Path::new("site.toml"), &text).expect_err("unknown key");
        let msg = err.to_string();
        assert!(
            msg.starts_with("site.toml:3: unknown field `titel`"),
            "{msg}"
        );
    }

    #[test]
    fn theme_cannot_escape_the_themes_folder() {
        let text = format!("{MINIMAL}theme = \"../../etc\"\n");
        let err = SiteConfig::parse(Path::new("site.toml"), &text).expect_err("escape");
        assert!(matches!(err, BuildError::Escape { .. }));
    }
}
