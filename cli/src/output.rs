//! Standard output, one way: JSON for scripts, plain lines for people, and a reader that stopped
//! reading (`accessory ... | head`) ends the process quietly with success, as ripgrep does.
//!
//! Rust ignores SIGPIPE, so a plain `println!` to a closed pipe panics ("failed printing to stdout:
//! Broken pipe"); restoring SIGPIPE's default would need unsafe code. Every command prints through
//! [`line`] (the `say!` macro) or [`bytes`], which end the process with status 0 on `EPIPE`: by then
//! everything the command had to write to disk is written, and a reader that left is not a failure.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::Serialize;

/// `println!` through [`line`]: `say!("{x}")`, `say!()`.
macro_rules! say {
    () => {
        $crate::output::line(format_args!(""))
    };
    ($($arg:tt)*) => {
        $crate::output::line(format_args!($($arg)*))
    };
}
pub(crate) use say;

/// Writes one line on stdout; ends the process with success when the reader closed it.
pub fn line(args: std::fmt::Arguments<'_>) {
    let mut out = std::io::stdout().lock();
    let result = out.write_fmt(args).and_then(|()| out.write_all(b"\n"));
    quiet_on_epipe(result);
}

/// Writes bytes on stdout as they are; ends the process with success when the reader closed it.
pub fn bytes(data: &[u8]) {
    let mut out = std::io::stdout().lock();
    let result = out.write_all(data).and_then(|()| out.flush());
    quiet_on_epipe(result);
}

/// The command asked for `--json`: its failure is JSON on stdout too ([`crate::exit::report`]).
static JSON: AtomicBool = AtomicBool::new(false);
/// The command printed its own JSON document on stdout (a provisioning failure with its diagnosis):
/// the failure is not printed a second time.
static PRINTED_JSON: AtomicBool = AtomicBool::new(false);

/// Notes whether the command asked for `--json` (set once, by `cli::parse`).
pub fn set_json(json: bool) {
    JSON.store(json, Ordering::SeqCst);
}

/// Whether the failure should be printed as JSON on stdout: `--json`, and the command did not print
/// a JSON document already.
pub fn failure_as_json() -> bool {
    JSON.load(Ordering::SeqCst) && !PRINTED_JSON.load(Ordering::SeqCst)
}

/// Prints `value` as pretty JSON on stdout, followed by a newline.
pub fn json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(value)?;
    PRINTED_JSON.store(true, Ordering::SeqCst);
    say!("{text}");
    Ok(())
}

/// Prints `value` as one line of JSON on stdout.
pub fn json_line<T: Serialize>(value: &T) -> anyhow::Result<()> {
    let text = serde_json::to_string(value)?;
    PRINTED_JSON.store(true, Ordering::SeqCst);
    say!("{text}");
    Ok(())
}

fn quiet_on_epipe(result: std::io::Result<()>) {
    match result {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        // Any other failure is what `println!` did before: a panic (status 101).
        Err(e) => panic!("failed printing to stdout: {e}"),
    }
}
