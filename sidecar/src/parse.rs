//! Pure parser for nginx access log lines in `combined` format, optionally followed by
//! `$request_time` (the project's `touchline` format). No allocation, no regex: a handful of
//! `memchr` scans per line.

use std::time::Duration;

use memchr::memchr;

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

/// HTTP method, folded to the standard ones so that the label set stays bounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Method {
    /// `GET`
    Get,
    /// `HEAD`
    Head,
    /// `POST`
    Post,
    /// `PUT`
    Put,
    /// `DELETE`
    Delete,
    /// `CONNECT`
    Connect,
    /// `OPTIONS`
    Options,
    /// `TRACE`
    Trace,
    /// `PATCH`
    Patch,
    /// Anything else, including an unparseable request line.
    Other,
}

impl Method {
    /// Every method, in label order.
    pub const ALL: [Method; 10] = [
        Method::Get,
        Method::Head,
        Method::Post,
        Method::Put,
        Method::Delete,
        Method::Connect,
        Method::Options,
        Method::Trace,
        Method::Patch,
        Method::Other,
    ];

    /// Classifies a method token (case-sensitive, as HTTP requires).
    pub fn from_bytes(b: &[u8]) -> Method {
        match b {
            b"GET" => Method::Get,
            b"HEAD" => Method::Head,
            b"POST" => Method::Post,
            b"PUT" => Method::Put,
            b"DELETE" => Method::Delete,
            b"CONNECT" => Method::Connect,
            b"OPTIONS" => Method::Options,
            b"TRACE" => Method::Trace,
            b"PATCH" => Method::Patch,
            _ => Method::Other,
        }
    }

    /// The `method` label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
            Method::Connect => "CONNECT",
            Method::Options => "OPTIONS",
            Method::Trace => "TRACE",
            Method::Patch => "PATCH",
            Method::Other => "OTHER",
        }
    }

    /// The method whose label is `s`.
    pub fn from_label(s: &str) -> Option<Method> {
        Method::ALL.into_iter().find(|m| m.as_str() == s)
    }
}

/// Response status as logged: a 3-digit code from 000 to 599, or anything else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Status {
    /// A code from 000 (nginx: connection closed before a response) to 599.
    Code(u16),
    /// Not a 3-digit code in range.
    Invalid,
}

impl Status {
    /// Classifies a status token.
    pub fn from_bytes(b: &[u8]) -> Status {
        match b {
            [a @ b'0'..=b'5', b @ b'0'..=b'9', c @ b'0'..=b'9'] => Status::Code(
                u16::from(a - b'0') * 100 + u16::from(b - b'0') * 10 + u16::from(c - b'0'),
            ),
            _ => Status::Invalid,
        }
    }

    /// The status whose label is `s`.
    pub fn from_label(s: &str) -> Option<Status> {
        let status = Status::from_bytes(s.as_bytes());
        (status.label() == s).then_some(status)
    }

    /// The `status` label value: three digits, or `invalid`.
    pub fn label(self) -> String {
        match self {
            Status::Code(c) => format!("{c:03}"),
            Status::Invalid => "invalid".to_owned(),
        }
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

/// A request line `METHOD target [HTTP/x.y]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestLine<'a> {
    /// The method token as logged.
    pub method: &'a [u8],
    /// The request target: origin form, absolute form, authority (CONNECT) or `*`.
    pub target: &'a [u8],
    /// `HTTP/1.1`, `HTTP/2.0`...; empty for an HTTP/0.9 style request.
    pub protocol: &'a [u8],
}

/// Splits a logged `$request` into its parts; `None` for `-`, empty or binary garbage.
pub fn parse_request(raw: &[u8]) -> Option<RequestLine<'_>> {
    let sp = memchr(b' ', raw)?;
    let method = &raw[..sp];
    if method.is_empty()
        || !method
            .iter()
            .all(|b| b.is_ascii_uppercase() || *b == b'-' || *b == b'_')
    {
        return None;
    }
    let rest = &raw[sp + 1..];
    let (target, protocol) = match memchr::memrchr(b' ', rest) {
        Some(i) if rest[i + 1..].starts_with(b"HTTP/") => (&rest[..i], &rest[i + 1..]),
        _ => (rest, &b""[..]),
    };
    if target.is_empty() {
        return None;
    }
    Some(RequestLine {
        method,
        target,
        protocol,
    })
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

/// A forward-only view of the unparsed rest of a line.
struct Cursor<'a> {
    rest: &'a [u8],
}

