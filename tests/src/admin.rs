//! Helpers for the admin tests (`tests/admin_*.rs`): run `accessory trust ...` as a process, write
//! catalogue material to files, check exit statuses and JSON.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::provision::accessory_bin;

/// Runs the `accessory` binary with `args`, with no store from the environment and no stdin.
pub fn run(args: &[&str]) -> Output {
    Command::new(accessory_bin())
        .args(args)
        .env_remove("ACCESSORY_TRUST_STORE")
        .stdin(Stdio::null())
        .output()
        .expect("the accessory binary runs")
}

/// A path as the &str a command line wants.
pub fn arg(p: &Path) -> &str {
    p.to_str().expect("temporary paths are UTF-8")
}

/// Asserts the exit status, showing stdout and stderr when it differs.
#[track_caller]
pub fn assert_status(out: &Output, status: i32) {
    assert_eq!(
        out.status.code(),
        Some(status),
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Parses stdout as JSON.
#[track_caller]
pub fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// Generates catalogue profile `name` for `device_id` and writes its served chain and its anchors
/// as PEM files in `dir`: `(chain, anchors, material)`.
pub fn write_profile(
    dir: &Path,
    name: &str,
    device_id: &str,
) -> (PathBuf, PathBuf, certs::Material) {
    let m = certs::generate(name, &certs::Options::new(device_id)).expect("catalogue profile");
    let chain = dir.join(format!("{name}-chain.pem"));
    let anchors = dir.join(format!("{name}-anchors.pem"));
    std::fs::write(&chain, m.chain_pem()).expect("writing the chain");
    std::fs::write(&anchors, m.anchors_pem()).expect("writing the anchors");
    (chain, anchors, m)
}

/// Runs `python3 -c script args...`, returning (exit code, stdout + stderr).
pub fn python(script: &str, args: &[&str]) -> (i32, String) {
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("python3 runs");
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), text)
}
