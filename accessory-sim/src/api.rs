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
//!
//! The files: this one holds what every connection shares (the accessory's state, an API
//! profile's routes) and how an answer is written; `api/request.rs` reads and records a request,
//! `api/routes.rs` answers `/v1`, `api/input.rs` reads and checks what a request carries.

mod input;
mod request;
mod routes;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE};
use hyper::{Method, Response, StatusCode};
use protocol::pop;
use serde_json::json;
use tokio::sync::mpsc;

use crate::device::Device;
use crate::record::RequestLog;

pub use input::{parse_network, parse_wait, NetworkBody};
pub use request::carries_credential;
pub(crate) use request::handle;
pub(crate) use routes::{awaited_status, check_pop, store_network};

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

pub(super) fn empty(status: StatusCode) -> Answer {
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