impl<'a> Cursor<'a> {
    /// Takes the bytes before `delim` and skips the delimiter.
    fn until(&mut self, delim: u8) -> Option<&'a [u8]> {
        let i = memchr(delim, self.rest)?;
        let field = &self.rest[..i];
        self.rest = &self.rest[i + 1..];
        Some(field)
    }

    /// Like `until`, for a delimiter expected within a few bytes, where a plain loop beats
    /// memchr's setup.
    #[inline]
    fn until_near(&mut self, delim: u8) -> Option<&'a [u8]> {
        let i = find_near(delim, self.rest)?;
        let field = &self.rest[..i];
        self.rest = &self.rest[i + 1..];
        Some(field)
    }

    /// Skips `prefix` if the rest starts with it.
    fn eat(&mut self, prefix: &[u8]) -> bool {
        match self.rest.strip_prefix(prefix) {
            Some(r) => {
                self.rest = r;
                true
            }
            None => false,
        }
    }

    /// Takes a `"..."` field. nginx writes a quote inside as `\x22`; Apache writes `\"`, so a
    /// quote preceded by an odd number of backslashes is escaped.
    fn quoted(&mut self) -> Option<&'a [u8]> {
        let body = self.rest.strip_prefix(b"\"")?;
        let mut i = 0;
        loop {
            i += memchr(b'"', &body[i..])?;
            let backslashes = body[..i].iter().rev().take_while(|b| **b == b'\\').count();
            if backslashes % 2 == 0 {
                self.rest = &body[i + 1..];
                return Some(&body[..i]);
            }
            i += 1;
        }
    }
}

/// Position of `delim`, scanning the first bytes by hand and the rest with memchr.
#[inline]
fn find_near(delim: u8, hay: &[u8]) -> Option<usize> {
    const NEAR: usize = 48;
    let head = &hay[..hay.len().min(NEAR)];
    match head.iter().position(|b| *b == delim) {
        Some(i) => Some(i),
        None if hay.len() > NEAR => memchr(delim, &hay[NEAR..]).map(|i| i + NEAR),
        None => None,
    }
}

/// `$body_bytes_sent`: digits, or `-` for none.
fn parse_body_bytes(b: &[u8]) -> Option<u64> {
    if b == b"-" {
        return Some(0);
    }
    parse_u64(b)
}

fn parse_u64(b: &[u8]) -> Option<u64> {
    if b.is_empty() || b.len() > 19 {
        return None;
    }
    b.iter().try_fold(0u64, |acc, &d| {
        d.is_ascii_digit().then(|| acc * 10 + u64::from(d - b'0'))
    })
}

/// `$request_time`: seconds with up to 6 decimals (nginx logs milliseconds), or `-`.
/// Integer microseconds keep histogram sums exact across checkpoints.
fn parse_request_time(b: &[u8]) -> Option<Option<Duration>> {
    if b == b"-" {
        return Some(None);
    }
    let (int, frac) = match memchr(b'.', b) {
        Some(i) => (&b[..i], &b[i + 1..]),
        None => (b, &b""[..]),
    };
    if int.len() > 9 || frac.len() > 6 || (frac.is_empty() && b.len() != int.len()) {
        return None;
    }
    let secs = parse_u64(int)?;
    let mut micros = 0u64;
    for i in 0..6 {
        let digit = match frac.get(i) {
            Some(d) if d.is_ascii_digit() => u64::from(d - b'0'),
            Some(_) => return None,
            None => 0,
        };
        micros = micros * 10 + digit;
    }
    Some(Some(
        Duration::from_secs(secs) + Duration::from_micros(micros),
    ))
}

/// `$time_local`, e.g. `10/Oct/2000:13:55:36 -0700`, to Unix seconds.
pub fn parse_time_local(b: &[u8]) -> Option<i64> {
    let [
        d1,
        d2,
        b'/',
        m1,
        m2,
        m3,
        b'/',
        y1,
        y2,
        y3,
        y4,
        b':',
        h1,
        h2,
        b':',
        i1,
        i2,
        b':',
        s1,
        s2,
        b' ',
        sign,
        z1,
        z2,
        z3,
        z4,
    ] = *b
    else {
        return None;
    };
    let num = |digits: &[u8]| -> Option<i64> {
        digits.iter().try_fold(0i64, |acc, &d| {
            d.is_ascii_digit().then(|| acc * 10 + i64::from(d - b'0'))
        })
    };
    let day = num(&[d1, d2])?;
    let month = match &[m1, m2, m3] {
        b"Jan" => 1,
        b"Feb" => 2,
        b"Mar" => 3,
        b"Apr" => 4,
        b"May" => 5,
        b"Jun" => 6,
        b"Jul" => 7,
        b"Aug" => 8,
        b"Sep" => 9,
        b"Oct" => 10,
        b"Nov" => 11,
        b"Dec" => 12,
        _ => return None,
    };
    let year = num(&[y1, y2, y3, y4])?;
    let (hour, min, sec) = (num(&[h1, h2])?, num(&[i1, i2])?, num(&[s1, s2])?);
    let offset_minutes = num(&[z1, z2])? * 60 + num(&[z3, z4])?;
    let offset = match sign {
        b'+' => offset_minutes,
        b'-' => -offset_minutes,
        _ => return None,
    };
    if !(1..=31).contains(&day) || hour > 23 || min > 59 || sec > 60 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some(days * 86_400 + hour * 3600 + min * 60 + sec - offset * 60)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests;
