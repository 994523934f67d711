//! What templates see: `page`, the output being rendered, whether it comes from a Markdown page
//! or a data item, and the values every output shares (`site`, `data`, `pages`, `item`).

use std::collections::BTreeMap;

use contract::Route;
use minijinja::Value;
use serde::Serialize;

use crate::config::SiteConfig;
use crate::content::Page;
use crate::content::front_matter::Date;
use crate::data::Data;

/// `page.*` in a template: one type for every kind of output, so a new field is added once.
#[derive(Debug, Clone, Serialize)]
pub struct PageContext {
    /// The title.
    pub title: String,
    /// Meta description (the site's when the page has none).
    pub description: String,
    /// The route it is published at.
    pub path: Route,
    /// The body as HTML, marked safe (empty for data items).
    pub content: Value,
    /// The HTML before `<!-- more -->`, marked safe; none without the marker.
    pub summary: Option<Value>,
    /// Words in the body.
    pub word_count: usize,
    /// Minutes to read it (200 words a minute, rounded up).
    pub reading_time: usize,
    /// Orders navigation (lower first).
    pub weight: i64,
    /// Publication date.
    pub date: Option<Date>,
    /// Date of the last change.
    pub updated: Option<Date>,
    /// Its authors.
    pub authors: Vec<String>,
    /// Terms per taxonomy (`page.taxonomies.tags`).
    pub taxonomies: BTreeMap<String, Vec<String>>,
    /// Free-form front matter values.
    pub extra: serde_json::Map<String, serde_json::Value>,
    /// Whether the body has highlighted code: link `asset('highlight.css')` then.
    pub highlighted: bool,
    /// The body's headings as a tree: `level`, `id`, `title`, `children`.
    pub toc: Vec<crate::content::toc::Heading>,
    /// The neighbour in its section with the lower sort value (older, lighter, earlier title).
    pub lower: Option<Value>,
    /// The neighbour in its section with the higher sort value.
    pub higher: Option<Value>,
    /// Its section's `title` and `path`; none outside a section.
    pub section: Option<Value>,
}

impl PageContext {
    /// The context of a Markdown page.
    pub fn of_page(page: &Page) -> PageContext {
        let fm = &page.front_matter;
        PageContext {
            title: fm.title.clone(),
            description: fm.description.clone(),
            path: page.route.clone(),
            content: Value::from_safe_string(page.html.clone()),
            summary: page.summary.clone().map(Value::from_safe_string),
            word_count: page.word_count,
            reading_time: page.reading_time(),
            weight: fm.weight,
            date: fm.date.clone(),
            updated: fm.updated.clone(),
            authors: fm.authors.clone(),
            taxonomies: fm.taxonomies.clone(),
            extra: fm.extra.clone(),
            highlighted: page.highlighted,
            toc: page.toc.clone(),
            lower: None,
            higher: None,
            section: None,
        }
    }

    /// The context of an output generated from a data item (its fields are `item.*`).
    pub fn of_item(route: Route, title: String, description: &str) -> PageContext {
        PageContext {
            title,
            description: description.to_owned(),
            path: route,
            content: Value::from_safe_string(String::new()),
            summary: None,
            word_count: 0,
            reading_time: 0,
            weight: 0,
            date: None,
            updated: None,
            authors: Vec::new(),
            taxonomies: BTreeMap::new(),
            extra: serde_json::Map::new(),
            highlighted: false,
            toc: Vec::new(),
            lower: None,
            higher: None,
            section: None,
        }
    }
}

/// One entry of `pages`, the site's navigation.
#[derive(Debug, Serialize)]
pub struct NavEntry<'a> {
    /// The page's title.
    pub title: &'a str,
    /// Its route.
    pub path: &'a str,
    /// Its weight (the order).
    pub weight: i64,
    /// Its description.
    pub description: &'a str,
}

/// The navigation: every page (not files such as `/404.html`), by weight then path.
pub fn nav(pages: &[Page]) -> Vec<NavEntry<'_>> {
    let mut nav: Vec<NavEntry<'_>> = pages
        .iter()
        .filter(|p| p.route.is_page())
        .map(|p| NavEntry {
            title: &p.front_matter.title,
            path: p.route.as_str(),
            weight: p.front_matter.weight,
            description: &p.front_matter.description,
        })
        .collect();
    nav.sort_by(|a, b| (a.weight, a.path).cmp(&(b.weight, b.path)));
    nav
}

