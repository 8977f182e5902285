//! `make demo` on a machine without the SoftAP's optional packages: in a mount namespace of the
//! test's own where dnsmasq is not installed (an empty, non-executable file bound over it), the demo
//! as root says what is missing, falls back to loopback and still provisions. (CI runs the whole
//! README path on a machine where `make deps` installed everything; this is the other branch.)

use std::path::Path;
use std::process::Command;

use accessory_tests::provision::accessory_bin;
use accessory_tests::skip::{require_root, require_tool};

#[test]
fn the_demo_as_root_without_dnsmasq_falls_back_to_loopback_and_says_why() {
    if !require_root() || !require_tool("python3") {
        return;
    }
    if !Path::new("/usr/sbin/dnsmasq").exists() {
        // Nothing to hide: `make deps` installs it, and CI must have it.
        accessory_tests::skip::skip(
            accessory_tests::skip::Missing::Dependency,
            "/usr/sbin/dnsmasq is not installed (`make deps` installs dnsmasq-base)",
        );
        return;
    }
    let top = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let hidden = tempfile::NamedTempFile::new().unwrap();
    let script = format!(
        "mount --bind {} /usr/sbin/dnsmasq && exec ./scripts/demo.sh",
        hidden.path().display()
    );
    let out = Command::new("unshare")
        .args(["--mount", "--propagation", "private", "bash", "-c", &script])
        .current_dir(&top)
        .env("ACCESSORY_BIN", accessory_bin())
        .env("ACCESSORY_DEMO_NO_INSTALL", "1")
        .output()
        .expect("unshare runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "the demo failed:\n{text}");
    assert!(
        text.contains("dnsmasq missing") && text.contains("falling back to loopback"),
        "the demo did not say why it fell back:\n{text}"
    );
    assert!(
        text.contains("joined Home as"),
        "the loopback provisioning did not finish:\n{text}"
    );
    // The namespace was the test's own: dnsmasq is still there for everyone else.
    assert!(Command::new("/usr/sbin/dnsmasq")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success()));
}
