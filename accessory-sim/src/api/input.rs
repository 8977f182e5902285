//! What a request carries, read and checked without touching any state: the body of
//! `PUT /v1/network` and the long-poll wait of `GET /v1/status`. The fuzz target `sim_request`
//! calls these (docs/fuzzing.md).

use std::time::Duration;

use hyper::StatusCode;
use protocol::api::{NetworkRequest, MAX_WAIT};
use protocol::{NetworkError, Security};

use super::{error, ApiError};
use crate::device::NetworkConfig;
use crate::request_value::{self, BadValue};

/// The body of `PUT /v1/network`, read and checked: what [`parse_network`] makes of it. No
/// `Debug`: it holds the passphrase.
pub struct NetworkBody {
    pub(super) config: NetworkConfig,
    /// How the network is secured (said, or implied by a passphrase or its absence).
    pub security: Security,
    /// Join at once.
    pub apply: bool,
}

impl NetworkBody {
    /// The SSID, checked by [`protocol::validate_ssid`].
    pub fn ssid(&self) -> &str {
        &self.config.ssid
    }

    /// Whether a passphrase came with it (checked by [`protocol::validate_passphrase`]).
    pub fn has_passphrase(&self) -> bool {
        self.config.passphrase.is_some()
    }
}

/// Reads the body of `PUT /v1/network` without touching any state: JSON into
/// [`NetworkRequest`] (unknown members refused), then the SSID, the security kind and the
/// passphrase by the network rules. Every refusal is a 400 with its code.
pub fn parse_network(body: &[u8]) -> Result<NetworkBody, ApiError> {
    let request: NetworkRequest<'_> = serde_json::from_slice(body).map_err(|e| {
        error(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            format!(
                "the body is not a network request {{ssid, passphrase, security, hidden, apply}}: {}",
                e.classify_message()
            ),
        )
    })?;
    if let Err(e) = protocol::validate_ssid(&request.ssid) {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "invalid_ssid",
            e.to_string(),
        ));
    }
    let security = match request.security.as_deref() {
        Some(s) => s
            .parse::<Security>()
            .map_err(|e| error(StatusCode::BAD_REQUEST, "invalid_security", e.to_string()))?,
        None if request.passphrase.is_none() => Security::Open,
        None => Security::Wpa2Psk,
    };
    match (&request.passphrase, security) {
        (Some(_), Security::Open) => {
            return Err(error(
                StatusCode::BAD_REQUEST,
                "unexpected_passphrase",
                "an open network takes no passphrase",
            ))
        }
        (None, s) if s.needs_passphrase() => {
            return Err(error(
                StatusCode::BAD_REQUEST,
                "missing_passphrase",
                format!("a {s} network needs a passphrase"),
            ))
        }
        (Some(p), _) => {
            if let Err(e) = protocol::validate_passphrase(p) {
                let message = match e {
                    NetworkError::PassphraseLength(n) => format!(
                        "a passphrase is 8 to 63 printable characters or 64 hex digits; this one has {n} characters"
                    ),
                    other => other.to_string(),
                };
                return Err(error(
                    StatusCode::BAD_REQUEST,
                    "invalid_passphrase",
                    message,
                ));
            }
        }
        _ => {}
    }
    Ok(NetworkBody {
        config: NetworkConfig {
            ssid: request.ssid.into_owned(),
            passphrase: request.passphrase.map(|p| p.into_owned()),
        },
        security,
        apply: request.apply,
    })
}

/// Reads the long-poll wait of `GET /v1/status?wait=S` from the query without touching any state:
/// seconds, at most [`MAX_WAIT`]; none is zero; anything but a number of seconds is a 400
/// `invalid_wait`.
pub fn parse_wait(query: Option<&str>) -> Result<Duration, ApiError> {
    let mut wait = Duration::ZERO;
    let bad = |e: BadValue| {
        let code = if e.name == "wait" {
            "invalid_wait"
        } else {
            "invalid_query"
        };
        error(StatusCode::BAD_REQUEST, code, e.message)
    };
    for (key, value) in request_value::query_pairs(query).map_err(bad)? {
        if key == "wait" {
            wait = request_value::seconds("wait", value, MAX_WAIT).map_err(bad)?;
        }
    }
    Ok(wait)
}

/// serde_json's messages name the line and column; they never echo a string value.
trait ClassifyMessage {
    fn classify_message(&self) -> String;
}

impl ClassifyMessage for serde_json::Error {
    fn classify_message(&self) -> String {
        match self.classify() {
            serde_json::error::Category::Data => {
                // Data errors can quote a value ("invalid type: integer `12345678`"): keep only
                // the kind and position, since the value might be a passphrase.
                let text = self.to_string();
                if text.contains("unknown field") || text.contains("missing field") {
                    text
                } else {
                    format!(
                        "a member has the wrong type at line {} column {}",
                        self.line(),
                        self.column()
                    )
                }
            }
            _ => self.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wait_too_large_for_any_duration_is_capped_at_the_longest_poll_not_a_panic() {
        // Found by the fuzz target `sim_request` (docs/fuzzing.md).
        for query in [
            "wait=1e20",
            "wait=1e300",
            "wait=18446744073709551616",
            "wait=61",
        ] {
            assert_eq!(parse_wait(Some(query)).unwrap(), MAX_WAIT, "{query}");
        }
        assert_eq!(
            parse_wait(Some("x=1&wait=2.5")).unwrap(),
            Duration::from_millis(2500)
        );
        assert_eq!(parse_wait(None).unwrap(), Duration::ZERO);
    }

    #[test]
    fn a_wait_that_is_not_a_number_of_seconds_is_refused_with_invalid_wait() {
        for query in ["wait=-1", "wait=NaN", "wait=inf", "wait=abc", "wait="] {
            let e = parse_wait(Some(query)).unwrap_err();
            assert_eq!((e.status(), e.code()), (400, "invalid_wait"), "{query}");
        }
    }

    #[test]
    fn a_network_body_is_read_and_checked_by_the_network_rules() {
        let ok =
            parse_network(br#"{"ssid":"Home","passphrase":"correct horse","apply":true}"#).unwrap();
        assert_eq!(
            (ok.ssid(), ok.has_passphrase(), ok.security, ok.apply),
            ("Home", true, Security::Wpa2Psk, true)
        );
        let open = parse_network(br#"{"ssid":"Cafe"}"#).unwrap();
        assert_eq!(
            (open.security, open.has_passphrase()),
            (Security::Open, false)
        );
        for (body, code) in [
            (
                &br#"{"ssid":"Home","passphrase":"short"}"#[..],
                "invalid_passphrase",
            ),
            (&br#"{"ssid":""}"#[..], "invalid_ssid"),
            (
                &br#"{"ssid":"Home","security":"wep"}"#[..],
                "invalid_security",
            ),
            (
                &br#"{"ssid":"Home","security":"open","passphrase":"12345678"}"#[..],
                "unexpected_passphrase",
            ),
            (
                &br#"{"ssid":"Home","security":"wpa3-sae"}"#[..],
                "missing_passphrase",
            ),
            (&br#"{"ssid":"Home","pass":"x"}"#[..], "invalid_json"),
            (&b"\xff"[..], "invalid_json"),
        ] {
            let e = parse_network(body).err().expect("refused");
            assert_eq!((e.status(), e.code()), (400, code));
        }
    }
}
