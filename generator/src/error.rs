//! Build errors: every one names the place the user must edit (file, line and column where
//! there is one), says what is wrong, and what would fix it where that is known.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// Characters of a source line shown under a message.
const SNIPPET_MAX: usize = 100;

/// A value quoted in a message, cut short when long (a 5,000-character path helps nobody).
pub fn quoted(value: &str) -> String {
    const MAX: usize = 60;
    if value.chars().count() <= MAX {
        value.to_owned()
    } else {
        format!("{}…", value.chars().take(MAX).collect::<String>())
    }
}

/// A place in a source file: its path as the user sees it, and where in it, when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file, relative to the site root (`content/gandalf.md`).
    pub path: PathBuf,
    /// 1-based line; `None` for the file as a whole.
    pub line: Option<usize>,
    /// 1-based column (in characters) and the source line, for the snippet under the message.
    snippet: Option<Box<Snippet>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Snippet {
    column: usize,
    width: usize,
    text: String,
}

impl Location {
    /// The whole file.
    pub fn file(path: impl Into<PathBuf>) -> Location {
        Location {
            path: path.into(),
            line: None,
            snippet: None,
        }
    }

    /// A line of the file, without column.
    pub fn line(path: impl Into<PathBuf>, line: usize) -> Location {
        Location {
            path: path.into(),
            line: Some(line),
            snippet: None,
        }
    }

    /// The bytes `span` of `text`, the file's whole text: line, column and a snippet.
    pub fn span(path: impl Into<PathBuf>, text: &str, span: Range<usize>) -> Location {
        let start = floor_char_boundary(text, span.start.min(text.len()));
        let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
        let line_text = text[line_start..line_end].trim_end_matches('\r');
        let column = text[line_start..start].chars().count() + 1;
        let end = floor_char_boundary(text, span.end.clamp(start, line_end));
        let width = text[start..end].chars().count().max(1);
        // A snippet is for finding the place, not for reading a huge line again.
        let shown: String = line_text.chars().take(SNIPPET_MAX).collect();
        let cut = shown.len() < line_text.len();
        Location {
            path: path.into(),
            line: Some(line_of(text, start)),
            snippet: Some(Box::new(Snippet {
                column,
                width: width.min((SNIPPET_MAX + 1).saturating_sub(column)).max(1),
                text: if cut { format!("{shown}…") } else { shown },
            })),
        }
    }

    /// The line where `key` is assigned in front matter or config (`key =` in TOML, `key:` in
    /// YAML), with its value underlined; the whole file when the key is absent. For errors
    /// about a value serde has accepted, which carry no position of their own.
    pub fn key(path: impl Into<PathBuf>, text: &str, key: &str) -> Location {
        match key_value_span(text, key) {
            Some(span) => Location::span(path, text, span),
            None => Location::file(path),
        }
    }

    /// The 1-based column, when known.
    pub fn column(&self) -> Option<usize> {
        self.snippet.as_ref().map(|s| s.column)
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(column) = self.column() {
            write!(f, ":{column}")?;
        }
        Ok(())
    }
}

/// One problem found while reading, rendering or writing a site.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// A source file could not be read or an output file could not be written.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A source file is not valid UTF-8.
    #[error("{path}:{line}: not valid UTF-8 (invalid byte at offset {offset})")]
    NotUtf8 {
        path: PathBuf,
        line: usize,
        offset: usize,
    },
    /// A source is malformed (bad syntax, an unknown key, a wrong type, a bad value).
    #[error("{at}: {message}{}", Extra { at, help })]
    Invalid {
        at: Location,
        message: String,
        help: Option<String>,
    },
    /// A template failed to compile or render; `detail` holds minijinja's context lines.
    #[error("{path}: {message}{detail}")]
    Template {
        path: PathBuf,
        message: String,
        detail: String,
    },
    /// A page or link points outside the site root.
    #[error("{at}: `{target}` escapes the site root")]
    Escape { at: Location, target: String },
    /// An internal `href`/`src` has no file behind it in the output.
    #[error("{at}: broken internal link `{target}` (no page or file at that path){}", via.as_ref().map(|t| format!(" in the HTML that template `{t}` renders")).unwrap_or_default())]
    BrokenLink {
        at: Location,
        target: String,
        /// The template whose output holds the link, when the link is not in the source.
        via: Option<String>,
    },
    /// The output folder would replace or read back the sources.
    #[error("--out {}: refusing to publish there: {why}, and a build replaces its output folder; choose a folder outside content/ and themes/ (the default is `dist`)", out.display())]
    OutputFolder { out: PathBuf, why: String },
    /// Two sources want to write the same output file.
    #[error("{at}: output `{output}` is also produced by {other}")]
    Conflict {
        /// The source that came second.
        at: String,
        output: String,
        other: String,
    },
}

