//! Fingerprinted assets: the theme's `static/app.css` is published as
//! `/assets/app.<12 hex>.css`, so nginx can let browsers cache it for a year, and the sidecar
//! counts every version of every asset under one `/assets/*` label.

/// The URL prefix every fingerprinted asset lives under.
pub const PREFIX: &str = "/assets/";

/// Lowercase hex digits of the content hash in an asset's name.
pub const HASH_HEX_LEN: usize = 12;

/// `css/app.css` with a content digest -> `css/app.<first 12 hex of digest>.css`; a name
/// without extension gets the hash at its end (`LICENSE.<hash>`).
///
/// # Panics
/// If `digest` is shorter than [`HASH_HEX_LEN`] / 2 bytes (a programming error: every hash
/// function the generator could use is longer).
pub fn fingerprinted_name(name: &str, digest: &[u8]) -> String {
    let hash: String = digest[..HASH_HEX_LEN / 2]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let (dir, file) = name.rsplit_once('/').map_or(("", name), |(d, f)| (d, f));
    let stamped = match file.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => format!("{stem}.{hash}.{ext}"),
        _ => format!("{file}.{hash}"),
    };
    if dir.is_empty() {
        stamped
    } else {
        format!("{dir}/{stamped}")
    }
}

/// Whether a path below [`PREFIX`] (`app.0123456789ab.css`, `css/app.0123456789ab.css`) has
/// the shape [`fingerprinted_name`] gives. Its `.gz` and `.br` siblings do not.
pub fn is_fingerprinted(below_prefix: &[u8]) -> bool {
    let file = below_prefix
        .rsplit(|b| *b == b'/')
        .next()
        .unwrap_or(below_prefix);
    let parts: Vec<&[u8]> = file.split(|b| *b == b'.').collect();
    let is_hash = |p: &[u8]| {
        p.len() == HASH_HEX_LEN
            && p.iter()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b))
    };
    match parts.as_slice() {
        [stem, hash] => !stem.is_empty() && is_hash(hash),
        [stem @ .., hash, ext] => {
            !stem.iter().all(|s| s.is_empty()) && is_hash(hash) && !ext.is_empty()
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGEST: [u8; 8] = [0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef];

    #[test]
    fn the_hash_goes_before_the_extension() {
        assert_eq!(
            fingerprinted_name("css/app.css", &DIGEST),
            "css/app.0123456789ab.css"
        );
        assert_eq!(
            fingerprinted_name("LICENSE", &DIGEST),
            "LICENSE.0123456789ab"
        );
    }

    #[test]
    fn every_fingerprinted_name_is_recognised() {
        for name in ["app.css", "css/app.css", "LICENSE", "app.min.js"] {
            let stamped = fingerprinted_name(name, &DIGEST);
            assert!(is_fingerprinted(stamped.as_bytes()), "{stamped}");
        }
    }

    #[test]
    fn precompressed_siblings_are_not_fingerprinted_names() {
        assert!(!is_fingerprinted(b"app.0123456789ab.css.gz"));
        assert!(!is_fingerprinted(b"app.0123456789ab.css.br"));
    }

    #[test]
    fn other_hash_shapes_are_not_fingerprinted_names() {
        assert!(!is_fingerprinted(b"app.0123456789AB.css"), "uppercase");
        assert!(!is_fingerprinted(b"app.0123456789.css"), "10 digits");
        assert!(!is_fingerprinted(b"app.0123456789abcd.css"), "14 digits");
        assert!(!is_fingerprinted(b".0123456789ab.css"), "no stem");
        assert!(!is_fingerprinted(b"app.css"), "no hash");
    }
}
