//! Referrers: the host of a logged `$http_referer`, and a bounded table of host labels (the
//! first N distinct hosts, as `--max-paths` does for paths; the rest are `other`). Empty
//! referers and the site's own hosts (`--site-host`) are not referrals and are not counted.

#[cfg(test)]
mod tests;

use crate::route::{OTHER_ID, OpenRoutes, RouteId};

/// Default number of referring hosts kept as labels.
pub const DEFAULT_REFERRERS: usize = 20;

/// Longest host name (RFC 1035), longer "hosts" are junk and count as `other`.
const MAX_HOST: usize = 253;

/// `--referrers`, `--site-host` and `--max-missing`, shared by `run` and `replay`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ReferrerArgs {
    /// Referring hosts kept as labels of touchline_http_referrals_total (the first N
    /// distinct ones; the rest are "other").
    #[arg(long, env = "TOUCHLINE_SIDECAR_REFERRERS", default_value_t = DEFAULT_REFERRERS)]
    pub referrers: usize,
    /// The site's own host names (repeat, or comma-separate): links from them are not
    /// referrals.
    #[arg(
        long = "site-host",
        env = "TOUCHLINE_SIDECAR_SITE_HOST",
        value_delimiter = ','
    )]
    pub site_hosts: Vec<String>,
    /// Missing paths kept as labels of touchline_http_not_found_total (the first N distinct
    /// ones; the rest are "other").
    #[arg(long, env = "TOUCHLINE_SIDECAR_MAX_MISSING", default_value_t = crate::missing::DEFAULT_MAX_MISSING)]
    pub max_missing: usize,
}

/// What a referer is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Referral {
    /// No referer (`-` or empty).
    None,
    /// A link from the site itself.
    Internal,
    /// A link from another host: its label id.
    External(RouteId),
}

/// Host labels of referrals, bounded.
#[derive(Debug, Clone)]
pub struct Referrers {
    hosts: OpenRoutes,
    own: Vec<Vec<u8>>,
    scratch: Vec<u8>,
}

impl Default for Referrers {
    fn default() -> Self {
        Referrers::new(&ReferrerArgs {
            referrers: DEFAULT_REFERRERS,
            site_hosts: Vec::new(),
            max_missing: crate::missing::DEFAULT_MAX_MISSING,
        })
    }
}

impl Referrers {
    /// A table with room for `args.referrers` hosts, excluding `args.site_hosts`.
    pub fn new(args: &ReferrerArgs) -> Referrers {
        Referrers {
            hosts: OpenRoutes::new(args.referrers),
            own: args
                .site_hosts
                .iter()
                .map(|h| h.trim().to_ascii_lowercase().into_bytes())
                .filter(|h| !h.is_empty())
                .collect(),
            scratch: Vec::new(),
        }
    }

    /// What a logged referer is.
    #[inline]
    pub fn classify(&mut self, referer: &[u8]) -> Referral {
        if referer.is_empty() || referer == b"-" {
            return Referral::None;
        }
        let Some(host) = host(referer) else {
            return Referral::External(OTHER_ID);
        };
        self.scratch.clear();
        self.scratch.extend(host.iter().map(u8::to_ascii_lowercase));
        if self.own.contains(&self.scratch) {
            return Referral::Internal;
        }
        Referral::External(self.hosts.route(&self.scratch))
    }

    /// The label table.
    pub fn labels(&self) -> &crate::route::Labels {
        self.hosts.labels()
    }

    /// The id of a host label read back from a checkpoint.
    pub fn id_for_label(&mut self, label: &str) -> RouteId {
        self.hosts.id_for_label(label)
    }

    /// A table for a parallel worker (see [`OpenRoutes::for_worker`]).
    pub fn for_worker(&self, first: bool) -> Referrers {
        Referrers {
            hosts: self.hosts.for_worker(first),
            own: self.own.clone(),
            scratch: Vec::new(),
        }
    }

    /// See [`OpenRoutes::absorbable`].
    pub fn absorbable(&self, first: bool) -> bool {
        self.hosts.absorbable(first)
    }

    /// See [`OpenRoutes::absorb`].
    pub fn absorb(&mut self, worker: &Referrers) -> Vec<RouteId> {
        self.hosts.absorb(&worker.hosts)
    }
}

/// The host of an absolute `http(s)://` URL (user info and port dropped), as logged; `None`
/// when it is not one or the host is not a plausible name or address.
pub fn host(url: &[u8]) -> Option<&[u8]> {
    let rest = strip_prefix_ignore_case(url, b"https://")
        .or_else(|| strip_prefix_ignore_case(url, b"http://"))?;
    let end = rest
        .iter()
        .position(|b| matches!(b, b'/' | b'?' | b'#'))
        .unwrap_or(rest.len());
    let authority = &rest[..end];
    let authority = match memchr::memrchr(b'@', authority) {
        Some(at) => &authority[at + 1..],
        None => authority,
    };
    let host = if authority.first() == Some(&b'[') {
        let close = memchr::memchr(b']', authority)?;
        &authority[..=close]
    } else {
        match memchr::memchr(b':', authority) {
            Some(colon) => &authority[..colon],
            None => authority,
        }
    };
    let plausible =
        |b: &u8| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'[' | b']' | b':');
    (!host.is_empty() && host.len() <= MAX_HOST && host.iter().all(plausible)).then_some(host)
}

fn strip_prefix_ignore_case<'a>(s: &'a [u8], prefix: &[u8]) -> Option<&'a [u8]> {
    (s.len() >= prefix.len() && s[..prefix.len()].eq_ignore_ascii_case(prefix))
        .then(|| &s[prefix.len()..])
}
