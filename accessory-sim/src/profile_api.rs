//! The simulated accessory answering an API profile's HTTPS API instead of `/v1`
//! (`accessory sim --api-profile FILE`, docs/api-profiles.md): same TLS, same device state machine
//! behind it, same faults where they apply (wrong passphrase and network not found answer the
//! profile's failure states; a long connect delay keeps it "connecting"; http-500, malformed-json
//! and slow-status act on every answer but the device info).
//!
//! The profile's own templates read the set-network body back (`protocol::profile::template`), and
//! what they read goes through the same checks as `PUT /v1/network` (`api::store_network`).
//! The `api` module reaches these routes through [`ProfileRoutes`], so it does not depend on this file.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use hyper::header::{HeaderValue, ALLOW, WWW_AUTHENTICATE};
use hyper::StatusCode;
use protocol::api::{DeviceInfo, NetworkRequest, MAX_WAIT};
use protocol::profile::{ApiProfile, Auth, Polling};
use serde_json::json;

use crate::api::{self, Answer, Api, ApiError, Asked, ChannelBinding, ProfileRoutes};
use crate::profile::ServedProfile;
use crate::request_value;

impl ProfileRoutes for ServedProfile {
    fn route<'a>(
        &'a self,
        api: &'a Arc<Api>,
        session: &'a ChannelBinding,
        asked: Asked<'a>,
    ) -> Pin<Box<dyn Future<Output = Result<Answer, ApiError>> + Send + 'a>> {
        Box::pin(route(api, self, session, asked))
    }

    fn header_name(&self) -> Option<&str> {
        ServedProfile::header_name(self)
    }

    fn carries_credential(&self, body: &[u8]) -> bool {
        self.carries_passphrase(body) || api::carries_credential(body)
    }
}

/// Answers one request by the profile.
async fn route(
    api: &Arc<Api>,
    served: &ServedProfile,
    session: &ChannelBinding,
    asked: Asked<'_>,
) -> Result<Answer, ApiError> {
    let p = served.api();
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
            let list = protocol::api::NetworkList {
                networks: api.device.visible().map(|net| net.entry()).collect(),
            };
            Ok(api::json_response(api, StatusCode::OK, &n.answer(&list)))
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
    match &served.api().auth {
        Auth::None => None,
        Auth::Pop => api::check_pop(api, session, asked.authorization),
        Auth::StaticHeader { .. } => {
            let (name, expected) = served.header()?;
            let given = asked.headers.get(name).map(|v| v.as_bytes());
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
    let template = &served.api().set_network.body;
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
    let now = api::awaited_status(api, wait).await;
    Ok(api::json_response(
        api,
        StatusCode::OK,
        &p.status_answer(&now),
    ))
}
