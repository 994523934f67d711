//! Site assembly: turns the sources into the complete set of output files, in memory, in named
//! steps with the data flowing between them as types:
//! [`parse`] -> [`plan`] (jobs) -> [`render`] (bytes) -> [`collect`] (claimed outputs) ->
//! [`aliases`] (redirects) -> [`extras`] (sitemap, robots, manifest) -> [`check`] (links). [`context`] is what templates
//! see. Pure apart from the parallelism: no file is read or written here.

pub mod aliases;
pub mod check;
pub mod collect;
pub mod context;
pub mod extras;
pub mod page_cache;
pub mod parse;
pub mod plan;
pub mod render;
pub mod sections;
pub mod taxonomies;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use contract::Route;
use indicatif::ProgressBar;

use crate::error::BuildErrors;
use crate::source::Sources;
use collect::Outputs;
use context::Globals;
pub use render::RenderCache;

/// A built site: every output file's bytes by its path relative to the output folder.
#[derive(Debug, Default)]
pub struct Site {
    /// Output files (pages, files, assets, sitemap, manifest), without precompressed copies.
    pub files: BTreeMap<PathBuf, Arc<Vec<u8>>>,
    /// Routes served as pages.
    pub pages: Vec<Route>,
    /// How many fingerprinted assets.
    pub assets: usize,
    /// How many outputs come from templates (pages, generated items).
    pub templated: usize,
    /// How many of those were rendered afresh (the rest came from the cache).
    pub rendered: usize,
}

/// Builds the whole site in memory, reusing `cache` where nothing an output depends on changed.
pub fn assemble(
    sources: &Sources,
    cache: &mut RenderCache,
    progress: &ProgressBar,
) -> Result<Site, BuildErrors> {
    let mut errors = BuildErrors::default();
    let Some(parsed) = parse::parse(sources, &mut cache.pages, &mut errors) else {
        return Err(errors);
    };
    let tree = sections::Tree::build(&parsed.pages);
    let taxonomies = taxonomies::collect(&parsed.pages, &sources.config.taxonomies, &mut errors);
    let values = context::page_values(&parsed.pages);
    let structure = plan::Structure {
        tree: &tree,
        taxonomies: &taxonomies,
        values: &values,
    };
    let plan::Plan { jobs, redirects } = plan::plan(&parsed, sources, &structure, &mut errors);
    let nav = context::nav(&parsed.pages);
    let globals = Globals::new(&sources.config, &parsed.data, &nav);
    cache.invalidate_unless(render::global_hash(sources, &nav));
    let rendered = render::render(&jobs, &parsed.renderer, &globals, cache, progress);
    cache.replace(&rendered);

    let mut outputs = Outputs::default();
    let mut site = Site {
        assets: parsed.assets.len(),
        templated: jobs.len(),
        ..Site::default()
    };
    for r in rendered {
        site.rendered += usize::from(r.fresh);
        if let Some(route) = outputs.claim_rendered(r, &mut errors) {
            site.pages.push(route);
        }
    }
    outputs.claim_files(&sources.files, &mut errors);
    outputs.claim_assets(&parsed.assets, &mut errors);
    let redirects = aliases::add(&parsed.pages, redirects, &mut outputs, &mut errors);
    site.pages.sort();
    let moved: Vec<Route> = redirects
        .into_iter()
        .map(|r| r.from)
        .filter(Route::is_page)
        .collect();
    extras::add(
        &mut outputs,
        &sources.config.base_url,
        &site.pages,
        &moved,
        &mut errors,
    );
    // A page that failed to render would show up as a broken link too: report the cause only.
    if errors.is_empty() {
        errors.0.extend(check::links(&outputs, sources));
    }
    errors.into_result()?;
    site.files = outputs.files;
    Ok(site)
}