/// The snippet and help lines under an [`BuildError::Invalid`] message.
struct Extra<'a> {
    at: &'a Location,
    help: &'a Option<String>,
}

impl fmt::Display for Extra<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let (Some(line), Some(s)) = (self.at.line, &self.at.snippet) {
            let gutter = " ".repeat(line.to_string().len());
            write!(
                f,
                "\n{gutter} |\n{line} | {}\n{gutter} | {}{}",
                s.text,
                " ".repeat(s.column - 1),
                "^".repeat(s.width)
            )?;
        }
        if let Some(help) = self.help {
            write!(f, "\n  = help: {help}")?;
        }
        Ok(())
    }
}

impl BuildError {
    /// Wraps an I/O error with the path it happened on.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        BuildError::Io {
            path: path.into(),
            source,
        }
    }

    /// A problem at a place in a file.
    pub fn invalid(at: Location, message: impl Into<String>) -> Self {
        BuildError::Invalid {
            at,
            message: message.into(),
            help: None,
        }
    }

    /// The same problem with a suggested fix.
    pub fn with_help(self, help: impl Into<String>) -> Self {
        match self {
            BuildError::Invalid { at, message, .. } => BuildError::Invalid {
                at,
                message,
                help: Some(help.into()),
            },
            other => other,
        }
    }

    /// A serde error of a TOML document, at its span in `text` (the file's whole text, of
    /// which the document starts at byte `offset`), with the nearest valid key suggested for
    /// an unknown one.
    pub fn toml(path: &Path, text: &str, offset: usize, e: &toml::de::Error) -> Self {
        let at = match e.span() {
            Some(span) => Location::span(path, text, span.start + offset..span.end + offset),
            None => Location::file(path),
        };
        BuildError::serde(at, e.message())
    }

    /// A deserialisation error message at a place, with a suggestion when serde names what
    /// it expected (`unknown field `titel`, expected one of `title`, ...`).
    pub fn serde(at: Location, message: &str) -> Self {
        let error = BuildError::invalid(at, message.trim_end());
        match did_you_mean(message) {
            Some(valid) => error.with_help(format!("did you mean `{valid}`?")),
            None => error,
        }
    }
}

/// The nearest valid name for the unknown one in a serde message, by the same measure and
/// threshold clap uses for its suggestions.
pub fn did_you_mean(message: &str) -> Option<&str> {
    let (head, expected) = message.split_once("expected")?;
    let unknown = head.split('`').nth(1)?;
    did_you_mean_among(unknown, expected.split('`').skip(1).step_by(2))
}

/// The candidate nearest to `unknown`, if one is near enough to be what was meant (clap's
/// measure and threshold).
pub fn did_you_mean_among<'a>(
    unknown: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|valid| (strsim::jaro(unknown, valid), valid))
        .filter(|(score, _)| *score > 0.7)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, valid)| valid)
}

/// Every problem a build found; a build reports them all at once rather than stopping at the first.
#[derive(Debug, Default)]
pub struct BuildErrors(pub Vec<BuildError>);

impl BuildErrors {
    /// Whether no problem was found.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Records one problem.
    pub fn push(&mut self, e: BuildError) {
        self.0.push(e);
    }

    /// Keeps the value of a result, recording its problem.
    pub fn keep<T>(&mut self, result: Result<T, BuildError>) -> Option<T> {
        result.map_err(|e| self.0.push(e)).ok()
    }

    /// Keeps the value of a result, recording its problems.
    pub fn keep_all<T>(&mut self, result: Result<T, BuildErrors>) -> Option<T> {
        result.map_err(|e| self.0.extend(e.0)).ok()
    }

    /// Turns the collected problems into a result.
    pub fn into_result(self) -> Result<(), BuildErrors> {
        if self.0.is_empty() { Ok(()) } else { Err(self) }
    }
}

