//! The health check: a `GET` path on the server's own port that a load balancer or an
//! orchestrator polls, answering 200 while serving and 503 while draining or not ready.

use std::future::Future;
use std::sync::Arc;

use bytes::Bytes;
use http::header::{HeaderValue, ALLOW, CACHE_CONTROL, CONTENT_TYPE};
use http::{Method, Request, Response, StatusCode};
use http_body_util::Full;

use crate::method::handler::BoxFuture;

/// The path the health check answers on when [`readiness`](crate::ServerBuilder::readiness) is
/// set without a [`health`](crate::ServerBuilder::health) path: `/health`.
pub const DEFAULT_HEALTH_PATH: &str = "/health";

/// A check the user adds: `true` when the server is ready for work.
pub(crate) type Readiness = Arc<dyn Fn() -> BoxFuture<'static, bool> + Send + Sync>;

/// What the builder collects.
#[derive(Clone, Default)]
pub(crate) struct HealthConfig {
    pub(crate) path: Option<String>,
    pub(crate) readiness: Option<Readiness>,
}

impl HealthConfig {
    pub(crate) fn path(&mut self, path: String) {
        self.path = Some(if path.starts_with('/') {
            path
        } else {
            format!("/{path}")
        });
    }

    pub(crate) fn readiness<F, Fut>(&mut self, check: F)
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = bool> + Send + 'static,
    {
        self.readiness = Some(Arc::new(move || Box::pin(check())));
    }

    /// The health check, if one was asked for.
    pub(crate) fn build(self) -> Option<Arc<Health>> {
        let path = match (self.path, &self.readiness) {
            (Some(path), _) => path,
            (None, Some(_)) => DEFAULT_HEALTH_PATH.to_owned(),
            (None, None) => return None,
        };
        Some(Arc::new(Health {
            path,
            readiness: self.readiness,
        }))
    }
}

/// A server's health check.
pub(crate) struct Health {
    path: String,
    readiness: Option<Readiness>,
}

impl Health {
    /// Whether `request` is for the health path (every method: the path is the check's alone).
    pub(crate) fn is_for<B>(&self, request: &Request<B>) -> bool {
        request.uri().path() == self.path
    }

    /// 200 `ok` while serving and ready; 503 `draining` once the shutdown has begun, 503
    /// `not ready` when the readiness check says so; 405 for methods other than `GET` and
    /// `HEAD`.
    pub(crate) async fn answer(&self, method: &Method, draining: bool) -> Response<Full<Bytes>> {
        if method != Method::GET && method != Method::HEAD {
            let mut response = text(StatusCode::METHOD_NOT_ALLOWED, "use GET\n");
            response
                .headers_mut()
                .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
            return response;
        }
        if draining {
            return text(StatusCode::SERVICE_UNAVAILABLE, "draining\n");
        }
        if let Some(ready) = &self.readiness {
            if !ready().await {
                return text(StatusCode::SERVICE_UNAVAILABLE, "not ready\n");
            }
        }
        text(StatusCode::OK, "ok\n")
    }
}

fn text(status: StatusCode, body: &'static str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    // A cached answer would hide the change to 503.
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
