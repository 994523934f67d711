//! Sections: the keys of a folder's `_index.md`, with the meanings of Zola's.

use serde::Deserialize;

use crate::content::front_matter::FrontMatter;

/// The front matter of an `_index.md`. Unknown keys are errors, as for pages.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SectionFrontMatter {
    /// The section's title (optional, as in Zola).
    #[serde(default)]
    pub title: String,
    /// Meta description; the site's when empty.
    #[serde(default)]
    pub description: String,
    /// Template of the section's own page.
    pub template: Option<String>,
    /// Orders `pages` and `subsections` (lower first).
    #[serde(default)]
    pub weight: i64,
    /// A draft section is read and checked but not published.
    #[serde(default)]
    pub draft: bool,
    /// Old URLs of the section: each redirects here.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Free-form values for templates.
    #[serde(default)]
    pub extra: serde_json::Map<String, serde_json::Value>,
    /// The order of `section.pages`.
    #[serde(default)]
    pub sort_by: SortBy,
    /// Pages per pager; none (or 0) publishes one page with every page.
    #[serde(default)]
    pub paginate_by: Option<usize>,
    /// The segment before a pager's number: `/blog/page/2`.
    #[serde(default = "default_paginate_path")]
    pub paginate_path: String,
    /// Pagers list the pages in the reverse of `sort_by`.
    #[serde(default)]
    pub paginate_reversed: bool,
    /// Publish a feed of the section's pages (`/blog/atom.xml`).
    #[serde(default)]
    pub generate_feeds: bool,
    /// The section's pages are also its parent's pages.
    #[serde(default)]
    pub transparent: bool,
    /// Default template of the pages in this section and its subsections.
    pub page_template: Option<String>,
    /// Whether the section's own page is published (its pages are either way).
    #[serde(default = "yes")]
    pub render: bool,
    /// Publish a redirect to this URL instead of the section's page.
    pub redirect_to: Option<String>,
}

/// What a section does with its pages (the keys only a section has).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectionMeta {
    /// The order of `section.pages`.
    pub sort_by: SortBy,
    /// Pages per pager; none (or 0) publishes one page with every page.
    pub paginate_by: Option<usize>,
    /// The segment before a pager's number: `/blog/page/2`.
    pub paginate_path: String,
    /// Pagers list the pages in the reverse of `sort_by`.
    pub paginate_reversed: bool,
    /// Publish a feed of the section's pages (`/blog/atom.xml`).
    pub generate_feeds: bool,
    /// The section's pages are also its parent's pages.
    pub transparent: bool,
    /// Default template of the pages in this section and its subsections.
    pub page_template: Option<String>,
    /// Whether the section's own page is published (its pages are either way).
    pub render: bool,
    /// Publish a redirect to this URL instead of the section's page.
    pub redirect_to: Option<String>,
}

impl Default for SectionMeta {
    fn default() -> SectionMeta {
        SectionMeta {
            sort_by: SortBy::None,
            paginate_by: None,
            paginate_path: default_paginate_path(),
            paginate_reversed: false,
            generate_feeds: false,
            transparent: false,
            page_template: None,
            render: true,
            redirect_to: None,
        }
    }
}

/// `sort_by` of a section.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SortBy {
    /// Newest first; pages without a date are left out of the list.
    Date,
    /// By title, ignoring case.
    Title,
    /// Lightest first.
    Weight,
    /// By source file path.
    #[default]
    None,
}

fn default_paginate_path() -> String {
    "page".to_owned()
}

fn yes() -> bool {
    true
}

impl SectionFrontMatter {
    /// The keys a section shares with a page, as a page's front matter, and its own keys.
    pub fn into_parts(self) -> (FrontMatter, SectionMeta) {
        let page = FrontMatter::of_section(
            self.title,
            self.description,
            self.template,
            self.weight,
            self.draft,
            self.aliases,
            self.extra,
        );
        let meta = SectionMeta {
            sort_by: self.sort_by,
            paginate_by: self.paginate_by.filter(|n| *n > 0),
            paginate_path: self.paginate_path,
            paginate_reversed: self.paginate_reversed,
            generate_feeds: self.generate_feeds,
            transparent: self.transparent,
            page_template: self.page_template,
            render: self.render,
            redirect_to: self.redirect_to,
        };
        (page, meta)
    }
}
