//! Site assembly: turns the sources into the complete set of output files, in memory.
//! Pure apart from the parallelism: no file is read or written here.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use indicatif::ProgressBar;
use minijinja::Value;
use rayon::prelude::*;
use serde::Serialize;

use crate::assets::{self, AssetMap};
use crate::content::{self, Page};
use crate::data;
use crate::error::{BuildError, BuildErrors};
use crate::links::{self, Target};
use crate::render::Renderer;
use crate::source::Sources;
use contract::Route;

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

/// Rendered pages kept between builds, so that `watch` re-renders only what a change affects.
#[derive(Debug, Default)]
pub struct RenderCache {
    global: Option<blake3::Hash>,
    pages: HashMap<Route, (blake3::Hash, Arc<Vec<u8>>)>,
}

/// One thing to render: a Markdown page or a data item.
struct Job<'a> {
    route: Route,
    template: String,
    source: PathBuf,
    key: blake3::Hash,
    page: Value,
    item: Option<&'a toml::Value>,
}

/// A job's output: fresh or from the cache (`true` when rendered now).
struct Rendered<'a> {
    job: &'a Job<'a>,
    result: Result<(Arc<Vec<u8>>, bool), BuildError>,
}

#[derive(Serialize)]
struct NavEntry<'a> {
    title: &'a str,
    path: &'a str,
    weight: i64,
    description: &'a str,
}

/// Builds the whole site in memory, reusing `cache` where nothing a page depends on changed.
pub fn assemble(
    sources: &Sources,
    cache: &mut RenderCache,
    progress: &ProgressBar,
) -> Result<Site, BuildErrors> {
    let config = &sources.config;
    let assets = Arc::new(AssetMap::new(&sources.statics));
    // Parse everything first and report all problems together.
    let data = data::parse(&sources.data);
    let renderer = Renderer::new(
        &sources.templates_dir,
        &sources.templates,
        Arc::clone(&assets),
    );
    let pages: Vec<Result<Page, BuildError>> = sources
        .pages
        .par_iter()
        .map(|f| content::parse_page(f, &config.description))
        .collect();
    let mut errors = BuildErrors::default();
    let data = data.unwrap_or_else(|e| {
        errors.0.extend(e.0);
        data::Data::new()
    });
    let renderer = match renderer {
        Ok(r) => Some(r),
        Err(e) => {
            errors.0.extend(e.0);
            None
        }
    };
    let pages: Vec<Page> = pages
        .into_iter()
        .filter_map(|p| p.map_err(|e| errors.0.push(e)).ok())
        .filter(|p| !p.front_matter.draft)
        .collect();
    let Some(renderer) = renderer else {
        return Err(errors);
    };

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
    let nav_json = serde_json::to_vec(&nav).unwrap_or_default();

    let mut jobs: Vec<Job<'_>> = Vec::new();
    for page in &pages {
        match &page.front_matter.template {
            Some(t) if !renderer.has(t) => errors.0.push(BuildError::invalid(
                &page.source,
                page.template_line,
                format!("unknown template `{t}` (not in the theme's templates/ folder)"),
            )),
            _ => jobs.push(Job {
                route: page.route.clone(),
                template: page.template().to_owned(),
                source: page.source.clone(),
                key: page.source_hash,
                page: page.context(),
                item: None,
            }),
        }
    }
    for generator in &config.generators {
        if !renderer.has(&generator.template) {
            errors.0.push(BuildError::invalid(
                &sources.config_file.path,
                1,
                format!("[[generate]]: unknown template `{}`", generator.template),
            ));
            continue;
        }
        let items = match data::items(&data, &generator.data, &generator.items) {
            Ok(items) => items,
            Err(message) => {
                errors.0.push(BuildError::invalid(
                    &sources.config_file.path,
                    1,
                    format!("[[generate]]: {message}"),
                ));
                continue;
            }
        };
        for item in items {
            let made = data::fill(&generator.path, item)
                .and_then(|p| Route::parse(&p).map_err(|e| format!("path `{p}`: {e}")))
                .and_then(|route| {
                    let title = match &generator.title {
                        Some(t) => data::fill(t, item)?,
                        None => String::new(),
                    };
                    Ok((route, title))
                });
            let (route, title) = match made {
                Ok(v) => v,
                Err(message) => {
                    errors.0.push(BuildError::invalid(
                        &sources.config_file.path,
                        1,
                        format!("[[generate]] {}: {message}", generator.path),
                    ));
                    continue;
                }
            };
            let key = blake3::hash(format!("{}\0{item}", generator.template).as_bytes());
            jobs.push(Job {
                page: minijinja::context! {
                    title => title,
                    description => config.description,
                    path => route.as_str(),
                    content => Value::from_safe_string(String::new()),
                    weight => 0,
                    date => Value::from(()),
                    extra => Value::from_serialize(serde_json::Map::new()),
                },
                route,
                template: generator.template.clone(),
                source: sources.config_file.path.clone(),
                key,
                item: Some(item),
            });
        }
    }

    let global = global_hash(sources, &nav_json);
    if cache.global != Some(global) {
        cache.pages.clear();
        cache.global = Some(global);
    }
    let site_value = Value::from_serialize(config);
    let data_value = Value::from_serialize(&data);
    let nav_value = Value::from_serialize(&nav);
    progress.set_length(jobs.len() as u64);
    let rendered: Vec<Rendered<'_>> = jobs
        .par_iter()
        .map(|job| {
            let cached = cache
                .pages
                .get(&job.route)
                .filter(|(key, _)| *key == job.key)
                .map(|(_, bytes)| (Arc::clone(bytes), false));
            let result = cached.map_or_else(
                || {
                    let ctx = minijinja::context! {
                        site => site_value.clone(),
                        page => job.page.clone(),
                        data => data_value.clone(),
                        pages => nav_value.clone(),
                        ..job.item.map_or_else(|| minijinja::context! {}, |i| minijinja::context! { item => Value::from_serialize(i) })
                    };
                    renderer
                        .render(&job.template, ctx, job.route.as_str())
                        .map(|html| (Arc::new(html.into_bytes()), true))
                },
                Ok,
            );
            progress.inc(1);
            Rendered { job, result }
        })
        .collect();

    let mut site = Site {
        assets: assets.len(),
        templated: jobs.len(),
        ..Site::default()
    };
    let mut owners: BTreeMap<PathBuf, PathBuf> = BTreeMap::new();
    let mut claim = |site: &mut Site,
                     errors: &mut BuildErrors,
                     out: PathBuf,
                     source: &Path,
                     bytes: Arc<Vec<u8>>| {
        if let Some(other) = owners.get(&out) {
            errors.0.push(BuildError::Conflict {
                path: source.to_owned(),
                output: out.display().to_string(),
                other: other.display().to_string(),
            });
        } else {
            owners.insert(out.clone(), source.to_owned());
            site.files.insert(out, bytes);
        }
    };
    let mut fresh = HashMap::new();
    for Rendered { job, result } in rendered {
        match result {
            Ok((bytes, was_rendered)) => {
                site.rendered += usize::from(was_rendered);
                fresh.insert(job.route.clone(), (job.key, Arc::clone(&bytes)));
                if job.route.is_page() {
                    site.pages.push(job.route.clone());
                }
                claim(
                    &mut site,
                    &mut errors,
                    job.route.output_file(),
                    &job.source,
                    bytes,
                );
            }
            Err(e) => errors.0.push(e),
        }
    }
    cache.pages = fresh;
    for file in &sources.files {
        claim(
            &mut site,
            &mut errors,
            file.rel.clone(),
            &file.path,
            Arc::new(file.bytes.clone()),
        );
    }
    for (out, asset) in assets.outputs() {
        claim(
            &mut site,
            &mut errors,
            out,
            Path::new(assets::PREFIX),
            Arc::clone(&asset.bytes),
        );
    }
    site.pages.sort();
    let generated = [
        ("sitemap.xml", sitemap(&config.base_url, &site.pages)),
        ("robots.txt", robots(&config.base_url)),
    ];
    for (name, bytes) in generated {
        claim(
            &mut site,
            &mut errors,
            PathBuf::from(name),
            Path::new("(generated)"),
            Arc::new(bytes),
        );
    }
    let manifest = manifest(&site);
    claim(
        &mut site,
        &mut errors,
        PathBuf::from(contract::manifest::FILE_NAME),
        Path::new("(generated)"),
        Arc::new(manifest),
    );

    // A page that failed to render would show up as a broken link too: report the cause only.
    if errors.is_empty() {
        errors.0.extend(check_links(&site));
    }
    errors.into_result().map(|()| site)
}

