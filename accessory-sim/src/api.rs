//! The accessory API (DESIGN.md "The accessory API"): routing, validation, JSON errors.
//!
//! | request | answer |
//! | --- | --- |
//! | `GET /v1/device` | `{device_id, model, firmware, api, capabilities[]}` |
//! | `GET /v1/networks` | `{networks: [{ssid, rssi, channel, security}]}` |
//! | `PUT /v1/network` | `204`, or `400` for an invalid SSID or passphrase |
//! | `POST /v1/apply` | `202` (`409` when nothing is configured) |
//! | `GET /v1/status?wait=S` | long poll while `connecting`, at most 60 s |
//! | `POST /v1/reset` | `204` |
//!
//! Every error is `{error, code}` with a proper status: 400 malformed input, 401 missing proof of
//! possession, 403 a wrong one, 404 unknown path, 405 wrong method, 409 nothing to apply, 413 a body
//! over 64 KiB. Every request is recorded (method, path, whether it carried a credential) before it
//! is answered; passphrases are never logged, at most their length.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{
    HeaderValue, ALLOW, AUTHORIZATION, CACHE_CONTROL, CONTENT_LENGTH, CONTENT_TYPE,
    WWW_AUTHENTICATE,
};
use hyper::{Method, Request, Response, StatusCode};
use protocol::api::{
    self as wire, DeviceInfo, NetworkList, NetworkRequest, State, MAX_BODY, MAX_WAIT,
};
use protocol::{pop, NetworkError, Security};
use serde_json::json;
use tokio::sync::mpsc;

use crate::device::{Device, NetworkConfig};
use crate::record::{RequestLog, RequestRecord};
use crate::request_value::{self, BadValue};

/// What the API needs from the accessory; shared by every connection.
#[derive(Debug)]
pub(crate) struct Api {
    pub device_id: String,
    pub model: String,
    pub firmware: String,
    pub pop_code: Option<String>,
    pub device: Arc<Device>,
    pub log: RequestLog,
    pub http_500: bool,
    pub malformed_json: bool,
    pub slow_status: Option<Duration>,
    pub reboot_after_apply: Option<Duration>,
    pub reboot: mpsc::UnboundedSender<Duration>,
    /// `--api-profile`: answer this API instead of `/v1` (`profile_api.rs`).
    pub profile: Option<Arc<dyn ProfileRoutes>>,
}

/// The routes of an API profile (`profile_api.rs`), answered instead of `/v1`'s. A trait, so
/// this file does not depend on that one (which uses this file's answers and checks).
pub(crate) trait ProfileRoutes: std::fmt::Debug + Send + Sync {
    /// Answers one request.
    fn route<'a>(
        &'a self,
        api: &'a Arc<Api>,
        session: &'a ChannelBinding,
        asked: Asked<'a>,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<Answer, ApiError>> + Send + 'a>>;
    /// The static header it checks, if any (kept from the request head).
    fn header_name(&self) -> Option<&str>;
    /// Whether a request body carries a passphrase (what the request log records).
    fn carries_credential(&self, body: &[u8]) -> bool;
}

/// A request, as an API profile's routes need it.
pub(crate) struct Asked<'a> {
    pub method: &'a Method,
    pub path: &'a str,
    pub query: Option<&'a str>,
    pub authorization: Option<&'a str>,
    pub headers: &'a hyper::HeaderMap,
    pub body: Bytes,
}

/// One TLS connection's channel binding: the exporter that PoP proofs are bound to.
#[derive(Debug)]
pub(crate) struct ChannelBinding {
    pub exporter: Option<pop::Exporter>,
}

pub(crate) type Answer = Response<Full<Bytes>>;

/// A request refused: its HTTP status, a stable code, one line for a person. What
/// [`parse_wait`] and [`parse_network`] answer for input they refuse.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiError {
    /// The HTTP status (400, 413...).
    pub fn status(&self) -> u16 {
        self.status.as_u16()
    }

    /// The stable code (`invalid_wait`, `invalid_json`...).
    pub fn code(&self) -> &'static str {
        self.code
    }
}

pub(crate) fn error(
    status: StatusCode,
    code: &'static str,
    message: impl Into<String>,
) -> ApiError {
    ApiError {
        status,
        code,
        message: message.into(),
    }
}

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

/// Whether a body carries a credential: a `passphrase` member, or, when it is not JSON, the word.
/// What the request log records of a body.
pub fn carries_credential(body: &[u8]) -> bool {
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(v) => v
            .get("passphrase")
            .is_some_and(|p| !p.is_null() && p.as_str() != Some("")),
        Err(_) => body.windows(10).any(|w| w == b"passphrase"),
    }
}

