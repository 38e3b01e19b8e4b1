//! The WebSocket handshake over HTTP/1.1 (RFC 6455, section 4.2): checking the upgrade request,
//! the `Origin`, and the connection limit, answering 101, and starting the connection once
//! hyper hands the socket over.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http::header::{
    HeaderValue, CONNECTION, CONTENT_TYPE, HOST, ORIGIN, SEC_WEBSOCKET_ACCEPT, SEC_WEBSOCKET_KEY,
    SEC_WEBSOCKET_VERSION, UPGRADE,
};
use http::{HeaderMap, Method, Request, Response, StatusCode};
use http_body_util::Full;
use hyper_util::rt::TokioIo;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_tungstenite::WebSocketStream;

use super::{OriginPolicy, WsShared};
use crate::method::context::RequestParts;
use crate::Dispatcher;

/// Whether `request` asks for a WebSocket: `GET` with `Upgrade: websocket`.
pub(crate) fn is_upgrade<B>(request: &Request<B>) -> bool {
    request.method() == Method::GET
        && request
            .headers()
            .get_all(UPGRADE)
            .iter()
            .any(|value| has_token(value, "websocket"))
}

/// Answers an upgrade request: 101 and a connection served on its own task, or the HTTP error
/// that says why not.
pub(crate) fn upgrade<B>(
    mut request: Request<B>,
    peer: Option<SocketAddr>,
    dispatcher: &Dispatcher,
    shared: &Arc<WsShared>,
    max_message_size: usize,
) -> Response<Full<Bytes>> {
    let headers = request.headers();
    if !headers
        .get_all(CONNECTION)
        .iter()
        .any(|value| has_token(value, "upgrade"))
    {
        return refuse(
            StatusCode::BAD_REQUEST,
            "a WebSocket upgrade needs `Connection: upgrade`\n",
        );
    }
    if headers
        .get(SEC_WEBSOCKET_VERSION)
        .map(HeaderValue::as_bytes)
        != Some(b"13")
    {
        let mut response = refuse(
            StatusCode::UPGRADE_REQUIRED,
            "only WebSocket version 13 is supported\n",
        );
        response
            .headers_mut()
            .insert(SEC_WEBSOCKET_VERSION, HeaderValue::from_static("13"));
        return response;
    }
    let Some(key) = headers.get(SEC_WEBSOCKET_KEY) else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "a WebSocket upgrade needs `Sec-WebSocket-Key`\n",
        );
    };
    if !origin_allowed(headers, &shared.config.origins) {
        tracing::debug!(origin = ?headers.get(ORIGIN), "refused a WebSocket from a foreign origin");
        return refuse(
            StatusCode::FORBIDDEN,
            "WebSocket connections from this origin are not allowed\n",
        );
    }
    if shared.shutdown.is_cancelled() {
        return refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            "the server is shutting down\n",
        );
    }
    let Ok(slot) = Arc::clone(&shared.slots).try_acquire_owned() else {
        return refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            "too many WebSocket connections; try again later\n",
        );
    };
    let accept = derive_accept_key(key.as_bytes());
    let on_upgrade = hyper::upgrade::on(&mut request);
    let (head, _) = request.into_parts();
    let mut parts = RequestParts::from_http(head);
    if peer.is_some() {
        parts.peer = peer;
    }
    let dispatcher = dispatcher.clone();
    let config = shared.config.clone();
    let shutdown = shared.shutdown.clone();
    let abort = shared.abort.clone();
    shared.tracker.spawn(async move {
        match on_upgrade.await {
            Ok(upgraded) => {
                let protocol = WebSocketConfig::default()
                    // Small buffers: an idle connection should cost little memory; they grow
                    // for large messages.
                    .read_buffer_size(2 * 1024)
                    .write_buffer_size(2 * 1024)
                    .max_message_size(Some(max_message_size))
                    .max_frame_size(Some(max_message_size));
                let socket = WebSocketStream::from_raw_socket(
                    TokioIo::new(upgraded),
                    Role::Server,
                    Some(protocol),
                )
                .await;
                let stop = super::socket::Stop { shutdown, abort };
                super::socket::run(socket, dispatcher, Arc::new(parts), config, stop).await;
            }
            Err(error) => tracing::debug!(%error, "a WebSocket upgrade failed"),
        }
        drop(slot);
    });
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let headers = response.headers_mut();
    headers.insert(UPGRADE, HeaderValue::from_static("websocket"));
    headers.insert(CONNECTION, HeaderValue::from_static("Upgrade"));
    if let Ok(accept) = HeaderValue::from_str(&accept) {
        headers.insert(SEC_WEBSOCKET_ACCEPT, accept);
    }
    response
}

/// Whether a comma-separated header value has `token`, in any case.
fn has_token(value: &HeaderValue, token: &str) -> bool {
    value.to_str().is_ok_and(|value| {
        value
            .split(',')
            .any(|part| part.trim().eq_ignore_ascii_case(token))
    })
}

fn origin_allowed(headers: &HeaderMap, policy: &OriginPolicy) -> bool {
    let Some(origin) = headers.get(ORIGIN) else {
        // Not a browser: the hijacking risk is a browser's.
        return true;
    };
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    match policy {
        OriginPolicy::Any => true,
        OriginPolicy::Allow(allowed) => allowed
            .iter()
            .any(|allowed| allowed.trim_end_matches('/').eq_ignore_ascii_case(origin)),
        OriginPolicy::SameOrigin => {
            let origin_host = origin
                .split_once("://")
                .map_or(origin, |(_, rest)| rest)
                .trim_end_matches('/');
            headers
                .get(HOST)
                .and_then(|host| host.to_str().ok())
                .is_some_and(|host| host.eq_ignore_ascii_case(origin_host))
        }
    }
}

fn refuse(status: StatusCode, text: &'static str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(text.as_bytes())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn same_origin_allows_programs_and_the_same_host_only() {
        let policy = OriginPolicy::SameOrigin;
        assert!(origin_allowed(
            &headers(&[("host", "a.test:5000")]),
            &policy
        ));
        assert!(origin_allowed(
            &headers(&[("host", "a.test:5000"), ("origin", "http://a.test:5000")]),
            &policy
        ));
        assert!(!origin_allowed(
            &headers(&[("host", "a.test:5000"), ("origin", "http://evil.test")]),
            &policy
        ));
        assert!(!origin_allowed(
            &headers(&[("host", "a.test:5000"), ("origin", "http://a.test:5001")]),
            &policy
        ));
    }

    #[test]
    fn allow_lists_match_whole_origins() {
        let policy = OriginPolicy::Allow(vec!["https://app.test".into()]);
        assert!(origin_allowed(
            &headers(&[("origin", "https://app.test")]),
            &policy
        ));
        assert!(!origin_allowed(
            &headers(&[("origin", "https://app.test.evil")]),
            &policy
        ));
        assert!(origin_allowed(
            &headers(&[("origin", "https://anything")]),
            &OriginPolicy::Any
        ));
    }
}
