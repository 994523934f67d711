use super::*;

#[test]
fn the_host_of_a_url_drops_scheme_user_port_and_path() {
    let cases: [(&[u8], Option<&[u8]>); 9] = [
        (
            b"https://news.ycombinator.com/item?id=1",
            Some(b"news.ycombinator.com"),
        ),
        (b"http://www.google.com", Some(b"www.google.com")),
        (b"HTTPS://Example.ORG:8443/x", Some(b"Example.ORG")),
        (b"https://user:pw@host.example/", Some(b"host.example")),
        (b"http://[2001:db8::1]:80/", Some(b"[2001:db8::1]")),
        (b"https://a.example?q", Some(b"a.example")),
        (b"android-app://com.google.android.gm", None),
        (b"https:///nohost", None),
        (b"https://bad\\x22host/", None),
    ];
    for (url, want) in cases {
        assert_eq!(host(url), want, "{}", String::from_utf8_lossy(url));
    }
}

fn referrers(n: usize, own: &[&str]) -> Referrers {
    Referrers::new(&ReferrerArgs {
        referrers: n,
        site_hosts: own.iter().map(|s| (*s).to_owned()).collect(),
        max_missing: 1,
    })
}

#[test]
fn empty_and_own_hosts_are_not_referrals() {
    let mut r = referrers(5, &["touchline.example"]);
    assert_eq!(r.classify(b"-"), Referral::None);
    assert_eq!(r.classify(b""), Referral::None);
    assert_eq!(
        r.classify(b"https://TouchLine.example/a"),
        Referral::Internal
    );
}

#[test]
fn hosts_past_the_cap_and_junk_are_other() {
    let mut r = referrers(2, &[]);
    let a = r.classify(b"https://a.example/");
    let b = r.classify(b"https://B.example/x");
    assert_eq!(
        r.classify(b"https://c.example/"),
        Referral::External(OTHER_ID)
    );
    assert_eq!(r.classify(b"not a url"), Referral::External(OTHER_ID));
    assert_eq!(r.classify(b"https://b.example/y"), b);
    let Referral::External(a) = a else {
        panic!("a is external")
    };
    assert_eq!(r.labels().get(a), "a.example");
    assert_eq!(r.labels().len(), 3);
}
