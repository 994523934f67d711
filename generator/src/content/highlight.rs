//! Build-time syntax highlighting of code blocks with syntect, as CSS classes (`hl-keyword`,
//! `hl-string`...): the CSP forbids inline `style=`, so colours live in [`css`], which the build
//! publishes as the fingerprinted asset `highlight.css`.
//!
//! syntect's syntax set is loaded the first time a block names a language, not at startup.

use std::fmt::Write as _;
use std::sync::LazyLock;

use syntect::html::{ClassStyle, line_tokens_to_classed_spans};
use syntect::parsing::{ParseState, Scope, ScopeStack, SyntaxReference, SyntaxSet};

use super::code_info::CodeInfo;

static SYNTAXES: LazyLock<SyntaxSet> = LazyLock::new(SyntaxSet::load_defaults_newlines);

/// Every class syntect emits starts with this, so theme CSS cannot collide with it.
const PREFIX: &str = "hl-";
const STYLE: ClassStyle = ClassStyle::SpacedPrefixed { prefix: PREFIX };

/// A rendered code block.
#[derive(Debug)]
pub struct Block {
    /// `<pre class="highlight">...</pre>` and a newline.
    pub html: String,
    /// Why it is shown without colours although it names a language, for a warning.
    pub warning: Option<String>,
}

/// Renders one code block: coloured if its language is known, else plain (escaped) text in
/// the same frame, with a warning saying why.
pub fn render(code: &str, info: &CodeInfo) -> Block {
    let Some(lang) = info.lang.as_deref() else {
        return Block {
            html: frame(info, &plain_lines(code)),
            warning: None,
        };
    };
    let (lines, warning) = match SYNTAXES.find_syntax_by_token(lang) {
        Some(syntax) => match classed_lines(code, syntax) {
            Ok(lines) => (lines, None),
            Err(e) => (
                plain_lines(code),
                Some(format!(
                    "highlighting `{lang}` failed ({e}): the block is shown without colours"
                )),
            ),
        },
        None => (
            plain_lines(code),
            Some(format!(
                "unknown language `{lang}`: the block is shown without colours; use a name or \
                 file extension syntect knows (rust, python, js, toml, sh...) or none"
            )),
        ),
    };
    Block {
        html: frame(info, &lines),
        warning,
    }
}

/// One HTML string per source line, without its newline, every span opened and closed
/// within the line (so a line can be wrapped, numbered or marked on its own).
fn classed_lines(code: &str, syntax: &SyntaxReference) -> Result<Vec<String>, syntect::Error> {
    let mut state = ParseState::new(syntax);
    let mut stack = ScopeStack::new();
    let mut out = Vec::new();
    for line in code.split_inclusive('\n') {
        let owned;
        let line = if line.ends_with('\n') {
            line
        } else {
            owned = format!("{line}\n");
            &owned
        };
        let ops = state.parse_line(line, &SYNTAXES)?;
        let mut html = String::with_capacity(line.len() * 2);
        for scope in stack.as_slice() {
            open_span(&mut html, *scope);
        }
        let (spans, _) = line_tokens_to_classed_spans(line, &ops, STYLE, &mut stack)?;
        html.push_str(&spans);
        for _ in 0..stack.len() {
            html.push_str("</span>");
        }
        out.push(html.replace('\n', ""));
    }
    Ok(out)
}

fn open_span(html: &mut String, scope: Scope) {
    html.push_str("<span class=\"");
    for (i, atom) in scope.build_string().split('.').enumerate() {
        if i > 0 {
            html.push(' ');
        }
        html.push_str(PREFIX);
        html.push_str(atom);
    }
    html.push_str("\">");
}

fn plain_lines(code: &str) -> Vec<String> {
    code.lines()
        .map(|l| html_escape::encode_text(l).into_owned())
        .collect()
}

/// The `<pre>` around the lines: focusable (it may scroll), the language as a class as
/// pulldown-cmark writes it, lines wrapped only when numbered or marked.
fn frame(info: &CodeInfo, lines: &[String]) -> String {
    let mut html = String::with_capacity(lines.iter().map(|l| l.len() + 40).sum::<usize>() + 80);
    html.push_str("<pre class=\"highlight\" tabindex=\"0\"><code");
    if let Some(lang) = &info.lang {
        let lang = html_escape::encode_double_quoted_attribute(lang);
        let _ = write!(html, " class=\"language-{lang}\" data-lang=\"{lang}\"");
    }
    html.push('>');
    for (i, line) in lines.iter().enumerate() {
        if info.per_line() {
            let marked = if info.is_marked(i + 1) { " hl" } else { "" };
            let _ = write!(html, "<span class=\"line{marked}\">");
            if info.linenos {
                let n = info.linenostart + i;
                let _ = write!(html, "<span class=\"ln\" aria-hidden=\"true\">{n}</span>");
            }
            html.push_str(line);
            html.push_str("</span>\n");
        } else {
            html.push_str(line);
            html.push('\n');
        }
    }
    html.push_str("</code></pre>\n");
    html
}

