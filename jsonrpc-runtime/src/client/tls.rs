//! TLS for the clients (the `tls` feature): rustls on the `ring` provider, trusting Mozilla's
//! root certificates (webpki-roots) and any roots the builder adds, for private CAs and
//! self-signed servers.

use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, RootCertStore};

use crate::client::ClientError;

/// The TLS settings a builder collects.
#[derive(Debug, Clone, Default)]
pub(crate) struct TlsOptions {
    /// Roots added with `add_root_certificate`, as DER.
    roots: Vec<CertificateDer<'static>>,
    /// Whether Mozilla's roots are left out.
    no_built_in_roots: bool,
    /// The first root that could not be read: building fails with it.
    error: Option<String>,
}

impl TlsOptions {
    /// Adds the root certificates in `certificate`: PEM (one or more `CERTIFICATE` blocks) or
    /// DER (one certificate).
    pub(crate) fn add_root(&mut self, certificate: &[u8]) {
        if !looks_like_pem(certificate) {
            self.roots
                .push(CertificateDer::from(certificate.to_vec()).into_owned());
            return;
        }
        let mut found = false;
        for parsed in CertificateDer::pem_slice_iter(certificate) {
            match parsed {
                Ok(root) => {
                    self.roots.push(root);
                    found = true;
                }
                Err(error) => {
                    self.error.get_or_insert_with(|| {
                        format!("a root certificate is not valid PEM: {error}")
                    });
                    return;
                }
            }
        }
        if !found {
            self.error.get_or_insert_with(|| {
                "a root certificate in PEM has no `BEGIN CERTIFICATE` block".to_owned()
            });
        }
    }

    /// Leaves out (or puts back) Mozilla's root certificates.
    pub(crate) fn built_in_roots(&mut self, enabled: bool) {
        self.no_built_in_roots = !enabled;
    }

    /// The rustls configuration: the roots, the `ring` provider, TLS 1.2 and 1.3, no client
    /// certificate and no ALPN protocols (set by the caller when it needs them).
    pub(crate) fn config(&self) -> Result<ClientConfig, ClientError> {
        if let Some(error) = &self.error {
            return Err(ClientError::InvalidConfig(error.clone()));
        }
        let mut store = RootCertStore::empty();
        if !self.no_built_in_roots {
            store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        }
        for root in &self.roots {
            store.add(root.clone()).map_err(|error| {
                ClientError::InvalidConfig(format!("a root certificate cannot be used: {error}"))
            })?;
        }
        if store.is_empty() {
            return Err(ClientError::InvalidConfig(
                "no root certificates to trust: add one, or keep the built-in roots".to_owned(),
            ));
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|error| ClientError::InvalidConfig(format!("TLS: {error}")))?
            .with_root_certificates(store)
            .with_no_client_auth();
        Ok(config)
    }
}

/// The name the server's certificate must be valid for: a DNS name or an IP address.
pub(crate) fn server_name(host: &str) -> Result<ServerName<'static>, ClientError> {
    ServerName::try_from(host.to_owned()).map_err(|_| {
        ClientError::InvalidConfig(format!(
            "{host:?} is not a host name or IP address a certificate can be checked against"
        ))
    })
}

fn looks_like_pem(bytes: &[u8]) -> bool {
    bytes.trim_ascii_start().starts_with(b"-----BEGIN")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_roots_fail_the_build() {
        let mut options = TlsOptions::default();
        options.add_root(b"not a certificate");
        assert!(
            matches!(options.config(), Err(ClientError::InvalidConfig(m)) if m.contains("cannot be used"))
        );
        let mut options = TlsOptions::default();
        options.add_root(b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
        assert!(
            matches!(options.config(), Err(ClientError::InvalidConfig(m)) if m.contains("BEGIN CERTIFICATE"))
        );
        let mut options = TlsOptions::default();
        options.built_in_roots(false);
        assert!(
            matches!(options.config(), Err(ClientError::InvalidConfig(m)) if m.contains("no root"))
        );
        assert!(TlsOptions::default().config().is_ok());
    }

    #[test]
    fn server_names() {
        assert!(server_name("example.com").is_ok());
        assert!(server_name("127.0.0.1").is_ok());
        assert!(server_name("::1").is_ok());
        assert!(server_name("bad name!").is_err());
    }
}
