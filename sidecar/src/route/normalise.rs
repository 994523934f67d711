//! Request targets as nginx resolves them to a location: pure byte functions, no state.

/// Where the path of a target ends (its query or fragment starts). Paths are short, so a plain
/// loop over the first bytes beats memchr's setup.
pub fn path_end(target: &[u8]) -> usize {
    const NEAR: usize = 64;
    let head = &target[..target.len().min(NEAR)];
    match head.iter().position(|b| *b == b'?' || *b == b'#') {
        Some(i) => i,
        None if target.len() > NEAR => {
            memchr::memchr2(b'?', b'#', &target[NEAR..]).map_or(target.len(), |i| i + NEAR)
        }
        None => target.len(),
    }
}

/// Normalises a request target the way nginx resolves it to a location: absolute form reduced to
/// its path, query and fragment dropped, `\xHH` log escapes and `%HH` decoded, slashes merged,
/// `.` and `..` resolved. Returns false for targets that are not paths (`*`, CONNECT authority).
pub fn normalise(target: &[u8], decoded: &mut Vec<u8>, out: &mut Vec<u8>) -> bool {
    let mut t = target;
    for scheme in [&b"http://"[..], b"https://"] {
        if t.len() >= scheme.len() && t[..scheme.len()].eq_ignore_ascii_case(scheme) {
            let rest = &t[scheme.len()..];
            t = match memchr::memchr(b'/', rest) {
                Some(i) => &rest[i..],
                None => b"/",
            };
            break;
        }
    }
    let end = memchr::memchr2(b'?', b'#', t).unwrap_or(t.len());
    let t = &t[..end];
    if !t.starts_with(b"/") {
        return false;
    }
    // Pass 1: nginx's `\xHH` log escapes, into `out`.
    decode_hex_escapes(t, b"\\x", out);
    // Pass 2: percent-decoding, into `decoded`. It comes after un-escaping because nginx escapes
    // the raw bytes of the request line, which may themselves be percent-encoded.
    decode_hex_escapes(out, b"%", decoded);
    // Pass 3: segments, back into `out`.
    out.clear();
    for segment in decoded.split(|b| *b == b'/') {
        match segment {
            b"" | b"." => {}
            b".." => {
                let cut = memchr::memrchr(b'/', out).unwrap_or(0);
                out.truncate(cut);
            }
            s => {
                out.push(b'/');
                out.extend_from_slice(s);
            }
        }
    }
    // A trailing slash, `.` or `..` names a directory: keep the slash so `/a/` stays distinct
    // from the file `/a` until canonicalisation.
    let last = decoded.rsplit(|b| *b == b'/').next().unwrap_or(b"");
    if out.is_empty() || matches!(last, b"" | b"." | b"..") {
        out.push(b'/');
    }
    true
}

/// Replaces `dst` with `src`, each `<escape>HH` (two hex digits) decoded to its byte; an escape
/// not followed by two hex digits is kept as it is.
#[inline]
fn decode_hex_escapes(src: &[u8], escape: &[u8], dst: &mut Vec<u8>) {
    dst.clear();
    let mut i = 0;
    while i < src.len() {
        if src[i..].starts_with(escape) {
            let hex = i + escape.len();
            if let Some(v) = hex_pair(src.get(hex..hex + 2)) {
                dst.push(v);
                i = hex + 2;
                continue;
            }
        }
        dst.push(src[i]);
        i += 1;
    }
}

fn hex_pair(h: Option<&[u8]>) -> Option<u8> {
    let h = h?;
    let v = |c: u8| (c as char).to_digit(16);
    Some((v(h[0])? * 16 + v(h[1])?) as u8)
}
