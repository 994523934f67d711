//! Front matter: the TOML (`+++`) or YAML (`---`) block at the top of a Markdown page.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use serde::Deserialize;
use serde::de::{self, MapAccess, Visitor};

use crate::error::{BuildError, Location};

/// A page's metadata, with the keys and meanings of Zola's. Unknown keys are errors;
/// free-form values belong in `extra`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrontMatter {
    /// The page's title (required).
    pub title: String,
    /// Meta description; the site's when empty.
    #[serde(default)]
    pub description: String,
    /// Template name; `page.html` (or `index.html` for the root) when absent.
    pub template: Option<String>,
    /// Orders `pages` (lower first).
    #[serde(default)]
    pub weight: i64,
    /// A draft is read and checked but not published.
    #[serde(default)]
    pub draft: bool,
    /// Publication date (a date or a date-time).
    pub date: Option<Date>,
    /// Date of the last change (a date or a date-time).
    pub updated: Option<Date>,
    /// Replaces the last segment of the route the file name gives.
    pub slug: Option<String>,
    /// Route override, e.g. `/404.html` or `blog/2024/post` (the leading `/` is optional).
    pub path: Option<String>,
    /// Old URLs of this page: each redirects here.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// The page's authors.
    #[serde(default)]
    pub authors: Vec<String>,
    /// Terms per taxonomy, e.g. `tags = ["rust"]`.
    #[serde(default)]
    pub taxonomies: BTreeMap<String, Vec<String>>,
    /// Hugo's top-level `tags`: the `tags` taxonomy.
    #[serde(default)]
    tags: Vec<String>,
    /// Hugo's top-level `categories`: the `categories` taxonomy.
    #[serde(default)]
    categories: Vec<String>,
    /// Free-form values for templates.
    #[serde(default)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl FrontMatter {
    /// A section's front matter as a page's: the keys both have, the rest empty.
    pub fn of_section(
        title: String,
        description: String,
        template: Option<String>,
        weight: i64,
        draft: bool,
        aliases: Vec<String>,
        extra: serde_json::Map<String, serde_json::Value>,
    ) -> FrontMatter {
        FrontMatter {
            title,
            description,
            template,
            weight,
            draft,
            aliases,
            extra,
            ..FrontMatter::default()
        }
    }

    /// Moves Hugo's top-level `tags` and `categories` into `taxonomies` (after terms given
    /// there, without duplicates).
    fn merge_hugo_taxonomies(&mut self) {
        for (name, terms) in [
            ("tags", std::mem::take(&mut self.tags)),
            ("categories", std::mem::take(&mut self.categories)),
        ] {
            if terms.is_empty() {
                continue;
            }
            let list = self.taxonomies.entry(name.to_owned()).or_default();
            for term in terms {
                if !list.contains(&term) {
                    list.push(term);
                }
            }
        }
    }
}

/// A date `YYYY-MM-DD` or an RFC 3339 date-time (`2023-09-08T02:43:00Z`, offset or local),
/// from a TOML date/date-time literal or a YAML/TOML string. Kept as written (templates see
/// that), with the moment it names (for ordering and feeds).
#[derive(Debug, Clone, serde::Serialize)]
#[serde(transparent)]
pub struct Date {
    text: String,
    #[serde(skip)]
    at: jiff::Timestamp,
}

impl PartialEq for Date {
    fn eq(&self, other: &Date) -> bool {
        self.text == other.text
    }
}

impl Eq for Date {}

impl Date {
    fn parse(s: &str) -> Result<Date, String> {
        let err = || {
            format!(
                "invalid date `{s}`: expected YYYY-MM-DD or an RFC 3339 date-time such as \
                 2023-09-08T02:43:00Z"
            )
        };
        let day = s.get(..10).ok_or_else(err)?;
        if !valid_day(day) {
            return Err(err());
        }
        match s.get(10..) {
            Some("") => {}
            Some(rest) if valid_time(rest) => {}
            _ => return Err(err()),
        }
        let at = timestamp(s).ok_or_else(err)?;
        Ok(Date {
            text: s.to_owned(),
            at,
        })
    }

