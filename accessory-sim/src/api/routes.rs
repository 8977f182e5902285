//! The routes of `/v1` (the table in `api.rs`), answered when no API profile is served: the
//! method each path takes, the proof of possession every path but `/v1/device` needs, storing a
//! network, applying it, and the long poll of `/v1/status`.

use std::sync::Arc;

use bytes::Bytes;
use hyper::header::{HeaderValue, ALLOW, WWW_AUTHENTICATE};
use hyper::{Method, StatusCode};
use protocol::api::{self as wire, DeviceInfo, NetworkList, State};
use protocol::pop;
use serde_json::json;

use super::input::{parse_network, parse_wait, NetworkBody};
use super::{empty, error, error_response, json_response, Answer, Api, ApiError, ChannelBinding};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Device,
    Networks,
    Network,
    Apply,
    Status,
    Reset,
}

impl Route {
    fn of(path: &str) -> Option<Route> {
        Some(match path {
            wire::DEVICE => Route::Device,
            wire::NETWORKS => Route::Networks,
            wire::NETWORK => Route::Network,
            wire::APPLY => Route::Apply,
            wire::STATUS => Route::Status,
            wire::RESET => Route::Reset,
            _ => return None,
        })
    }

    fn method(self) -> Method {
        match self {
            Route::Device | Route::Networks | Route::Status => Method::GET,
            Route::Network => Method::PUT,
            Route::Apply | Route::Reset => Method::POST,
        }
    }
}

pub(super) async fn route(
    api: &Arc<Api>,
    session: &ChannelBinding,
    method: &Method,
    path: &str,
    query: Option<&str>,
    authorization: Option<&str>,
    body: Bytes,
) -> Result<Answer, ApiError> {
    let Some(route) = Route::of(path) else {
        return Err(error(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no such path: {path}"),
        ));
    };
    if *method != route.method() {
        let mut r = error_response(
            api,
            error(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                format!("{path} takes {}, not {method}", route.method()),
            ),
        );
        r.headers_mut().insert(
            ALLOW,
            HeaderValue::from_str(route.method().as_str()).expect("a method is a header value"),
        );
        return Ok(r);
    }
    if api.http_500 {
        return Err(error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error (simulated: http-500)",
        ));
    }
    if route != Route::Device {
        if let Some(refused) = check_pop(api, session, authorization) {
            return refused;
        }
    }
    match route {
        Route::Device => {
            let mut capabilities = vec!["long-poll", "wpa3-sae", "hex-psk"];
            if api.pop_code.is_some() {
                capabilities.push("pop");
            }
            let info = DeviceInfo {
                device_id: api.device_id.clone(),
                model: api.model.clone(),
                firmware: api.firmware.clone(),
                api: json!(1),
                capabilities: capabilities.into_iter().map(str::to_owned).collect(),
            };
            Ok(json_response(
                api,
                StatusCode::OK,
                &serde_json::to_value(info).unwrap_or_default(),
            ))
        }
        Route::Networks => {
            let networks = api.device.visible().map(|n| n.entry()).collect();
            Ok(json_response(
                api,
                StatusCode::OK,
                &serde_json::to_value(NetworkList { networks }).unwrap_or_default(),
            ))
        }
        Route::Network => put_network(api, &body),
        Route::Apply => {
            if !api.device.apply() {
                return Err(error(
                    StatusCode::CONFLICT,
                    "not_configured",
                    "no network is configured: PUT /v1/network first",
                ));
            }
            after_apply(api);
            Ok(empty(StatusCode::ACCEPTED))
        }
        Route::Status => status(api, query).await,
        Route::Reset => {
            api.device.reset();
            Ok(empty(StatusCode::NO_CONTENT))
        }
    }
}

/// The proof of possession a request must carry when the accessory has a label code: `None` when
/// it has none or the proof is valid, else the answer (401 missing, 403 invalid).
pub(crate) fn check_pop(
    api: &Api,
    session: &ChannelBinding,
    authorization: Option<&str>,
) -> Option<Result<Answer, ApiError>> {
    let code = api.pop_code.as_ref()?;
    let exporter = session.exporter.unwrap_or([0; pop::EXPORTER_LEN]);
    match pop::verify(authorization, code, &exporter) {
        pop::Verdict::Valid => None,
        pop::Verdict::Missing => {
            let mut r = error_response(
                api,
                error(
                    StatusCode::UNAUTHORIZED,
                    "pop_required",
                    "this accessory requires proof of possession: Authorization: PoP <base64 HMAC-SHA256(code, exporter)>",
                ),
            );
            r.headers_mut()
                .insert(WWW_AUTHENTICATE, HeaderValue::from_static(pop::SCHEME));
            Some(Ok(r))
        }
        pop::Verdict::Invalid => Some(Err(error(
            StatusCode::FORBIDDEN,
            "pop_invalid",
            "the proof of possession does not match this session and the label code",
        ))),
    }
}

fn put_network(api: &Arc<Api>, body: &[u8]) -> Result<Answer, ApiError> {
    store_network(api, body)?;
    Ok(empty(StatusCode::NO_CONTENT))
}

/// Reads a `PUT /v1/network` body ([`parse_network`]), stores the network and, with `apply`,
/// starts joining it. An API profile's set-network request is turned into this body first.
pub(crate) fn store_network(api: &Arc<Api>, body: &[u8]) -> Result<(), ApiError> {
    let NetworkBody {
        config,
        security,
        apply,
    } = parse_network(body)?;
    tracing::info!(
        device = %api.device_id,
        ssid = %config.ssid,
        %security,
        passphrase_len = config.passphrase.as_ref().map_or(0, |p| p.len()),
        apply,
        "network configured"
    );
    api.device.configure(config);
    if apply {
        api.device.apply();
        after_apply(api);
    }
    Ok(())
}

fn after_apply(api: &Api) {
    if let Some(down) = api.reboot_after_apply {
        let _ = api.reboot.send(down);
    }
}

async fn status(api: &Arc<Api>, query: Option<&str>) -> Result<Answer, ApiError> {
    let now = awaited_status(api, parse_wait(query)?).await;
    Ok(json_response(
        api,
        StatusCode::OK,
        &serde_json::to_value(now).unwrap_or_default(),
    ))
}

/// The device's status, after waiting up to `wait` for a change while it is connecting (a long
/// poll), then the `slow-status` fault's delay: what every API's status route answers.
pub(crate) async fn awaited_status(api: &Api, wait: std::time::Duration) -> wire::Status {
    let mut rx = api.device.subscribe();
    let current = rx.borrow_and_update().clone();
    if current.state == State::Connecting && !wait.is_zero() {
        let _ = tokio::time::timeout(wait, rx.changed()).await;
    }
    if let Some(delay) = api.slow_status {
        tokio::time::sleep(delay).await;
    }
    api.device.status()
}
