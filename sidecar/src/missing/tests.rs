use super::*;

#[test]
fn missing_paths_are_normalised_like_routes() {
    let mut m = Missing::new(10);
    let a = m.page(b"/old-page/");
    assert_eq!(m.page(b"/old-page/index.html?x=1"), a);
    assert_eq!(m.page(b"//old-page"), a);
    assert_eq!(m.page(b"/%6Fld-page"), a);
    assert_eq!(m.labels().get(a), "/old-page");
    assert_eq!(m.page(b"*"), OTHER_ID);
}

#[test]
fn missing_paths_past_the_cap_are_other() {
    let mut m = Missing::new(1);
    let a = m.page(b"/a");
    assert_ne!(a, OTHER_ID);
    assert_eq!(m.page(b"/b"), OTHER_ID);
    assert_eq!(m.page(b"/a"), a);
}

#[test]
fn source_labels_round_trip() {
    for s in Source::ALL {
        assert_eq!(Source::from_label(s.as_str()), Some(s));
    }
}
