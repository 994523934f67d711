//! Client classes: a user agent to one of a small fixed set of [`Client`] values, by the
//! vendored crawler-user-agents list (`data/crawler-user-agents.json`, refreshed by
//! `scripts/update-crawler-list`). The list's regular expressions are compiled once, one
//! alternation per class; [`Classifier`] remembers the class of recent user agents, since a log
//! has few distinct ones, in a bounded cache.

mod list;

use crate::hash::FastMap;

pub use list::{LIST_VERSION, ListError, Patterns};

/// What kind of client sent a request. A small fixed set, because it is a label value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Client {
    /// A user agent the list does not know: a person's browser, as far as logs can tell.
    Human,
    /// A listed crawler that is none of the more specific classes (search engines, SEO tools,
    /// social previews, archivers...).
    Crawler,
    /// A crawler gathering text for AI models or answering for an AI assistant (GPTBot,
    /// ClaudeBot, CCBot, PerplexityBot, Bytespider...).
    AiCrawler,
    /// A feed reader (Feedly, NewsBlur, Inoreader...).
    FeedReader,
    /// An uptime monitor (UptimeRobot, Pingdom...).
    Monitor,
    /// No user agent (empty or `-`), or a script: an HTTP library, browser automation or a
    /// vulnerability scanner.
    Other,
}

impl Client {
    /// Every class, in label order.
    pub const ALL: [Client; 6] = [
        Client::Human,
        Client::Crawler,
        Client::AiCrawler,
        Client::FeedReader,
        Client::Monitor,
        Client::Other,
    ];

    /// The `client` label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Client::Human => "human",
            Client::Crawler => "crawler",
            Client::AiCrawler => "ai_crawler",
            Client::FeedReader => "feed_reader",
            Client::Monitor => "monitor",
            Client::Other => "other",
        }
    }

    /// The class whose label is `s`.
    pub fn from_label(s: &str) -> Option<Client> {
        Client::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// Whether this is anything but a person.
    pub fn is_bot(self) -> bool {
        self != Client::Human
    }
}

/// Distinct user agents whose class is remembered; past it the cache starts again empty.
pub const CACHE_ENTRIES: usize = 4096;
/// Longest user agent that is remembered (longer ones are classified each time).
pub const CACHE_UA_BYTES: usize = 512;

/// Classifies user agents, remembering recent ones. Memory: at most [`CACHE_ENTRIES`] user
/// agents of at most [`CACHE_UA_BYTES`] bytes (about 2.5 MiB at worst).
#[derive(Debug, Clone)]
pub struct Classifier {
    patterns: &'static Patterns,
    cache: FastMap<Box<[u8]>, Client>,
}

impl Default for Classifier {
    fn default() -> Self {
        Classifier {
            patterns: Patterns::vendored(),
            cache: FastMap::default(),
        }
    }
}

impl Classifier {
    /// The class of a logged `$http_user_agent` (nginx's escapes as logged).
    #[inline]
    pub fn classify(&mut self, user_agent: &[u8]) -> Client {
        if user_agent.is_empty() || user_agent == b"-" {
            return Client::Other;
        }
        if user_agent.len() > CACHE_UA_BYTES {
            return self.patterns.classify(user_agent);
        }
        if let Some(c) = self.cache.get(user_agent) {
            return *c;
        }
        let c = self.patterns.classify(user_agent);
        if self.cache.len() >= CACHE_ENTRIES {
            self.cache.clear();
        }
        self.cache.insert(user_agent.into(), c);
        c
    }
}

#[cfg(test)]
mod tests;
