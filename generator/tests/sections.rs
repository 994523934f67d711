//! Sections in a real build: each `_index.md` key, `section`, `paginator`, `page.section`,
//! `page.lower`/`page.higher`.

mod common;
use common::{built, generate, write};

/// Templates that print what they see as plain words, so tests can read them.
const SECTION: &str = "<!doctype html>\n<html lang=\"en\"><head><title>{{ page.title }}</title></head><body>\
    PAGES={% for p in section.pages %}{{ p.path }},{% endfor %}\n\
    SUBS={% for s in section.subsections %}{{ s.path }},{% endfor %}\n\
    {% if paginator %}PAGER={{ paginator.current_index }}/{{ paginator.number_pagers }}\n\
    ITEMS={% for p in paginator.pages %}{{ p.path }},{% endfor %}\n\
    PREV={{ paginator.previous or '-' }} NEXT={{ paginator.next or '-' }}\n{% endif %}</body></html>\n";
const PAGE: &str = "<!doctype html>\n<html lang=\"en\"><head><title>{{ page.title }}</title></head><body>\
    LOWER={{ page.lower.path if page.lower else '-' }} HIGHER={{ page.higher.path if page.higher else '-' }}\n\
    SECTION={{ page.section.path if page.section else '-' }}\n</body></html>\n";

/// A site with a blog section whose `_index.md` has `keys`, and posts a (Jan), b (Feb),
/// c (March, a date-time) and d (no date), titled and weighted against their dates.
fn site(keys: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    write(
        root,
        "site.toml",
        "title = \"F\"\nbase_url = \"https://example.org\"\n",
    );
    write(root, "content/_index.md", "+++\ntitle = \"Home\"\n+++\n");
    write(
        root,
        "content/blog/_index.md",
        &format!("+++\ntitle = \"Blog\"\n{keys}\n+++\n"),
    );
    let posts = [
        ("a", "Zulu", 3, "date = 2024-01-01\n"),
        ("b", "alpha", 1, "date = 2024-02-01\n"),
        ("c", "Mike", 2, "date = 2024-03-01T10:00:00+02:00\n"),
        ("d", "Echo", 4, ""),
    ];
    for (name, title, weight, date) in posts {
        write(
            root,
            &format!("content/blog/{name}.md"),
            &format!("+++\ntitle = \"{title}\"\nweight = {weight}\n{date}+++\nText.\n"),
        );
    }
    write(root, "themes/default/templates/index.html", PAGE);
    write(root, "themes/default/templates/page.html", PAGE);
    write(root, "themes/default/templates/section.html", SECTION);
    dir
}

fn line<'a>(html: &'a str, key: &str) -> &'a str {
    html.lines()
        .find_map(|l| l.split_once(key).map(|(_, rest)| rest.trim()))
        .unwrap_or_else(|| panic!("no {key} in {html}"))
}

#[test]
fn sort_by_date_lists_newest_first_and_leaves_undated_pages_out() {
    let dir = site("sort_by = \"date\"");
    let read = built(&dir);
    assert_eq!(
        line(&read("blog/index.html"), "PAGES="),
        "/blog/c,/blog/b,/blog/a,"
    );
    assert!(read("blog/d/index.html").contains("LOWER=-"));
}

#[test]
fn sort_by_title_ignores_case() {
    let dir = site("sort_by = \"title\"");
    let read = built(&dir);
    assert_eq!(
        line(&read("blog/index.html"), "PAGES="),
        "/blog/b,/blog/d,/blog/c,/blog/a,"
    );
}

#[test]
fn sort_by_weight_lists_the_lightest_first() {
    let dir = site("sort_by = \"weight\"");
    let read = built(&dir);
    assert_eq!(
        line(&read("blog/index.html"), "PAGES="),
        "/blog/b,/blog/c,/blog/a,/blog/d,"
    );
}

#[test]
fn sort_by_none_lists_by_file_and_gives_no_neighbours() {
    let dir = site("sort_by = \"none\"");
    let read = built(&dir);
    assert_eq!(
        line(&read("blog/index.html"), "PAGES="),
        "/blog/a,/blog/b,/blog/c,/blog/d,"
    );
    assert!(read("blog/b/index.html").contains("LOWER=- HIGHER=-"));
}

#[test]
fn an_unknown_sort_by_is_an_error_naming_the_line() {
    let dir = site("sort_by = \"dates\"");
    let out = generate(dir.path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("content/blog/_index.md:3:"), "{stderr}");
    assert!(stderr.contains("did you mean `date`?"), "{stderr}");
}

#[test]
fn an_unknown_section_key_gets_the_nearest_suggested() {
    let dir = site("paginate_bi = 2");
    let out = generate(dir.path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("did you mean `paginate_by`?"), "{stderr}");
}