/// A colour rule: selector, light colour, dark colour.
type Rule = (&'static str, &'static str, &'static str);

/// Text colours by syntect scope, chosen for WCAG AA (4.5:1) on both backgrounds and on the
/// marked-line background (checked by a test).
const COLOURS: &[Rule] = &[
    (".hl-comment", "#57606a", "#9198a1"),
    (".hl-keyword, .hl-storage", "#b31d28", "#ff7b72"),
    (".hl-string", "#0a3069", "#a5d6ff"),
    (".hl-constant", "#0550ae", "#79c0ff"),
    (
        ".hl-entity.hl-name.hl-function, .hl-support.hl-function",
        "#6639ba",
        "#d2a8ff",
    ),
    (
        ".hl-entity.hl-name.hl-type, .hl-entity.hl-name.hl-class, .hl-support.hl-type, .hl-support.hl-class",
        "#953800",
        "#ffa657",
    ),
    (
        ".hl-entity.hl-name.hl-tag, .hl-variable.hl-parameter",
        "#116329",
        "#7ee787",
    ),
    (
        ".hl-entity.hl-other.hl-attribute-name",
        "#0550ae",
        "#79c0ff",
    ),
    (".hl-markup.hl-heading", "#0550ae", "#79c0ff"),
];
/// Block background, default text, marked-line background, line-number colour.
const LIGHT: [&str; 4] = ["#f6f8fa", "#1f2328", "#fff8c5", "#57606a"];
const DARK: [&str; 4] = ["#161b22", "#e6edf3", "#2d2610", "#9198a1"];

/// The stylesheet for highlighted blocks, light and dark (following `prefers-color-scheme`,
/// as the default theme does).
pub fn css() -> String {
    let mut css = String::from(
        "/* Touchline code highlighting: classes from syntect scopes (generated by the build). */\n\
         .highlight{padding:.75rem 1rem;border-radius:6px;overflow-x:auto;line-height:1.5}\n\
         .highlight code{background:none;padding:0}\n\
         .highlight .line{display:inline-block;min-width:100%}\n\
         .highlight .ln{display:inline-block;min-width:2em;margin-right:1em;text-align:right;user-select:none}\n",
    );
    palette(&mut css, &LIGHT, |r| r.1);
    css.push_str("@media (prefers-color-scheme: dark){\n");
    palette(&mut css, &DARK, |r| r.2);
    css.push_str("}\n");
    css
}

fn palette(css: &mut String, base: &[&str; 4], pick: fn(&Rule) -> &'static str) {
    let [bg, text, mark, ln] = base;
    let _ = writeln!(css, ".highlight{{background:{bg};color:{text}}}");
    let _ = writeln!(css, ".highlight .hl{{background:{mark}}}");
    let _ = writeln!(css, ".highlight .ln{{color:{ln}}}");
    for rule in COLOURS {
        let _ = writeln!(css, "{}{{color:{}}}", rule.0, pick(rule));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::code_info;

    fn luminance(hex: &str) -> f64 {
        let channel = |i: usize| {
            let v = f64::from(u8::from_str_radix(&hex[i..i + 2], 16).unwrap_or(0)) / 255.0;
            if v <= 0.039_28 {
                v / 12.92
            } else {
                ((v + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5)
    }

    fn contrast(a: &str, b: &str) -> f64 {
        let (a, b) = (luminance(a), luminance(b));
        (a.max(b) + 0.05) / (a.min(b) + 0.05)
    }

    #[test]
    fn every_colour_passes_wcag_aa_on_block_and_marked_backgrounds() {
        for (base, pick) in [(LIGHT, 1usize), (DARK, 2)] {
            let colours = COLOURS
                .iter()
                .map(|r| if pick == 1 { r.1 } else { r.2 })
                .chain([base[1], base[3]]);
            for colour in colours {
                for bg in [base[0], base[2]] {
                    let ratio = contrast(colour, bg);
                    assert!(ratio >= 4.5, "{colour} on {bg}: {ratio:.2}");
                }
            }
        }
    }

    #[test]
    fn the_css_has_no_url_or_import() {
        let css = css();
        assert!(!css.contains("url(") && !css.contains("@import"), "{css}");
    }

    #[test]
    fn an_unknown_language_is_plain_escaped_text_with_a_warning() {
        let block = render("<b>x</b>\n", &code_info::parse("nosuchlang"));
        assert!(
            block.html.contains("&lt;b&gt;x&lt;/b&gt;"),
            "{}",
            block.html
        );
        assert!(!block.html.contains("hl-"), "{}", block.html);
        let warning = block.warning.unwrap_or_default();
        assert!(
            warning.contains("unknown language `nosuchlang`"),
            "{warning}"
        );
    }

    #[test]
    fn spans_opened_on_one_line_are_closed_on_it() {
        let block = render(
            "/* a\n b */\nfn x() {}\n",
            &code_info::parse("rust,linenos"),
        );
        for line in block.html.lines().filter(|l| l.contains("class=\"line")) {
            assert_eq!(
                line.matches("<span").count(),
                line.matches("</span>").count(),
                "{line}"
            );
        }
        assert!(block.html.contains("hl-comment"), "{}", block.html);
    }
}
