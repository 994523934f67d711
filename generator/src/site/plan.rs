//! Step 2 of assembly: what to render, one job per Markdown page and per `[[generate]]` item.

use contract::Route;

use crate::config::Generator;
use crate::content::Page;
use crate::data::{self, FillError};
use crate::error::{BuildError, BuildErrors, Location, did_you_mean_among};
use crate::site::context::PageContext;
use crate::site::parse::Parsed;
use crate::source::Sources;

/// One output to render with a template.
#[derive(Debug)]
pub struct Job<'a> {
    /// Where it is published.
    pub route: Route,
    /// The template that renders it.
    pub template: &'a str,
    /// Where it comes from: the place errors about the output point at.
    pub at: Location,
    /// Hash of everything specific to this output: an unchanged key reuses the last render.
    pub key: blake3::Hash,
    /// `page` in the template.
    pub page: PageContext,
    /// `item` in the template, for generated outputs.
    pub item: Option<&'a toml::Value>,
}

/// Every job of the build; problems (unknown templates, bad items) are recorded in `errors`.
pub fn plan<'a>(
    parsed: &'a Parsed<'a>,
    sources: &'a Sources,
    errors: &mut BuildErrors,
) -> Vec<Job<'a>> {
    let mut jobs: Vec<Job<'a>> = parsed
        .pages
        .iter()
        .filter_map(|page| errors.keep(page_job(page, parsed)))
        .collect();
    for generator in &sources.config.generators {
        jobs.extend(item_jobs(generator, parsed, sources, errors));
    }
    jobs
}

fn page_job<'a>(page: &'a Page, parsed: &Parsed<'_>) -> Result<Job<'a>, BuildError> {
    let template = page.template();
    if !parsed.renderer.has(template) {
        return Err(unknown_template(page.template_at.clone(), template, parsed));
    }
    Ok(Job {
        route: page.route.clone(),
        template,
        at: Location::file(&page.source),
        key: page.source_hash,
        page: PageContext::of_page(page),
        item: None,
    })
}

fn unknown_template(at: Location, name: &str, parsed: &Parsed<'_>) -> BuildError {
    let error = BuildError::invalid(
        at,
        format!("unknown template `{name}` (not in the theme's templates/ folder)"),
    );
    match did_you_mean_among(name, parsed.renderer.names()) {
        Some(near) => error.with_help(format!("did you mean `{near}`?")),
        None => error,
    }
}

/// The jobs of one `[[generate]]` entry: one per item of its data array.
fn item_jobs<'a>(
    generator: &'a Generator,
    parsed: &'a Parsed<'a>,
    sources: &'a Sources,
    errors: &mut BuildErrors,
) -> Vec<Job<'a>> {
    let in_config = |span: std::ops::Range<usize>| {
        Location::span(&sources.config_file.path, &sources.config_text, span)
    };
    let template = generator.template.get_ref();
    if !parsed.renderer.has(template) {
        errors.push(unknown_template(
            in_config(generator.template.span()),
            template,
            parsed,
        ));
        return Vec::new();
    }
    let (file, key) = (generator.data.get_ref(), generator.items.get_ref());
    let items = match parsed.data.items(file, key) {
        Ok(items) => items,
        Err(e) => {
            let at = match e {
                data::ItemsError::NoFile(_) => generator.data.span(),
                _ => generator.items.span(),
            };
            let error = BuildError::invalid(in_config(at), format!("[[generate]]: {e}"));
            errors.push(match did_you_mean_among(file, parsed.data.stems()) {
                Some(near) if matches!(e, data::ItemsError::NoFile(_)) => {
                    error.with_help(format!("did you mean `{near}`?"))
                }
                _ => error,
            });
            return Vec::new();
        }
    };
    let mut jobs = Vec::with_capacity(items.len());
    let locations = parsed.data.item_locations(file, key);
    for (index, item) in items.iter().enumerate() {
        let item_at = |field: Option<&str>| parsed.data.locate(file, key, index, field);
        let made = item_route(generator, items, item, &item_at, &in_config).and_then(|route| {
            let title = match &generator.title {
                Some(t) => data::fill(t.get_ref(), item)
                    .map_err(|e| fill_fault(e, in_config(t.span()), items, &item_at))?,
                None => String::new(),
            };
            Ok((route, title))
        });
        let (route, title) = match made {
            Ok(made) => made,
            Err(Fault::Item(e)) => {
                errors.push(e);
                continue;
            }
            // The same for every item: once is enough.
            Err(Fault::Pattern(e)) => {
                errors.push(e);
                break;
            }
        };
        jobs.push(Job {
            page: PageContext::of_item(route.clone(), title, &sources.config.description),
            route,
            template,
            at: locations
                .get(index)
                .cloned()
                .unwrap_or_else(|| item_at(None)),
            key: blake3::hash(format!("{template}\0{item}").as_bytes()),
            item: Some(item),
        });
    }
    jobs
}

