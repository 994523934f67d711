//! `page.toc`: the page's headings as a tree, with the ids the Markdown renderer gave them.

use serde::Serialize;

/// One heading and the headings under it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Heading {
    /// 1 for `#`, up to 6.
    pub level: u8,
    /// The heading's `id` attribute (link to it with `#id`).
    pub id: String,
    /// Its plain text.
    pub title: String,
    /// Deeper headings that follow it before the next heading at its level or above.
    pub children: Vec<Heading>,
}

/// Nests headings in page order: each heading goes under the nearest earlier shallower one.
/// A page that skips a level (`#` then `###`) still nests, as Zola does.
pub fn tree(flat: Vec<Heading>) -> Vec<Heading> {
    let mut roots: Vec<Heading> = Vec::new();
    for heading in flat {
        insert(&mut roots, heading);
    }
    roots
}

/// Puts `heading` under the last node of `list` when that node is shallower, else at the end.
fn insert(list: &mut Vec<Heading>, heading: Heading) {
    match list.last_mut() {
        Some(last) if last.level < heading.level => insert(&mut last.children, heading),
        _ => list.push(heading),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(level: u8, id: &str) -> Heading {
        Heading {
            level,
            id: id.to_owned(),
            title: id.to_owned(),
            children: Vec::new(),
        }
    }

    fn shape(list: &[Heading]) -> String {
        list.iter()
            .map(|n| format!("{}({})", n.id, shape(&n.children)))
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn deeper_headings_nest_under_the_one_before_them() {
        let t = tree(vec![
            h(2, "a"),
            h(3, "a1"),
            h(3, "a2"),
            h(2, "b"),
            h(4, "b1"),
        ]);
        assert_eq!(shape(&t), "a(a1() a2()) b(b1())");
    }

    #[test]
    fn a_heading_shallower_than_the_first_starts_a_new_root() {
        let t = tree(vec![h(3, "x"), h(2, "y"), h(3, "y1")]);
        assert_eq!(shape(&t), "x() y(y1())");
    }
}
