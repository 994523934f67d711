use super::*;
use std::path::PathBuf;

#[test]
fn a_cause_the_message_already_says_is_said_once() {
    let io = io::Error::new(io::ErrorKind::PermissionDenied, "Permission denied");
    let err = anyhow::Error::new(StateError::Io {
        path: PathBuf::from("s.json"),
        source: io,
    });
    assert_eq!(
        render(&err),
        "error: state file s.json: Permission denied\n\
         hint: the sidecar reads and writes its state file: give its user access to the file and its folder\n"
    );
}

#[test]
fn a_cause_the_message_does_not_say_is_appended() {
    let err = anyhow::anyhow!("disk on fire").context("writing to stdout");
    assert_eq!(render(&err), "error: writing to stdout: disk on fire\n");
}
