//! Step 1 of assembly: parse every source (pages, data, templates, assets), reporting every
//! problem at once.

use std::sync::Arc;

use rayon::prelude::*;

use crate::assets::AssetMap;
use crate::content::{self, Page};
use crate::data::Data;
use crate::error::BuildErrors;
use crate::site::page_cache::{self, PageCache};
use crate::source::Sources;
use crate::templates::Renderer;

/// The sources, parsed: what planning and rendering work from.
#[derive(Debug)]
pub struct Parsed<'a> {
    /// Pages to publish (drafts are parsed and checked, then left out).
    pub pages: Vec<Page>,
    /// Data files.
    pub data: Data<'a>,
    /// The theme's templates, compiled.
    pub renderer: Renderer,
    /// The theme's static files, fingerprinted.
    pub assets: Arc<AssetMap>,
}

/// Parses everything. Without data or templates nothing can be rendered, and rendering
/// without them would only add errors with the same cause: then `None`, with the causes in
/// `errors` (page problems too, so one run reports all).
pub fn parse<'a>(
    sources: &'a Sources,
    cache: &mut PageCache,
    errors: &mut BuildErrors,
) -> Option<Parsed<'a>> {
    let highlight = sources.config.markdown.highlight_code;
    let description = &sources.config.description;
    let keyed: Vec<_> = sources
        .pages
        .par_iter()
        .map(|f| {
            let key = page_cache::key(f, description, highlight);
            let page = match cache.get(f, key) {
                Some(page) => Ok(page),
                None => content::parse_page(f, description, highlight),
            };
            (key, page)
        })
        .collect();
    cache.replace(
        sources
            .pages
            .iter()
            .zip(&keyed)
            .filter_map(|(f, (key, page))| {
                Some((f.path.clone(), (*key, page.as_ref().ok()?.clone())))
            })
            .collect(),
    );
    let pages: Vec<_> = keyed.into_iter().map(|(_, page)| page).collect();
    // The build's `highlight.css` exists only when some page has highlighted code.
    let mut assets = AssetMap::new(&sources.statics);
    if pages
        .iter()
        .any(|p| p.as_ref().is_ok_and(|p| p.highlighted))
    {
        assets.add_generated("highlight.css", content::highlight::css().into_bytes());
    }
    let assets = Arc::new(assets);
    let data = Data::parse(&sources.data);
    let renderer = Renderer::new(
        &sources.templates_dir,
        &sources.templates,
        Arc::clone(&assets),
    );
    let data = errors.keep_all(data);
    let renderer = errors.keep_all(renderer);
    let pages = pages
        .into_iter()
        .filter_map(|p| errors.keep(p))
        .filter(|p| !p.front_matter.draft)
        .collect();
    Some(Parsed {
        pages,
        data: data?,
        renderer: renderer?,
        assets,
    })
}