    /// The date as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The moment it names: a date is its midnight and a date-time without an offset is read
    /// as UTC (a static site has no time zone of its own).
    pub fn timestamp(&self) -> jiff::Timestamp {
        self.at
    }
}

/// The moment a valid date or RFC 3339 date-time names (none for an impossible one, such as
/// 30 February).
fn timestamp(s: &str) -> Option<jiff::Timestamp> {
    let utc = jiff::tz::TimeZone::UTC;
    if s.len() == 10 {
        let day: jiff::civil::Date = s.parse().ok()?;
        return utc
            .to_timestamp(day.to_datetime(jiff::civil::Time::midnight()))
            .ok();
    }
    let normal: String = s
        .char_indices()
        .map(|(i, c)| match c {
            't' | ' ' if i == 10 => 'T',
            'z' => 'Z',
            c => c,
        })
        .collect();
    let zoned = normal
        .get(11..)
        .is_some_and(|t| t.contains(['Z', '+', '-']));
    if zoned {
        normal.parse::<jiff::Timestamp>().ok()
    } else {
        let local: jiff::civil::DateTime = normal.parse().ok()?;
        utc.to_timestamp(local).ok()
    }
}

/// `YYYY-MM-DD` with a real month and day number.
fn valid_day(s: &str) -> bool {
    let b = s.as_bytes();
    let shape_ok = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    let month = s.get(5..7).and_then(|m| m.parse::<u8>().ok());
    let day = s.get(8..10).and_then(|d| d.parse::<u8>().ok());
    shape_ok && matches!((month, day), (Some(1..=12), Some(1..=31)))
}

/// `THH:MM[:SS[.frac]][Z|±HH:MM]` (`t` or a space instead of `T`, as RFC 3339 and TOML allow).
fn valid_time(s: &str) -> bool {
    let Some(rest) = s
        .strip_prefix('T')
        .or_else(|| s.strip_prefix('t'))
        .or_else(|| s.strip_prefix(' '))
    else {
        return false;
    };
    let two = |t: &str, max: u8| t.len() == 2 && t.parse::<u8>().is_ok_and(|n| n <= max);
    let (clock, zone) = match rest.find(['Z', 'z', '+', '-']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let (clock, frac) = match clock.split_once('.') {
        Some((c, f)) => (c, Some(f)),
        None => (clock, None),
    };
    let parts: Vec<&str> = clock.split(':').collect();
    let clock_ok = match parts.as_slice() {
        [h, m] => two(h, 23) && two(m, 59),
        [h, m, sec] => two(h, 23) && two(m, 59) && two(sec, 60),
        _ => false,
    };
    let frac_ok = frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|c| c.is_ascii_digit()));
    let zone_ok = match zone {
        "" | "Z" | "z" => true,
        z => z[1..]
            .split_once(':')
            .is_some_and(|(h, m)| two(h, 23) && two(m, 59)),
    };
    clock_ok && frac_ok && zone_ok
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Date, D::Error> {
        struct DateVisitor;
        impl<'de> Visitor<'de> for DateVisitor {
            type Value = Date;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a date YYYY-MM-DD or an RFC 3339 date-time")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Date, E> {
                Date::parse(s).map_err(E::custom)
            }
            // The `toml` crate hands a date or date-time literal over as a one-entry map.
            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Date, M::Error> {
                let (_, value): (String, String) = map
                    .next_entry()?
                    .ok_or_else(|| de::Error::custom("empty date"))?;
                Date::parse(&value).map_err(de::Error::custom)
            }
        }
        deserializer.deserialize_any(DateVisitor)
    }
}

/// A page's source split into its front matter and Markdown body.
#[derive(Debug, Clone)]
pub struct Split<'a> {
    /// The parsed metadata.
    pub front_matter: FrontMatter,
    /// The Markdown after the closing delimiter.
    pub body: &'a str,
}

/// Splits and parses a page's front matter; errors name the file and the line in it.
pub fn split<'a>(path: &Path, text: &'a str) -> Result<Split<'a>, BuildError> {
    let (mut front_matter, body) = split_as::<FrontMatter>(path, text)?;
    front_matter.merge_hugo_taxonomies();
    Ok(Split { front_matter, body })
}

