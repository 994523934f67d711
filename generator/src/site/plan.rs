//! Step 2 of assembly: what to render, one job per Markdown page and per `[[generate]]` item.

use std::collections::BTreeMap;

use contract::Route;
use minijinja::Value;

use crate::config::Generator;
use crate::content::Page;
use crate::data::{self, FillError};
use crate::error::{BuildError, BuildErrors, Location, did_you_mean_among};
use crate::site::aliases::{self, Planned, Redirect};
use crate::site::context::{PageContext, Paginator, SectionContext, SectionRef};
use crate::site::parse::Parsed;
use crate::site::sections::Tree;
use crate::site::taxonomies::{Taxonomy, Term};
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
    /// Variables only some outputs have: `section`, `paginator`, `taxonomy`, `term`, `terms`.
    pub vars: BTreeMap<&'static str, Value>,
}

/// What planning needs beyond the pages: the sections, the taxonomies' terms and every page
/// as templates see it in lists.
#[derive(Debug)]
pub struct Structure<'a> {
    /// The sections.
    pub tree: &'a Tree,
    /// The declared taxonomies with their terms.
    pub taxonomies: &'a [Taxonomy<'a>],
    /// Each page's list value (see `context::page_values`).
    pub values: &'a [Value],
}

/// The jobs of a build and the redirects its sections make.
#[derive(Debug)]
pub struct Plan<'a> {
    /// One per output rendered with a template.
    pub jobs: Vec<Job<'a>>,
    /// Section `redirect_to`s and first pagers' `/page/1`.
    pub redirects: Vec<Planned>,
}

/// Every job of the build; problems (unknown templates, bad items) are recorded in `errors`.
pub fn plan<'a>(
    parsed: &'a Parsed<'a>,
    sources: &'a Sources,
    structure: &Structure<'_>,
    errors: &mut BuildErrors,
) -> Plan<'a> {
    let refs = section_refs(structure.tree, &parsed.pages);
    let mut plan = Plan {
        jobs: Vec::with_capacity(parsed.pages.len()),
        redirects: Vec::new(),
    };
    for (i, page) in parsed.pages.iter().enumerate() {
        match structure.tree.own_section[i] {
            Some(s) => {
                let made = section_jobs(page, s, parsed, structure, &refs, &mut plan);
                errors.keep(made);
            }
            None => {
                if let Some(job) = errors.keep(page_job(i, page, parsed, structure, &refs)) {
                    plan.jobs.push(job);
                }
            }
        }
    }
    for taxonomy in structure.taxonomies {
        taxonomy_jobs(taxonomy, parsed, sources, structure, &mut plan, errors);
    }
    for generator in &sources.config.generators {
        plan.jobs
            .extend(item_jobs(generator, parsed, sources, errors));
    }
    plan
}

/// `page.section` of every section, by section.
fn section_refs(tree: &Tree, pages: &[Page]) -> Vec<Value> {
    tree.sections
        .iter()
        .map(|s| {
            let (title, path) = match s.index {
                Some(i) => (
                    pages[i].front_matter.title.as_str(),
                    pages[i].route.as_str(),
                ),
                None => ("", "/"),
            };
            Value::from_serialize(SectionRef { title, path })
        })
        .collect()
}

fn page_job<'a>(
    i: usize,
    page: &'a Page,
    parsed: &'a Parsed<'a>,
    structure: &Structure<'_>,
    refs: &[Value],
) -> Result<Job<'a>, BuildError> {
    let tree = structure.tree;
    let wanted = match (&page.front_matter.template, tree.page_template(i)) {
        (Some(t), _) => t.as_str(),
        (None, Some(t)) => t,
        (None, None) => page.template(),
    };
    let Some(template) = known(parsed, wanted) else {
        let at = match (&page.front_matter.template, tree.section_of[i]) {
            (None, Some(s)) => tree.sections[s].index.map_or_else(
                || page.template_at.clone(),
                |x| parsed.pages[x].template_at.clone(),
            ),
            _ => page.template_at.clone(),
        };
        return Err(unknown_template(at, wanted, parsed));
    };
    let mut key = blake3::Hasher::new();
    key.update(page.source_hash.as_bytes());
    key.update(template.as_bytes());
    let mut context = PageContext::of_page(page);
    for (slot, neighbour) in [
        (&mut context.lower, tree.lower[i]),
        (&mut context.higher, tree.higher[i]),
    ] {
        key.update(&[u8::from(neighbour.is_some())]);
        if let Some(n) = neighbour {
            key.update(parsed.pages[n].source_hash.as_bytes());
            *slot = Some(structure.values[n].clone());
        }
    }
    if let Some(s) = tree.section_of[i] {
        if let Some(x) = tree.sections[s].index {
            key.update(parsed.pages[x].source_hash.as_bytes());
        }
        context.section = Some(refs[s].clone());
    }
    Ok(Job {
        route: page.route.clone(),
        template,
        at: Location::file(&page.source),
        key: key.finalize(),
        page: context,
        item: None,
        vars: BTreeMap::new(),
    })
}

