//! Touchline's static site generator: Markdown pages and TOML data, rendered through minijinja
//! themes into a folder nginx serves as it is.
//!
//! The build is split the way the data flows, one job per module:
//!
//! - [`source`] reads the site from disk (the only module that reads files);
//! - [`config`] parses `site.toml`, [`content`] front matter and Markdown, [`data`] data files;
//! - [`templates`] compiles and runs the theme's minijinja templates, [`assets`] fingerprints
//!   its static files;
//! - [`site`] assembles every output in memory, step by step (parse, plan, render, collect,
//!   extras, check), with [`links`] for link extraction and resolution;
//! - [`output`] precompresses and publishes atomically ([`outdir`] refuses an output folder
//!   that would replace the sources), [`watch`] rebuilds on change, [`serve`] serves each
//!   build from memory as nginx would and reloads open pages;
//! - [`error`] is every problem, placed at the file, line and column to edit.
//!
//! What the generator promises the sidecar (routes, the manifest, asset names) lives in the
//! `contract` crate.

pub mod assets;
pub mod config;
pub mod content;
pub mod data;
pub mod error;
pub mod links;
pub mod outdir;
pub mod output;
pub mod serve;
pub mod site;
pub mod source;
pub mod templates;
pub mod watch;

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use indicatif::ProgressBar;

pub use error::{BuildError, BuildErrors};
use output::OutputState;
use site::{RenderCache, Site};
use source::Sources;

/// Builds one site again and again, keeping what a rebuild can reuse.
#[derive(Debug)]
pub struct Builder {
    root: PathBuf,
    renders: RenderCache,
    output: OutputState,
    precompress: bool,
}

/// What a build produced, for the one-line summary.
#[derive(Debug, Clone, Copy)]
pub struct Summary {
    /// Pages published.
    pub pages: usize,
    /// Outputs that come from templates.
    pub templated: usize,
    /// How many of those were rendered afresh in this build (the rest were unchanged).
    pub rendered: usize,
    /// Other files (assets, badges, sitemap...).
    pub files: usize,
    /// Fingerprinted assets among them.
    pub assets: usize,
    /// Bytes without precompressed copies.
    pub bytes: u64,
    /// Bytes with them.
    pub total_bytes: u64,
    /// Whether precompressed copies were written.
    pub precompressed: bool,
    /// Wall time.
    pub elapsed: Duration,
}

impl Builder {
    /// A builder for the site at `root`.
    pub fn new(root: impl Into<PathBuf>) -> Builder {
        Builder {
            root: root.into(),
            renders: RenderCache::default(),
            output: OutputState::default(),
            precompress: true,
        }
    }

    /// Whether text files get `.gz` and `.br` copies beside them (the default). Without them
    /// nginx compresses on the fly, or a CDN in front does.
    pub fn precompress(mut self, on: bool) -> Builder {
        self.precompress = on;
        self
    }

    /// The site's root folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Reads and renders everything, writing nothing: what `touchline check` runs.
    pub fn check(&mut self, progress: &ProgressBar) -> Result<Site, BuildErrors> {
        let start = Instant::now();
        let sources = Sources::read(&self.root)?;
        tracing::info!(
            elapsed_ms = start.elapsed().as_millis(),
            pages = sources.pages.len(),
            "read sources"
        );
        let start = Instant::now();
        let site = site::assemble(&sources, &mut self.renders, progress);
        tracing::info!(elapsed_ms = start.elapsed().as_millis(), "assembled site");
        site
    }

    /// A full build published to `out`; on any error `out` is left as it was.
    pub fn build(&mut self, out: &Path, progress: &ProgressBar) -> Result<Summary, BuildErrors> {
        let start = Instant::now();
        outdir::check(&self.root, out)?;
        let site = self.check(progress)?;
        let written = output::publish(&site, out, &mut self.output, self.precompress)?;
        Ok(Summary {
            pages: site.pages.len(),
            templated: site.templated,
            rendered: site.rendered,
            files: site.files.len() - site.pages.len() - 1,
            assets: site.assets,
            bytes: written.bytes,
            total_bytes: written.total_bytes,
            precompressed: self.precompress,
            elapsed: start.elapsed(),
        })
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} pages, {} other files ({} assets), {} of {} templated outputs rendered: {}",
            self.pages,
            self.files,
            self.assets,
            self.rendered,
            self.templated,
            human_bytes(self.bytes),
        )?;
        if self.precompressed {
            write!(f, " ({} with .gz/.br)", human_bytes(self.total_bytes))?;
        }
        write!(f, " in {} ms", self.elapsed.as_millis())
    }
}

fn human_bytes(n: u64) -> String {
    match n {
        n if n >= 1 << 20 => format!("{:.1} MiB", n as f64 / f64::from(1 << 20)),
        n if n >= 1 << 10 => format!("{:.1} KiB", n as f64 / f64::from(1 << 10)),
        n => format!("{n} B"),
    }
}