/// Splits a Markdown file's front matter off and parses it as `T` (a page's or a section's
/// keys); returns it with the body.
pub fn split_as<'a, T: de::DeserializeOwned>(
    path: &Path,
    text: &'a str,
) -> Result<(T, &'a str), BuildError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let (delimiter, yaml) = if text.starts_with("+++") {
        ("+++", false)
    } else if text.starts_with("---") {
        ("---", true)
    } else {
        return Err(BuildError::invalid(
            Location::line(path, 1),
            "missing front matter: a page starts with `+++` (TOML) or `---` (YAML)",
        ));
    };
    let first_newline = text.find('\n').unwrap_or(text.len());
    if text[..first_newline].trim_end() != delimiter {
        return Err(BuildError::invalid(
            Location::line(path, 1),
            format!("the opening `{delimiter}` must be alone on its line"),
        ));
    }
    let meta_start = (first_newline + 1).min(text.len());
    let mut offset = meta_start;
    let mut close = None;
    for line in text[meta_start..].split_inclusive('\n') {
        if line.trim_end() == delimiter {
            close = Some((offset, offset + line.len()));
            break;
        }
        offset += line.len();
    }
    let Some((meta_end, body_start)) = close else {
        return Err(BuildError::invalid(
            Location::line(path, 1),
            format!("front matter opened with `{delimiter}` is never closed"),
        ));
    };
    let meta = &text[meta_start..meta_end];
    // Errors are placed in the whole file's text: the metadata starts after the delimiter.
    let front_matter = if yaml {
        serde_norway::from_str::<T>(meta).map_err(|e| {
            let at = match e.location() {
                Some(l) => Location::span(
                    path,
                    text,
                    meta_start + l.index()..meta_start + l.index() + 1,
                ),
                None => Location::line(path, 2),
            };
            BuildError::serde(at, &yaml_message(&e))
        })?
    } else {
        toml::from_str::<T>(meta).map_err(|e| BuildError::toml(path, text, meta_start, &e))?
    };
    Ok((front_matter, &text[body_start..]))
}

