//! TLS for the clients: `https://` for `Client` and `wss://` for `WsClient`, against local TLS
//! endpoints whose certificates a private CA made with rcgen signed. With the CA added as a
//! root, calls work; without it, they fail with an error that says the certificate is not
//! trusted.
//!
//! The `https://` endpoint terminates TLS and forwards the bytes to the project's own HTTP
//! server; the `wss://` endpoint terminates TLS and speaks WebSocket itself
//! (`client_ws_support`).

mod client_ws_support;
mod common;

use std::net::SocketAddr;
use std::sync::Arc;

use common::TestServer;
use futures_util::StreamExt;
use jsonrpc_runtime::client::{Client, ClientError, Subscription, WsClient};
use jsonrpc_runtime::{method, Server};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::rustls::{self, ServerConfig};
use tokio_rustls::TlsAcceptor;

#[method]
fn ping() -> &'static str {
    "pong"
}

/// A private CA, and a server certificate it signed for `names`.
struct Pki {
    ca_pem: String,
    ca_der: Vec<u8>,
    server: Arc<ServerConfig>,
}

fn pki(names: &[&str], alpn: &[&[u8]]) -> Pki {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "jsonrpc-runtime test CA");
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let names: Vec<String> = names.iter().map(|name| name.to_string()).collect();
    let certificate = CertificateParams::new(names)
        .unwrap()
        .signed_by(&key, &*ca)
        .unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut server = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![certificate.der().clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
        .unwrap();
    server.alpn_protocols = alpn.iter().map(|protocol| protocol.to_vec()).collect();
    Pki {
        ca_pem: ca.pem(),
        ca_der: ca.der().to_vec(),
        server: Arc::new(server),
    }
}

/// Terminates TLS and forwards each connection to `target`.
async fn https_endpoint(server: Arc<ServerConfig>, target: SocketAddr) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let acceptor = TlsAcceptor::from(server);
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut upstream = TcpStream::connect(target).await.unwrap();
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut upstream).await;
            });
        }
    });
    addr
}

/// Terminates TLS and serves the WebSocket wire format on each connection.
async fn wss_endpoint(server: Arc<ServerConfig>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let acceptor = TlsAcceptor::from(server);
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                if let Ok(tls) = acceptor.accept(tcp).await {
                    client_ws_support::serve_connection(tls, Default::default()).await;
                }
            });
        }
    });
    addr
}

fn untrusted(error: &ClientError) -> bool {
    matches!(error, ClientError::Transport { message, .. }
        if message.contains("invalid peer certificate") && message.contains("UnknownIssuer"))
}

#[tokio::test]
async fn https_with_the_private_ca_as_a_root() {
    let pki = pki(&["localhost", "127.0.0.1"], &[]);
    let server = TestServer::start(Server::builder()).await;
    let addr = https_endpoint(pki.server.clone(), server.addr).await;

    let url = format!("https://127.0.0.1:{}/", addr.port());
    let client = Client::builder(&url)
        .add_root_certificate(&pki.ca_pem)
        .build()
        .unwrap();
    let pong: String = client.request("ping", ()).await.unwrap();
    assert_eq!(pong, "pong");

    // DER works as well as PEM, and a host name as well as an address.
    let url = format!("https://localhost:{}/", addr.port());
    let client = Client::builder(&url)
        .add_root_certificate(&pki.ca_der)
        .build()
        .unwrap();
    let pong: String = client.request("ping", ()).await.unwrap();
    assert_eq!(pong, "pong");
}

#[tokio::test]
async fn https_negotiates_http2_by_alpn() {
    let pki = pki(&["127.0.0.1"], &[b"h2", b"http/1.1"]);
    let server = TestServer::start(Server::builder()).await;
    let addr = https_endpoint(pki.server.clone(), server.addr).await;
    let url = format!("https://127.0.0.1:{}/", addr.port());
    for client in [
        Client::builder(&url).add_root_certificate(&pki.ca_pem),
        Client::builder(&url)
            .add_root_certificate(&pki.ca_pem)
            .http2_prior_knowledge(),
    ] {
        let client = client.build().unwrap();
        let pong: String = client.request("ping", ()).await.unwrap();
        assert_eq!(pong, "pong");
    }
}

