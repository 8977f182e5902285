//! The accessory API as JSON: what `GET /v1/device`, `PUT /v1/network` and `GET /v1/status` carry
//! (DESIGN.md, "The accessory API"). Unknown fields are ignored: a newer accessory may say more.

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::request::Network;

/// `GET /v1/device`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceInfo {
    /// The id on the label, which the certificate names.
    pub device_id: String,
    #[serde(default)]
    pub model: String,
    #[serde(default)]
    pub firmware: String,
    /// The API version the accessory speaks.
    #[serde(default)]
    pub api: serde_json::Value,
    #[serde(default)]
    pub capabilities: Vec<String>,
}

/// `GET /v1/status`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(crate) struct Status {
    pub state: String,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub ip: Option<String>,
}

/// An error answer: `{error, code}`.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct ErrorBody {
    #[serde(default)]
    pub error: String,
    #[serde(default)]
    pub code: String,
}

impl ErrorBody {
    /// Reads an error body; anything that is not the documented shape becomes its text.
    pub(crate) fn parse(body: &[u8]) -> Self {
        serde_json::from_slice(body).unwrap_or_else(|_| ErrorBody {
            error: String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned(),
            code: String::new(),
        })
    }
}

/// The body of `PUT /v1/network`: the one place the passphrase is written out. The buffer is
/// zeroized when dropped (hyper copies it into its write buffer; that copy we cannot reach).
pub(crate) fn network_body(network: &Network, apply: bool) -> Zeroizing<Vec<u8>> {
    #[derive(Serialize)]
    struct Body<'a> {
        ssid: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        passphrase: Option<&'a str>,
        security: &'a str,
        hidden: bool,
        apply: bool,
    }
    let body = Body {
        ssid: &network.ssid,
        // An open network takes no passphrase field at all.
        passphrase: (network.security != "open").then(|| network.passphrase.expose()),
        security: &network.security,
        hidden: network.hidden,
        apply,
    };
    // Reserve enough up front that serde_json never reallocates (a reallocation would leave an
    // unzeroized copy of the passphrase behind in freed memory). JSON escaping at most sextuples.
    let cap =
        96 + 6 * (network.ssid.len() + network.passphrase.expose().len() + network.security.len());
    let mut buf = Zeroizing::new(Vec::with_capacity(cap));
    serde_json::to_writer(&mut *buf, &body).expect("serializing plain strings cannot fail");
    buf
}
