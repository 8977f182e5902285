//! Skips that are seen, never silent passes.
//!
//! A test that cannot run here calls [`skip`](crate::skip::skip) (or
//! [`require_tool`](crate::skip::require_tool), [`require_root`](crate::skip::require_root)) and
//! returns.
//! The skip is printed, appended to the file named by `ACCESSORY_TEST_SKIPS` (the Makefile points it at
//! `target/test-skips.txt` and prints the list in `make test`'s summary), and, under CI (`CI=true`),
//! a skip of something `make deps` installs, or of root (CI runs as root), fails the test instead:
//! on CI a missing install step must be a red run, not a green one.

use std::io::Write;

use crate::sim::have;

/// Why a test could not run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    /// A program or file that `make deps` (scripts/install-deps.sh) installs.
    Dependency,
    /// Root privileges (network namespaces); CI runs as root.
    Root,
    /// Something outside the project's control (e.g. a service the environment does not offer).
    Environment,
}

/// Records that the running test was skipped because of `reason`; panics under CI when `what` is
/// something CI provides. Returns normally otherwise, so the caller returns.
#[track_caller]
pub fn skip(what: Missing, reason: &str) {
    // libtest runs each test on a thread named after it.
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("a test");
    let line = format!("SKIP {test}: {reason}");
    eprintln!("{line}");
    if let Some(path) = std::env::var_os("ACCESSORY_TEST_SKIPS") {
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
        {
            let _ = writeln!(f, "{line}");
        }
    }
    let on_ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    if fails_under_ci(what, on_ci) {
        panic!("{line}; under CI this is a failure (`make deps` installs it and CI runs as root)");
    }
}

/// True when `program` runs (`program --version`, or `openssl version`); otherwise records a
/// [`Missing::Dependency`] skip and returns false.
#[track_caller]
pub fn require_tool(program: &str) -> bool {
    if have(program) {
        return true;
    }
    skip(
        Missing::Dependency,
        &format!("{program} is not installed (`make deps` installs it)"),
    );
    false
}

/// True when running as root; otherwise records a [`Missing::Root`] skip.
#[track_caller]
pub fn require_root() -> bool {
    if accessory_sim::is_root() {
        return true;
    }
    skip(
        Missing::Root,
        "needs root for network namespaces (`id -u` is not 0); CI runs as root",
    );
    false
}

/// Whether a skip for `what` is a failure: under CI, everything CI provides must be there.
fn fails_under_ci(what: Missing, on_ci: bool) -> bool {
    on_ci && what != Missing::Environment
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_skip_of_a_dependency_or_of_root_fails_under_ci_and_only_there() {
        assert!(fails_under_ci(Missing::Dependency, true));
        assert!(fails_under_ci(Missing::Root, true));
        assert!(!fails_under_ci(Missing::Environment, true));
        assert!(!fails_under_ci(Missing::Dependency, false));
        assert!(!fails_under_ci(Missing::Root, false));
    }
}
