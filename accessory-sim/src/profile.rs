//! The simulated accessory answering an API profile's HTTPS API instead of `/v1`
//! (`accessory sim --api-profile FILE`, docs/api-profiles.md): same TLS, same device state machine
//! behind it, same faults where they apply (wrong passphrase and network not found answer the
//! profile's failure states; a long connect delay keeps it "connecting"; http-500 and
//! malformed-json act on every answer but the device info).
//!
//! The profile's own templates read the set-network body back (`protocol::profile::template`), and
//! what they read goes through the same checks as `PUT /v1/network` (`api::parse_network`).

use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use hyper::header::{HeaderMap, HeaderValue, ALLOW, WWW_AUTHENTICATE};
use hyper::{Method, StatusCode};
use protocol::api::{DeviceInfo, NetworkRequest, State, MAX_WAIT};
use protocol::profile::{self, ApiProfile, Auth, Polling};
use serde_json::json;

use crate::api::{self, Answer, Api, ApiError, ChannelBinding};
use crate::error::Error;
use crate::request_value;

/// The largest profile file read.
const MAX_PROFILE_BYTES: u64 = 256 * 1024;

/// An API profile the simulator answers, and the static header value it expects, if any.
pub struct ServedProfile {
    api: ApiProfile,
    header: Option<(String, String)>,
}

impl std::fmt::Debug for ServedProfile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServedProfile")
            .field("name", &self.api.name)
            .field("header", &self.header.as_ref().map(|(n, _)| n))
            .finish()
    }
}

impl PartialEq for ServedProfile {
    fn eq(&self, other: &Self) -> bool {
        self.api == other.api && self.header == other.header
    }
}

impl ServedProfile {
    /// Reads and checks a profile file (and a static header's value file, beside it).
    pub fn load(path: &Path) -> Result<ServedProfile, Error> {
        let read = |path: &Path| {
            trust::read_file_bounded(path, MAX_PROFILE_BYTES).map_err(|io| Error::ApiProfile {
                code: trust::diagnosis::codes::SIM_READ_SCENARIO,
                message: format!("cannot read {}: {io}", path.display()),
            })
        };
        let bytes = read(path)?;
        let text = String::from_utf8(bytes).map_err(|_| Error::ApiProfile {
            code: trust::diagnosis::codes::INPUT_NOT_UTF8,
            message: format!("{}: the API profile is not UTF-8 text", path.display()),
        })?;
        let api = ApiProfile::parse(&path.display().to_string(), &text).map_err(|e| {
            Error::ApiProfile {
                code: e.code,
                message: e.to_string(),
            }
        })?;
        let header = match &api.auth {
            Auth::StaticHeader {
                header,
                prefix,
                value_file,
            } => {
                let file = match path.parent() {
                    Some(dir) if !Path::new(value_file).is_absolute() => dir.join(value_file),
                    _ => value_file.into(),
                };
                let value = String::from_utf8(read(&file)?).unwrap_or_default();
                let value = value.lines().next().unwrap_or("").to_owned();
                Some((header.to_ascii_lowercase(), format!("{prefix}{value}")))
            }
            _ => None,
        };
        Ok(ServedProfile { api, header })
    }

    /// The profile.
    pub fn api(&self) -> &ApiProfile {
        &self.api
    }

    /// The name of the static header the accessory checks, if it checks one.
    pub(crate) fn header_name(&self) -> Option<&str> {
        self.header.as_ref().map(|(n, _)| n.as_str())
    }

    /// Whether a request body carries a passphrase (what the request log records).
    pub(crate) fn carries_credential(&self, body: &[u8]) -> bool {
        self.api
            .set_network
            .body
            .read(body)
            .is_some_and(|b| b.passphrase.is_some())
            || api::carries_credential(body)
    }
}

/// The request, as the profile's routes need it.
pub(crate) struct Asked<'a> {
    pub method: &'a Method,
    pub path: &'a str,
    pub query: Option<&'a str>,
    pub authorization: Option<&'a str>,
    pub headers: &'a HeaderMap,
    pub body: Bytes,
}

