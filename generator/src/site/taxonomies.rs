//! Step 1c of assembly: the terms of each taxonomy declared in `site.toml` and the pages of
//! each term (newest first, undated pages after them by title). A page using a taxonomy that
//! is not declared is an error, as in Zola.

use std::collections::BTreeMap;

use contract::Route;

use crate::config::TaxonomyConfig;
use crate::content::Page;
use crate::error::{BuildError, BuildErrors, Location, did_you_mean_among};

/// One taxonomy with its terms, by slug.
#[derive(Debug)]
pub struct Taxonomy<'a> {
    /// Its `[[taxonomies]]` table.
    pub config: &'a TaxonomyConfig,
    /// Its list page: `/tags`.
    pub route: Route,
    /// Its terms, by slug.
    pub terms: Vec<Term>,
}

/// One term of a taxonomy.
#[derive(Debug)]
pub struct Term {
    /// The name as the first page (by source path) wrote it.
    pub name: String,
    /// Its URL segment.
    pub slug: String,
    /// Its page: `/tags/rust`.
    pub route: Route,
    /// Its pages (indices into the page list), newest first.
    pub pages: Vec<usize>,
}

/// The term slug of a name, as Zola makes it (`Rust 2024` -> `rust-2024`).
pub fn slugify(name: &str) -> String {
    slug::slugify(name)
}

/// Every declared taxonomy with its terms; undeclared taxonomies and terms without a usable
/// slug are recorded in `errors`.
pub fn collect<'a>(
    pages: &[Page],
    declared: &'a [TaxonomyConfig],
    errors: &mut BuildErrors,
) -> Vec<Taxonomy<'a>> {
    let mut terms: Vec<BTreeMap<String, Term>> = declared.iter().map(|_| BTreeMap::new()).collect();
    let mut order: Vec<usize> = (0..pages.len()).collect();
    order.sort_by(|&a, &b| pages[a].rel.cmp(&pages[b].rel));
    for i in order {
        let page = &pages[i];
        for (name, names) in &page.front_matter.taxonomies {
            let Some(t) = declared.iter().position(|d| &d.name == name) else {
                errors.push(undeclared(page, name, declared));
                continue;
            };
            for term in names {
                let slug = slugify(term);
                let route = Route::parse(&format!("/{name}/{slug}"));
                let (false, Ok(route)) = (slug.is_empty(), route) else {
                    errors.push(BuildError::invalid(
                        Location::file(&page.source),
                        format!("{name} term `{term}` gives no URL segment"),
                    ));
                    continue;
                };
                let entry = terms[t].entry(slug.clone()).or_insert_with(|| Term {
                    name: term.clone(),
                    slug,
                    route,
                    pages: Vec::new(),
                });
                if entry.pages.last() != Some(&i) {
                    entry.pages.push(i);
                }
            }
        }
    }
    declared
        .iter()
        .zip(terms)
        .filter_map(|(config, terms)| {
            let route = Route::parse(&format!("/{}", config.name)).ok()?;
            let mut terms: Vec<Term> = terms.into_values().collect();
            for term in &mut terms {
                term.pages
                    .sort_by(|&a, &b| newest_first(&pages[a], &pages[b]));
            }
            Some(Taxonomy {
                config,
                route,
                terms,
            })
        })
        .collect()
}

/// Dated pages newest first, then undated ones by title; ties by route.
pub fn newest_first(a: &Page, b: &Page) -> std::cmp::Ordering {
    let at = |p: &Page| p.front_matter.date.as_ref().map(|d| d.timestamp());
    match (at(a), at(b)) {
        (Some(x), Some(y)) => y.cmp(&x),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.front_matter.title.cmp(&b.front_matter.title),
    }
    .then_with(|| a.route.cmp(&b.route))
}

fn undeclared(page: &Page, name: &str, declared: &[TaxonomyConfig]) -> BuildError {
    let error = BuildError::invalid(
        Location::file(&page.source),
        format!("taxonomy `{name}` is not declared in site.toml"),
    );
    match did_you_mean_among(name, declared.iter().map(|d| d.name.as_str())) {
        Some(near) => error.with_help(format!("did you mean `{near}`?")),
        None => error.with_help(format!(
            "declare it in site.toml:\n[[taxonomies]]\nname = \"{name}\""
        )),
    }
}
