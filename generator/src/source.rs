//! Reading a site from disk: the only module of the build that reads files.

use std::path::{Path, PathBuf};

use rayon::prelude::*;
use walkdir::WalkDir;

use crate::config::{self, SiteConfig};
use crate::error::{BuildError, BuildErrors};

/// A file read from the site, with the path it is reported under.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Path relative to the site root, as error messages show it (`content/gandalf.md`).
    pub path: PathBuf,
    /// Path relative to the folder it was found in (`gandalf.md`).
    pub rel: PathBuf,
    /// The file's bytes.
    pub bytes: Vec<u8>,
}

/// Everything a build reads, in memory; rendering works from this alone.
#[derive(Debug, Clone)]
pub struct Sources {
    /// The config file, as read.
    pub config_file: SourceFile,
    /// Its text (UTF-8, checked), for placing errors about `[[generate]]` entries.
    pub config_text: String,
    /// The parsed config.
    pub config: SiteConfig,
    /// Markdown pages under `content/`.
    pub pages: Vec<SourceFile>,
    /// `content/data/*.toml`.
    pub data: Vec<SourceFile>,
    /// Other files under `content/`, copied as they are.
    pub files: Vec<SourceFile>,
    /// The theme's templates folder, as error messages show it (`themes/default/templates`).
    pub templates_dir: PathBuf,
    /// `themes/<theme>/templates/**`.
    pub templates: Vec<SourceFile>,
    /// `themes/<theme>/static/**`, published fingerprinted under `/assets/`.
    pub statics: Vec<SourceFile>,
}

impl Sources {
    /// Reads the site at `root`; every unreadable or escaping file is reported.
    pub fn read(root: &Path) -> Result<Sources, BuildErrors> {
        let root = &Root {
            shown: root.to_owned(),
            real: root.canonicalize().map_err(|e| BuildError::io(root, e))?,
        };
        let config_path = config::locate(&root.shown);
        let config_file = read_one(root, &config_path, &config_path)?;
        let config_text = crate::error::utf8(&config_file.path, &config_file.bytes)?;
        let config = SiteConfig::parse(&config_file.path, &config_text)?;

        let mut errors = BuildErrors::default();
        let content_dir = root.shown.join("content");
        let theme_dir = root.shown.join("themes").join(&config.theme);
        if !theme_dir.join("templates").is_dir() {
            errors.0.push(BuildError::invalid(
                crate::error::Location::key(&config_file.path, &config_text, "theme"),
                format!(
                    "theme `{}` has no templates folder at {}",
                    config.theme,
                    theme_dir.join("templates").display()
                ),
            ));
        }
        let content = read_tree(root, &content_dir, &mut errors);
        let templates_dir = theme_dir.join("templates");
        let templates = read_tree(root, &templates_dir, &mut errors);
        let templates_dir = display(root, &templates_dir);
        let statics = read_tree(root, &theme_dir.join("static"), &mut errors);
        errors.into_result()?;

        let (mut pages, mut data, mut files) = (Vec::new(), Vec::new(), Vec::new());
        for file in content {
            if file.path == config_file.path {
                continue;
            }
            let is_md = file.rel.extension().is_some_and(|e| e == "md");
            if file.rel.starts_with("data") && file.rel.extension().is_some_and(|e| e == "toml") {
                data.push(file);
            } else if is_md {
                pages.push(file);
            } else {
                files.push(file);
            }
        }
        Ok(Sources {
            config_file,
            config_text,
            config,
            pages,
            data,
            files,
            templates_dir,
            templates,
            statics,
        })
    }
}

/// The site root as the user named it (for messages) and as the file system resolves it (for
/// the escape check), resolved once rather than for every file.
struct Root {
    shown: PathBuf,
    real: PathBuf,
}

/// Reads every file below `dir` in a stable order, skipping hidden ones, on every core. A
/// symlink is followed only when it stays inside the site root.
fn read_tree(root: &Root, dir: &Path, errors: &mut BuildErrors) -> Vec<SourceFile> {
    if !dir.is_dir() {
        return Vec::new();
    }
    let walker = WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
    let mut entries = Vec::new();
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let path = e
                    .path()
                    .map(Path::to_path_buf)
                    .unwrap_or_else(|| dir.to_owned());
                errors
                    .0
                    .push(BuildError::io(display(root, &path), e.into()));
                continue;
            }
        };
        if !entry.file_type().is_dir() {
            entries.push(entry);
        }
    }
    // The walk follows no links below `dir`, so a plain file it finds is inside the root when
    // `dir` itself resolves inside: one readlink per path component for the folder, not for
    // every file in it.
    let inside = dir
        .canonicalize()
        .is_ok_and(|real| real.starts_with(&root.real));
    let read: Vec<Result<SourceFile, BuildError>> = entries
        .par_iter()
        .map(|entry| {
            let rel = entry.path().strip_prefix(dir).unwrap_or(entry.path());
            if inside && !entry.path_is_symlink() {
                read_plain(root, entry.path(), rel)
            } else {
                read_one(root, entry.path(), rel)
            }
        })
        .collect();
    let mut out = Vec::with_capacity(read.len());
    for file in read {
        match file {
            Ok(file) => out.push(file),
            Err(e) => errors.0.push(e),
        }
    }
    out
}

fn read_plain(root: &Root, path: &Path, rel: &Path) -> Result<SourceFile, BuildError> {
    let shown = display(root, path);
    let bytes = std::fs::read(path).map_err(|e| BuildError::io(&shown, e))?;
    Ok(SourceFile {
        path: shown,
        rel: rel.to_owned(),
        bytes,
    })
}

fn read_one(root: &Root, path: &Path, rel: &Path) -> Result<SourceFile, BuildError> {
    let shown = display(root, path);
    let real = path.canonicalize().map_err(|e| BuildError::io(&shown, e))?;
    if !real.starts_with(&root.real) {
        return Err(BuildError::Escape {
            at: crate::error::Location::file(shown),
            target: real.display().to_string(),
        });
    }
    if real.is_dir() {
        return Err(BuildError::invalid(
            crate::error::Location::file(&shown),
            "is a link to a folder; link files only",
        ));
    }
    let bytes = std::fs::read(&real).map_err(|e| BuildError::io(&shown, e))?;
    Ok(SourceFile {
        path: shown,
        rel: rel.to_owned(),
        bytes,
    })
}

fn display(root: &Root, path: &Path) -> PathBuf {
    path.strip_prefix(&root.shown).unwrap_or(path).to_owned()
}
