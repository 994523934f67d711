//! The real nginx, running the project's `nginx/` configuration on a free loopback port.
//!
//! `nginx/nginx.conf` marks its environment-specific lines with `# env` (user, pid, error log,
//! temp paths, listen, root, access log). [`render_config`] replaces exactly those lines and
//! nothing else, so the tests run the production configuration's substance unchanged.

use std::fmt::Write as _;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use nix::sys::signal::Signal;

use crate::{ChildGuard, free_port, wait_for_port, wait_until, workspace_root};

/// Where Debian's package installs nginx.
pub const NGINX_BIN: &str = "/usr/sbin/nginx";
/// The brotli module files `nginx/nginx.conf` loads.
pub const BROTLI_MODULES: [&str; 2] = [
    "/usr/lib/nginx/modules/ngx_http_brotli_filter_module.so",
    "/usr/lib/nginx/modules/ngx_http_brotli_static_module.so",
];
/// The command that installs everything the tests need.
pub const INSTALL_HINT: &str = "scripts/install-deps (or: apt-get install -y --no-install-recommends nginx libnginx-mod-http-brotli-static libnginx-mod-http-brotli-filter)";

/// The project's nginx configuration directory (`nginx/`).
pub fn config_dir() -> PathBuf {
    workspace_root().join("nginx")
}

/// The nginx binary, or an error saying how to install it (and the brotli modules it loads).
pub fn nginx_binary() -> Result<PathBuf> {
    let bin = PathBuf::from(NGINX_BIN);
    if !bin.is_file() {
        bail!("{NGINX_BIN} is missing; install it with: {INSTALL_HINT}");
    }
    for module in BROTLI_MODULES {
        if !Path::new(module).is_file() {
            bail!("{module} is missing; install it with: {INSTALL_HINT}");
        }
    }
    Ok(bin)
}

/// The values of `nginx/nginx.conf`'s `# env` lines for one environment.
#[derive(Debug, Clone)]
pub struct Environment {
    /// `listen` argument, e.g. `127.0.0.1:8080`.
    pub listen: String,
    /// The site's root (a generated `dist/`).
    pub root: PathBuf,
    /// The access log file (format `touchline`).
    pub access_log: PathBuf,
    /// Directory for the pid file, error log and temp files.
    pub runtime_dir: PathBuf,
}

/// True when this process runs as root (the owner of `/proc/self` is the effective user).
pub fn running_as_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// Quotes a path for nginx's configuration syntax.
fn quote(path: &Path) -> Result<String> {
    let s = path
        .to_str()
        .with_context(|| format!("{} is not UTF-8", path.display()))?;
    if s.contains(['"', '\\', '$']) {
        bail!("{s:?}: paths with quotes, backslashes or $ are not supported");
    }
    Ok(format!("\"{s}\""))
}

