//! Which output folders are safe: publishing replaces the output folder wholesale (and keeps
//! the old one beside it), so an output folder that is, holds or lies in the sources would move
//! the sources away or read the last build back in as content.

use std::path::{Component, Path, PathBuf};

use crate::error::BuildError;

/// Refuses an output folder that is the site root, holds it, or is or lies inside `content/`
/// or `themes/` (where `site.toml` may live too); checked before anything is written.
pub fn check(root: &Path, out: &Path) -> Result<(), BuildError> {
    let root_real = resolve(root).map_err(|e| BuildError::io(root, e))?;
    let out_real = resolve(out).map_err(|e| BuildError::io(out, e))?;
    let why = if out_real == root_real {
        Some("it is the site's own folder".to_owned())
    } else if root_real.starts_with(&out_real) {
        Some(format!("it holds the site's folder {}", root.display()))
    } else {
        ["content", "themes"].into_iter().find_map(|source| {
            let dir = root_real.join(source);
            if out_real == dir {
                Some(format!("it is the site's {source}/ folder"))
            } else if out_real.starts_with(&dir) {
                Some(format!("it lies inside the site's {source}/ folder"))
            } else {
                None
            }
        })
    };
    match why {
        Some(why) => Err(BuildError::OutputFolder {
            out: out.to_owned(),
            why,
        }),
        None => Ok(()),
    }
}

/// The absolute form of a path with symlinks resolved as far as the path exists (the output
/// folder usually does not exist yet), and `.`/`..` folded one component at a time, as the
/// kernel resolves them.
fn resolve(path: &Path) -> std::io::Result<PathBuf> {
    let mut resolved = PathBuf::from("/");
    for component in std::path::absolute(path)?.components() {
        match component {
            Component::ParentDir => {
                resolved.pop();
            }
            Component::Normal(name) => {
                resolved.push(name);
                if resolved.exists() {
                    resolved = resolved.canonicalize()?;
                }
            }
            Component::RootDir | Component::CurDir | Component::Prefix(_) => {}
        }
    }
    Ok(resolved)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site() -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("temp dir");
        for sub in ["content", "themes"] {
            std::fs::create_dir(dir.path().join(sub)).expect("mkdir");
        }
        dir
    }

    fn refused(root: &Path, out: &Path) -> String {
        check(root, out).expect_err("refused").to_string()
    }

    #[test]
    fn a_folder_beside_the_sources_is_fine() {
        let dir = site();
        assert!(check(dir.path(), &dir.path().join("dist")).is_ok());
        assert!(check(dir.path(), &dir.path().join("dist/")).is_ok());
    }

    #[test]
    fn the_sources_and_what_holds_them_are_refused() {
        let dir = site();
        let root = dir.path();
        assert!(refused(root, &root.join("content")).contains("is the site's content/ folder"));
        assert!(refused(root, &root.join("themes/")).contains("is the site's themes/ folder"));
        assert!(refused(root, &root.join("content/out")).contains("inside the site's content/"));
        assert!(refused(root, root).contains("is the site's own folder"));
        assert!(refused(root, &root.join("..")).contains("holds the site's folder"));
    }

    #[test]
    fn dot_dot_and_symlinks_do_not_hide_a_source_folder() {
        let dir = site();
        let root = dir.path();
        assert!(refused(root, &root.join("dist/../content")).contains("content/ folder"));
        std::os::unix::fs::symlink(root.join("content"), root.join("link")).expect("symlink");
        assert!(refused(root, &root.join("link")).contains("content/ folder"));
    }
}
