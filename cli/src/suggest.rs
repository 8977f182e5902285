//! Completions that offer names, not file names.
//!
//! A flag whose value is a name parsed by a library type (`--fault slow-status=3`, `--format
//! curl-pins`, `--profile ios26`) gets no possible values from clap, so the generated completions
//! fall back to file names. [`Suggest`] keeps the library's parser (its errors and codes stay the
//! library's: `exit::report_flag`) and tells clap the names, which the completions then offer.
//! The args hide the list from `--help` where the help already explains the names.

use clap::builder::{PossibleValue, TypedValueParser};

/// The library's parser `P`, plus the names completions offer.
#[derive(Clone)]
pub struct Suggest<P> {
    parser: P,
    names: fn() -> Vec<&'static str>,
}

/// `value_parser = suggest(|s: &str| s.parse::<Fault>(), fault_names)`.
pub fn suggest<P: TypedValueParser>(parser: P, names: fn() -> Vec<&'static str>) -> Suggest<P> {
    Suggest { parser, names }
}

impl<P: TypedValueParser> TypedValueParser for Suggest<P> {
    type Value = P::Value;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<Self::Value, clap::Error> {
        self.parser.parse_ref(cmd, arg, value)
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new((self.names)().into_iter().map(PossibleValue::new)))
    }
}

/// The simulator's fault names (`slow-status` for `slow-status[=3]`; a certificate fault is its
/// profile's name).
pub fn fault_names() -> Vec<&'static str> {
    accessory_sim::Fault::catalogue()
        .into_iter()
        .map(|syntax| syntax.split(['=', '[']).next().unwrap_or(syntax))
        .collect()
}

/// The certificate profiles (`accessory certs profiles`).
pub fn cert_profile_names() -> Vec<&'static str> {
    certs::profiles().iter().map(|p| p.name).collect()
}

/// The client profiles (`accessory probe --list-profiles`).
pub fn client_profile_names() -> Vec<&'static str> {
    probe::profiles().iter().map(|p| p.name).collect()
}

/// The export formats.
pub fn export_format_names() -> Vec<&'static str> {
    trust::export::Format::ALL
        .iter()
        .map(|f| f.name())
        .collect()
}

/// `trust lint --profile`: the rule books.
pub fn rule_book_names() -> Vec<&'static str> {
    vec!["apple", "android", "webpki", "all"]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_suggested_name_parses_with_the_flags_own_parser() {
        for name in fault_names() {
            let parsed = name.parse::<accessory_sim::Fault>();
            // A fault that needs a value (`alert=NAME`) is suggested by name; the rest parse.
            assert!(
                parsed.is_ok()
                    || accessory_sim::Fault::catalogue()
                        .iter()
                        .any(|s| s.starts_with(&format!("{name}="))),
                "{name}"
            );
        }
        for name in export_format_names() {
            assert!(name.parse::<trust::export::Format>().is_ok(), "{name}");
        }
        for name in rule_book_names() {
            assert!(name.parse::<trust::lint::RuleBook>().is_ok(), "{name}");
        }
        for name in client_profile_names() {
            assert!(probe::ClientProfile::by_name(name).is_ok(), "{name}");
        }
        assert!(cert_profile_names().contains(&"good-chain"));
    }
}