/// The theme's name for a template, if it has one of that name.
fn known<'a>(parsed: &'a Parsed<'a>, name: &str) -> Option<&'a str> {
    // Asked first: searching the names for one the theme lacks does not end (minijinja's
    // template iterator with the loader feature).
    if !parsed.renderer.has(name) {
        return None;
    }
    parsed.renderer.names().find(|t| *t == name)
}

/// A section's template: its own, else `index.html` for the root and `section.html` (or
/// `page.html` in a theme without one) for the others.
fn section_template<'a>(page: &'a Page, parsed: &Parsed<'_>) -> &'a str {
    match page.template() {
        "section.html" if !parsed.renderer.has("section.html") => "page.html",
        t => t,
    }
}

/// The jobs of a section's own page: one per pager (one in all without `paginate_by`), or
/// none with `render = false` or a `redirect_to`.
fn section_jobs<'a>(
    page: &'a Page,
    s: usize,
    parsed: &'a Parsed<'a>,
    structure: &Structure<'_>,
    refs: &[Value],
    plan: &mut Plan<'a>,
) -> Result<(), BuildError> {
    let section = &structure.tree.sections[s];
    let meta = &section.meta;
    if let Some(target) = &meta.redirect_to {
        let at = Location::file(&page.source);
        let to = aliases::parse_target(target).map_err(|why| {
            BuildError::invalid(at.clone(), format!("redirect_to `{target}`: {why}"))
        })?;
        plan.redirects.push(Planned {
            redirect: Redirect {
                from: page.route.clone(),
                to,
            },
            at,
        });
        return Ok(());
    }
    if !meta.render {
        return Ok(());
    }
    let template = section_template(page, parsed);
    if !parsed.renderer.has(template) {
        return Err(unknown_template(page.template_at.clone(), template, parsed));
    }
    let mut hash = blake3::Hasher::new();
    hash.update(page.source_hash.as_bytes());
    hash.update(template.as_bytes());
    for &p in &section.pages {
        hash.update(parsed.pages[p].source_hash.as_bytes());
    }
    for &sub in &section.subsections {
        if let Some(x) = structure.tree.sections[sub].index {
            hash.update(parsed.pages[x].source_hash.as_bytes());
        }
    }
    let context = SectionContext {
        title: &page.front_matter.title,
        description: &page.front_matter.description,
        path: page.route.as_str(),
        content: Value::from_safe_string(page.html.clone()),
        extra: &page.front_matter.extra,
        pages: section
            .pages
            .iter()
            .map(|&p| structure.values[p].clone())
            .collect(),
        subsections: section
            .subsections
            .iter()
            .filter_map(|&sub| structure.tree.sections[sub].index)
            .map(|x| SectionRef {
                title: &parsed.pages[x].front_matter.title,
                path: parsed.pages[x].route.as_str(),
            })
            .collect(),
    };
    let section_value = Value::from_serialize(&context);
    let listing = Listing {
        base: &page.route,
        pages: &section.pages,
        per: meta.paginate_by,
        segment: &meta.paginate_path,
        reversed: meta.paginate_reversed,
        at: Location::file(&page.source),
    };
    let mut own = PageContext::of_page(page);
    own.section = section.parent.map(|p| refs[p].clone());
    let list_hash = hash.finalize();
    for (route, paginator) in listing.pagers(structure.values, &mut plan.redirects)? {
        let key = blake3::hash(format!("{list_hash}\0{route}").as_bytes());
        let vars = BTreeMap::from([("section", section_value.clone()), ("paginator", paginator)]);
        plan.jobs.push(Job {
            route,
            template,
            at: Location::file(&page.source),
            key,
            page: own.clone(),
            item: None,
            vars,
        });
    }
    Ok(())
}

/// A list of pages published in pagers: a section's or a term's.
struct Listing<'l> {
    base: &'l Route,
    pages: &'l [usize],
    per: Option<usize>,
    segment: &'l str,
    reversed: bool,
    at: Location,
}

impl Listing<'_> {
    /// Each pager's route with its `paginator` (none when the list is not paginated); the
    /// first pager is the list's own route, and `<base>/<segment>/1` redirects to it.
    fn pagers(
        &self,
        values: &[Value],
        redirects: &mut Vec<Planned>,
    ) -> Result<Vec<(Route, Value)>, BuildError> {
        let Some(per) = self.per else {
            return Ok(vec![(self.base.clone(), Value::from(()))]);
        };
        let mut order: Vec<usize> = self.pages.to_vec();
        if self.reversed {
            order.reverse();
        }
        let count = order.len().div_ceil(per).max(1);
        let prefix = match self.base.as_str() {
            "/" => format!("/{}/", self.segment),
            b => format!("{b}/{}/", self.segment),
        };
        let route_of = |k: usize| -> Result<Route, BuildError> {
            if k == 1 {
                return Ok(self.base.clone());
            }
            Route::parse(&format!("{prefix}{k}")).map_err(|e| {
                BuildError::invalid(self.at.clone(), format!("pager {k} gets no route: {e}"))
            })
        };
        let routes: Vec<Route> = (1..=count).map(route_of).collect::<Result<_, _>>()?;
        if let Ok(first) = Route::parse(&format!("{prefix}1")) {
            redirects.push(Planned {
                redirect: Redirect {
                    from: first,
                    to: self.base.as_str().to_owned(),
                },
                at: self.at.clone(),
            });
        }
        let url = |k: usize| routes[k - 1].as_str().to_owned();
        Ok((1..=count)
            .map(|k| {
                let chunk = order.chunks(per).nth(k - 1).unwrap_or(&[]);
                let paginator = Paginator {
                    paginate_by: per,
                    base_url: prefix.clone(),
                    number_pagers: count,
                    current_index: k,
                    first: url(1),
                    last: url(count),
                    previous: (k > 1).then(|| url(k - 1)),
                    next: (k < count).then(|| url(k + 1)),
                    pages: chunk.iter().map(|&p| values[p].clone()).collect(),
                    total_pages: order.len(),
                };
                (routes[k - 1].clone(), Value::from_serialize(&paginator))
            })
            .collect())
    }
}

