//! A scenario file a QA engineer wrote (`accessory sim --scenario FILE`): any text is a scenario or
//! a precise error naming the file, never a panic; a scenario that reads also validates without a
//! panic, and what `to_toml` writes of it reads back as the same scenario. The fault and link-fault
//! spellings (`name[=value]`, also on the command line) are parsed on their own too.
#![no_main]

use std::path::Path;

use accessory_sim::{Fault, LinkFault, Scenario};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = text.parse::<Fault>();
    let _ = text.parse::<LinkFault>();
    let Ok(scenario) = Scenario::from_toml(text, Path::new("fuzz.toml")) else {
        return;
    };
    let _ = scenario.validate();
    let _ = scenario.effective_profile();
    let written = scenario.to_toml();
    let again = Scenario::from_toml(&written, Path::new("written.toml"))
        .unwrap_or_else(|e| panic!("what to_toml wrote does not read back: {e}\n{written}"));
    assert_eq!(again, scenario, "{written}");
});
