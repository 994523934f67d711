//! Step 6 of assembly: the internal link check. Every `href`/`src` of every HTML and SVG output
//! must reach an output file; a broken one is reported at the source the user must edit.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::error::{BuildError, Location};
use crate::links::{self, Target};
use crate::site::collect::{Origin, Outputs};
use crate::source::Sources;

/// Every broken or escaping internal link.
pub fn links(outputs: &Outputs, sources: &Sources) -> Vec<BuildError> {
    let texts: HashMap<&Path, &[u8]> = sources
        .pages
        .iter()
        .chain(&sources.files)
        .map(|f| (f.path.as_path(), f.bytes.as_slice()))
        .collect();
    let mut errors: Vec<BuildError> = outputs
        .files
        .par_iter()
        .filter(|(path, _)| path.extension().is_some_and(|e| e == "html" || e == "svg"))
        .flat_map_iter(|(path, bytes)| {
            let page = path.to_string_lossy().replace('\\', "/");
            let mut found = links::extract(&String::from_utf8_lossy(bytes));
            found.sort();
            found.dedup();
            let origin = outputs.origin(path);
            found
                .into_iter()
                .filter_map(|link| match links::resolve(&page, &link) {
                    Target::External => None,
                    Target::Internal(url) if links::exists(&outputs.files, &url) => None,
                    target => Some(broken(path, origin, &texts, link, target)),
                })
                .collect::<Vec<_>>()
        })
        .collect();
    errors.sort_by_key(ToString::to_string);
    errors
}

/// The error for one link, placed where the link is written: in the source when it appears
/// there, else in the output of the template that wrote it.
fn broken(
    out: &Path,
    origin: Option<&Origin>,
    texts: &HashMap<&Path, &[u8]>,
    link: String,
    target: Target,
) -> BuildError {
    let (at, via) = match origin {
        Some(Origin::Source { at, template }) => {
            let text = texts
                .get(at.path.as_path())
                .map(|b| String::from_utf8_lossy(b));
            match text
                .as_deref()
                .and_then(|t| t.find(link.as_str()).map(|i| (t, i)))
            {
                Some((t, i)) => (Location::span(&at.path, t, i..i + link.len()), None),
                None => (at.clone(), template.clone()),
            }
        }
        _ => (Location::file(PathBuf::from(out)), None),
    };
    match target {
        Target::Escapes => BuildError::Escape { at, target: link },
        _ => BuildError::BrokenLink {
            at,
            target: link,
            via,
        },
    }
}
