//! The vendored user-agent list, compiled: its literal patterns (almost all) into one
//! Aho-Corasick automaton, the few real regular expressions into one alternation per class.

use std::sync::LazyLock;

use aho_corasick::AhoCorasick;
use regex::bytes::{Regex, RegexBuilder};
use serde::Deserialize;

use super::Client;

/// The list as vendored (`data/crawler-user-agents.json`).
const VENDORED: &str = include_str!("../../data/crawler-user-agents.json");

/// The vendored list's version (of the `crawler-user-agents` package it was taken from).
pub const LIST_VERSION: &str = "1.67.0";

/// The vendored file: where it comes from and its entries.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListFile {
    source: String,
    version: String,
    entries: Vec<Entry>,
}

/// One pattern of the list.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    pattern: String,
    tags: Vec<String>,
}

/// The vendored list could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ListError {
    /// The file is not the expected JSON.
    #[error("crawler list: {0}")]
    Json(#[from] serde_json::Error),
    /// A pattern is not a regular expression this crate accepts.
    #[error("crawler list: pattern {pattern:?}: {error}")]
    Pattern {
        /// The pattern.
        pattern: String,
        /// Why it does not compile.
        error: regex::Error,
    },
    /// The literal patterns do not build an automaton.
    #[error("crawler list: literal patterns: {0}")]
    Literals(#[from] aho_corasick::BuildError),
    /// The file's version is not [`LIST_VERSION`].
    #[error("crawler list: version {found}, the code says {LIST_VERSION}")]
    Version {
        /// The file's version.
        found: String,
    },
}

/// The class an entry's tags give. An AI crawler that is also a search engine is an AI crawler:
/// the more specific class wins.
fn class_of(tags: &[String]) -> Client {
    let has = |t: &str| tags.iter().any(|x| x == t);
    if has("ai-crawler") {
        Client::AiCrawler
    } else if has("feed-reader") {
        Client::FeedReader
    } else if has("monitoring") {
        Client::Monitor
    } else if has("http-library") || has("browser-automation") || has("scanner") {
        Client::Other
    } else {
        Client::Crawler
    }
}

/// Classes checked in this order; a user agent matching none is [`Client::Human`].
const ORDER: [Client; 5] = [
    Client::AiCrawler,
    Client::FeedReader,
    Client::Monitor,
    Client::Other,
    Client::Crawler,
];

/// The compiled list.
#[derive(Debug)]
pub struct Patterns {
    /// Every literal pattern.
    literals: AhoCorasick,
    /// The [`ORDER`] index of each literal's class.
    literal_rank: Vec<usize>,
    /// The other patterns: one alternation per class, with its [`ORDER`] index.
    by_class: Vec<(usize, Regex)>,
    /// Entries in the list.
    pub entries: usize,
    /// The list's source, as the file names it.
    pub source: String,
}

impl Patterns {
    /// Compiles a list file's text.
    pub fn parse(text: &str) -> Result<Patterns, ListError> {
        let file: ListFile = serde_json::from_str(text)?;
        if file.version != LIST_VERSION {
            return Err(ListError::Version {
                found: file.version,
            });
        }
        let mut literals = Vec::new();
        let mut literal_rank = Vec::new();
        let mut by_class = Vec::new();
        for (rank, class) in ORDER.into_iter().enumerate() {
            let mut alternatives = Vec::new();
            for e in file.entries.iter().filter(|e| class_of(&e.tags) == class) {
                if let Some(lit) = literal(&e.pattern) {
                    literals.push(lit);
                    literal_rank.push(rank);
                    continue;
                }
                // Each pattern alone first, so an error names it.
                compile(&e.pattern).map_err(|error| ListError::Pattern {
                    pattern: e.pattern.clone(),
                    error,
                })?;
                alternatives.push(format!("(?:{})", e.pattern));
            }
            if !alternatives.is_empty() {
                let re = compile(&alternatives.join("|")).map_err(|error| ListError::Pattern {
                    pattern: format!("{class:?} alternation"),
                    error,
                })?;
                by_class.push((rank, re));
            }
        }
        Ok(Patterns {
            literals: AhoCorasick::new(&literals)?,
            literal_rank,
            by_class,
            entries: file.entries.len(),
            source: file.source,
        })
    }

    /// The vendored list, compiled on first use.
    pub fn vendored() -> &'static Patterns {
        static VENDORED_PATTERNS: LazyLock<Patterns> = LazyLock::new(|| {
            // The vendored file is part of the program, and the tests compile it.
            #[allow(clippy::expect_used)]
            Patterns::parse(VENDORED).expect("the vendored crawler list compiles (tested)")
        });
        &VENDORED_PATTERNS
    }

    /// The class of a user agent, without any cache: the first class in [`ORDER`] that one
    /// of its patterns matches, [`Client::Human`] if none does.
    pub fn classify(&self, user_agent: &[u8]) -> Client {
        let mut best = ORDER.len();
        for m in self.literals.find_overlapping_iter(user_agent) {
            best = best.min(self.literal_rank[m.pattern().as_usize()]);
        }
        for (rank, re) in &self.by_class {
            if *rank >= best {
                break;
            }
            if re.is_match(user_agent) {
                best = *rank;
                break;
            }
        }
        ORDER.get(best).copied().unwrap_or(Client::Human)
    }
}

/// The text a pattern matches when it is a plain literal (backslash-escaped punctuation
/// allowed), `None` when it uses any regular expression syntax.
fn literal(pattern: &str) -> Option<String> {
    let mut out = String::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(e) if e.is_ascii_punctuation() || e == ' ' => out.push(e),
                _ => return None,
            },
            '.' | '^' | '$' | '*' | '+' | '?' | '(' | ')' | '[' | ']' | '{' | '}' | '|' => {
                return None;
            }
            c => out.push(c),
        }
    }
    Some(out)
}

fn compile(pattern: &str) -> Result<Regex, regex::Error> {
    RegexBuilder::new(pattern)
        .unicode(false)
        .size_limit(256 << 20)
        .dfa_size_limit(16 << 20)
        .build()
}

/// The vendored file's own text, for tests.
#[cfg(test)]
pub(crate) fn vendored_text() -> &'static str {
    VENDORED
}

/// The plain reading of the list, for tests: every pattern a regular expression of its own,
/// the first class in [`ORDER`] with a match wins.
#[cfg(test)]
pub(crate) fn naive_classify(user_agent: &[u8]) -> Client {
    let file: ListFile = serde_json::from_str(VENDORED).expect("parses");
    let mut best = ORDER.len();
    for e in &file.entries {
        let re = compile(&e.pattern).expect("compiles");
        if re.is_match(user_agent) {
            let rank = ORDER
                .iter()
                .position(|c| *c == class_of(&e.tags))
                .expect("ranked");
            best = best.min(rank);
        }
    }
    ORDER.get(best).copied().unwrap_or(Client::Human)
}
