//! Reading a profile: the TOML as written (`Raw*`, every member checked by serde, unknown ones
//! refused) and the checks that need the text itself (placeholders, pointers, the line and column
//! of each error).

use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use super::template::{placeholders_in, BodyKind, BodyTemplate, PathTemplate, Placeholder};
use super::{
    codes, ApiProfile, Auth, DeviceEndpoint, Method, NetworksEndpoint, Polling, ProfileError,
    SetNetworkEndpoint, StatusEndpoint, FORMAT,
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    format: Spanned<u32>,
    name: String,
    #[serde(default)]
    #[allow(dead_code)]
    description: Option<String>,
    #[serde(default)]
    auth: Option<RawAuth>,
    device: RawDevice,
    set_network: RawSetNetwork,
    status: RawStatus,
    #[serde(default)]
    networks: Option<RawNetworks>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, tag = "kind", rename_all = "kebab-case")]
enum RawAuth {
    None,
    Pop,
    StaticHeader {
        // Not `Spanned`: an internally tagged enum buffers its content, which loses spans.
        header: String,
        #[serde(default)]
        prefix: String,
        value_file: String,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDevice {
    #[serde(default = "get")]
    method: Method,
    path: Spanned<String>,
    id: Spanned<String>,
    model: Option<Spanned<String>>,
    firmware: Option<Spanned<String>>,
    api: Option<Spanned<String>>,
    capabilities: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSetNetwork {
    method: Method,
    path: Spanned<String>,
    body_kind: BodyKind,
    body: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStatus {
    #[serde(default = "get")]
    method: Method,
    path: Spanned<String>,
    long_poll: Option<String>,
    poll_interval_ms: Option<Spanned<u64>>,
    state: Spanned<String>,
    reason: Option<Spanned<String>>,
    ip: Option<Spanned<String>>,
    connected: Spanned<Vec<String>>,
    connecting: Vec<String>,
    #[serde(default)]
    idle: Vec<String>,
    #[serde(default)]
    failed: Vec<String>,
    #[serde(default)]
    reasons: RawReasons,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawReasons {
    #[serde(default)]
    wrong_passphrase: Vec<String>,
    #[serde(default)]
    network_not_found: Vec<String>,
    #[serde(default)]
    other: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNetworks {
    #[serde(default = "get")]
    method: Method,
    path: Spanned<String>,
    list: Spanned<String>,
    #[serde(default = "default_ssid_member")]
    ssid: String,
    #[serde(default)]
    rssi: Option<String>,
    #[serde(default)]
    security: Option<String>,
}

fn get() -> Method {
    Method::Get
}

fn default_ssid_member() -> String {
    "ssid".into()
}

/// The text being parsed and its name: turns byte offsets into lines and columns.
struct Source<'a> {
    name: &'a str,
    text: &'a str,
}

impl Source<'_> {
    fn error(&self, code: &'static str, at: usize, message: impl Into<String>) -> ProfileError {
        let at = at.min(self.text.len());
        let before = &self.text[..at];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        ProfileError {
            code,
            name: self.name.to_owned(),
            line,
            column: before[line_start..].chars().count() + 1,
            message: message.into(),
        }
    }

    /// Where `{name}` is inside the value at `span` (the raw text holds it verbatim), else the
    /// value's start.
    fn placeholder_at(&self, span: &Range<usize>, name: &str) -> usize {
        let raw = self.text.get(span.clone()).unwrap_or("");
        raw.find(&format!("{{{name}}}"))
            .map_or(span.start, |i| span.start + i)
    }

    /// Checks the placeholders of a path: `{device_id}` only (or none at all).
    fn path(
        &self,
        value: &Spanned<String>,
        allow_device_id: bool,
    ) -> Result<PathTemplate, ProfileError> {
        let text = value.get_ref();
        if !text.starts_with('/') {
            return Err(self.error(
                codes::INVALID,
                value.span().start,
                format!("a path starts with '/': {text:?}"),
            ));
        }
        for (name, _) in placeholders_in(text) {
            let at = self.placeholder_at(&value.span(), name);
            match Placeholder::from_name(name) {
                None => return Err(self.unknown(at, name)),
                Some(Placeholder::Passphrase) => {
                    return Err(self.error(
                        codes::PASSPHRASE_OUTSIDE_BODY,
                        at,
                        "{passphrase} may appear only in the set-network body: a path or query lands in logs",
                    ))
                }
                Some(Placeholder::DeviceId) if allow_device_id => {}
                Some(p) => {
                    return Err(self.error(
                        codes::INVALID,
                        at,
                        format!(
                            "{{{}}} cannot be used in this path (only {{device_id}}, and not in the device info path)",
                            p.name()
                        ),
                    ))
                }
            }
        }
        Ok(PathTemplate::new(text.clone()))
    }

    fn unknown(&self, at: usize, name: &str) -> ProfileError {
        let known: Vec<String> = Placeholder::ALL
            .iter()
            .map(|p| format!("{{{}}}", p.name()))
            .collect();
        self.error(
            codes::UNKNOWN_PLACEHOLDER,
            at,
            format!(
                "unknown placeholder {{{name}}} (known: {})",
                known.join(", ")
            ),
        )
    }

    fn pointer(&self, value: &Spanned<String>) -> Result<String, ProfileError> {
        let text = value.get_ref();
        if !text.is_empty() && !text.starts_with('/') {
            return Err(self.error(
                codes::INVALID,
                value.span().start,
                format!("{text:?} is not a JSON pointer (RFC 6901: empty, or starting with '/', e.g. \"/device/id\")"),
            ));
        }
        Ok(text.clone())
    }

    fn opt_pointer(&self, value: &Option<Spanned<String>>) -> Result<Option<String>, ProfileError> {
        value.as_ref().map(|v| self.pointer(v)).transpose()
    }
}

impl ApiProfile {
    /// Parses and checks a profile. `name` names it in errors (the file's path).
    pub fn parse(name: &str, text: &str) -> Result<ApiProfile, ProfileError> {
        let src = Source { name, text };
        let raw: Raw = toml::from_str(text).map_err(|e| {
            let at = e.span().map_or(0, |s| s.start);
            src.error(codes::SYNTAX, at, e.message().trim_end().to_owned())
        })?;
        if *raw.format.get_ref() != FORMAT {
            return Err(src.error(
                codes::INVALID,
                raw.format.span().start,
                format!(
                    "profile format {} is not one this build reads (format = {FORMAT})",
                    raw.format.get_ref()
                ),
            ));
        }
        let auth = match raw.auth {
            None | Some(RawAuth::None) => Auth::None,
            Some(RawAuth::Pop) => Auth::Pop,
            Some(RawAuth::StaticHeader {
                header,
                prefix,
                value_file,
            }) => {
                let h = &header;
                if h.is_empty()
                    || !h
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
                {
                    return Err(src.error(
                        codes::INVALID,
                        text.find(&format!("{h:?}")).unwrap_or(0),
                        format!("{h:?} is not an HTTP header name"),
                    ));
                }
                Auth::StaticHeader {
                    header: h.clone(),
                    prefix,
                    value_file,
                }
            }
        };

        let d = &raw.device;
        let device = DeviceEndpoint {
            method: d.method,
            path: src.path(&d.path, false)?.as_str().to_owned(),
            id: src.pointer(&d.id)?,
            model: src.opt_pointer(&d.model)?,
            firmware: src.opt_pointer(&d.firmware)?,
            api: src.opt_pointer(&d.api)?,
            capabilities: src.opt_pointer(&d.capabilities)?,
        };

        let s = &raw.set_network;
        let body_span = s.body.span();
        for (name, _) in placeholders_in(s.body.get_ref()) {
            if Placeholder::from_name(name).is_none() {
                return Err(src.unknown(src.placeholder_at(&body_span, name), name));
            }
        }
        let body = BodyTemplate::parse(s.body_kind, s.body.get_ref()).map_err(|p| {
            let at =
                p.at.as_deref()
                    .map_or(body_span.start, |n| src.placeholder_at(&body_span, n));
            src.error(codes::INVALID, at, p.message)
        })?;
        for needed in [Placeholder::Ssid, Placeholder::Passphrase] {
            if !body.uses(needed) {
                return Err(src.error(
                    codes::INVALID,
                    body_span.start,
                    format!("the set-network body never sends {{{}}}", needed.name()),
                ));
            }
        }
        let set_network = SetNetworkEndpoint {
            method: s.method,
            path: src.path(&s.path, true)?,
            body,
        };

        let st = raw.status;
        let polling = match (st.long_poll, st.poll_interval_ms) {
            (Some(param), None) => Polling::LongPoll { param },
            (None, Some(ms)) if *ms.get_ref() > 0 => Polling::Interval { ms: *ms.get_ref() },
            (None, Some(ms)) => {
                return Err(src.error(
                    codes::INVALID,
                    ms.span().start,
                    "poll_interval_ms is at least 1",
                ))
            }
            (Some(_), Some(ms)) => {
                return Err(src.error(
                    codes::INVALID,
                    ms.span().start,
                    "give long_poll or poll_interval_ms, not both",
                ))
            }
            (None, None) => Polling::Interval { ms: 1000 },
        };
        if st.connected.get_ref().is_empty() {
            return Err(src.error(
                codes::INVALID,
                st.connected.span().start,
                "status.connected names at least one state",
            ));
        }
        let status = StatusEndpoint {
            method: st.method,
            path: src.path(&st.path, true)?,
            polling,
            state: src.pointer(&st.state)?,
            reason: src.opt_pointer(&st.reason)?,
            ip: src.opt_pointer(&st.ip)?,
            connected: st.connected.into_inner(),
            connecting: st.connecting,
            idle: st.idle,
            failed: st.failed,
            wrong_passphrase: st.reasons.wrong_passphrase,
            network_not_found: st.reasons.network_not_found,
            other: st.reasons.other,
        };
        let networks = match raw.networks {
            None => None,
            Some(n) => Some(NetworksEndpoint {
                method: n.method,
                path: src.path(&n.path, true)?,
                list: src.pointer(&n.list)?,
                ssid: n.ssid,
                rssi: n.rssi,
                security: n.security,
            }),
        };
        Ok(ApiProfile {
            name: raw.name,
            auth,
            device,
            set_network,
            status,
            networks,
        })
    }
}