/// `term` and each of `terms` in a taxonomy's templates.
#[derive(serde::Serialize)]
struct TermContext<'a> {
    name: &'a str,
    slug: &'a str,
    path: &'a str,
    page_count: usize,
    pages: Vec<Value>,
}

impl<'a> TermContext<'a> {
    fn of(term: &'a Term, values: &[Value]) -> TermContext<'a> {
        TermContext {
            name: &term.name,
            slug: &term.slug,
            path: term.route.as_str(),
            page_count: term.pages.len(),
            pages: term.pages.iter().map(|&p| values[p].clone()).collect(),
        }
    }
}

/// A taxonomy's template: `<name>/<kind>.html` if the theme has it, else `taxonomy_<kind>.html`.
fn taxonomy_template<'r>(name: &str, kind: &str, parsed: &'r Parsed<'_>) -> Option<&'r str> {
    known(parsed, &format!("{name}/{kind}.html"))
        .or_else(|| known(parsed, &format!("taxonomy_{kind}.html")))
}

/// The list page of a taxonomy and the pagers of each of its terms.
fn taxonomy_jobs<'a>(
    taxonomy: &Taxonomy<'_>,
    parsed: &'a Parsed<'a>,
    sources: &'a Sources,
    structure: &Structure<'_>,
    plan: &mut Plan<'a>,
    errors: &mut BuildErrors,
) {
    let config = taxonomy.config;
    if !config.render {
        return;
    }
    let at = Location::file(&sources.config_file.path);
    let templates = (
        taxonomy_template(&config.name, "list", parsed),
        taxonomy_template(&config.name, "single", parsed),
    );
    let (Some(list), Some(single)) = templates else {
        let missing = if templates.0.is_none() {
            "list"
        } else {
            "single"
        };
        errors.push(unknown_template(
            at,
            &format!("taxonomy_{missing}.html"),
            parsed,
        ));
        return;
    };
    let description = &sources.config.description;
    let taxonomy_value = Value::from_serialize(config);
    let terms: Vec<TermContext<'_>> = taxonomy
        .terms
        .iter()
        .map(|t| TermContext::of(t, structure.values))
        .collect();
    let mut all = blake3::Hasher::new();
    for term in &taxonomy.terms {
        all.update(term.slug.as_bytes());
        for &p in &term.pages {
            all.update(parsed.pages[p].source_hash.as_bytes());
        }
    }
    plan.jobs.push(Job {
        route: taxonomy.route.clone(),
        template: list,
        at: at.clone(),
        key: all.finalize(),
        page: PageContext::of_item(taxonomy.route.clone(), config.name.clone(), description),
        item: None,
        vars: BTreeMap::from([
            ("taxonomy", taxonomy_value.clone()),
            ("terms", Value::from_serialize(&terms)),
        ]),
    });
    for (term, context) in taxonomy.terms.iter().zip(&terms) {
        let listing = Listing {
            base: &term.route,
            pages: &term.pages,
            per: config.paginate_by.filter(|n| *n > 0),
            segment: &config.paginate_path,
            reversed: false,
            at: at.clone(),
        };
        let mut hash = blake3::Hasher::new();
        hash.update(term.name.as_bytes());
        for &p in &term.pages {
            hash.update(parsed.pages[p].source_hash.as_bytes());
        }
        let pagers = match listing.pagers(structure.values, &mut plan.redirects) {
            Ok(pagers) => pagers,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let term_value = Value::from_serialize(context);
        for (route, paginator) in pagers {
            hash.update(route.as_str().as_bytes());
            plan.jobs.push(Job {
                page: PageContext::of_item(route.clone(), term.name.clone(), description),
                route,
                template: single,
                at: at.clone(),
                key: hash.finalize(),
                item: None,
                vars: BTreeMap::from([
                    ("taxonomy", taxonomy_value.clone()),
                    ("term", term_value.clone()),
                    ("paginator", paginator),
                ]),
            });
        }
    }
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
            vars: BTreeMap::new(),
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
