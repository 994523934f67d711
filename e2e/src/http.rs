//! A small HTTP/1.1 client over a raw `TcpStream`, for exact control of request headers and an
//! exact view of the response: status, every header as sent, and the body bytes as received
//! (so a truncated body is visible instead of being an error deep inside a client library).

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::time::Duration;

use anyhow::{Context, Result, bail};

/// How long one request may take before it fails.
const TIMEOUT: Duration = Duration::from_secs(15);

/// A response as received.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    /// Header names and values in the order sent (names as sent; compare case-insensitively).
    pub headers: Vec<(String, String)>,
    /// The body as received (chunked transfer decoding undone, content encoding kept).
    pub body: Vec<u8>,
}

impl Response {
    /// The first header called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every header called `name` (case-insensitive).
    pub fn headers_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// `Content-Length` as sent, if any.
    pub fn content_length(&self) -> Option<usize> {
        self.header("content-length")?.trim().parse().ok()
    }

    /// The body as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body with its `Content-Encoding` (gzip, br or none) undone.
    pub fn decoded_body(&self) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        match self.header("content-encoding").map(str::trim) {
            None | Some("identity") => out.extend_from_slice(&self.body),
            Some("gzip") => {
                flate2::read::GzDecoder::new(self.body.as_slice())
                    .read_to_end(&mut out)
                    .context("decoding a gzip body")?;
            }
            Some("br") => {
                brotli::Decompressor::new(self.body.as_slice(), 4096)
                    .read_to_end(&mut out)
                    .context("decoding a brotli body")?;
            }
            Some(other) => bail!("unknown Content-Encoding {other:?}"),
        }
        Ok(out)
    }
}

/// `GET path` on 127.0.0.1:`port`.
pub fn get(port: u16, path: &str) -> Result<Response> {
    request(port, "GET", path, &[])
}

/// `GET path` with extra request headers.
pub fn get_with(port: u16, path: &str, headers: &[(&str, &str)]) -> Result<Response> {
    request(port, "GET", path, headers)
}

/// The `User-Agent` of requests that set none: a browser-like one that the sidecar's crawler
/// list does not know, so the tests' requests are `client="human"` and land in the GET/200
/// series that exist at zero from the start (a series born with traffic has no zero sample,
/// and `rate()` would miss its first requests).
pub const USER_AGENT: &str = "Mozilla/5.0 (touchline-e2e)";

/// Sends one request with `Connection: close` (plus `Host`, [`USER_AGENT`] unless `headers`
/// has one, and `Content-Length: 0` for methods other than GET and HEAD) and reads the whole
/// response.
pub fn request(port: u16, method: &str, path: &str, headers: &[(&str, &str)]) -> Result<Response> {
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n");
    for (name, value) in headers {
        req.push_str(&format!("{name}: {value}\r\n"));
    }
    if !headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("user-agent"))
    {
        req.push_str(&format!("User-Agent: {USER_AGENT}\r\n"));
    }
    if method != "GET" && method != "HEAD" {
        req.push_str("Content-Length: 0\r\n");
    }
    req.push_str("Connection: close\r\n\r\n");
    let raw = send_raw(port, req.as_bytes())
        .with_context(|| format!("{method} http://127.0.0.1:{port}{path}"))?;
    parse_response(&raw, method == "HEAD")
        .with_context(|| format!("parsing the response to {method} {path}"))
}

/// Writes `request` as is to 127.0.0.1:`port` and reads until the server closes the connection.
pub fn send_raw(port: u16, request: &[u8]) -> Result<Vec<u8>> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut stream = TcpStream::connect_timeout(&addr, TIMEOUT)
        .with_context(|| format!("connecting to {addr}"))?;
    stream.set_read_timeout(Some(TIMEOUT))?;
    stream.set_write_timeout(Some(TIMEOUT))?;
    stream.write_all(request).context("sending the request")?;
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .context("reading the response")?;
    Ok(raw)
}

/// Parses one HTTP/1.1 response. A body shorter than its `Content-Length` is kept as received.
pub fn parse_response(raw: &[u8], head_request: bool) -> Result<Response> {
    let head_end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .context("no end of headers in the response")?;
    let head = std::str::from_utf8(&raw[..head_end]).context("response head is not UTF-8")?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or_default();
    if !version.starts_with("HTTP/1.") {
        bail!("not an HTTP/1.x status line: {status_line:?}");
    }
    let status: u16 = parts
        .next()
        .unwrap_or_default()
        .parse()
        .with_context(|| format!("bad status line {status_line:?}"))?;
    let mut headers = Vec::new();
    for line in lines {
        let (name, value) = line
            .split_once(':')
            .with_context(|| format!("bad header line {line:?}"))?;
        headers.push((name.trim().to_string(), value.trim().to_string()));
    }
    let rest = &raw[head_end + 4..];
    let mut response = Response {
        status,
        headers,
        body: Vec::new(),
    };
    let bodyless = head_request || status == 204 || status == 304 || (100..200).contains(&status);
    if bodyless {
        return Ok(response);
    }
    let chunked = response
        .header("transfer-encoding")
        .is_some_and(|te| te.to_ascii_lowercase().contains("chunked"));
    response.body = if chunked {
        decode_chunked(rest)?
    } else {
        rest.to_vec()
    };
    Ok(response)
}

/// Undoes chunked transfer encoding; errors if the final zero-size chunk is missing.
fn decode_chunked(mut data: &[u8]) -> Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line_end = data
            .windows(2)
            .position(|w| w == b"\r\n")
            .context("truncated chunked body: no chunk size line")?;
        let size_line = std::str::from_utf8(&data[..line_end]).context("chunk size not UTF-8")?;
        let size_hex = size_line.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_hex, 16)
            .with_context(|| format!("bad chunk size {size_line:?}"))?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Ok(body);
        }
        if data.len() < size + 2 {
            bail!(
                "truncated chunked body: chunk of {size} bytes has {}",
                data.len()
            );
        }
        body.extend_from_slice(&data[..size]);
        data = &data[size + 2..];
    }
}
