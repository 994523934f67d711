//! Markdown to HTML with pulldown-cmark, with GitHub-style heading ids and (when on) code
//! blocks highlighted at build time.

use std::collections::HashMap;

use pulldown_cmark::{CodeBlockKind, CowStr, Event, Options, Parser, Tag, TagEnd, html};

use super::{code_info, highlight, toc};

/// A page body as HTML, and what the page needs from the theme.
#[derive(Debug, Default)]
pub struct Rendered {
    /// The body.
    pub html: String,
    /// Whether a code block was rendered for `highlight.css`.
    pub highlighted: bool,
    /// Problems that do not stop the build, each with its 1-based line in the Markdown.
    pub warnings: Vec<(usize, String)>,
    /// Every heading in page order, with its id, for `page.toc`.
    pub headings: Vec<toc::Heading>,
}

/// The Markdown extensions every page gets.
fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
}

/// Renders a page body without highlighting (see [`render_with`]).
pub fn render(markdown: &str) -> String {
    render_with(markdown, false).html
}

/// Renders a page body. Headings without an explicit `{#id}` get one made from their text,
/// unique within the page, so that every heading can be linked to. With `highlight`, code
/// blocks become classed HTML for `highlight.css`.
pub fn render_with(markdown: &str, highlight: bool) -> Rendered {
    let mut rendered = Rendered::default();
    let mut events: Vec<Event<'_>> = if highlight {
        code_blocks(markdown, &mut rendered)
    } else {
        Parser::new_ext(markdown, options()).collect()
    };
    let mut used: HashMap<String, usize> = HashMap::new();
    let mut i = 0;
    while i < events.len() {
        if let Event::Start(Tag::Heading { id, level, .. }) = &events[i] {
            let (explicit, level) = (id.as_ref().map(|s| s.to_string()), *level as u8);
            let mut text = String::new();
            for e in &events[i + 1..] {
                match e {
                    Event::End(TagEnd::Heading(_)) => break,
                    Event::Text(t) | Event::Code(t) => text.push_str(t),
                    _ => {}
                }
            }
            let id = match explicit {
                Some(id) => id,
                None => unique(slugify(&text), &mut used),
            };
            if let Event::Start(Tag::Heading { id: slot, .. }) = &mut events[i] {
                *slot = Some(CowStr::from(id.clone()));
            }
            rendered.headings.push(toc::Heading {
                level,
                id,
                title: text,
                children: Vec::new(),
            });
        }
        i += 1;
    }
    let mut out = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut out, events.into_iter());
    rendered.html = out;
    rendered
}

/// The events with every code block replaced by its highlighted HTML.
fn code_blocks<'a>(markdown: &'a str, rendered: &mut Rendered) -> Vec<Event<'a>> {
    let mut events = Vec::new();
    let mut block: Option<(code_info::CodeInfo, usize, String)> = None;
    for (event, range) in Parser::new_ext(markdown, options()).into_offset_iter() {
        match (event, &mut block) {
            (Event::Start(Tag::CodeBlock(kind)), None) => {
                let info = match kind {
                    CodeBlockKind::Fenced(info) => code_info::parse(&info),
                    CodeBlockKind::Indented => code_info::parse(""),
                };
                let line =
                    1 + memchr::memchr_iter(b'\n', &markdown.as_bytes()[..range.start]).count();
                block = Some((info, line, String::new()));
            }
            (Event::Text(text), Some((_, _, code))) => code.push_str(&text),
            (Event::End(TagEnd::CodeBlock), Some(_)) => {
                let Some((info, line, code)) = block.take() else {
                    continue;
                };
                let out = highlight::render(&code, &info);
                let problems = info.problems.into_iter().chain(out.warning);
                rendered.warnings.extend(problems.map(|p| (line, p)));
                rendered.highlighted = true;
                events.push(Event::Html(CowStr::from(out.html)));
            }
            (event, _) => events.push(event),
        }
    }
    events
}

/// Lower-case letters and digits, words joined by `-`.
pub fn slugify(text: &str) -> String {
    let mut slug = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            slug.push(c);
        } else if (c.is_whitespace() || c == '-' || c == '_') && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let slug = slug.trim_matches('-');
    if slug.is_empty() {
        "section".to_owned()
    } else {
        slug.to_owned()
    }
}

