//! The reload channel: the script added to every HTML response (served as a file, so the
//! CSP's `script-src 'self'` holds) and the Server-Sent Events stream it listens to
//! (`connect-src 'self'`), which says which build is being served and whether the last one
//! failed.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tokio::sync::watch;
use warp::sse::Event;

use super::State;
use super::route::INTERNAL_PREFIX;

/// The script pages load from `/__touchline/reload.js`.
pub const SCRIPT: &str = include_str!("reload.js");
/// The failed-build panel's style, `/__touchline/reload.css`.
pub const STYLE: &str = include_str!("reload.css");
/// How soon a page's stream reconnects after the server went away (a restart, say).
const RETRY: Duration = Duration::from_millis(500);

/// `html` with the reload script added before `</head>` (or `</body>`, or at the end). The
/// tag carries the build the page came from: the script reloads the page when the server
/// says it now serves another one, even if that rebuild happened before the page connected.
pub fn inject(html: &[u8], build: &str) -> Vec<u8> {
    let tag = format!(
        "<script src=\"{INTERNAL_PREFIX}reload.js\" data-build=\"{build}\" defer></script>\n"
    );
    let at = find_tag(html, b"</head")
        .or_else(|| find_tag(html, b"</body"))
        .unwrap_or(html.len());
    let mut out = Vec::with_capacity(html.len() + tag.len());
    out.extend_from_slice(&html[..at]);
    out.extend_from_slice(tag.as_bytes());
    out.extend_from_slice(&html[at..]);
    out
}

/// Where a closing tag starts, whatever its case.
fn find_tag(html: &[u8], tag: &[u8]) -> Option<usize> {
    html.windows(tag.len())
        .position(|w| w.eq_ignore_ascii_case(tag))
}

/// What a page needs to know, as the stream's JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
struct News {
    build: String,
    error: Option<String>,
}

impl News {
    fn of(state: &State) -> News {
        News {
            build: state.build.clone(),
            error: state.error.clone(),
        }
    }

    fn event(&self) -> Event {
        let event = Event::default().event("state").retry(RETRY);
        match serde_json::to_string(self) {
            Ok(json) => event.data(json),
            // Two strings always serialise; a comment keeps the stream valid regardless.
            Err(_) => Event::default().comment("unserialisable state"),
        }
    }
}

/// The `/__touchline/events` stream: the current news at once, then whenever it changes, until
/// the server stops (`stopping` turns true). Rebuilds that change nothing a page shows (an
/// identical output, the same error again) send nothing.
pub fn events(
    state: watch::Receiver<Arc<State>>,
    stopping: watch::Receiver<bool>,
) -> impl warp::Reply {
    let feed = Feed {
        state,
        stopping,
        sent: None,
    };
    let stream = futures_util::stream::unfold(feed, |mut feed| async move {
        loop {
            if *feed.stopping.borrow() {
                return None;
            }
            if feed.sent.is_some() {
                tokio::select! {
                    changed = feed.state.changed() => changed.ok()?,
                    _ = feed.stopping.wait_for(|&stop| stop) => return None,
                }
            }
            let news = News::of(&feed.state.borrow_and_update());
            if feed.sent.as_ref() != Some(&news) {
                let event = news.event();
                feed.sent = Some(news);
                return Some((Ok::<_, Infallible>(event), feed));
            }
        }
    });
    warp::sse::reply(warp::sse::keep_alive().stream(stream))
}

/// One stream's receivers and what it last sent.
struct Feed {
    state: watch::Receiver<Arc<State>>,
    stopping: watch::Receiver<bool>,
    sent: Option<News>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_script_goes_before_the_end_of_head_whatever_its_case() {
        let page = inject(b"<html><head><title>x</title></HEAD><body></body>", "b-1");
        assert_eq!(
            String::from_utf8(page).expect("utf-8"),
            "<html><head><title>x</title><script src=\"/__touchline/reload.js\" \
             data-build=\"b-1\" defer></script>\n</HEAD><body></body>"
        );
    }

    #[test]
    fn without_a_head_it_goes_before_the_end_of_body_or_last() {
        let page = String::from_utf8(inject(b"<p>x</p></body>", "b")).expect("utf-8");
        assert!(page.starts_with("<p>x</p><script src="), "{page}");
        assert!(page.ends_with("</script>\n</body>"), "{page}");
        let page = String::from_utf8(inject(b"<p>x</p>", "b")).expect("utf-8");
        assert!(page.starts_with("<p>x</p><script src="), "{page}");
    }
}
