//! The `proto-ver` endpoint: the device's JSON self-description and the security scheme it names.
//!
//! The device answers any non-empty body (the Python client sends `---`) with the string built by
//! `wifi_prov_mgr` (`manager.c:250-285`) and printed with `cJSON_Print`:
//! `{"prov":{"ver":"v1.1","sec_ver":2,"sec_patch_ver":1,"cap":["wifi_scan"]}}`, tab-indented.
//! Applications may add objects beside `"prov"`; they are kept in [`ProtoVersion::extra`].

use serde_json::{Map, Value};

use super::error::{Error, Result};

/// The body the Python client sends to `proto-ver`: the device needs a non-empty body.
pub const PROTO_VER_REQUEST: &[u8] = b"---";

/// A security scheme this crate accepts. Security 0 has no variant: it is refused when parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SecurityScheme {
    /// Security 1: X25519 key agreement, proof of possession, AES-256-CTR.
    Sec1,
    /// Security 2: SRP6a (3072-bit, SHA-512) with username and password, AES-256-GCM.
    Sec2,
}

impl SecurityScheme {
    /// Maps `sec_ver` to a scheme; 0 is [`Error::SecurityZeroRefused`].
    pub fn from_sec_ver(sec_ver: i64) -> Result<Self> {
        match sec_ver {
            0 => Err(Error::SecurityZeroRefused),
            1 => Ok(SecurityScheme::Sec1),
            2 => Ok(SecurityScheme::Sec2),
            other => Err(Error::UnsupportedSecurity(other)),
        }
    }

    /// The `sec_ver` number on the wire (1 or 2).
    pub fn sec_ver(self) -> u8 {
        match self {
            SecurityScheme::Sec1 => 1,
            SecurityScheme::Sec2 => 2,
        }
    }
}

/// The `"prov"` object of a `proto-ver` answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtoVersion {
    /// The provisioning manager version: `"v1.1"` (wifi_provisioning) or `"netprov-v1.2"`.
    pub ver: String,
    /// The security scheme the device requires.
    pub scheme: SecurityScheme,
    /// `sec_patch_ver`; a missing field means 0. For security 2, 1 or more means a counter nonce.
    pub sec_patch_ver: u32,
    /// The capabilities, e.g. `"wifi_scan"`, `"no_pop"`.
    pub capabilities: Vec<String>,
    /// Any application objects beside `"prov"`, as raw JSON.
    pub extra: Map<String, Value>,
}

impl ProtoVersion {
    /// A wifi_provisioning `v1.1` description with `wifi_scan`, as ESP-IDF builds it.
    pub fn wifi_provisioning(scheme: SecurityScheme, sec_patch_ver: u32) -> Self {
        ProtoVersion {
            ver: "v1.1".to_owned(),
            scheme,
            sec_patch_ver,
            capabilities: vec!["wifi_scan".to_owned()],
            extra: Map::new(),
        }
    }

    /// Parses the body of a `proto-ver` answer. Security 0 gives [`Error::SecurityZeroRefused`],
    /// which the caller turns into a refusal to provision.
    pub fn parse(body: &[u8]) -> Result<Self> {
        let bad = |why: &str| Error::InvalidVersion(why.to_owned());
        let value: Value =
            serde_json::from_slice(body).map_err(|e| Error::InvalidVersion(e.to_string()))?;
        let Value::Object(mut top) = value else {
            return Err(bad("not a json object"));
        };
        let Some(Value::Object(prov)) = top.remove("prov") else {
            return Err(bad("no \"prov\" object"));
        };
        let ver = match prov.get("ver") {
            Some(Value::String(s)) => s.clone(),
            _ => return Err(bad("\"prov.ver\" is not a string")),
        };
        let sec_ver = match prov.get("sec_ver") {
            Some(v) => v
                .as_i64()
                .ok_or_else(|| bad("\"prov.sec_ver\" is not an integer"))?,
            None => return Err(bad("no \"prov.sec_ver\"")),
        };
        let scheme = SecurityScheme::from_sec_ver(sec_ver)?;
        let sec_patch_ver = match prov.get("sec_patch_ver") {
            None => 0,
            Some(v) => v
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| bad("\"prov.sec_patch_ver\" is not a small integer"))?,
        };
        let capabilities = match prov.get("cap") {
            None => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .map(|c| c.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| bad("\"prov.cap\" holds a non-string"))?,
            Some(_) => return Err(bad("\"prov.cap\" is not an array")),
        };
        if capabilities.iter().any(|c| c == "no_sec") {
            return Err(Error::SecurityZeroRefused);
        }
        Ok(ProtoVersion {
            ver,
            scheme,
            sec_patch_ver,
            capabilities,
            extra: top,
        })
    }

    /// Whether the device lists a capability, e.g. `"wifi_scan"`.
    pub fn has_capability(&self, name: &str) -> bool {
        self.capabilities.iter().any(|c| c == name)
    }

    /// Builds the answer a device sends, formatted like `cJSON_Print` (tabs, `":\t"`, arrays on
    /// one line). Clients must parse it as JSON; the formatting only makes a simulator look real.
    pub fn to_device_json(&self) -> Vec<u8> {
        // cJSON keeps insertion order; serde_json's Map sorts, so "prov" is laid out by hand.
        let prov = [
            ("ver", Value::from(self.ver.clone())),
            ("sec_ver", Value::from(self.scheme.sec_ver())),
            ("sec_patch_ver", Value::from(self.sec_patch_ver)),
            ("cap", Value::from(self.capabilities.clone())),
        ];
        let mut out = String::from("{\n\t\"prov\":\t");
        print_object(prov.iter().map(|(k, v)| (*k, v)), 1, &mut out);
        for (k, v) in &self.extra {
            out.push_str(",\n\t");
            out.push_str(&Value::from(k.as_str()).to_string());
            out.push_str(":\t");
            cjson_print(v, 1, &mut out);
        }
        out.push_str("\n}");
        out.into_bytes()
    }
}

