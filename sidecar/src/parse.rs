//! Pure parser for nginx access log lines in `combined` format, optionally followed by
//! `$request_time` (the project's `touchline` format). No allocation, no regex: a handful of
//! `memchr` scans per line.

mod fields;
mod request;
mod time;

use std::time::Duration;

use fields::{Cursor, find_near, parse_body_bytes, parse_request_time};
pub use request::{Method, RequestLine, Status, parse_request};
pub use time::parse_time_local;

/// Longest line the sidecar parses; longer lines are counted as `too_long` without being buffered.
/// nginx's default request line limit is 8 KiB and escaping can quadruple it, so 64 KiB leaves
/// room for a maximal request plus referer and user agent.
pub const MAX_LINE: usize = 64 * 1024;

/// Why a line is not a log line. A small fixed set, because it becomes a label value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Malformed {
    /// Blank line.
    Empty,
    /// The line's overall shape (spaces, brackets, quotes) is wrong.
    Syntax,
    /// The `[$time_local]` field is not a valid timestamp.
    Timestamp,
    /// The `$body_bytes_sent` field is neither a number nor `-`.
    Bytes,
    /// Something other than a `$request_time` follows the user agent.
    RequestTime,
    /// Longer than [`MAX_LINE`].
    TooLong,
}

impl Malformed {
    /// Every reason, in label order.
    pub const ALL: [Malformed; 6] = [
        Malformed::Empty,
        Malformed::Syntax,
        Malformed::Timestamp,
        Malformed::Bytes,
        Malformed::RequestTime,
        Malformed::TooLong,
    ];

    /// The `outcome` label value for this reason.
    pub fn as_str(self) -> &'static str {
        match self {
            Malformed::Empty => "empty",
            Malformed::Syntax => "syntax",
            Malformed::Timestamp => "timestamp",
            Malformed::Bytes => "bytes",
            Malformed::RequestTime => "request_time",
            Malformed::TooLong => "too_long",
        }
    }

    /// The reason whose label is `s`.
    pub fn from_label(s: &str) -> Option<Malformed> {
        Malformed::ALL.into_iter().find(|m| m.as_str() == s)
    }
}

/// One parsed access log line. Fields borrow from the line; escapes are kept as logged.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LogLine<'a> {
    /// `$remote_addr`: IPv4, IPv6 or `unix:`.
    pub remote_addr: &'a [u8],
    /// `$remote_user`, `-` when absent.
    pub remote_user: &'a [u8],
    /// `$time_local` as Unix seconds.
    pub timestamp: i64,
    /// `$request` exactly as logged (may be `-`, empty or garbage).
    pub request: &'a [u8],
    /// `$status`.
    pub status: Status,
    /// `$body_bytes_sent` (`-` reads as 0).
    pub body_bytes: u64,
    /// `$http_referer`.
    pub referer: &'a [u8],
    /// `$http_user_agent`.
    pub user_agent: &'a [u8],
    /// `$request_time`, when the format carries it (microsecond resolution).
    pub request_time: Option<Duration>,
}

impl<'a> LogLine<'a> {
    /// The request line split into method, target and protocol, if it is one.
    pub fn request_line(&self) -> Option<RequestLine<'a>> {
        parse_request(self.request)
    }
}

/// Parses one line (without its newline; a trailing `\r` is ignored).
pub fn parse_line(line: &[u8]) -> Result<LogLine<'_>, Malformed> {
    LineParser::default().parse(line)
}

/// [`parse_line`] remembering the last timestamp, since consecutive lines mostly share it.
#[derive(Debug, Default, Clone)]
pub struct LineParser {
    last_time: [u8; 26],
    last_ts: Option<i64>,
}

impl LineParser {
    /// Parses one line, like [`parse_line`].
    pub fn parse<'a>(&mut self, line: &'a [u8]) -> Result<LogLine<'a>, Malformed> {
        parse_with(line, |t| {
            if self.last_ts.is_some() && t == self.last_time {
                return self.last_ts;
            }
            let ts = parse_time_local(t);
            if let (Some(_), Ok(raw)) = (ts, <[u8; 26]>::try_from(t)) {
                self.last_time = raw;
                self.last_ts = ts;
            }
            ts
        })
    }
}

fn parse_with(
    line: &[u8],
    mut time_local: impl FnMut(&[u8]) -> Option<i64>,
) -> Result<LogLine<'_>, Malformed> {
    if line.len() > MAX_LINE {
        return Err(Malformed::TooLong);
    }
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.first().is_none_or(u8::is_ascii_whitespace) && line.iter().all(u8::is_ascii_whitespace)
    {
        return Err(Malformed::Empty);
    }
    let mut cur = Cursor { rest: line };

    let remote_addr = cur.until_near(b' ').ok_or(Malformed::Syntax)?;
    if remote_addr.is_empty() || !cur.eat(b"- ") {
        return Err(Malformed::Syntax);
    }
    // `$remote_user` is not escaped by nginx and may in theory contain spaces, so it ends at the
    // bracket that opens the timestamp rather than at the next space.
    let open = find_near(b'[', cur.rest).ok_or(Malformed::Syntax)?;
    if open == 0 || cur.rest[open - 1] != b' ' {
        return Err(Malformed::Syntax);
    }
    let remote_user = &cur.rest[..open - 1];
    cur.rest = &cur.rest[open + 1..];
    // `$time_local` has a fixed width; look for its bracket there first.
    let time = if cur.rest.get(26) == Some(&b']') {
        let t = &cur.rest[..26];
        cur.rest = &cur.rest[27..];
        t
    } else {
        cur.until(b']').ok_or(Malformed::Syntax)?
    };
    let timestamp = time_local(time).ok_or(Malformed::Timestamp)?;
    if !cur.eat(b" ") {
        return Err(Malformed::Syntax);
    }
    let request = cur.quoted().ok_or(Malformed::Syntax)?;
    if !cur.eat(b" ") {
        return Err(Malformed::Syntax);
    }
    let status_field = cur.until_near(b' ').ok_or(Malformed::Syntax)?;
    if status_field.is_empty() {
        return Err(Malformed::Syntax);
    }
    let status = Status::from_bytes(status_field);
    let bytes_field = cur.until_near(b' ').ok_or(Malformed::Syntax)?;
    let body_bytes = parse_body_bytes(bytes_field).ok_or(Malformed::Bytes)?;
    let referer = cur.quoted().ok_or(Malformed::Syntax)?;
    if !cur.eat(b" ") {
        return Err(Malformed::Syntax);
    }
    // The user agent is the last quoted field: it ends at the line's last quote, so it needs no
    // scan of its own (it is the longest field, and this is the hot path).
    let ua_and_rest = cur.rest.strip_prefix(b"\"").ok_or(Malformed::Syntax)?;
    let (user_agent, request_time) = match ua_and_rest {
        [ua @ .., b'"'] => (ua, None),
        _ => {
            let sp = ua_and_rest
                .iter()
                .rposition(|b| *b == b' ')
                .ok_or(Malformed::Syntax)?;
            let ua = ua_and_rest[..sp]
                .strip_suffix(b"\"")
                .ok_or(Malformed::Syntax)?;
            let rt = parse_request_time(&ua_and_rest[sp + 1..]).ok_or(Malformed::RequestTime)?;
            (ua, rt)
        }
    };
    Ok(LogLine {
        remote_addr,
        remote_user,
        timestamp,
        request,
        status,
        body_bytes,
        referer,
        user_agent,
        request_time,
    })
}

#[cfg(test)]
mod tests;