/// Answers one request by the profile.
pub(crate) async fn route(
    api: &Arc<Api>,
    served: &ServedProfile,
    session: &ChannelBinding,
    asked: Asked<'_>,
) -> Result<Answer, ApiError> {
    let p = &served.api;
    let id = api.device_id.as_str();
    let wanted = if asked.path == p.device.path {
        Some((p.device.method, Which::Device))
    } else if p.set_network.path.matches(asked.path, id) {
        Some((p.set_network.method, Which::SetNetwork))
    } else if p.status.path.matches(asked.path, id) {
        Some((p.status.method, Which::Status))
    } else {
        p.networks
            .as_ref()
            .filter(|n| n.path.matches(asked.path, id))
            .map(|n| (n.method, Which::Networks))
    };
    let Some((method, which)) = wanted else {
        return Err(api::error(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no such path: {}", asked.path),
        ));
    };
    if asked.method.as_str() != method.as_str() {
        let mut r = api::error_response(
            api,
            api::error(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                format!("{} takes {method}, not {}", asked.path, asked.method),
            ),
        );
        r.headers_mut()
            .insert(ALLOW, HeaderValue::from_static(method.as_str()));
        return Ok(r);
    }
    if which == Which::Device {
        let info = DeviceInfo {
            device_id: api.device_id.clone(),
            model: api.model.clone(),
            firmware: api.firmware.clone(),
            api: json!(1),
            capabilities: vec!["long-poll".into()],
        };
        return Ok(api::json_response(
            api,
            StatusCode::OK,
            &p.device_answer(&info),
        ));
    }
    if api.http_500 {
        return Err(api::error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error (simulated: http-500)",
        ));
    }
    if let Some(refused) = authenticate(api, served, session, &asked) {
        return refused;
    }
    match which {
        Which::Device => unreachable!("answered above"),
        Which::SetNetwork => set_network(api, served, &asked.body),
        Which::Status => status(api, p, asked.query).await,
        Which::Networks => {
            let n = p.networks.as_ref().expect("matched a networks path");
            let list: Vec<_> = api
                .device
                .visible()
                .map(|net| {
                    let mut entry = serde_json::to_value(net.entry()).unwrap_or_default();
                    if n.ssid != "ssid" {
                        profile::set_pointer(
                            &mut entry,
                            &format!("/{}", n.ssid.replace('~', "~0").replace('/', "~1")),
                            net.ssid.clone().into(),
                        );
                    }
                    entry
                })
                .collect();
            let mut v = serde_json::Value::Null;
            profile::set_pointer(&mut v, &n.list, list.into());
            Ok(api::json_response(api, StatusCode::OK, &v))
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Which {
    Device,
    SetNetwork,
    Status,
    Networks,
}

/// The profile's authentication for every request but the device info: `None` when it passes.
fn authenticate(
    api: &Api,
    served: &ServedProfile,
    session: &ChannelBinding,
    asked: &Asked<'_>,
) -> Option<Result<Answer, ApiError>> {
    match &served.api.auth {
        Auth::None => None,
        Auth::Pop => api::check_pop(api, session, asked.authorization),
        Auth::StaticHeader { .. } => {
            let (name, expected) = served.header.as_ref()?;
            let given = asked.headers.get(name.as_str()).map(|v| v.as_bytes());
            if given.is_some_and(|g| constant_time_eq(g, expected.as_bytes())) {
                return None;
            }
            let mut r = api::error_response(
                api,
                api::error(
                    StatusCode::UNAUTHORIZED,
                    "unauthorized",
                    format!("this accessory requires the {name} header"),
                ),
            );
            r.headers_mut()
                .insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            Some(Ok(r))
        }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The set-network request: read back by the profile's template, checked as `PUT /v1/network`
/// is, then stored and applied.
fn set_network(api: &Arc<Api>, served: &ServedProfile, body: &[u8]) -> Result<Answer, ApiError> {
    let template = &served.api.set_network.body;
    let Some(back) = template.read(body) else {
        return Err(api::error(
            StatusCode::BAD_REQUEST,
            "invalid_body",
            format!("the body is not the {:?} body of this API", template.kind()),
        ));
    };
    let Some(ssid) = back.ssid else {
        return Err(api::error(
            StatusCode::BAD_REQUEST,
            "invalid_ssid",
            "the body has no SSID where the API puts it",
        ));
    };
    let request = NetworkRequest {
        ssid: ssid.into(),
        passphrase: back.passphrase.map(Into::into),
        security: back.security.map(Into::into),
        hidden: back.hidden,
        apply: true,
    };
    let as_v1 = zeroize::Zeroizing::new(serde_json::to_vec(&request).unwrap_or_default());
    drop(request);
    api::store_network(api, &as_v1)?;
    Ok(api::json_response(api, StatusCode::OK, &json!({})))
}

/// The status, long-polled when the profile says so, in the profile's own words.
async fn status(api: &Arc<Api>, p: &ApiProfile, query: Option<&str>) -> Result<Answer, ApiError> {
    let mut wait = std::time::Duration::ZERO;
    if let Polling::LongPoll { param } = &p.status.polling {
        let bad = |e: request_value::BadValue| {
            api::error(StatusCode::BAD_REQUEST, "invalid_wait", e.message)
        };
        for (key, value) in request_value::query_pairs(query).map_err(bad)? {
            if key == param {
                wait = request_value::seconds("wait", value, MAX_WAIT).map_err(bad)?;
            }
        }
    }
    let mut rx = api.device.subscribe();
    let current = rx.borrow_and_update().clone();
    if current.state == State::Connecting && !wait.is_zero() {
        let _ = tokio::time::timeout(wait, rx.changed()).await;
    }
    if let Some(delay) = api.slow_status {
        tokio::time::sleep(delay).await;
    }
    let now = api.device.status();
    Ok(api::json_response(
        api,
        StatusCode::OK,
        &p.status_answer(&now),
    ))
}
