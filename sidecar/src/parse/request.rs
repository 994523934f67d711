//! The request line and the label-bound fields: `$request` split into method, target and
//! protocol; the method and status folded into small fixed sets.

use memchr::memchr;

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