#[test]
fn lower_and_higher_are_the_older_and_newer_pages_by_date() {
    let dir = site("sort_by = \"date\"");
    let read = built(&dir);
    assert!(
        read("blog/b/index.html").contains("LOWER=/blog/a HIGHER=/blog/c"),
        "{}",
        read("blog/b/index.html")
    );
}

#[test]
fn lower_and_higher_are_the_lighter_and_heavier_pages_by_weight() {
    let dir = site("sort_by = \"weight\"");
    let read = built(&dir);
    assert!(read("blog/c/index.html").contains("LOWER=/blog/b HIGHER=/blog/a"));
}

#[test]
fn page_section_is_the_section_of_the_pages_folder() {
    let dir = site("");
    let read = built(&dir);
    assert_eq!(line(&read("blog/a/index.html"), "SECTION="), "/blog");
}

#[test]
fn paginate_by_writes_pagers_under_page_n_with_links_between_them() {
    let dir = site("sort_by = \"date\"\npaginate_by = 2");
    let read = built(&dir);
    let first = read("blog/index.html");
    assert_eq!(line(&first, "PAGER="), "1/2");
    assert_eq!(line(&first, "ITEMS="), "/blog/c,/blog/b,");
    assert_eq!(line(&first, "PREV="), "- NEXT=/blog/page/2");
    let second = read("blog/page/2/index.html");
    assert_eq!(line(&second, "ITEMS="), "/blog/a,");
    assert_eq!(line(&second, "PREV="), "/blog NEXT=-");
    assert!(read("blog/page/1/index.html").contains("url=/blog\""));
}

#[test]
fn paginate_path_names_the_pager_segment() {
    let dir = site("paginate_by = 3\npaginate_path = \"p\"");
    let read = built(&dir);
    assert_eq!(line(&read("blog/p/2/index.html"), "ITEMS="), "/blog/d,");
}

#[test]
fn paginate_path_must_be_one_segment() {
    let dir = site("paginate_by = 3\npaginate_path = \"a/b\"");
    let out = generate(dir.path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("content/blog/_index.md:4:"), "{stderr}");
}

#[test]
fn paginate_reversed_pages_from_the_other_end() {
    let dir = site("sort_by = \"date\"\npaginate_by = 2\npaginate_reversed = true");
    let read = built(&dir);
    assert_eq!(line(&read("blog/index.html"), "ITEMS="), "/blog/a,/blog/b,");
}

#[test]
fn a_transparent_sections_pages_are_listed_by_its_parent() {
    let dir = site("sort_by = \"date\"");
    write(
        dir.path(),
        "content/blog/2023/_index.md",
        "+++\ntitle = \"2023\"\ntransparent = true\nsort_by = \"date\"\n+++\n",
    );
    write(
        dir.path(),
        "content/blog/2023/old.md",
        "+++\ntitle = \"Old\"\ndate = 2023-06-01\n+++\n",
    );
    let read = built(&dir);
    let blog = read("blog/index.html");
    assert_eq!(
        line(&blog, "PAGES="),
        "/blog/c,/blog/b,/blog/a,/blog/2023/old,"
    );
    assert_eq!(line(&blog, "SUBS="), "/blog/2023,");
    assert!(read("blog/a/index.html").contains("LOWER=/blog/2023/old"));
}

#[test]
fn page_template_renders_the_sections_pages() {
    let dir = site("page_template = \"post.html\"");
    write(
        dir.path(),
        "themes/default/templates/post.html",
        "<!doctype html><html lang=\"en\"><head><title>t</title></head><body>POST</body></html>\n",
    );
    let read = built(&dir);
    assert!(read("blog/a/index.html").contains("POST"));
}

#[test]
fn render_false_publishes_the_pages_but_not_the_section() {
    let dir = site("render = false");
    let read = built(&dir);
    assert!(read("blog/a/index.html").contains("SECTION=/blog"));
    assert!(!dir.path().join("dist/blog/index.html").exists());
}

#[test]
fn redirect_to_makes_the_section_a_redirect() {
    let dir = site("redirect_to = \"blog/c\"");
    let read = built(&dir);
    assert!(read("blog/index.html").contains("url=/blog/c\""));
    assert!(read("_redirects.conf").contains("\"/blog/\" \"/blog/c\";"));
}

#[test]
fn a_section_without_a_title_is_accepted() {
    let dir = site("");
    write(
        dir.path(),
        "content/blog/_index.md",
        "+++\nsort_by = \"date\"\n+++\n",
    );
    let read = built(&dir);
    assert!(read("blog/index.html").contains("PAGES="));
}
