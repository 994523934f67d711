//! The `run` command's HTTP limits (`--max-connections`, `--header-timeout`,
//! `--send-timeout`): the deployments listen on 0.0.0.0, so any peer can connect.

use std::time::Duration;

use httpd::Limits;

/// Connections served at once by default: Prometheus needs one or two; the rest is headroom
/// for probes and people, far below a process' file descriptor limit.
pub const DEFAULT_MAX_CONNECTIONS: usize = 256;

/// The most `--max-connections` takes: beyond, descriptors run out long before the cap.
const MAX_CONNECTIONS: u64 = 65_536;

/// The HTTP limits; the field comments are the command's help.
#[derive(Debug, Clone, clap::Args)]
pub struct HttpArgs {
    /// Connections served at once; more are closed as they are accepted and counted in
    /// touchline_sidecar_http_connections_rejected_total.
    #[arg(
        long,
        env = "TOUCHLINE_SIDECAR_MAX_CONNECTIONS",
        default_value_t = DEFAULT_MAX_CONNECTIONS,
        value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=MAX_CONNECTIONS)
    )]
    pub max_connections: usize,
    /// Time a client has to send its request head (an idle keep-alive connection is closed
    /// after it too), such as 10s or 500ms.
    #[arg(
        long,
        env = "TOUCHLINE_SIDECAR_HEADER_TIMEOUT",
        default_value = "10s",
        value_parser = parse_timeout
    )]
    pub header_timeout: Duration,
    /// Time a client may take no bytes of a response before it is dropped, such as 30s.
    #[arg(
        long,
        env = "TOUCHLINE_SIDECAR_SEND_TIMEOUT",
        default_value = "30s",
        value_parser = parse_timeout
    )]
    pub send_timeout: Duration,
}

impl HttpArgs {
    /// The server's limits: these flags, and fixed bounds for the rest.
    pub fn limits(&self) -> Limits {
        Limits {
            max_connections: self.max_connections,
            header_timeout: self.header_timeout,
            send_timeout: self.send_timeout,
            // The sidecar's requests are a line and a few headers; nginx's default is 8 KiB
            // per header line.
            max_head: 16 * 1024,
            // A scrape takes milliseconds; the final checkpoint should not wait for more.
            shutdown_grace: Duration::from_secs(2),
        }
    }
}

/// A positive duration with a unit (`10s`, `500ms`, `1m`).
fn parse_timeout(s: &str) -> Result<Duration, String> {
    match humantime::parse_duration(s) {
        Ok(d) if d.is_zero() => Err("must be more than 0".to_owned()),
        Ok(d) => Ok(d),
        Err(e) => Err(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_take_a_unit() {
        assert_eq!(parse_timeout("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_timeout("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_timeout("1m"), Ok(Duration::from_secs(60)));
        assert!(parse_timeout("10").is_err(), "a bare number");
        assert!(parse_timeout("soon").is_err());
    }

    #[test]
    fn a_zero_timeout_is_refused() {
        assert_eq!(parse_timeout("0s"), Err("must be more than 0".to_owned()));
    }
}