/// What is wrong with a `[[generate]]` output: its pattern (the same for every item) or one
/// item's values.
enum Fault {
    Pattern(BuildError),
    Item(BuildError),
}

/// The route of one item: the pattern filled, then checked. A bad route is the pattern's
/// fault when the pattern itself is no route, else the item value's.
fn item_route(
    generator: &Generator,
    items: &[toml::Value],
    item: &toml::Value,
    item_at: &dyn Fn(Option<&str>) -> Location,
    in_config: &dyn Fn(std::ops::Range<usize>) -> Location,
) -> Result<Route, Fault> {
    let pattern = generator.path.get_ref();
    let pattern_at = || in_config(generator.path.span());
    let path =
        data::fill(pattern, item).map_err(|e| fill_fault(e, pattern_at(), items, item_at))?;
    Route::parse(&path).map_err(|e| {
        let fields = data::fields(pattern);
        let sample = fields
            .iter()
            .fold(pattern.clone(), |p, f| p.replace(&format!("{{{f}}}"), "x"));
        match (Route::parse(&sample), fields.first()) {
            (Ok(_), Some(field)) => Fault::Item(BuildError::invalid(
                item_at(Some(field)),
                format!("`{field}` makes the route `{path}` (from [[generate]] path `{pattern}` at {}): {e}", pattern_at()),
            )),
            _ => Fault::Pattern(BuildError::invalid(
                pattern_at(),
                format!("[[generate]] path `{pattern}`: {e}"),
            )),
        }
    })
}

fn fill_fault(
    e: FillError,
    pattern_at: Location,
    items: &[toml::Value],
    item_at: &dyn Fn(Option<&str>) -> Location,
) -> Fault {
    match e {
        FillError::NotScalar(field) => Fault::Item(BuildError::invalid(
            item_at(Some(&field)),
            format!(
                "`{field}` is used in a [[generate]] pattern at {pattern_at} but is not a string or an integer"
            ),
        )),
        FillError::NoField(field) if items.iter().any(|i| i.get(&field).is_some()) => {
            Fault::Item(BuildError::invalid(
                item_at(None),
                format!(
                    "this item has no field `{field}`, which the [[generate]] pattern at {pattern_at} uses"
                ),
            ))
        }
        FillError::NoField(field) => {
            let keys = items.first().and_then(toml::Value::as_table);
            let near = keys.and_then(|t| did_you_mean_among(&field, t.keys().map(String::as_str)));
            let error = BuildError::invalid(
                pattern_at,
                format!("[[generate]]: no item has a field `{field}`"),
            );
            Fault::Pattern(match near {
                Some(near) => error.with_help(format!("did you mean `{{{near}}}`?")),
                None => error,
            })
        }
        e @ FillError::Unclosed(_) => Fault::Pattern(BuildError::invalid(
            pattern_at,
            format!("[[generate]]: {e}"),
        )),
    }
}
