//! Step 4 of assembly: every output file, each claimed by exactly one source. A text output's
//! `.gz` and `.br` siblings are claimed with it: nginx would send a source file named like one
//! as the compressed form of the page.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use contract::Route;

use crate::assets::AssetMap;
use crate::error::{BuildError, BuildErrors, Location};
use crate::output::{is_text, precompressed};
use crate::site::render::Rendered;
use crate::source::SourceFile;

/// Where an output file comes from.
#[derive(Debug, Clone)]
pub enum Origin {
    /// A source file (a page, a data item, a copied file, a theme asset).
    Source {
        /// The place in it.
        at: Location,
        /// The template that rendered it, if one did.
        template: Option<String>,
    },
    /// Written by touchline itself (sitemap, robots.txt, the route manifest).
    Built(&'static str),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Source { at, .. } => write!(f, "{at}"),
            Origin::Built(what) => write!(f, "touchline itself (the {what})"),
        }
    }
}

/// The output files claimed so far.
#[derive(Debug, Default)]
pub struct Outputs {
    /// Bytes by path relative to the output folder (precompressed copies are made later).
    pub files: BTreeMap<PathBuf, Arc<Vec<u8>>>,
    /// Who claimed each file.
    pub origins: HashMap<PathBuf, Origin>,
    /// Precompressed names reserved by their text file, with that file.
    siblings: HashMap<PathBuf, PathBuf>,
}

impl Outputs {
    /// Claims `out` for `origin`, or records a conflict with whoever has it (or its `.gz` and
    /// `.br` names) already.
    pub fn claim(
        &mut self,
        out: PathBuf,
        origin: Origin,
        bytes: Arc<Vec<u8>>,
        errors: &mut BuildErrors,
    ) {
        let siblings: Vec<PathBuf> = if is_text(&out) {
            precompressed(&out).collect()
        } else {
            Vec::new()
        };
        if let Some(conflict) = self.conflict(&out, &siblings, &origin) {
            errors.push(conflict);
            return;
        }
        for s in siblings {
            self.siblings.insert(s, out.clone());
        }
        self.origins.insert(out.clone(), origin);
        self.files.insert(out, bytes);
    }

    fn conflict(&self, out: &Path, siblings: &[PathBuf], origin: &Origin) -> Option<BuildError> {
        let error = |output: &Path, other: String| BuildError::Conflict {
            at: origin.to_string(),
            output: output.display().to_string(),
            other,
        };
        if let Some(other) = self.origins.get(out) {
            return Some(error(out, other.to_string()));
        }
        if let Some(text) = self.siblings.get(out) {
            let owner = self
                .origins
                .get(text)
                .map(ToString::to_string)
                .unwrap_or_default();
            return Some(error(
                out,
                format!("{owner}, as the precompressed copy of `{}`", text.display()),
            ));
        }
        siblings.iter().find_map(|s| {
            let other = self.origins.get(s)?;
            Some(error(
                out,
                format!(
                    "{other}, which writes `{}`, the name of its precompressed copy",
                    s.display()
                ),
            ))
        })
    }

    /// Claims a rendered job's output; returns its route if it is a page.
    pub fn claim_rendered(&mut self, r: Rendered<'_>, errors: &mut BuildErrors) -> Option<Route> {
        let bytes = errors.keep(r.result)?;
        let origin = Origin::Source {
            at: r.job.at.clone(),
            template: Some(r.job.template.to_owned()),
        };
        self.claim(r.job.route.output_file(), origin, bytes, errors);
        r.job.route.is_page().then(|| r.job.route.clone())
    }

    /// Claims the files of `content/` that are copied as they are.
    pub fn claim_files(&mut self, files: &[SourceFile], errors: &mut BuildErrors) {
        for file in files {
            let at = Location::file(&file.path);
            let url = format!("/{}", file.rel.to_string_lossy());
            if let Err(e) = Route::parse(&url) {
                let why = format!("its name gives no valid URL path: {e}; rename the file");
                errors.push(BuildError::invalid(at, why));
                continue;
            }
            let origin = Origin::Source { at, template: None };
            self.claim(
                file.rel.clone(),
                origin,
                Arc::new(file.bytes.clone()),
                errors,
            );
        }
    }

    /// Claims the theme's fingerprinted assets.
    pub fn claim_assets(&mut self, assets: &AssetMap, errors: &mut BuildErrors) {
        for (out, asset) in assets.outputs() {
            let origin = Origin::Source {
                at: Location::file(&asset.source),
                template: None,
            };
            self.claim(out, origin, Arc::clone(&asset.bytes), errors);
        }
    }

    /// The origin of an output file.
    pub fn origin(&self, out: &Path) -> Option<&Origin> {
        self.origins.get(out)
    }
}
