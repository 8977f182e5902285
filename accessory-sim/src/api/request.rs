//! One request from its head to its record: the head kept (method, path, query, the PoP header,
//! an API profile's static header), the body read up to [`MAX_BODY`], the answer from `/v1` or
//! from the API profile, and the request log's line (never the body, only whether it carried a
//! credential).

use std::convert::Infallible;
use std::sync::Arc;

use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::header::{AUTHORIZATION, CONTENT_LENGTH};
use hyper::{Request, StatusCode};
use protocol::api::MAX_BODY;

use super::routes::route;
use super::{error, error_response, Answer, Api, Asked, ChannelBinding};
use crate::record::RequestRecord;

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
}