fn unique(slug: String, used: &mut HashMap<String, usize>) -> String {
    let n = used.entry(slug.clone()).or_insert(0);
    *n += 1;
    if *n == 1 {
        slug
    } else {
        format!("{slug}-{}", *n - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_get_ids_from_their_text() {
        assert_eq!(
            render("## Final table"),
            "<h2 id=\"final-table\">Final table</h2>\n"
        );
    }

    #[test]
    fn repeated_headings_get_unique_ids() {
        let html = render("# A\n# A\n");
        assert!(
            html.contains("id=\"a\"") && html.contains("id=\"a-1\""),
            "{html}"
        );
    }

    #[test]
    fn explicit_heading_ids_are_kept() {
        assert_eq!(render("# Title {#top}"), "<h1 id=\"top\">Title</h1>\n");
    }

    #[test]
    fn tables_strikethrough_and_task_lists_render() {
        let html = render("|a|b|\n|-|-|\n|1|2|\n\n~~old~~\n\n- [x] done\n");
        assert!(html.contains("<table>"), "{html}");
        assert!(html.contains("<del>old</del>"), "{html}");
        assert!(html.contains("type=\"checkbox\""), "{html}");
    }

    fn highlighted(markdown: &str) -> Rendered {
        render_with(markdown, true)
    }

    #[test]
    fn fenced_rust_is_highlighted_with_classes() {
        let out = highlighted("```rust\nfn main() {\n    let x = \"hi\"; // note\n}\n```\n");
        assert!(out.highlighted && out.warnings.is_empty(), "{out:?}");
        insta::assert_snapshot!(out.html);
    }

    #[test]
    fn line_numbers_and_marked_lines_are_wrapped_per_line() {
        let out =
            highlighted("```python,linenos,hl_lines=2\na = 1\nb = \"x\"  # two\nc = True\n```\n");
        assert!(out.warnings.is_empty(), "{:?}", out.warnings);
        insta::assert_snapshot!(out.html);
    }

    #[test]
    fn hugo_brace_options_mark_lines_too() {
        let out = highlighted("```sh {hl_lines=[2]}\necho a\necho b\n```\n");
        assert!(
            out.html.contains("<span class=\"line hl\">"),
            "{}",
            out.html
        );
        assert_eq!(
            out.html.matches("<span class=\"line").count(),
            2,
            "{}",
            out.html
        );
    }

    #[test]
    fn script_in_code_is_escaped() {
        for fence in ["```html", "```", "```nosuchlang"] {
            let out = highlighted(&format!("{fence}\n<script>alert(1)</script>\n```\n"));
            assert!(!out.html.contains("<script"), "{fence}: {}", out.html);
            assert!(out.html.contains("&lt;"), "{fence}: {}", out.html);
        }
    }

    #[test]
    fn no_inline_style_is_ever_emitted() {
        let md = "```rust,linenos,hl_lines=1\nfn f() {}\n```\n\n```css\na { color: red }\n```\n\n    indented\n";
        let out = highlighted(md);
        assert!(!out.html.contains("style="), "{}", out.html);
    }

    #[test]
    fn an_unknown_language_warns_with_the_fence_line() {
        let out = highlighted("# T\n\ntext\n\n```klingon\nqapla'\n```\n");
        assert_eq!(out.warnings.len(), 1, "{:?}", out.warnings);
        assert_eq!(out.warnings[0].0, 5);
        assert!(out.warnings[0].1.contains("unknown language `klingon`"));
        assert!(
            out.html.contains("qapla&#x27;") || out.html.contains("qapla'"),
            "{}",
            out.html
        );
    }

    #[test]
    fn highlighting_off_leaves_code_as_pulldown_writes_it() {
        let out = render_with("```rust\nfn f() {}\n```\n", false);
        assert_eq!(
            out.html,
            "<pre><code class=\"language-rust\">fn f() {}\n</code></pre>\n"
        );
        assert!(!out.highlighted);
    }

    #[test]
    fn footnotes_render() {
        let html = render("Text[^1].\n\n[^1]: Note.\n");
        assert!(html.contains("footnote-definition"), "{html}");
    }
}