/// Renders `template` (the text of `nginx/nginx.conf`) for `env`: every line marked `# env` is
/// replaced by this environment's directive of the same name; all other lines are kept. Errors
/// if a marked directive is unknown or an expected one is missing, so the two cannot drift.
pub fn render_config(template: &str, env: &Environment) -> Result<String> {
    let runtime = &env.runtime_dir;
    let temp = |name: &str| quote(&runtime.join("tmp").join(name));
    // As root, nginx switches workers to `user`; the tests' files live in private temp dirs, so
    // workers stay root there. Unprivileged, the directive would only be ignored with a warning.
    let user = if running_as_root() {
        "user root root;".to_string()
    } else {
        "# user: not root, workers run as the current user".to_string()
    };
    let replacements: Vec<(&str, String)> = vec![
        ("user", user),
        (
            "pid",
            format!("pid {};", quote(&runtime.join("nginx.pid"))?),
        ),
        (
            "error_log",
            format!("error_log {} warn;", quote(&runtime.join("error.log"))?),
        ),
        (
            "client_body_temp_path",
            format!("client_body_temp_path {};", temp("client_body")?),
        ),
        (
            "proxy_temp_path",
            format!("proxy_temp_path {};", temp("proxy")?),
        ),
        (
            "fastcgi_temp_path",
            format!("fastcgi_temp_path {};", temp("fastcgi")?),
        ),
        (
            "uwsgi_temp_path",
            format!("uwsgi_temp_path {};", temp("uwsgi")?),
        ),
        (
            "scgi_temp_path",
            format!("scgi_temp_path {};", temp("scgi")?),
        ),
        ("listen", format!("listen {} default_server;", env.listen)),
        ("root", format!("root {};", quote(&env.root)?)),
        (
            "include",
            format!("include {};", quote(&env.root.join("_redirects*.conf"))?),
        ),
        (
            "access_log",
            format!("access_log {} touchline;", quote(&env.access_log)?),
        ),
    ];
    let mut used = vec![false; replacements.len()];
    let mut out = String::with_capacity(template.len() + 512);
    for (number, line) in template.lines().enumerate() {
        let directive = line.trim_start();
        let marked = line.trim_end().ends_with("# env") && !directive.starts_with('#');
        if !marked {
            out.push_str(line);
            out.push('\n');
            continue;
        }
        let name = directive.split_whitespace().next().unwrap_or_default();
        let index = replacements
            .iter()
            .position(|(n, _)| *n == name)
            .with_context(|| {
                format!(
                    "nginx.conf line {}: unknown \"# env\" directive {name:?}",
                    number + 1
                )
            })?;
        if used[index] {
            bail!(
                "nginx.conf line {}: \"# env\" directive {name:?} appears twice",
                number + 1
            );
        }
        used[index] = true;
        let indent = &line[..line.len() - directive.len()];
        writeln!(out, "{indent}{}", replacements[index].1).context("formatting")?;
    }
    if let Some(index) = used.iter().position(|u| !u) {
        bail!(
            "nginx.conf has no \"# env\" line for {:?}",
            replacements[index].0
        );
    }
    Ok(out)
}

/// Writes a runnable configuration for `env` into `<runtime_dir>/conf/`: the rendered
/// `nginx.conf` beside copies of the other `*.conf` files of `nginx/` and `mime.types` (as
/// `nginx/render-conf` does). Returns the rendered file's path.
pub fn write_config(env: &Environment) -> Result<PathBuf> {
    let source = config_dir();
    let conf_dir = env.runtime_dir.join("conf");
    std::fs::create_dir_all(&conf_dir)
        .with_context(|| format!("creating {}", conf_dir.display()))?;
    std::fs::create_dir_all(env.runtime_dir.join("tmp"))
        .with_context(|| format!("creating {}/tmp", env.runtime_dir.display()))?;
    for entry in
        std::fs::read_dir(&source).with_context(|| format!("listing {}", source.display()))?
    {
        let entry = entry?;
        let path = entry.path();
        let name = entry.file_name();
        let snippet = path.extension().is_some_and(|e| e == "conf") || name == "mime.types";
        if path.is_file() && snippet && name != "nginx.conf" {
            std::fs::copy(&path, conf_dir.join(entry.file_name()))
                .with_context(|| format!("copying {}", path.display()))?;
        }
    }
    let template_path = source.join("nginx.conf");
    let template = std::fs::read_to_string(&template_path)
        .with_context(|| format!("reading {}", template_path.display()))?;
    let rendered = render_config(&template, env)?;
    let conf = conf_dir.join("nginx.conf");
    std::fs::write(&conf, rendered).with_context(|| format!("writing {}", conf.display()))?;
    Ok(conf)
}

/// Runs `nginx -t` on a configuration written by [`write_config`]; returns nginx's output.
pub fn test_config(env: &Environment, conf: &Path) -> Result<String> {
    let output = Command::new(nginx_binary()?)
        .arg("-p")
        .arg(&env.runtime_dir)
        .arg("-c")
        .arg(conf)
        .arg("-t")
        .output()
        .context("running nginx -t")?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    if !output.status.success() {
        bail!("nginx -t -c {} failed:\n{text}", conf.display());
    }
    Ok(text)
}

/// A running nginx (master and workers) serving a `dist/` on 127.0.0.1; stopped on drop.
#[derive(Debug)]
pub struct Nginx {
    // Dropped first: stop nginx, then delete its runtime directory.
    child: ChildGuard,
    port: u16,
    env: Environment,
    conf: PathBuf,
    _runtime: tempfile::TempDir,
}

