use super::list::{naive_classify, vendored_text};
use super::*;

#[test]
fn the_vendored_list_compiles_with_its_version() {
    let p = Patterns::parse(vendored_text()).expect("compiles");
    assert!(p.entries > 1000, "{} entries", p.entries);
    assert!(p.source.contains("crawler-user-agents"));
}

#[test]
fn a_list_of_another_version_is_refused() {
    let text = r#"{"source": "x", "version": "0.1", "entries": []}"#;
    assert!(matches!(
        Patterns::parse(text),
        Err(ListError::Version { .. })
    ));
}

#[test]
fn a_list_with_an_unknown_field_is_refused() {
    let text = format!(r#"{{"source": "x", "version": "{LIST_VERSION}", "entries": [], "x": 1}}"#);
    assert!(matches!(Patterns::parse(&text), Err(ListError::Json(_))));
}

fn class(ua: &str) -> Client {
    Classifier::default().classify(ua.as_bytes())
}

#[test]
fn browsers_are_human() {
    for ua in [
        "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
    ] {
        assert_eq!(class(ua), Client::Human, "{ua}");
    }
}

#[test]
fn ai_crawlers_are_ai_crawlers() {
    for ua in [
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)",
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; ClaudeBot/1.0; +claudebot@anthropic.com)",
        "CCBot/2.0 (https://commoncrawl.org/faq/)",
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; PerplexityBot/1.0; +https://perplexity.ai/perplexitybot)",
        "Mozilla/5.0 (Linux; Android 5.0) AppleWebKit/537.36 (KHTML, like Gecko) Mobile Safari/537.36 (compatible; Bytespider; spider-feedback@bytedance.com)",
    ] {
        assert_eq!(class(ua), Client::AiCrawler, "{ua}");
    }
}

#[test]
fn feed_readers_monitors_and_crawlers_have_their_class() {
    let cases = [
        (
            "Feedly/1.0 (+http://www.feedly.com/fetcher.html; 3 subscribers)",
            Client::FeedReader,
        ),
        (
            "NewsBlur Feed Fetcher - 12 subscribers - https://www.newsblur.com/site/1",
            Client::FeedReader,
        ),
        (
            "Mozilla/5.0 (compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)",
            Client::Monitor,
        ),
        (
            "Pingdom.com_bot_version_1.4_(http://www.pingdom.com/)",
            Client::Monitor,
        ),
        (
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            Client::Crawler,
        ),
        (
            "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
            Client::Crawler,
        ),
        ("curl/8.5.0", Client::Other),
        ("python-requests/2.31.0", Client::Other),
        ("-", Client::Other),
        ("", Client::Other),
    ];
    for (ua, want) in cases {
        assert_eq!(class(ua), want, "{ua}");
    }
}

#[test]
fn the_cache_stays_bounded_and_answers_as_the_list() {
    let mut c = Classifier::default();
    for i in 0..(CACHE_ENTRIES * 2 + 7) {
        let ua = format!("Mozilla/5.0 junk {i}");
        assert_eq!(c.classify(ua.as_bytes()), Client::Human);
        assert!(c.cache.len() <= CACHE_ENTRIES);
    }
    assert_eq!(c.classify(b"CCBot/2.0"), Client::AiCrawler);
}

#[test]
fn labels_round_trip() {
    for c in Client::ALL {
        assert_eq!(Client::from_label(c.as_str()), Some(c));
    }
}

#[test]
fn literals_and_regexes_together_classify_as_each_pattern_alone() {
    let agents = [
        "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)",
        "Mozilla/5.0 (compatible; claudebot/1.0)",
        "Wget/1.21.4",
        "curl/8.5.0",
        "Mozilla/5.0 (compatible; SemrushBot/7~bl; +http://www.semrush.com/bot.html)",
        "AdsBot-Google (+http://www.google.com/adsbot.html)",
        "Pingdom.com_bot_version_1.4_(http://www.pingdom.com/)",
        "Mozilla/5.0 (compatible; pingdom)",
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        "Feedly/1.0 (+http://www.feedly.com/fetcher.html; 3 subscribers)",
        "python-requests/2.31.0",
        "Go-http-client/1.1",
    ];
    let p = Patterns::vendored();
    for ua in agents {
        assert_eq!(
            p.classify(ua.as_bytes()),
            naive_classify(ua.as_bytes()),
            "{ua}"
        );
    }
}
