//! Field scanners of the line parser: a cursor over the rest of a line, and the numeric fields.

use std::time::Duration;

use memchr::memchr;

/// A forward-only view of the unparsed rest of a line.
pub(super) struct Cursor<'a> {
    pub(super) rest: &'a [u8],
}

impl<'a> Cursor<'a> {
    /// Takes the bytes before `delim` and skips the delimiter.
    pub(super) fn until(&mut self, delim: u8) -> Option<&'a [u8]> {
        let i = memchr(delim, self.rest)?;
        let field = &self.rest[..i];
        self.rest = &self.rest[i + 1..];
        Some(field)
    }

    /// Like `until`, for a delimiter expected within a few bytes, where a plain loop beats
    /// memchr's setup.
    #[inline]
    pub(super) fn until_near(&mut self, delim: u8) -> Option<&'a [u8]> {
        let i = find_near(delim, self.rest)?;
        let field = &self.rest[..i];
        self.rest = &self.rest[i + 1..];
        Some(field)
    }

    /// Skips `prefix` if the rest starts with it.
    pub(super) fn eat(&mut self, prefix: &[u8]) -> bool {
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
    pub(super) fn quoted(&mut self) -> Option<&'a [u8]> {
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
pub(super) fn find_near(delim: u8, hay: &[u8]) -> Option<usize> {
    const NEAR: usize = 48;
    let head = &hay[..hay.len().min(NEAR)];
    match head.iter().position(|b| *b == delim) {
        Some(i) => Some(i),
        None if hay.len() > NEAR => memchr(delim, &hay[NEAR..]).map(|i| i + NEAR),
        None => None,
    }
}

/// `$body_bytes_sent`: digits, or `-` for none.
pub(super) fn parse_body_bytes(b: &[u8]) -> Option<u64> {
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
pub(super) fn parse_request_time(b: &[u8]) -> Option<Option<Duration>> {
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
