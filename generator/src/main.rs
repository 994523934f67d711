//! `touchline`: the command line of the site generator.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use generator::Builder;
use generator::serve;
use generator::watch::{self, Outcome};

/// mimalloc keeps freed memory for reuse: the compressors allocate megabytes per file, and the
/// system allocator hands each of those back to the kernel, costing more than the compression.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc v3's `mi_option_purge_delay` (its `mimalloc.h`, `mi_option_e`; the test below checks
/// the index still names it).
const MI_OPTION_PURGE_DELAY: std::ffi::c_int = 15;

#[allow(unsafe_code)]
mod mimalloc_options {
    unsafe extern "C" {
        pub safe fn mi_option_set(option: std::ffi::c_int, value: std::ffi::c_long);
        #[cfg_attr(not(test), allow(dead_code))]
        pub safe fn mi_option_get(option: std::ffi::c_int) -> std::ffi::c_long;
    }
}

/// Tells mimalloc never to hand freed memory back to the kernel. By default it does so a second
/// after a free, and a build frees and reallocates hundreds of megabytes between its steps:
/// each time, the kernel zeroes the (transparent huge) pages again. Profiled on a 10,000-page
/// `check`: 0.66 s of system time, 0.18 s with purging off. A build is a short process; the
/// memory goes back when it exits, and `watch` keeps what its next rebuild will use anyway.
fn keep_freed_memory() {
    mimalloc_options::mi_option_set(MI_OPTION_PURGE_DELAY, -1);
}

/// Exit status when the site has problems (bad input): every one is printed.
const EXIT_SITE_ERRORS: u8 = 1;
/// Exit status when watching the file system fails, or serving (the port is taken, say).
const EXIT_WATCH_FAILED: u8 = 3;

/// Builds Touchline sites: Markdown and TOML data through minijinja themes into static files.
///
/// Exit status: 0 success; 1 the site has problems (each printed as
/// `error: FILE:LINE:COLUMN: why`, nothing written); 2 bad command line; 3 watching or serving
/// failed.
#[derive(Debug, Parser)]
#[command(name = "touchline", version, propagate_version = true)]
struct Cli {
    /// Print only errors.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    quiet: bool,
    /// Print what happens in more detail (repeat for more).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Build the site into the output folder, replacing it atomically.
    Generate(BuildArgs),
    /// Read, render and check everything, writing nothing; non-zero exit on any problem.
    Check(RootArg),
    /// Build, then rebuild whenever content, data, templates, assets or config change.
    Watch(BuildArgs),
    /// Build, serve on 127.0.0.1 as nginx would, rebuild on change and reload open pages.
    ///
    /// The site is served from memory: the output folder is neither read nor written. Pages
    /// get a small reload script (only as served, never in generated files); a build that
    /// fails keeps the last good site served and shows its errors in the terminal and on the
    /// open pages.
    Serve(ServeArgs),
}

#[derive(Debug, Args)]
struct RootArg {
    /// The site's folder (with site.toml, content/ and themes/).
    #[arg(long, default_value = ".", env = "TOUCHLINE_ROOT")]
    root: PathBuf,
}

#[derive(Debug, Args)]
struct BuildArgs {
    #[command(flatten)]
    root: RootArg,
    /// The output folder nginx serves.
    #[arg(long, default_value = "dist", env = "TOUCHLINE_OUT")]
    out: PathBuf,
    /// Write no .gz/.br copies beside text files (nginx then compresses on the fly).
    #[arg(long)]
    no_precompress: bool,
}

#[derive(Debug, Args)]
struct ServeArgs {
    #[command(flatten)]
    root: RootArg,
    /// The port on 127.0.0.1 (0: any free one).
    #[arg(long, default_value_t = 8000, env = "TOUCHLINE_PORT")]
    port: u16,
    /// Open the site in the system's browser (xdg-open) once it is up.
    #[arg(long)]
    open: bool,
}

fn main() -> ExitCode {
    keep_freed_memory();
    let cli = Cli::parse();
    let level = match (cli.quiet, cli.verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, _) => "debug",
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| level.into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let quiet = cli.quiet;
    match cli.command {
        Command::Generate(args) => {
            let mut builder = Builder::new(&args.root.root).precompress(!args.no_precompress);
            let progress = progress_bar(quiet);
            let result = builder.build(&args.out, &progress);
            progress.finish_and_clear();
            match result {
                Ok(summary) => {
                    if !quiet {
                        eprintln!(
                            "touchline: built {} into {}: {summary}",
                            args.root.root.display(),
                            args.out.display()
                        );
                    }
                    ExitCode::SUCCESS
                }
                Err(errors) => fail(&errors),
            }
        }
        Command::Check(args) => {
            let mut builder = Builder::new(&args.root);
            match builder.check(&progress_bar(quiet)) {
                Ok(site) => {
                    if !quiet {
                        eprintln!(
                            "touchline: {} is fine: {} pages, {} files",
                            args.root.display(),
                            site.pages.len(),
                            site.files.len()
                        );
                    }
                    ExitCode::SUCCESS
                }
                Err(errors) => fail(&errors),
            }
        }
        Command::Watch(args) => {
            let mut builder = Builder::new(&args.root.root).precompress(!args.no_precompress);
            eprintln!(
                "touchline: watching {} (Ctrl-C to stop)",
                args.root.root.display()
            );
            let result = watch::run(&mut builder, &args.out, |outcome| match outcome {
                Outcome::Built(summary) => eprintln!("touchline: rebuilt: {summary}"),
                Outcome::Failed(errors) => {
                    eprintln!("{errors}");
                    eprintln!(
                        "touchline: build failed; {} still holds the last good site",
                        args.out.display()
                    );
                }
            });
            match result {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("error: watching failed: {e:#}");
                    ExitCode::from(EXIT_WATCH_FAILED)
                }
            }
        }
        Command::Serve(args) => {
            let options = serve::Options {
                root: args.root.root,
                port: args.port,
                open: args.open,
                quiet,
            };
            match serve::run(options) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("error: serving failed: {e:#}");
                    ExitCode::from(EXIT_WATCH_FAILED)
                }
            }
        }
    }
}

fn fail(errors: &generator::BuildErrors) -> ExitCode {
    eprintln!("{errors}");
    eprintln!(
        "touchline: {} problem(s); nothing was written",
        errors.0.len()
    );
    ExitCode::from(EXIT_SITE_ERRORS)
}

/// A progress bar on a terminal for long builds; hidden when quiet or piped.
fn progress_bar(quiet: bool) -> ProgressBar {
    if quiet {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(0);
    if let Ok(style) = ProgressStyle::with_template("rendering {bar:30} {pos}/{len} pages") {
        bar.set_style(style);
    }
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_purge_delay_option_is_the_one_set() {
        // mimalloc's default purge delay is 1000 ms; another value at this index would mean
        // the option numbering changed under us.
        assert_eq!(mimalloc_options::mi_option_get(MI_OPTION_PURGE_DELAY), 1000);
        keep_freed_memory();
        assert_eq!(mimalloc_options::mi_option_get(MI_OPTION_PURGE_DELAY), -1);
    }
}
