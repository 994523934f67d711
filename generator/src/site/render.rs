//! Step 3 of assembly: render every job in parallel, reusing the last build's output of a job
//! whose inputs did not change (what makes `watch` re-render only what an edit affects).

use std::collections::HashMap;
use std::sync::Arc;

use contract::Route;
use indicatif::ProgressBar;
use rayon::prelude::*;

use crate::error::BuildError;
use crate::site::context::{Globals, NavEntry};
use crate::site::plan::Job;
use crate::source::Sources;
use crate::templates::Renderer;

/// Rendered outputs kept between builds, by route, with the key of the job that made them.
#[derive(Debug, Default)]
pub struct RenderCache {
    global: Option<blake3::Hash>,
    /// Parsed pages, reused when their source did not change.
    pub pages: crate::site::page_cache::PageCache,
    outputs: HashMap<Route, (blake3::Hash, Arc<Vec<u8>>)>,
}

/// One job's output.
#[derive(Debug)]
pub struct Rendered<'a> {
    /// The job.
    pub job: &'a Job<'a>,
    /// Its bytes, or why it could not be rendered.
    pub result: Result<Arc<Vec<u8>>, BuildError>,
    /// Whether it was rendered in this build (not taken from the cache).
    pub fresh: bool,
}

impl RenderCache {
    /// Forgets every output when anything all outputs depend on has changed.
    pub fn invalidate_unless(&mut self, global: blake3::Hash) {
        if self.global != Some(global) {
            self.outputs.clear();
            self.global = Some(global);
        }
    }

    fn get(&self, job: &Job<'_>) -> Option<Arc<Vec<u8>>> {
        self.outputs
            .get(&job.route)
            .filter(|(key, _)| *key == job.key)
            .map(|(_, bytes)| Arc::clone(bytes))
    }

    /// Keeps exactly this build's outputs for the next one.
    pub fn replace(&mut self, rendered: &[Rendered<'_>]) {
        self.outputs = rendered
            .iter()
            .filter_map(|r| {
                let bytes = r.result.as_ref().ok()?;
                Some((r.job.route.clone(), (r.job.key, Arc::clone(bytes))))
            })
            .collect();
    }
}

/// Renders every job (or takes it from the cache), on every core.
pub fn render<'a>(
    jobs: &'a [Job<'a>],
    renderer: &Renderer,
    globals: &Globals,
    cache: &RenderCache,
    progress: &ProgressBar,
) -> Vec<Rendered<'a>> {
    progress.set_length(jobs.len() as u64);
    jobs.par_iter()
        .map(|job| {
            let cached = cache.get(job);
            let fresh = cached.is_none();
            let result = cached.map_or_else(
                || {
                    let ctx = globals.context(&job.page, job.item, &job.vars);
                    renderer
                        .render(job.template, ctx, job.route.as_str())
                        .map(|html| Arc::new(html.into_bytes()))
                },
                Ok,
            );
            progress.inc(1);
            Rendered { job, result, fresh }
        })
        .collect()
}

/// Hash of what every output may depend on: config, templates, data, assets, navigation.
pub fn global_hash(sources: &Sources, nav: &[NavEntry<'_>]) -> blake3::Hash {
    let mut h = blake3::Hasher::new();
    h.update(&sources.config_file.bytes);
    for f in sources
        .templates
        .iter()
        .chain(&sources.data)
        .chain(&sources.statics)
    {
        h.update(f.rel.to_string_lossy().as_bytes());
        h.update(&(f.bytes.len() as u64).to_le_bytes());
        h.update(&f.bytes);
    }
    for entry in nav {
        for field in [entry.title, entry.path, entry.description] {
            h.update(&(field.len() as u64).to_le_bytes());
            h.update(field.as_bytes());
        }
        h.update(&entry.weight.to_le_bytes());
    }
    h.finalize()
}
