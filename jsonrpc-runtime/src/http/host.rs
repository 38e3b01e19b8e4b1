//! The `Host` allow-list: a defence against DNS rebinding for servers bound to loopback.
//!
//! A web page on `evil.example` can point its own name at `127.0.0.1` once its visitor has loaded
//! it, then send requests "to itself" that reach a server on the visitor's machine; the browser
//! sends `Host: evil.example:5000`, which is how such a request is told apart. With an allow-list
//! set, a request whose `Host` (or, over HTTP/2, `:authority`) names no allowed host gets 403.

use http::header::HOST;
use http::Request;

/// The hosts a server answers for. An entry with a port (`localhost:5000`, `[::1]:5000`)
/// matches that host and port only; an entry without one (`localhost`, `127.0.0.1`, `[::1]`)
/// matches the host on any port. Names compare without regard to ASCII case.
#[derive(Debug)]
pub(crate) struct AllowedHosts {
    entries: Box<[Entry]>,
}

#[derive(Debug)]
struct Entry {
    /// Lowercase, brackets kept for IPv6 (`[::1]`).
    host: Box<str>,
    /// `None`: any port.
    port: Option<Box<str>>,
}

impl AllowedHosts {
    pub(crate) fn new<I, S>(hosts: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let entries = hosts
            .into_iter()
            .map(|host| {
                let (host, port) = split(host.as_ref().trim());
                Entry {
                    host: host.to_ascii_lowercase().into(),
                    port: port.map(Into::into),
                }
            })
            .collect();
        AllowedHosts { entries }
    }

    /// Whether `request` names an allowed host: its `Host` header, else the URI's authority
    /// (HTTP/2 requests carry `:authority` instead of `Host`). No host at all is refused.
    pub(crate) fn allows<B>(&self, request: &Request<B>) -> bool {
        let named = match request.headers().get(HOST) {
            Some(value) => value.to_str().ok(),
            None => request
                .uri()
                .authority()
                .map(|authority| authority.as_str()),
        };
        let Some((host, port)) = named.map(split) else {
            return false;
        };
        self.entries.iter().any(|entry| {
            entry.host.eq_ignore_ascii_case(host)
                && entry
                    .port
                    .as_deref()
                    .is_none_or(|allowed| port == Some(allowed))
        })
    }
}

/// `host[:port]` into its host (brackets kept for IPv6) and its port.
fn split(value: &str) -> (&str, Option<&str>) {
    if value.starts_with('[') {
        return match value.find(']') {
            Some(end) => {
                let (host, rest) = value.split_at(end + 1);
                (host, rest.strip_prefix(':'))
            }
            None => (value, None),
        };
    }
    match value.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (value, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allows(list: &AllowedHosts, host: &str) -> bool {
        list.allows(&Request::post("/").header(HOST, host).body(()).unwrap())
    }

    #[test]
    fn entries_with_and_without_ports() {
        let list = AllowedHosts::new(["localhost", "127.0.0.1:5000", "[::1]"]);
        assert!(allows(&list, "localhost"));
        assert!(allows(&list, "LocalHost:8080"));
        assert!(allows(&list, "127.0.0.1:5000"));
        assert!(!allows(&list, "127.0.0.1:5001"));
        assert!(!allows(&list, "127.0.0.1"));
        assert!(allows(&list, "[::1]:5000"));
        assert!(allows(&list, "[::1]"));
        assert!(!allows(&list, "evil.example:5000"));
        assert!(!allows(&list, "localhost.evil.example"));
        assert!(!allows(&list, "[::2]:5000"));
    }

    #[test]
    fn the_authority_stands_in_for_a_missing_host() {
        let list = AllowedHosts::new(["localhost"]);
        let h2 = Request::post("http://localhost:5000/").body(()).unwrap();
        assert!(list.allows(&h2));
        let foreign = Request::post("http://evil.example/").body(()).unwrap();
        assert!(!list.allows(&foreign));
        assert!(!list.allows(&Request::post("/").body(()).unwrap()));
    }
}
