//! The one bounded parser for values read from a request (query strings, headers).
//!
//! A value from the network is hostile until parsed: `GET /v1/status?wait=1e20` once panicked a
//! worker because `Duration::from_secs_f64` ran before the cap. Every request value goes through
//! here, where the bound is applied before any conversion that could overflow, and anything not
//! understood is a [`BadValue`] the API answers with `400`, never a panic. JSON bodies are bounded
//! by [`protocol::api::MAX_BODY`] before serde reads them (serde_json bounds nesting itself).

use std::time::Duration;

/// The longest query string read; longer ones are refused whole.
pub(crate) const MAX_QUERY: usize = 1024;
/// The most `key=value` pairs read from one query string.
pub(crate) const MAX_PAIRS: usize = 16;
/// The longest number accepted as seconds (`60`, `0.25`, `1e300` all fit).
const MAX_NUMBER: usize = 32;

/// A request value that is not what its parameter takes: the parameter, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BadValue {
    pub name: &'static str,
    pub message: String,
}

/// The query string as `(key, value)` pairs, at most [`MAX_PAIRS`] of a string at most
/// [`MAX_QUERY`] long.
pub(crate) fn query_pairs(query: Option<&str>) -> Result<Vec<(&str, &str)>, BadValue> {
    let query = query.unwrap_or("");
    if query.len() > MAX_QUERY {
        return Err(BadValue {
            name: "query",
            message: format!("the query string is over {MAX_QUERY} bytes"),
        });
    }
    let pairs: Vec<_> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| p.split_once('=').unwrap_or((p, "")))
        .collect();
    if pairs.len() > MAX_PAIRS {
        return Err(BadValue {
            name: "query",
            message: format!("the query string has over {MAX_PAIRS} parameters"),
        });
    }
    Ok(pairs)
}

/// A number of seconds (decimal, fractions and exponents allowed), capped at `max`: a finite,
/// non-negative number; anything larger than `max` is `max`. NaN, infinities, negatives and
/// words are refused.
pub(crate) fn seconds(
    name: &'static str,
    value: &str,
    max: Duration,
) -> Result<Duration, BadValue> {
    let bad = || BadValue {
        name,
        message: format!(
            "{name} is a number of seconds from 0 to {}, not `{}`",
            max.as_secs_f64(),
            value.chars().take(MAX_NUMBER).collect::<String>()
        ),
    };
    if value.len() > MAX_NUMBER {
        return Err(bad());
    }
    let secs: f64 = value.parse().map_err(|_| bad())?;
    if !secs.is_finite() || secs < 0.0 {
        return Err(bad());
    }
    // Compare before converting: the conversion is what overflows.
    if secs >= max.as_secs_f64() {
        return Ok(max);
    }
    Duration::try_from_secs_f64(secs).map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAX: Duration = Duration::from_secs(60);

    #[test]
    fn huge_seconds_are_capped_before_they_are_converted() {
        for v in [
            "1e20",
            "1e300",
            "18446744073709551616",
            "1.7976931348623157e308",
            "60",
            "61",
        ] {
            assert_eq!(seconds("wait", v, MAX), Ok(MAX), "{v}");
        }
        assert_eq!(seconds("wait", "0.5", MAX), Ok(Duration::from_millis(500)));
        assert_eq!(seconds("wait", "0", MAX), Ok(Duration::ZERO));
        assert_eq!(seconds("wait", "1e-300", MAX), Ok(Duration::ZERO));
    }

    #[test]
    fn nan_infinities_negatives_and_words_are_refused_not_panicked_on() {
        for v in [
            "NaN",
            "nan",
            "inf",
            "-inf",
            "infinity",
            "-1",
            "-1e20",
            "",
            "five",
            "1s",
            "0x10",
            "99999999999999999999999999999999999999999",
        ] {
            let e = seconds("wait", v, MAX).unwrap_err();
            assert_eq!(e.name, "wait", "{v}");
        }
    }

    #[test]
    fn query_strings_are_bounded_in_length_and_parameters() {
        assert_eq!(
            query_pairs(Some("wait=5&x")).unwrap(),
            [("wait", "5"), ("x", "")]
        );
        assert!(query_pairs(Some(&"a=1&".repeat(MAX_PAIRS + 1))).is_err());
        assert!(query_pairs(Some(&"a".repeat(MAX_QUERY + 1))).is_err());
        assert!(query_pairs(None).unwrap().is_empty());
    }
}
