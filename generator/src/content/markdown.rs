//! Markdown to HTML with pulldown-cmark, with GitHub-style heading ids.

use std::collections::HashMap;

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, TagEnd, html};

/// The Markdown extensions every page gets.
fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
}

/// Renders a page body. Headings without an explicit `{#id}` get one made from their text,
/// unique within the page, so that every heading can be linked to.
pub fn render(markdown: &str) -> String {
    let mut events: Vec<Event<'_>> = Parser::new_ext(markdown, options()).collect();
    let mut used: HashMap<String, usize> = HashMap::new();
    let mut i = 0;
    while i < events.len() {
        if let Event::Start(Tag::Heading { id: None, .. }) = &events[i] {
            let mut text = String::new();
            for e in &events[i + 1..] {
                match e {
                    Event::End(TagEnd::Heading(_)) => break,
                    Event::Text(t) | Event::Code(t) => text.push_str(t),
                    _ => {}
                }
            }
            let id = unique(slugify(&text), &mut used);
            if let Event::Start(Tag::Heading { id: slot, .. }) = &mut events[i] {
                *slot = Some(CowStr::from(id));
            }
        }
        i += 1;
    }
    let mut out = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut out, events.into_iter());
    out
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

    #[test]
    fn footnotes_render() {
        let html = render("Text[^1].\n\n[^1]: Note.\n");
        assert!(html.contains("footnote-definition"), "{html}");
    }
}