impl From<BuildError> for BuildErrors {
    fn from(e: BuildError) -> Self {
        BuildErrors(vec![e])
    }
}

impl fmt::Display for BuildErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "error: {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for BuildErrors {}

/// The 1-based line of a byte offset in a text.
pub fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    memchr::memchr_iter(b'\n', &text.as_bytes()[..end]).count() + 1
}

/// The byte range of the value assigned to `key` on its own line (`key = value` in TOML,
/// `key: value` in YAML), if any line assigns it.
fn key_value_span(text: &str, key: &str) -> Option<Range<usize>> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let body = line.trim_start();
        let after_key = body.strip_prefix(key).unwrap_or("");
        let after_space = after_key.trim_start();
        if !after_key.is_empty() && after_space.starts_with(['=', ':']) {
            let value = &after_space[1..];
            let start = offset
                + (line.len() - body.len())
                + key.len()
                + (after_key.len() - after_space.len())
                + 1
                + (value.len() - value.trim_start().len());
            return Some(start..start + value.trim().len());
        }
        offset += line.len();
    }
    None
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Decodes a file's bytes as UTF-8, or names the line of the first invalid byte.
pub fn utf8(path: &Path, bytes: &[u8]) -> Result<String, BuildError> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(s.to_owned()),
        Err(e) => {
            let offset = e.valid_up_to();
            let line = memchr::memchr_iter(b'\n', &bytes[..offset]).count() + 1;
            Err(BuildError::NotUtf8 {
                path: path.to_owned(),
                line,
                offset,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_of_counts_newlines_before_the_offset() {
        assert_eq!(line_of("a\nb\nc", 0), 1);
        assert_eq!(line_of("a\nb\nc", 2), 2);
        assert_eq!(line_of("a\nb\nc", 4), 3);
    }

    #[test]
    fn a_key_is_found_by_assignment_not_prefix_with_its_value_underlined() {
        let text = "base_url_old = 1\nbase_url = \"x\"\n";
        let at = Location::key("site.toml", text, "base_url");
        assert_eq!(at.to_string(), "site.toml:2:12");
        let e = BuildError::invalid(at, "bad");
        assert_eq!(
            e.to_string(),
            "site.toml:2:12: bad\n  |\n2 | base_url = \"x\"\n  |            ^^^"
        );
    }

    #[test]
    fn a_yaml_key_is_found_too() {
        let at = Location::key("p.md", "---\n  title: x\n", "title");
        assert_eq!(at.to_string(), "p.md:2:10");
    }

    #[test]
    fn an_absent_key_is_the_whole_file() {
        assert_eq!(
            Location::key("p.md", "a = 1\n", "missing").to_string(),
            "p.md"
        );
    }

    #[test]
    fn a_span_names_line_and_column_in_characters() {
        let at = Location::span("x.toml", "a = 1\nnamé = é\n", 14..16);
        assert_eq!(at.to_string(), "x.toml:2:8");
    }

    #[test]
    fn an_unknown_field_gets_the_nearest_valid_one() {
        let m = "unknown field `tempalte`, expected one of `title`, `template`, `weight`";
        assert_eq!(did_you_mean(m), Some("template"));
    }

    #[test]
    fn nothing_is_suggested_when_nothing_is_near() {
        let m = "unknown field `zzz`, expected one of `title`, `template`";
        assert_eq!(did_you_mean(m), None);
    }

    #[test]
    fn help_is_printed_under_the_snippet() {
        let text = "+++\ntempalte = 1\n+++\n";
        let e = BuildError::serde(
            Location::span("p.md", text, 4..12),
            "unknown field `tempalte`, expected `template` or `title`",
        );
        assert_eq!(
            e.to_string(),
            "p.md:2:1: unknown field `tempalte`, expected `template` or `title`\n  |\n2 | tempalte = 1\n  | ^^^^^^^^\n  = help: did you mean `template`?"
        );
    }

    #[test]
    fn utf8_names_the_line_of_the_first_invalid_byte() {
        let err = utf8(Path::new("x.md"), b"ok\nstill ok\n\xff bad").expect_err("invalid UTF-8");
        assert_eq!(
            err.to_string(),
            "x.md:3: not valid UTF-8 (invalid byte at offset 12)"
        );
    }
}