impl Nginx {
    /// Starts `/usr/sbin/nginx -g 'daemon off;'` with `nginx/`'s configuration serving `dist`
    /// on a free port of 127.0.0.1, logging requests to `access_log`; waits until it accepts
    /// connections.
    pub fn start(dist: &Path, access_log: &Path) -> Result<Nginx> {
        let mut last_error = None;
        // A free port can be taken by another test between probing and binding: retry.
        for _ in 0..3 {
            match Self::start_once(dist, access_log) {
                Ok(nginx) => return Ok(nginx),
                Err(e) if format!("{e:#}").contains("Address already in use") => {
                    last_error = Some(e);
                }
                Err(e) => return Err(e),
            }
        }
        Err(last_error.unwrap_or_else(|| anyhow::anyhow!("nginx did not start")))
    }

    fn start_once(dist: &Path, access_log: &Path) -> Result<Nginx> {
        let bin = nginx_binary()?;
        let runtime = tempfile::Builder::new()
            .prefix("touchline-nginx-")
            .tempdir()
            .context("creating nginx's runtime directory")?;
        let port = free_port();
        let env = Environment {
            listen: format!("127.0.0.1:{port}"),
            root: std::path::absolute(dist)
                .with_context(|| format!("resolving {}", dist.display()))?,
            access_log: std::path::absolute(access_log)
                .with_context(|| format!("resolving {}", access_log.display()))?,
            runtime_dir: runtime.path().to_path_buf(),
        };
        let conf = write_config(&env)?;
        let stderr_path = env.runtime_dir.join("stderr.log");
        let stderr = std::fs::File::create(&stderr_path)
            .with_context(|| format!("creating {}", stderr_path.display()))?;
        let mut child = ChildGuard::spawn(
            "nginx",
            Command::new(bin)
                .arg("-p")
                .arg(&env.runtime_dir)
                .arg("-c")
                .arg(&conf)
                .args(["-g", "daemon off;"])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(stderr),
        )?;
        let logs = |env: &Environment| {
            let read = |p: PathBuf| std::fs::read_to_string(p).unwrap_or_default();
            format!(
                "{}{}",
                read(env.runtime_dir.join("stderr.log")),
                read(env.runtime_dir.join("error.log"))
            )
        };
        let ready = wait_for_port_or_exit(&mut child, port, Duration::from_secs(10));
        if let Err(e) = ready {
            bail!("{e:#}\nnginx's log:\n{}", logs(&env));
        }
        Ok(Nginx {
            child,
            port,
            env,
            conf,
            _runtime: runtime,
        })
    }

    /// The loopback port nginx listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// The rendered configuration nginx runs.
    pub fn config_path(&self) -> &Path {
        &self.conf
    }

    /// This instance's environment (listen address, root, log and runtime paths).
    pub fn environment(&self) -> &Environment {
        &self.env
    }

    /// nginx's error log so far.
    pub fn error_log(&self) -> String {
        std::fs::read_to_string(self.env.runtime_dir.join("error.log")).unwrap_or_default()
    }

    /// Asks nginx to reopen its log files (SIGUSR1, as logrotate does) and waits until the
    /// access log exists again (after a rename, nginx creates a new file).
    pub fn reopen_logs(&self) -> Result<()> {
        self.child.signal(Signal::SIGUSR1)?;
        let log = &self.env.access_log;
        if !wait_until(Duration::from_secs(5), || log.exists()) {
            bail!("nginx did not reopen {} within 5 s", log.display());
        }
        Ok(())
    }

    /// Stops nginx now (graceful SIGTERM, SIGKILL after a grace period).
    pub fn stop(mut self) -> Result<()> {
        self.child.stop().map(|_| ())
    }
}

/// Waits for `port` to accept connections, failing early if `child` exits.
fn wait_for_port_or_exit(child: &mut ChildGuard, port: u16, timeout: Duration) -> Result<()> {
    let deadline = std::time::Instant::now() + timeout;
    loop {
        child.check_running()?;
        if wait_for_port(port, Duration::from_millis(100)).is_ok() {
            return Ok(());
        }
        if std::time::Instant::now() >= deadline {
            bail!("nginx did not accept connections on 127.0.0.1:{port} within {timeout:?}");
        }
    }
}