/// serde_norway's message without the " at line L column C" it appends: the location is
/// printed before the message already.
fn yaml_message(e: &serde_norway::Error) -> String {
    let message = e.to_string();
    match message.rfind(" at line ") {
        Some(i) if e.location().is_some() => message[..i].to_owned(),
        _ => message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Split<'_>, BuildError> {
        split(Path::new("page.md"), text)
    }

    #[test]
    fn toml_front_matter_is_parsed_and_the_body_follows() -> Result<(), BuildError> {
        let s = parse("+++\ntitle = \"Hi\"\nweight = 3\ndate = 2024-05-19\n+++\n# Body\n")?;
        assert_eq!(s.front_matter.title, "Hi");
        assert_eq!(s.front_matter.weight, 3);
        assert_eq!(
            s.front_matter.date.as_ref().map(Date::as_str),
            Some("2024-05-19")
        );
        assert_eq!(s.body, "# Body\n");
        Ok(())
    }

    #[test]
    fn yaml_front_matter_is_accepted() -> Result<(), BuildError> {
        let s = parse("---\ntitle: Hi\ndate: \"2024-05-19\"\nextra:\n  a: 1\n---\nbody")?;
        assert_eq!(s.front_matter.title, "Hi");
        assert_eq!(s.front_matter.extra.get("a"), Some(&serde_json::json!(1)));
        Ok(())
    }

    #[test]
    fn unknown_key_names_the_file_line() {
        let err = parse("+++\ntitle = \"Hi\"\ntempalte = \"x.html\"\n+++\n").expect_err("typo");
        assert!(
            err.to_string()
                .starts_with("page.md:3:1: unknown field `tempalte`"),
            "{err}"
        );
    }

    #[test]
    fn unclosed_front_matter_is_an_error() {
        let err = parse("+++\ntitle = \"Hi\"\n").expect_err("unclosed");
        assert_eq!(
            err.to_string(),
            "page.md:1: front matter opened with `+++` is never closed"
        );
    }

    #[test]
    fn missing_title_is_an_error() {
        let err = parse("+++\nweight = 1\n+++\n").expect_err("no title");
        assert!(err.to_string().contains("missing field `title`"), "{err}");
    }

    #[test]
    fn impossible_date_is_an_error() {
        let err = parse("+++\ntitle = \"x\"\ndate = \"2024-13-01\"\n+++\n").expect_err("date");
        assert!(
            err.to_string().contains("invalid date `2024-13-01`"),
            "{err}"
        );
    }

    #[test]
    fn a_toml_datetime_is_a_date() -> Result<(), BuildError> {
        let s = parse("+++\ntitle = \"x\"\ndate = 2023-09-08T02:43:00Z\n+++\n")?;
        assert_eq!(
            s.front_matter.date.as_ref().map(Date::as_str),
            Some("2023-09-08T02:43:00Z")
        );
        Ok(())
    }

    #[test]
    fn a_toml_local_datetime_with_offset_is_accepted_for_updated() -> Result<(), BuildError> {
        let s = parse("+++\ntitle = \"x\"\nupdated = 2024-01-02T10:00:00+02:00\n+++\n")?;
        assert_eq!(
            s.front_matter.updated.as_ref().map(Date::as_str),
            Some("2024-01-02T10:00:00+02:00")
        );
        Ok(())
    }

    #[test]
    fn an_rfc3339_string_in_yaml_is_a_date() -> Result<(), BuildError> {
        let s = parse("---\ntitle: x\ndate: \"2023-09-08T02:43:00.5-05:00\"\n---\n")?;
        assert_eq!(
            s.front_matter.date.as_ref().map(Date::as_str),
            Some("2023-09-08T02:43:00.5-05:00")
        );
        Ok(())
    }

    #[test]
    fn an_impossible_time_is_an_error() {
        let err =
            parse("+++\ntitle = \"x\"\ndate = \"2024-01-01T25:00:00Z\"\n+++\n").expect_err("time");
        assert!(err.to_string().contains("RFC 3339"), "{err}");
    }

    #[test]
    fn zola_keys_are_read() -> Result<(), BuildError> {
        let s = parse(concat!(
            "+++\ntitle = \"x\"\nslug = \"s\"\naliases = [\"/old.html\"]\n",
            "authors = [\"Ann\", \"Bo\"]\n[taxonomies]\ntags = [\"rust\"]\n+++\n"
        ))?;
        let fm = s.front_matter;
        assert_eq!(fm.slug.as_deref(), Some("s"));
        assert_eq!(fm.aliases, ["/old.html"]);
        assert_eq!(fm.authors, ["Ann", "Bo"]);
        assert_eq!(fm.taxonomies.get("tags"), Some(&vec!["rust".to_owned()]));
        Ok(())
    }

    #[test]
    fn hugo_top_level_tags_and_categories_become_taxonomies() -> Result<(), BuildError> {
        let s = parse(
            "---\ntitle: x\ntags: [a, b]\ncategories: [news]\ntaxonomies:\n  tags: [a]\n---\n",
        )?;
        let t = s.front_matter.taxonomies;
        assert_eq!(t.get("tags"), Some(&vec!["a".to_owned(), "b".to_owned()]));
        assert_eq!(t.get("categories"), Some(&vec!["news".to_owned()]));
        Ok(())
    }

    #[test]
    fn a_misspelt_key_gets_the_nearest_suggested() {
        let err = parse("+++\ntitle = \"x\"\nalises = []\n+++\n").expect_err("typo");
        assert!(err.to_string().contains("did you mean `aliases`?"), "{err}");
    }

    #[test]
    fn yaml_syntax_error_names_the_file_line() {
        let err = parse("---\ntitle: Hi\n  bad: [\n---\n").expect_err("yaml");
        assert!(err.to_string().starts_with("page.md:3:"), "{err}");
        assert!(!err.to_string().contains(" at line "), "{err}");
    }
}