/// The values every output's context shares, converted for minijinja once per build.
#[derive(Debug)]
pub struct Globals {
    site: Value,
    data: Value,
    pages: Value,
}

impl Globals {
    /// The shared values of a build.
    pub fn new(config: &SiteConfig, data: &Data<'_>, nav: &[NavEntry<'_>]) -> Globals {
        Globals {
            site: Value::from_serialize(config),
            data: Value::from_serialize(&data.tables),
            pages: Value::from_serialize(nav),
        }
    }

    /// The whole context of one output; `vars` are the variables only some outputs have
    /// (`section`, `paginator`, `taxonomy`, `term`, `terms`).
    pub fn context(
        &self,
        page: &PageContext,
        item: Option<&toml::Value>,
        vars: &BTreeMap<&'static str, Value>,
    ) -> Value {
        Value::from_serialize(RenderContext {
            site: &self.site,
            page,
            data: &self.data,
            pages: &self.pages,
            item,
            vars,
        })
    }
}

#[derive(Serialize)]
struct RenderContext<'a> {
    site: &'a Value,
    page: &'a PageContext,
    data: &'a Value,
    pages: &'a Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    item: Option<&'a toml::Value>,
    #[serde(flatten)]
    vars: &'a BTreeMap<&'static str, Value>,
}

/// Every page as templates see it in lists (`section.pages`, `paginator.pages`, neighbours,
/// terms), converted once per build and shared by every output that lists it.
pub fn page_values(pages: &[Page]) -> Vec<Value> {
    use rayon::prelude::*;
    pages
        .par_iter()
        .map(|p| Value::from_serialize(PageContext::of_page(p)))
        .collect()
}

/// `page.section`: the title and path of the section a page is in.
#[derive(Debug, Serialize)]
pub struct SectionRef<'a> {
    /// The section's title.
    pub title: &'a str,
    /// Its route.
    pub path: &'a str,
}

/// `section` in a section's template.
#[derive(Debug, Serialize)]
pub struct SectionContext<'a> {
    /// Its title.
    pub title: &'a str,
    /// Its description.
    pub description: &'a str,
    /// Its route.
    pub path: &'a str,
    /// The body of its `_index.md`, safe HTML.
    pub content: Value,
    /// Its front matter's `extra`.
    pub extra: &'a serde_json::Map<String, serde_json::Value>,
    /// Its pages in `sort_by` order.
    pub pages: Vec<Value>,
    /// Its subsections (`title`, `path`), by weight.
    pub subsections: Vec<SectionRef<'a>>,
}

/// `paginator`: one pager of a paginated list.
#[derive(Debug, Serialize)]
pub struct Paginator {
    /// Pages per pager.
    pub paginate_by: usize,
    /// The pagers' common start, e.g. `/blog/page/`.
    pub base_url: String,
    /// How many pagers.
    pub number_pagers: usize,
    /// This pager's number, from 1.
    pub current_index: usize,
    /// Route of the first pager (the section itself).
    pub first: String,
    /// Route of the last pager.
    pub last: String,
    /// Route of the previous pager; none on the first.
    pub previous: Option<String>,
    /// Route of the next pager; none on the last.
    pub next: Option<String>,
    /// This pager's pages.
    pub pages: Vec<Value>,
    /// How many pages in all pagers.
    pub total_pages: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_content_stays_safe_html_through_the_context() -> Result<(), minijinja::Error> {
        let page = PageContext::of_item(Route::root(), "<T>".into(), "");
        let page = PageContext {
            content: Value::from_safe_string("<p>hi</p>".into()),
            ..page
        };
        let globals = Globals {
            site: Value::from(()),
            data: Value::from(()),
            pages: Value::from(()),
        };
        let mut env = minijinja::Environment::new();
        env.add_template(
            "t.html",
            "{{ page.content }}{{ page.title }}{% if item is defined %}item{% endif %}",
        )?;
        let html =
            env.get_template("t.html")?
                .render(globals.context(&page, None, &BTreeMap::new()))?;
        assert_eq!(html, "<p>hi</p>&lt;T&gt;");
        Ok(())
    }
}
