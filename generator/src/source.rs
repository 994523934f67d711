//! Reading a site from disk: the only module of the build that reads files.

use std::path::{Path, PathBuf};

use rayon::prelude::*;
use walkdir::WalkDir;

use crate::config::{self, SiteConfig};
use crate::error::{BuildError, BuildErrors, Location};

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
        if !root.is_dir() {
            return Err(BuildError::invalid(
                Location::file(root),
                "no such folder: --root names the site's folder (the one with site.toml, content/ and themes/)",
            )
            .into());
        }
        let root = &Root {
            shown: root.to_owned(),
            real: root.canonicalize().map_err(|e| BuildError::io(root, e))?,
        };
        let Some(config_path) = config::locate(&root.shown) else {
            return Err(BuildError::invalid(
                Location::file("site.toml"),
                format!(
                    "no site.toml here (nor content/site.toml): run touchline in the site's folder, or name it with --root (looked in {})",
                    root.real.display()
                ),
            )
            .into());
        };
        let config_file = read_one(root, None, &config_path, &config_path)?;
        let config_text = crate::error::utf8(&config_file.path, &config_file.bytes)?;
        let config = SiteConfig::parse(&config_file.path, &config_text)?;

        let mut errors = BuildErrors::default();
        let content_dir = root.shown.join("content");
        let theme_dir = root.shown.join("themes").join(&config.theme);
        if !theme_dir.join("templates").is_dir() {
            errors.0.push(BuildError::invalid(
                Location::key(&config_file.path, &config_text, "theme"),
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
/// symlink is followed only to a file inside `dir` that is not hidden itself.
fn read_tree(root: &Root, dir: &Path, errors: &mut BuildErrors) -> Vec<SourceFile> {
    let Ok(tree) = dir.canonicalize() else {
        return Vec::new();
    };
    if !tree.is_dir() {
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
                errors.push(BuildError::io(display(root, &path), e.into()));
                continue;
            }
        };
        if entry.file_type().is_dir() {
            continue;
        }
        if entry.file_name().to_str().is_none() {
            errors.push(BuildError::invalid(
                Location::file(display(root, entry.path())),
                "the file name is not valid UTF-8, so it has no URL: rename it",
            ));
            continue;
        }
        entries.push(entry);
    }
    // The walk follows no links below `dir`, so a plain file it finds is inside the root when
    // `dir` itself resolves inside: one readlink per path component for the folder, not for
    // every file in it.
    let inside = tree.starts_with(&root.real);
    let read: Vec<Result<SourceFile, BuildError>> = entries
        .par_iter()
        .map(|entry| {
            let rel = entry.path().strip_prefix(dir).unwrap_or(entry.path());
            if inside && !entry.path_is_symlink() {
                read_plain(root, entry.path(), rel)
            } else {
                let link_tree = entry.path_is_symlink().then_some(tree.as_path());
                read_one(root, link_tree, entry.path(), rel)
            }
        })
        .collect();
    read.into_iter()
        .filter_map(|file| errors.keep(file))
        .collect()
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

/// Reads one file; `link_tree` is the real folder a symlink's target must stay in.
fn read_one(
    root: &Root,
    link_tree: Option<&Path>,
    path: &Path,
    rel: &Path,
) -> Result<SourceFile, BuildError> {
    let shown = display(root, path);
    let real = path.canonicalize().map_err(|e| BuildError::io(&shown, e))?;
    if !real.starts_with(&root.real) {
        return Err(BuildError::Escape {
            at: Location::file(shown),
            target: real.display().to_string(),
        });
    }
    if real.is_dir() {
        return Err(BuildError::invalid(
            Location::file(&shown),
            "is a link to a folder; link files only",
        ));
    }
    if let Some(tree) = link_tree {
        check_link_target(&shown, &real, tree, &root.real)?;
    }
    let bytes = std::fs::read(&real).map_err(|e| BuildError::io(&shown, e))?;
    Ok(SourceFile {
        path: shown,
        rel: rel.to_owned(),
        bytes,
    })
}

/// A link must point at a file of its own folder (`content/` for content) that is not hidden:
/// hidden files are skipped when walking, and a link must not publish one anyway.
fn check_link_target(
    shown: &Path,
    real: &Path,
    tree: &Path,
    root: &Path,
) -> Result<(), BuildError> {
    let target = real.strip_prefix(root).unwrap_or(real);
    let why = match real.strip_prefix(tree) {
        Err(_) => Some(format!(
            "is a link to `{}`, outside {}: a link may only point at a file in the same folder tree",
            target.display(),
            tree.strip_prefix(root).unwrap_or(tree).display()
        )),
        Ok(inside)
            if inside
                .components()
                .any(|c| c.as_os_str().to_string_lossy().starts_with('.')) =>
        {
            Some(format!(
                "is a link to `{}`, a hidden file: hidden files are never published",
                target.display()
            ))
        }
        Ok(_) => None,
    };
    match why {
        Some(why) => Err(BuildError::invalid(Location::file(shown), why)),
        None => Ok(()),
    }
}

fn display(root: &Root, path: &Path) -> PathBuf {
    path.strip_prefix(&root.shown).unwrap_or(path).to_owned()
}
