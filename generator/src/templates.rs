//! Templates: a minijinja environment with every template of the theme compiled up front.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use minijinja::{AutoEscape, Environment, UndefinedBehavior, Value};

use crate::assets::AssetMap;
use crate::error::{BuildError, BuildErrors, utf8};
use crate::source::SourceFile;

/// The theme's templates, compiled, with the `asset` function bound to this build's assets.
#[derive(Debug)]
pub struct Renderer {
    env: Environment<'static>,
    dir: PathBuf,
}

impl Renderer {
    /// Compiles every template of `dir` (named in errors), reporting every syntax error at once.
    pub fn new(
        dir: &Path,
        templates: &[SourceFile],
        assets: Arc<AssetMap>,
    ) -> Result<Renderer, BuildErrors> {
        let mut env = Environment::new();
        env.set_debug(true);
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_keep_trailing_newline(true);
        env.set_auto_escape_callback(auto_escape);
        env.set_formatter(format_value);
        env.add_function(
            "asset",
            move |name: &str| -> Result<String, minijinja::Error> {
                assets.url(name).map(str::to_owned).ok_or_else(|| {
                    minijinja::Error::new(
                        minijinja::ErrorKind::InvalidOperation,
                        format!("unknown asset `{name}` (not in the theme's static/ folder)"),
                    )
                })
            },
        );
        // Term URLs from `page.taxonomies`: `/tags/{{ name | slugify }}`, the slug the term
        // pages get.
        env.add_filter("slugify", |name: &str| slug::slugify(name));
        let mut errors = BuildErrors::default();
        for t in templates {
            let name = t.rel.to_string_lossy().replace('\\', "/");
            let source = match utf8(&t.path, &t.bytes) {
                Ok(s) => s,
                Err(e) => {
                    errors.0.push(e);
                    continue;
                }
            };
            if let Err(e) = env.add_template_owned(name, source) {
                errors.0.push(template_error(dir, &e, None));
            }
        }
        errors.into_result()?;
        Ok(Renderer {
            env,
            dir: dir.to_owned(),
        })
    }

    /// The names of the theme's templates.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.env.templates().map(|(name, _)| name)
    }

    /// Whether the theme has a template of this name.
    pub fn has(&self, name: &str) -> bool {
        self.env.get_template(name).is_ok()
    }

    /// Renders a template for the output `target` (named in errors).
    pub fn render(&self, name: &str, ctx: Value, target: &str) -> Result<String, BuildError> {
        self.env
            .get_template(name)
            .and_then(|t| t.render(ctx))
            .map_err(|e| template_error(&self.dir, &e, Some(target)))
    }
}

/// Escapes what HTML needs escaped: `& < > " '`. minijinja's default also escapes `/`, which
/// no HTML or XML context requires and which turns every URL into `&#x2f;assets&#x2f;…`.
fn format_value(
    out: &mut minijinja::Output<'_>,
    state: &minijinja::State<'_, '_>,
    value: &Value,
) -> Result<(), minijinja::Error> {
    match (state.auto_escape(), value.as_str()) {
        (AutoEscape::Html, Some(text)) if !value.is_safe() => {
            let mut escaped = String::with_capacity(text.len() + 16);
            for c in text.chars() {
                match c {
                    '&' => escaped.push_str("&amp;"),
                    '<' => escaped.push_str("&lt;"),
                    '>' => escaped.push_str("&gt;"),
                    '"' => escaped.push_str("&quot;"),
                    '\'' => escaped.push_str("&#39;"),
                    c => escaped.push(c),
                }
            }
            out.write_str(&escaped).map_err(|e| {
                minijinja::Error::new(minijinja::ErrorKind::WriteFailure, "could not write output")
                    .with_source(e)
            })
        }
        _ => minijinja::escape_formatter(out, state, value),
    }
}

/// HTML escaping for every markup format a theme renders (SVG and XML included).
fn auto_escape(name: &str) -> AutoEscape {
    match name.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html" | "htm" | "xml" | "svg") => AutoEscape::Html,
        _ => AutoEscape::None,
    }
}