fn global_hash(sources: &Sources, nav_json: &[u8]) -> blake3::Hash {
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
    h.update(nav_json);
    h.finalize()
}

/// `sitemap.xml` listing every page route under the base URL.
pub fn sitemap(base_url: &str, pages: &[Route]) -> Vec<u8> {
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for route in pages {
        xml.push_str(&format!(
            "  <url><loc>{}{}</loc></url>\n",
            xml_escape(base_url),
            xml_escape(route.as_str())
        ));
    }
    xml.push_str("</urlset>\n");
    xml.into_bytes()
}

/// `robots.txt` allowing everything and naming the sitemap.
pub fn robots(base_url: &str) -> Vec<u8> {
    format!("User-agent: *\nAllow: /\n\nSitemap: {base_url}/sitemap.xml\n").into_bytes()
}

/// The route manifest: every page, and every other file but the fingerprinted assets (one
/// label for all of them) and the pages' own `index.html` files.
fn manifest(site: &Site) -> Vec<u8> {
    let files = site
        .files
        .keys()
        .map(|p| format!("/{}", p.to_string_lossy().replace('\\', "/")))
        .filter(|url| {
            !url.starts_with(assets::PREFIX)
                && !url.ends_with("/index.html")
                && url != "/index.html"
        })
        .filter_map(|url| Route::parse(&url).ok())
        .collect();
    contract::Manifest::new(site.pages.clone(), files).to_json()
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Checks every internal link of every HTML and SVG output.
fn check_links(site: &Site) -> Vec<BuildError> {
    site.files
        .par_iter()
        .filter(|(path, _)| path.extension().is_some_and(|e| e == "html" || e == "svg"))
        .flat_map_iter(|(path, bytes)| {
            let page = path.to_string_lossy().replace('\\', "/");
            let text = String::from_utf8_lossy(bytes);
            let mut found = links::extract(&text);
            found.sort();
            found.dedup();
            found
                .into_iter()
                .filter_map(|link| match links::resolve(&page, &link) {
                    Target::External => None,
                    Target::Escapes => Some(BuildError::Escape {
                        path: PathBuf::from(&page),
                        target: link,
                    }),
                    Target::Internal(url) if links::exists(&site.files, &url) => None,
                    Target::Internal(_) => Some(BuildError::BrokenLink {
                        page: page.clone(),
                        target: link,
                    }),
                })
                .collect::<Vec<_>>()
        })
        .collect()
}
