//! The binary as a shell pipeline uses it.

use std::io::Read;
use std::process::{Command, Stdio};

use accessory_tests::provision::accessory_bin;

/// Runs `accessory ARGS | head -c 1`: the reader goes away after one byte.
#[track_caller]
fn exit_status_when_the_reader_stops_early(args: &[&str]) -> (Option<i32>, String) {
    let mut child = Command::new(accessory_bin())
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("accessory runs");
    let mut stdout = child.stdout.take().expect("piped stdout");
    let mut first = [0u8; 1];
    stdout.read_exact(&mut first).expect("some output");
    drop(stdout);
    let output = child.wait_with_output().expect("accessory ends");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn output_piped_into_a_reader_that_stops_early_ends_quietly_with_success() {
    for args in [
        &["completions", "zsh"][..],
        &["certs", "profiles"][..],
        &["trust", "export", "--help"][..],
    ] {
        let (code, stderr) = exit_status_when_the_reader_stops_early(args);
        assert_eq!(code, Some(0), "accessory {args:?}: {stderr}");
        assert!(
            !stderr.contains("panicked"),
            "accessory {args:?} panicked: {stderr}"
        );
    }
}