fn template_error(dir: &Path, e: &minijinja::Error, target: Option<&str>) -> BuildError {
    let path = match (e.name(), e.line()) {
        (Some(name), Some(line)) => PathBuf::from(format!("{}:{line}", dir.join(name).display())),
        (Some(name), None) => dir.join(name),
        _ => dir.to_owned(),
    };
    let mut message = match e.detail() {
        Some(detail) => format!("{}: {detail}", e.kind()),
        None => e.kind().to_string(),
    };
    if e.kind() == minijinja::ErrorKind::TemplateNotFound && message.contains("..") {
        message.push_str(" (a template name cannot climb out of the theme's templates/ folder)");
    }
    if let Some(target) = target {
        message.push_str(&format!(" (while rendering {target})"));
    }
    let detail = e.display_debug_info().to_string();
    BuildError::Template {
        path,
        message,
        detail: if detail.is_empty() {
            detail
        } else {
            format!("\n{}", detail.trim_end())
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template(name: &str, source: &str) -> SourceFile {
        SourceFile {
            path: PathBuf::from("themes/t/templates").join(name),
            rel: PathBuf::from(name),
            bytes: source.as_bytes().to_vec(),
        }
    }

    fn renderer(templates: &[SourceFile]) -> Result<Renderer, BuildErrors> {
        Renderer::new(
            Path::new("themes/t/templates"),
            templates,
            Arc::new(AssetMap::default()),
        )
    }

    #[test]
    fn html_is_autoescaped() -> Result<(), Box<dyn std::error::Error>> {
        let r = renderer(&[template("a.html", "{{ x }}")])?;
        let html = r.render(
            "a.html",
            minijinja::context! { x => "<a href='x'>\"&" },
            "/",
        )?;
        assert_eq!(html, "&lt;a href=&#39;x&#39;&gt;&quot;&amp;");
        Ok(())
    }

    #[test]
    fn slashes_are_not_escaped() -> Result<(), Box<dyn std::error::Error>> {
        let r = renderer(&[template("a.html", "{{ x }}")])?;
        assert_eq!(
            r.render("a.html", minijinja::context! { x => "2023/24" }, "/")?,
            "2023/24"
        );
        Ok(())
    }

    #[test]
    fn svg_is_autoescaped_too() -> Result<(), Box<dyn std::error::Error>> {
        let r = renderer(&[template("b.svg", "<text>{{ x }}</text>")])?;
        let svg = r.render("b.svg", minijinja::context! { x => "A&B" }, "/b.svg")?;
        assert_eq!(svg, "<text>A&amp;B</text>");
        Ok(())
    }

    #[test]
    fn an_undefined_variable_is_an_error_naming_template_and_line() -> Result<(), BuildErrors> {
        let r = renderer(&[template("a.html", "ok\n{{ pgae.title }}")])?;
        let err = r
            .render("a.html", minijinja::context! {}, "/x")
            .expect_err("strict undefined");
        let msg = err.to_string();
        assert!(
            msg.starts_with("themes/t/templates/a.html:2: undefined value"),
            "{msg}"
        );
        assert!(msg.contains("(while rendering /x)"), "{msg}");
        Ok(())
    }

    #[test]
    fn every_syntax_error_is_reported_at_once() {
        let errs = renderer(&[template("a.html", "{% if %}"), template("b.html", "{{ }")])
            .expect_err("two syntax errors");
        assert_eq!(errs.0.len(), 2, "{errs}");
    }

    #[test]
    fn syntax_errors_show_context_with_a_marker() {
        let errs =
            renderer(&[template("a.html", "line one\n{% for x in %}\n")]).expect_err("syntax");
        let msg = errs.to_string();
        assert!(
            msg.contains("themes/t/templates/a.html:2: syntax error"),
            "{msg}"
        );
        assert!(msg.contains("^"), "debug info with a marker: {msg}");
    }

    #[test]
    fn an_unknown_asset_is_an_error() -> Result<(), BuildErrors> {
        let r = renderer(&[template("a.html", "{{ asset('nope.css') }}")])?;
        let err = r
            .render("a.html", minijinja::context! {}, "/")
            .expect_err("unknown asset");
        assert!(
            err.to_string().contains("unknown asset `nope.css`"),
            "{err}"
        );
        Ok(())
    }
}