/// Answers one request. Never fails: every problem is a JSON error with a status.
pub(crate) async fn handle(
    api: Arc<Api>,
    session: Arc<ChannelBinding>,
    req: Request<Incoming>,
) -> Result<Answer, Infallible> {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let query = req.uri().query().map(str::to_owned);
    let authorization = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    // The static header an API profile checks (`profile.rs`); nothing else of the head is kept.
    let mut headers = hyper::HeaderMap::new();
    if let Some(name) = api.profile.as_ref().and_then(|p| p.header_name()) {
        if let (Ok(name), Some(value)) = (
            hyper::header::HeaderName::from_bytes(name.as_bytes()),
            req.headers().get(name),
        ) {
            headers.insert(name, value.clone());
        }
    }
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());

    let body = if declared.is_some_and(|n| n > MAX_BODY as u64) {
        Err(error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            format!("the body is over {MAX_BODY} bytes"),
        ))
    } else {
        match Limited::new(req.into_body(), MAX_BODY).collect().await {
            Ok(b) => Ok(b.to_bytes()),
            Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                format!("the body is over {MAX_BODY} bytes"),
            )),
            Err(_) => Err(error(
                StatusCode::BAD_REQUEST,
                "body_unreadable",
                "the body could not be read",
            )),
        }
    };
    let carried_credential = body.as_ref().is_ok_and(|b| match &api.profile {
        Some(served) => served.carries_credential(b),
        None => carries_credential(b),
    });

    let answer = match (body, &api.profile) {
        (Err(e), _) => Err(e),
        (Ok(body), Some(served)) => {
            let asked = Asked {
                method: &method,
                path: &path,
                query: query.as_deref(),
                authorization: authorization.as_deref(),
                headers: &headers,
                body,
            };
            served.route(&api, &session, asked).await
        }
        (Ok(body), None) => {
            route(
                &api,
                &session,
                &method,
                &path,
                query.as_deref(),
                authorization.as_deref(),
                body,
            )
            .await
        }
    };
    let response = match answer {
        Ok(r) => r,
        Err(e) => error_response(&api, e),
    };
    let status = response.status().as_u16();
    tracing::info!(device = %api.device_id, %method, %path, status, carried_credential, "request");
    api.log.push(RequestRecord {
        method: method.to_string(),
        path,
        carried_credential,
        status,
    });
    Ok(response)
}

async fn route(
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

/// The body of `PUT /v1/network`, read and checked: what [`parse_network`] makes of it. No
/// `Debug`: it holds the passphrase.
pub struct NetworkBody {
    config: NetworkConfig,
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

fn after_apply(api: &Api) {
    if let Some(down) = api.reboot_after_apply {
        let _ = api.reboot.send(down);
    }
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

async fn status(api: &Arc<Api>, query: Option<&str>) -> Result<Answer, ApiError> {
    let wait = parse_wait(query)?;
    let mut rx = api.device.subscribe();
    let current = rx.borrow_and_update().clone();
    if current.state == State::Connecting && !wait.is_zero() {
        let _ = tokio::time::timeout(wait, rx.changed()).await;
    }
    if let Some(delay) = api.slow_status {
        tokio::time::sleep(delay).await;
    }
    let now = api.device.status();
    Ok(json_response(
        api,
        StatusCode::OK,
        &serde_json::to_value(now).unwrap_or_default(),
    ))
}

fn empty(status: StatusCode) -> Answer {
    let mut r = Response::new(Full::new(Bytes::new()));
    *r.status_mut() = status;
    r
}

pub(crate) fn json_response(api: &Api, status: StatusCode, value: &serde_json::Value) -> Answer {
    let mut text = serde_json::to_vec(value).unwrap_or_default();
    if api.malformed_json {
        // Cut the document in the middle: valid UTF-8, right content type, not JSON.
        text.truncate(text.len() / 2);
    }
    let mut r = Response::new(Full::new(Bytes::from(text)));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

pub(crate) fn error_response(api: &Api, e: ApiError) -> Answer {
    json_response(api, e.status, &json!({"error": e.message, "code": e.code}))
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
    fn a_credential_is_noticed_even_in_a_broken_body() {
        assert!(carries_credential(
            br#"{"ssid":"x","passphrase":"12345678"}"#
        ));
        assert!(!carries_credential(br#"{"ssid":"x"}"#));
        assert!(carries_credential(br#"{"ssid":"x","passphrase":"1234"#));
    }

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
