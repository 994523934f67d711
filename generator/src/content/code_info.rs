//! A fenced code block's info string: its language and display options, in Zola's syntax
//! (```` ```rust,linenos,hl_lines=2 3-4 ````) or Hugo's (```` ```rust {linenos=true,hl_lines=[2,"3-4"]} ````).

use std::ops::RangeInclusive;

/// What a code fence asks for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CodeInfo {
    /// The language token (`rust`), if any.
    pub lang: Option<String>,
    /// Whether to number the lines.
    pub linenos: bool,
    /// The number of the first line.
    pub linenostart: usize,
    /// Lines to mark, 1-based and relative to the block's first line.
    pub hl_lines: Vec<RangeInclusive<usize>>,
    /// Options that could not be understood, each a sentence for a warning.
    pub problems: Vec<String>,
}

impl CodeInfo {
    /// Whether lines must be wrapped one by one (numbers or marks).
    pub fn per_line(&self) -> bool {
        self.linenos || !self.hl_lines.is_empty()
    }

    /// Whether the 1-based line `n` of the block is marked.
    pub fn is_marked(&self, n: usize) -> bool {
        self.hl_lines.iter().any(|r| r.contains(&n))
    }
}

/// Parses an info string. Never fails: what it cannot read is listed in `problems`.
pub fn parse(info: &str) -> CodeInfo {
    let mut out = CodeInfo {
        linenostart: 1,
        ..CodeInfo::default()
    };
    let (head, braces) = match info.find('{') {
        Some(i) => (
            &info[..i],
            Some(info[i + 1..].trim_end().trim_end_matches('}')),
        ),
        None => (info, None),
    };
    let mut head_parts = split_options(head);
    let lang = head_parts.next().map(str::trim).unwrap_or("");
    if !lang.is_empty() && !lang.contains('=') {
        out.lang = Some(lang.to_owned());
    } else if !lang.is_empty() {
        option(&mut out, lang);
    }
    for part in head_parts.chain(braces.into_iter().flat_map(split_options)) {
        option(&mut out, part.trim());
    }
    out
}

/// Splits on commas outside `[...]`.
fn split_options(text: &str) -> impl Iterator<Item = &str> {
    let mut depth = 0usize;
    text.split(move |c| {
        match c {
            '[' => depth += 1,
            ']' => depth = depth.saturating_sub(1),
            _ => {}
        }
        c == ',' && depth == 0
    })
    .filter(|s| !s.trim().is_empty())
}

fn option(out: &mut CodeInfo, part: &str) {
    let (key, value) = match part.split_once('=') {
        Some((k, v)) => (k.trim(), Some(v.trim())),
        None => (part, None),
    };
    match (key, value) {
        ("linenos", None | Some("true" | "table" | "inline")) => out.linenos = true,
        ("linenos", Some("false")) => out.linenos = false,
        ("linenostart", Some(v)) => match v.parse() {
            Ok(n) => out.linenostart = n,
            Err(_) => out
                .problems
                .push(format!("`linenostart={v}` is not a line number")),
        },
        ("hl_lines", Some(v)) => match lines(v) {
            Some(ranges) => out.hl_lines.extend(ranges),
            None => out.problems.push(format!(
                "`hl_lines={v}` is not a list of lines: write e.g. `hl_lines=2 4-6` or `{{hl_lines=[2,\"4-6\"]}}`"
            )),
        },
        _ => out.problems.push(format!(
            "unknown code block option `{part}` (known: linenos, linenostart, hl_lines)"
        )),
    }
}

/// `2 3-4`, `[2, "3-4"]` or `[2,3]` as ranges; `None` if any item is not a line or range.
fn lines(value: &str) -> Option<Vec<RangeInclusive<usize>>> {
    let value = value.trim().trim_start_matches('[').trim_end_matches(']');
    value
        .split([',', ' '])
        .map(|s| s.trim().trim_matches('"').trim_matches('\''))
        .filter(|s| !s.is_empty())
        .map(|item| match item.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
                (a <= b).then_some(a..=b)
            }
            None => item.parse().ok().map(|n| n..=n),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zola_syntax_gives_language_numbers_and_marked_lines() {
        let info = parse("rust,linenos,hl_lines=2 3-4");
        assert_eq!(info.lang.as_deref(), Some("rust"));
        assert!(info.linenos);
        assert_eq!(info.hl_lines, vec![2..=2, 3..=4]);
        assert!(info.problems.is_empty(), "{:?}", info.problems);
    }

    #[test]
    fn hugo_brace_syntax_gives_the_same() {
        let info = parse("rust {linenos=table,hl_lines=[2,\"3-4\"],linenostart=10}");
        assert_eq!(info.lang.as_deref(), Some("rust"));
        assert!(info.linenos);
        assert_eq!(info.linenostart, 10);
        assert_eq!(info.hl_lines, vec![2..=2, 3..=4]);
        assert!(info.problems.is_empty(), "{:?}", info.problems);
    }

    #[test]
    fn a_bare_language_has_no_options() {
        let info = parse("python");
        assert_eq!(info.lang.as_deref(), Some("python"));
        assert!(!info.per_line());
    }

    #[test]
    fn unreadable_options_are_reported_not_fatal() {
        let info = parse("rust,hl_lines=x,wrap");
        assert_eq!(info.lang.as_deref(), Some("rust"));
        assert_eq!(info.problems.len(), 2, "{:?}", info.problems);
        assert!(info.problems[0].contains("`hl_lines=x`"));
        assert!(info.problems[1].contains("unknown code block option `wrap`"));
    }
}
