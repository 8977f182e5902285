//! Output helpers shared by the commands: JSON for scripts, plain lines for people.

use serde::Serialize;

/// Prints `value` as pretty JSON on stdout, followed by a newline.
pub fn json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(value)?;
    println!("{text}");
    Ok(())
}