/// Writes the members of an object the way cJSON's formatted printer does.
fn print_object<'a>(
    entries: impl Iterator<Item = (&'a str, &'a Value)>,
    depth: usize,
    out: &mut String,
) {
    out.push_str("{\n");
    for (i, (k, v)) in entries.enumerate() {
        if i > 0 {
            out.push_str(",\n");
        }
        out.push_str(&"\t".repeat(depth + 1));
        out.push_str(&Value::from(k).to_string());
        out.push_str(":\t");
        cjson_print(v, depth + 1, out);
    }
    out.push('\n');
    out.push_str(&"\t".repeat(depth));
    out.push('}');
}

/// Writes `value` the way cJSON's formatted printer does.
fn cjson_print(value: &Value, depth: usize, out: &mut String) {
    match value {
        Value::Object(map) => print_object(map.iter().map(|(k, v)| (k.as_str(), v)), depth, out),
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                cjson_print(v, depth + 1, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const IDF_SEC2: &str = "{\n\t\"prov\":\t{\n\t\t\"ver\":\t\"v1.1\",\n\t\t\"sec_ver\":\t2,\n\t\t\"sec_patch_ver\":\t1,\n\t\t\"cap\":\t[\"wifi_scan\"]\n\t}\n}";

    #[test]
    fn idf_sec2_answer_parses_with_patch_version_and_scan_capability() {
        let v = ProtoVersion::parse(IDF_SEC2.as_bytes()).unwrap();
        assert_eq!(v.scheme, SecurityScheme::Sec2);
        assert_eq!(v.sec_patch_ver, 1);
        assert!(v.has_capability("wifi_scan"));
        assert_eq!(v.ver, "v1.1");
    }

    #[test]
    fn device_json_is_byte_identical_to_cjson_print() {
        let v = ProtoVersion::wifi_provisioning(SecurityScheme::Sec2, 1);
        assert_eq!(String::from_utf8(v.to_device_json()).unwrap(), IDF_SEC2);
    }

    #[test]
    fn security_zero_is_refused() {
        let body = br#"{"prov":{"ver":"v1.1","sec_ver":0,"cap":["no_sec","wifi_scan"]}}"#;
        assert_eq!(ProtoVersion::parse(body), Err(Error::SecurityZeroRefused));
    }

    #[test]
    fn no_sec_capability_is_refused_even_with_a_nonzero_sec_ver() {
        let body = br#"{"prov":{"ver":"v1.1","sec_ver":1,"cap":["no_sec"]}}"#;
        assert_eq!(ProtoVersion::parse(body), Err(Error::SecurityZeroRefused));
    }

    #[test]
    fn missing_patch_version_means_zero_and_app_objects_are_kept() {
        let body =
            br#"{"prov":{"ver":"netprov-v1.2","sec_ver":1,"cap":["no_pop"]},"app":{"ver":"1"}}"#;
        let v = ProtoVersion::parse(body).unwrap();
        assert_eq!(v.sec_patch_ver, 0);
        assert_eq!(v.scheme, SecurityScheme::Sec1);
        assert!(v.extra.contains_key("app"));
    }

    #[test]
    fn unknown_scheme_and_garbage_are_errors() {
        let body = br#"{"prov":{"ver":"v1.1","sec_ver":3}}"#;
        assert_eq!(
            ProtoVersion::parse(body),
            Err(Error::UnsupportedSecurity(3))
        );
        assert!(matches!(
            ProtoVersion::parse(b"<html>"),
            Err(Error::InvalidVersion(_))
        ));
        assert!(matches!(
            ProtoVersion::parse(br#"{"x":1}"#),
            Err(Error::InvalidVersion(_))
        ));
    }
}
