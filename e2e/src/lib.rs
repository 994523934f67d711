//! Shared harness for end-to-end tests: builds the workspace's binaries, generates the site,
//! starts real servers (nginx, the sidecar) on free loopback ports and stops them on drop.

pub mod balancer;
pub mod chromium;
pub mod dashboard;
pub mod http;
pub mod nginx;
pub mod poll;
pub mod process;
pub mod prometheus;
pub mod remote_write;
pub mod replica;

use std::collections::HashMap;
use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use anyhow::{Context, Result, bail};

pub use process::{ChildGuard, wait_for_port};

/// The Cargo workspace's root directory (the parent of this crate's directory).
pub fn workspace_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().unwrap_or(manifest_dir).to_path_buf()
}

/// The directory Cargo puts this test process's profile output in (e.g. `target/debug`),
/// found from the running test executable (`target/debug/deps/<test>-<hash>`).
fn profile_dir() -> Result<PathBuf> {
    let exe = std::env::current_exe().context("locating the running test executable")?;
    let deps = exe
        .parent()
        .with_context(|| format!("{} has no parent directory", exe.display()))?;
    let dir = if deps.file_name().is_some_and(|n| n == "deps") {
        deps.parent().unwrap_or(deps)
    } else {
        deps
    };
    Ok(dir.to_path_buf())
}

/// Builds workspace binary `name` once per test process, with the same profile as the running
/// tests, and returns its path (e.g. `target/debug/touchline`). Panics if the build fails.
pub fn binary(name: &str) -> PathBuf {
    try_binary(name).unwrap_or_else(|e| panic!("building binary {name}: {e:#}"))
}

/// [`binary`], returning the build error instead of panicking.
pub fn try_binary(name: &str) -> Result<PathBuf> {
    static BUILT: OnceLock<Mutex<HashMap<String, PathBuf>>> = OnceLock::new();
    let built = BUILT.get_or_init(|| Mutex::new(HashMap::new()));
    // Held during the build: one cargo build at a time, each binary built once.
    let mut built = built
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(path) = built.get(name) {
        return Ok(path.clone());
    }
    let profile_dir = profile_dir()?;
    let profile = profile_dir
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("debug")
        .to_string();
    let target_dir = profile_dir
        .parent()
        .with_context(|| format!("{} has no parent directory", profile_dir.display()))?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(&cargo);
    cmd.current_dir(workspace_root())
        .args(["build", "--quiet", "--bin", name, "--target-dir"])
        .arg(target_dir);
    match profile.as_str() {
        "debug" => {}
        "release" => {
            cmd.arg("--release");
        }
        other => {
            cmd.args(["--profile", other]);
        }
    }
    let status = cmd.status().with_context(|| format!("running {cmd:?}"))?;
    if !status.success() {
        bail!("{cmd:?} failed with {status}");
    }
    let path = profile_dir.join(name);
    if !path.is_file() {
        bail!("{cmd:?} succeeded but {} does not exist", path.display());
    }
    built.insert(name.to_string(), path.clone());
    Ok(path)
}

/// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, then released).
pub fn free_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("binding 127.0.0.1:0");
    listener
        .local_addr()
        .expect("reading the bound address")
        .port()
}

/// Runs `touchline generate --root <workspace root> --out <out>` and panics unless it succeeds.
pub fn generate_site(out: &Path) {
    try_generate_site(out).unwrap_or_else(|e| panic!("generating the site: {e:#}"));
}

/// [`generate_site`], returning an error (with the generator's output) instead of panicking.
pub fn try_generate_site(out: &Path) -> Result<()> {
    try_generate(&workspace_root(), out)
}

/// Generates the site at `root` into `out`; an error carries the generator's output.
pub fn try_generate(root: &Path, out: &Path) -> Result<()> {
    let touchline = try_binary("touchline")?;
    let output = Command::new(&touchline)
        .arg("generate")
        .arg("--root")
        .arg(root)
        .arg("--out")
        .arg(out)
        .output()
        .with_context(|| format!("running {}", touchline.display()))?;
    if !output.status.success() {
        bail!(
            "touchline generate --out {} failed with {}\nstdout:\n{}\nstderr:\n{}",
            out.display(),
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}

/// Reads the route manifest the generator wrote to `<dist>/_routes.json`.
pub fn read_routes(dist: &Path) -> Result<contract::Manifest> {
    Ok(contract::Manifest::read(
        &dist.join(contract::manifest::FILE_NAME),
    )?)
}

/// Polls `condition` every 20 ms until it returns true or `timeout` passes.
pub fn wait_until(timeout: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + timeout;
    loop {
        if condition() {
            return true;
        }
        if std::time::Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