#[tokio::test]
async fn https_without_the_root_is_refused_clearly() {
    let pki = pki(&["127.0.0.1"], &[]);
    let server = TestServer::start(Server::builder()).await;
    let addr = https_endpoint(pki.server.clone(), server.addr).await;
    let url = format!("https://127.0.0.1:{}/", addr.port());

    let error = Client::new(&url)
        .unwrap()
        .request::<String>("ping", ())
        .await
        .unwrap_err();
    assert!(untrusted(&error), "{error}");
    assert!(
        error
            .to_string()
            .contains(&format!("could not connect to 127.0.0.1:{}", addr.port())),
        "{error}"
    );

    // A certificate for another name is refused too, even from a trusted CA.
    let other = pki_for_other_name();
    let addr = https_endpoint(other.server.clone(), server.addr).await;
    let url = format!("https://127.0.0.1:{}/", addr.port());
    let error = Client::builder(&url)
        .add_root_certificate(&other.ca_pem)
        .build()
        .unwrap()
        .request::<String>("ping", ())
        .await
        .unwrap_err();
    assert!(
        matches!(&error, ClientError::Transport { message, .. } if message.starts_with("could not connect to 127.0.0.1") && message.contains("not valid for name")),
        "{error}"
    );
}

fn pki_for_other_name() -> Pki {
    pki(&["other.example"], &[])
}

#[tokio::test]
async fn bad_roots_fail_the_build() {
    let built = Client::builder("https://127.0.0.1:1/")
        .add_root_certificate(b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n")
        .build();
    assert!(
        matches!(built, Err(ClientError::InvalidConfig(_))),
        "{built:?}"
    );
    let built = Client::builder("https://127.0.0.1:1/")
        .built_in_roots(false)
        .build();
    assert!(
        matches!(&built, Err(ClientError::InvalidConfig(m)) if m.contains("no root certificates")),
        "{built:?}"
    );
    let connected = WsClient::builder()
        .add_root_certificate(b"garbage")
        .connect("wss://127.0.0.1:1/")
        .await;
    assert!(
        matches!(&connected, Err(ClientError::InvalidConfig(m)) if m.contains("root certificate")),
        "{connected:?}"
    );
}

#[tokio::test]
async fn wss_with_the_private_ca_as_a_root() {
    let pki = pki(&["localhost", "127.0.0.1"], &[]);
    let addr = wss_endpoint(pki.server.clone()).await;
    let url = format!("wss://127.0.0.1:{}/", addr.port());
    let client = WsClient::builder()
        .add_root_certificate(&pki.ca_pem)
        .connect(&url)
        .await
        .unwrap();
    let pong: String = client.request("ping", ()).await.unwrap();
    assert_eq!(pong, "pong");
    let ticks: Subscription<u64> = client
        .subscribe("subscribe_ticks", (3, 1), "unsubscribe_ticks")
        .await
        .unwrap();
    let items: Vec<u64> = ticks.map(Result::unwrap).collect().await;
    assert_eq!(items, [0, 1, 2]);

    let url = format!("wss://localhost:{}/", addr.port());
    let client = WsClient::builder()
        .add_root_certificate(&pki.ca_der)
        .built_in_roots(false)
        .connect(&url)
        .await
        .unwrap();
    let pong: String = client.request("ping", ()).await.unwrap();
    assert_eq!(pong, "pong");
}

#[tokio::test]
async fn wss_without_the_root_is_refused_clearly() {
    let pki = pki(&["127.0.0.1"], &[]);
    let addr = wss_endpoint(pki.server.clone()).await;
    let url = format!("wss://127.0.0.1:{}/", addr.port());
    let error = WsClient::connect(&url).await.unwrap_err();
    assert!(untrusted(&error), "{error}");
    assert!(
        error.to_string().contains(&format!(
            "the TLS handshake with 127.0.0.1:{} failed",
            addr.port()
        )),
        "{error}"
    );
}
