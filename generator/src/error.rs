//! Build errors: every one names the file (and line, where there is one) and what is wrong.

use std::fmt;
use std::path::PathBuf;

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
    /// A configuration or data file is malformed (bad syntax, an unknown key, a wrong type).
    #[error("{path}:{line}: {message}")]
    Invalid {
        path: PathBuf,
        line: usize,
        message: String,
    },
    /// A template failed to compile or render; `detail` holds minijinja's context lines.
    #[error("{path}: {message}{detail}")]
    Template {
        path: PathBuf,
        message: String,
        detail: String,
    },
    /// A page or link points outside the site root.
    #[error("{path}: `{target}` escapes the site root")]
    Escape { path: PathBuf, target: String },
    /// An internal `href`/`src` has no file behind it in the output.
    #[error("{page}: broken internal link `{target}` (no such file in the output)")]
    BrokenLink { page: String, target: String },
    /// Two sources want to write the same output file.
    #[error("{path}: output `{output}` is also produced by {other}")]
    Conflict {
        path: PathBuf,
        output: String,
        other: String,
    },
}

impl BuildError {
    /// Wraps an I/O error with the path it happened on.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        BuildError::Io {
            path: path.into(),
            source,
        }
    }

    /// A problem at a line of a file.
    pub fn invalid(path: impl Into<PathBuf>, line: usize, message: impl Into<String>) -> Self {
        BuildError::Invalid {
            path: path.into(),
            line,
            message: message.into(),
        }
    }
}

/// Every problem a build found; a build reports them all at once rather than stopping at the first.
#[derive(Debug, Default)]
pub struct BuildErrors(pub Vec<BuildError>);

impl BuildErrors {
    /// Whether no problem was found.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
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
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// The 1-based line where `key` is assigned (`key =` in TOML, `key:` in YAML), or 1 when absent:
/// for errors about a value serde has already accepted, which carry no position of their own.
pub fn key_line(text: &str, key: &str) -> usize {
    text.lines()
        .position(|l| {
            let l = l.trim_start();
            l.strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with(['=', ':']))
        })
        .map_or(1, |i| i + 1)
}

/// Decodes a file's bytes as UTF-8, or names the line of the first invalid byte.
pub fn utf8(path: &std::path::Path, bytes: &[u8]) -> Result<String, BuildError> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(s.to_owned()),
        Err(e) => {
            let offset = e.valid_up_to();
            let line = bytes[..offset].iter().filter(|&&b| b == b'\n').count() + 1;
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
    fn key_line_finds_assignments_not_prefixes() {
        let text = "base_url_old = 1\nbase_url = 2\n";
        assert_eq!(key_line(text, "base_url"), 2);
        assert_eq!(key_line("title: x\n", "title"), 1);
        assert_eq!(key_line("a = 1\n", "missing"), 1);
    }

    #[test]
    fn utf8_names_the_line_of_the_first_invalid_byte() {
        let err = utf8(std::path::Path::new("x.md"), b"ok\nstill ok\n\xff bad")
            .expect_err("invalid UTF-8");
        assert_eq!(
            err.to_string(),
            "x.md:3: not valid UTF-8 (invalid byte at offset 12)"
        );
    }
}
