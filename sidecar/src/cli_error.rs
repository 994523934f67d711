//! How a failed command tells its user: the error with every cause it does not already say,
//! then what would fix it, where that is known.

use std::error::Error;
use std::fmt::Write;
use std::io;

use contract::ManifestError;

use crate::replay::ReplayError;
use crate::run::ListenError;
use crate::state::StateError;

/// The lines printed on stderr for a failed command: `error: what: why`, then `hint: ...`.
pub fn render(err: &anyhow::Error) -> String {
    let mut message = err.to_string();
    for cause in err.chain().skip(1) {
        // Most errors here already end with their cause's text; say it once.
        let cause = cause.to_string();
        if !message.contains(&cause) {
            message.push_str(": ");
            message.push_str(&cause);
        }
    }
    let mut out = format!("error: {message}\n");
    if let Some(hint) = err.chain().find_map(hint) {
        let _ = writeln!(out, "hint: {hint}");
    }
    out
}

/// What would fix an error, for the errors whose fix is known.
fn hint(err: &(dyn Error + 'static)) -> Option<String> {
    if let Some(e) = err.downcast_ref::<ManifestError>() {
        return manifest_hint(e);
    }
    if let Some(e) = err.downcast_ref::<StateError>() {
        return state_hint(e);
    }
    if let Some(e) = err.downcast_ref::<ListenError>() {
        return listen_hint(e);
    }
    if let Some(e) = err.downcast_ref::<ReplayError>() {
        return (e.source.kind() == io::ErrorKind::IsADirectory)
            .then(|| "replay takes log files; name the files inside the folder".to_owned());
    }
    None
}

const GENERATE: &str = "--routes takes the dist/_routes.json that `touchline generate` writes";

fn manifest_hint(e: &ManifestError) -> Option<String> {
    match e {
        ManifestError::Read { source, .. } if source.kind() == io::ErrorKind::NotFound => Some(
            format!("{GENERATE}; without --routes, paths are labelled as they come"),
        ),
        ManifestError::Parse { .. } | ManifestError::Invalid { .. } => {
            Some(format!("{GENERATE}: generate the site again to rewrite it"))
        }
        // The others already say what to do.
        _ => None,
    }
}

/// Starting over is always possible, at a price worth saying.
const START_OVER: &str = "move it aside to start over: counts restart from zero and the logs \
                          are read again from their beginning";

fn state_hint(e: &StateError) -> Option<String> {
    match e {
        StateError::Io { path, source } => match source.kind() {
            io::ErrorKind::IsADirectory => Some(format!(
                "--state names the checkpoint file itself, which the sidecar creates: try {}",
                path.join("sidecar.state").display()
            )),
            io::ErrorKind::PermissionDenied => Some(
                "the sidecar reads and writes its state file: give its user access to the file \
                 and its folder"
                    .to_owned(),
            ),
            _ => None,
        },
        StateError::Format { .. } | StateError::Counts { .. } => Some(format!(
            "it was not written by this touchline-sidecar; {START_OVER}"
        )),
        StateError::Version { .. } => Some(format!(
            "run the touchline-sidecar release that wrote it, or {START_OVER}"
        )),
    }
}

fn listen_hint(e: &ListenError) -> Option<String> {
    match e.source.kind() {
        io::ErrorKind::AddrInUse => Some(format!(
            "another process serves on {} (another touchline-sidecar?): stop it, or choose \
             another --listen",
            e.addr
        )),
        io::ErrorKind::AddrNotAvailable => Some(
            "--listen must be an address of this machine, such as 127.0.0.1 or 0.0.0.0".to_owned(),
        ),
        io::ErrorKind::PermissionDenied => {
            Some("ports below 1024 need privileges: choose a port above 1024".to_owned())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests;
