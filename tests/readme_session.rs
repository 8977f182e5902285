//! The README's first session, run exactly as written (issue 13 item 1): the block after the
//! `readme:loopback-session` marker, pasted whole into bash, with `target/debug` on the PATH in
//! place of its `cargo build --release` line.

use std::process::{Command, Stdio};

use accessory_tests::provision::accessory_bin;

/// The shell block after the marker in README.md.
fn readme_block(marker: &str) -> String {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"))
        .expect("README.md");
    let after = &readme[readme.find(marker).expect("the marker in README.md")..];
    let start = after.find("```sh\n").expect("a sh block after the marker") + "```sh\n".len();
    let len = after[start..].find("```").expect("the block's end");
    after[start..start + len].to_owned()
}

#[test]
fn the_readme_loopback_session_works_pasted_whole() {
    let block = readme_block("readme:loopback-session");
    assert!(block.contains("accessory provision"), "{block}");
    // The build line builds a release; the test runs the debug binary already built.
    let script: String = block
        .lines()
        .filter(|l| !l.starts_with("cargo build"))
        .map(|l| format!("{l}\n"))
        .collect();
    let bin_dir = accessory_bin().parent().unwrap().to_owned();
    let work = tempfile::tempdir().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    // Pipes for the output, as a caller capturing it would use: the detached simulators must not
    // hold them open (`output()` returns only when every writer closed them).
    let run = Command::new("bash")
        .args(["-c", &script])
        .current_dir(work.path())
        .env("PATH", path)
        .env("TMPDIR", work.path())
        .env_remove("ACCESSORY_LEDGER")
        .env("ACCESSORY_LEDGER", work.path().join("ledger.sqlite3"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let status = run.status;
    let text = format!(
        "{}\n--- stderr\n{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    // Stop the simulators the block detached (each printed its process id).
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("Serving in the background as process ") {
            let pid = rest.split(';').next().unwrap();
            let _ = Command::new("kill").arg(pid).status();
        }
    }
    assert!(
        text.matches("Serving in the background as process").count() == 2,
        "{text}"
    );
    // As a person's shell runs a pasted block: every line, whatever the one before returned (a
    // probe that predicts a failing platform exits 1, its verdict). The block ends with
    // `accessory explain -9825`, which succeeds; what each line must have done is checked below.
    assert_eq!(status.code(), Some(0), "{text}");
    assert!(
        text.contains("joined Home"),
        "the provisioning did not end joined:\n{text}"
    );
    assert!(text.contains("-9825"), "{text}");
    // The second accessory cannot read iOS 26's ClientHello, and the probe says so.
    assert!(
        text.lines()
            .any(|l| l.starts_with("ios26") && l.contains("FAILED")),
        "{text}"
    );
}
