//! The HTTP side of the client: one POST per request or batch, on hyper-util's pooled client
//! (keep-alive, HTTP/1.1 or HTTP/2, TLS through rustls with the `tls` feature), with the `-->`
//! and `<--` debug lines.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE};
use hyper::{Method, Request, StatusCode, Uri};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::rt::{TokioExecutor, TokioTimer};

#[cfg(feature = "tls")]
use crate::client::tls::TlsOptions;
use crate::client::{credentials, ClientError};

/// How long an idle pooled connection is kept open.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(90);

/// What opens connections: plain TCP, and TLS over it for `https://` with the `tls` feature.
#[cfg(feature = "tls")]
type Connector = hyper_rustls::HttpsConnector<HttpConnector>;
#[cfg(not(feature = "tls"))]
type Connector = HttpConnector;

/// One server endpoint, over a pool of connections.
pub(crate) struct Transport {
    http: HyperClient<Connector, Full<Bytes>>,
    uri: Uri,
    headers: HeaderMap,
    max_response_size: usize,
}

impl Transport {
    pub(crate) fn new(
        url: &str,
        extra_headers: HeaderMap,
        max_response_size: usize,
        http2_prior_knowledge: bool,
        #[cfg(feature = "tls")] tls: &TlsOptions,
    ) -> Result<Transport, ClientError> {
        let uri: Uri = url
            .parse()
            .map_err(|error| ClientError::InvalidConfig(format!("invalid URL {url:?}: {error}")))?;
        match uri.scheme_str() {
            Some("http") if uri.authority().is_some() => {}
            #[cfg(feature = "tls")]
            Some("https") if uri.authority().is_some() => {}
            #[cfg(not(feature = "tls"))]
            Some("https") => {
                return Err(ClientError::InvalidConfig(format!(
                    "{url}: https needs the `tls` feature of jsonrpc-runtime; use an http:// URL \
                     or enable it"
                )))
            }
            _ => {
                return Err(ClientError::InvalidConfig(format!(
                    "{url}: the URL must be absolute and start with http:// or https://"
                )))
            }
        }
        // `user:password@` is sent as Basic authorization, and kept out of the URI (and so of
        // the `Host` header, HTTP/2's `:authority` and every message that names the server).
        let (uri, basic) = credentials::take(uri)?;
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        if let Some(basic) = basic {
            headers.insert(AUTHORIZATION, basic);
        }
        // Headers the builder was given come last: an explicit `Authorization` wins.
        for (name, value) in &extra_headers {
            headers.insert(name, value.clone());
        }
        let mut connector = HttpConnector::new();
        // Small requests go out at once rather than waiting for Nagle's algorithm.
        connector.set_nodelay(true);
        #[cfg(feature = "tls")]
        let connector = {
            // Let `https://` through to the TLS layer wrapped around it.
            connector.enforce_http(false);
            let config = tls.config()?;
            let builder = hyper_rustls::HttpsConnectorBuilder::new()
                .with_tls_config(config)
                .https_or_http();
            // ALPN offers what the client may speak: h2 only with prior knowledge, otherwise
            // both, and the server picks.
            if http2_prior_knowledge {
                builder.enable_http2().wrap_connector(connector)
            } else {
                builder
                    .enable_http1()
                    .enable_http2()
                    .wrap_connector(connector)
            }
        };
        let http = HyperClient::builder(TokioExecutor::new())
            .pool_timer(TokioTimer::new())
            .pool_idle_timeout(POOL_IDLE_TIMEOUT)
            .http2_only(http2_prior_knowledge)
            .build(connector);
        Ok(Transport {
            http,
            uri,
            headers,
            max_response_size,
        })
    }

    /// POSTs a JSON body and returns the response body (empty when there is none). A status
    /// outside 2xx, a body over the size limit and a broken connection are errors.
    pub(crate) async fn post(&self, body: Vec<u8>) -> Result<Bytes, ClientError> {
        tracing::debug!("--> {}", String::from_utf8_lossy(&body));
        let mut request = Request::new(Full::new(Bytes::from(body)));
        *request.method_mut() = Method::POST;
        *request.uri_mut() = self.uri.clone();
        *request.headers_mut() = self.headers.clone();
        let response = self
            .http
            .request(request)
            .await
            .map_err(|error| self.request_error(error))?;
        let status = response.status();
        let body = self.read_body(response).await;
        if !status.is_success() {
            let body = body.map_or_else(|_| String::new(), |bytes| lossy(&bytes));
            tracing::debug!("<-- {body} ({status})");
            return Err(ClientError::HttpStatus {
                status: status.as_u16(),
                body,
            });
        }
        let body = body?;
        log_response(&body, status);
        Ok(body)
    }

    /// A request that failed: one that could not connect (TCP, TLS) says where it tried and
    /// why, without the client library's own wrapping.
    #[cold]
    fn request_error(&self, error: hyper_util::client::legacy::Error) -> ClientError {
        use std::error::Error as _;
        if !error.is_connect() {
            return ClientError::transport(error);
        }
        let mut message = format!("could not connect to {}", self.address());
        let mut cause = error.source();
        while let Some(reason) = cause {
            message.push_str(": ");
            message.push_str(&reason.to_string());
            cause = reason.source();
        }
        ClientError::Transport {
            message,
            source: Box::new(error),
        }
    }

    /// The address a request goes to, `host:port`, with the scheme's port when the URL has
    /// none.
    fn address(&self) -> String {
        let host = self.uri.host().unwrap_or_default();
        let default = if self.uri.scheme_str() == Some("https") {
            443
        } else {
            80
        };
        format!("{host}:{}", self.uri.port_u16().unwrap_or(default))
    }

    /// Reads a body of at most `max_response_size` bytes; a declared length over the limit is
    /// refused before anything is read.
    async fn read_body(&self, response: hyper::Response<Incoming>) -> Result<Bytes, ClientError> {
        let limit = self.max_response_size;
        let declared = response
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.parse::<u64>().ok());
        if declared.is_some_and(|length| length > limit as u64) {
            return Err(ClientError::ResponseTooLarge { limit });
        }
        match Limited::new(response.into_body(), limit).collect().await {
            Ok(collected) => Ok(collected.to_bytes()),
            Err(error) if error.is::<LengthLimitError>() => {
                Err(ClientError::ResponseTooLarge { limit })
            }
            Err(error) => Err(ClientError::transport(error)),
        }
    }
}

fn log_response(body: &[u8], status: StatusCode) {
    if body.is_empty() {
        tracing::debug!("<-- ({status})");
    } else {
        tracing::debug!("<-- {} ({status})", String::from_utf8_lossy(body));
    }
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
