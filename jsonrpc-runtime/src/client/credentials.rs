//! Credentials in a URL (`http://user:password@host/`, `ws://user:password@host/`): taken out
//! of the URL, so that they never reach a log line, an error message or the `Host` header, and
//! sent as `Authorization: Basic ...` instead.

use hyper::header::HeaderValue;
use hyper::Uri;

use crate::client::ClientError;

/// `uri` without its user information, and the `Authorization` value the user information
/// stands for (`None` when there is none). The user name and password are percent-decoded
/// (`p%40ss` is `p@ss`); a user name without `:` has an empty password.
pub(crate) fn take(uri: Uri) -> Result<(Uri, Option<HeaderValue>), ClientError> {
    let Some(authority) = uri.authority() else {
        return Ok((uri, None));
    };
    let Some((userinfo, host)) = authority.as_str().rsplit_once('@') else {
        return Ok((uri, None));
    };
    let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
    let mut pair = decode(user)?;
    pair.push(b':');
    pair.extend(decode(password)?);
    let value = HeaderValue::try_from(format!("Basic {}", base64(&pair)))
        .expect("base64 is a valid header value");

    let host = host.parse().map_err(|error| {
        ClientError::InvalidConfig(format!("invalid host {host:?} in the URL: {error}"))
    })?;
    let mut parts = uri.into_parts();
    parts.authority = Some(host);
    let uri = Uri::from_parts(parts)
        .map_err(|error| ClientError::InvalidConfig(format!("invalid URL: {error}")))?;
    Ok((uri, Some(value)))
}

/// Percent-decodes one part of the user information.
fn decode(text: &str) -> Result<Vec<u8>, ClientError> {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' {
            let escape = bytes
                .get(index + 1..index + 3)
                .and_then(|hex| std::str::from_utf8(hex).ok())
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
                .ok_or_else(|| {
                    ClientError::InvalidConfig(
                        "the user name or password in the URL has a `%` that is not followed by \
                         two hex digits"
                            .to_owned(),
                    )
                })?;
            decoded.push(escape);
            index += 3;
        } else {
            decoded.push(bytes[index]);
            index += 1;
        }
    }
    Ok(decoded)
}

/// Standard base64, with padding (RFC 4648, section 4), as Basic authorization uses.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut text = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let group = (u32::from(chunk[0]) << 16)
            | (u32::from(chunk.get(1).copied().unwrap_or(0)) << 8)
            | u32::from(chunk.get(2).copied().unwrap_or(0));
        for position in 0..4 {
            if position <= chunk.len() {
                let index = (group >> (18 - 6 * position)) & 0x3f;
                text.push(char::from(ALPHABET[index as usize]));
            } else {
                text.push('=');
            }
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(url: &str) -> (String, Option<String>) {
        let (uri, value) = take(url.parse().unwrap()).unwrap();
        (
            uri.to_string(),
            value.map(|value| value.to_str().unwrap().to_owned()),
        )
    }

    #[test]
    fn base64_as_in_rfc_4648() {
        for (input, output) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(input.as_bytes()), output);
        }
        assert_eq!(base64(&[0xfb, 0xff]), "+/8=");
    }

    #[test]
    fn credentials_are_taken_out_of_the_url() {
        // RFC 7617's example: Aladdin / open sesame.
        assert_eq!(
            split("http://Aladdin:open%20sesame@127.0.0.1:8080/rpc?x=1"),
            (
                "http://127.0.0.1:8080/rpc?x=1".to_owned(),
                Some("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==".to_owned())
            )
        );
        // Percent-escapes in both parts; `:` in the password after the first.
        assert_eq!(
            split("ws://us%3Aer:p%40ss:w@example.com/"),
            (
                "ws://example.com/".to_owned(),
                Some(format!("Basic {}", base64(b"us:er:p@ss:w")))
            )
        );
        // A user name alone has an empty password.
        assert_eq!(
            split("https://token@example.com/").1,
            Some(format!("Basic {}", base64(b"token:")))
        );
        // No user information: the URL is left as it is.
        assert_eq!(
            split("http://127.0.0.1:5000/"),
            ("http://127.0.0.1:5000/".to_owned(), None)
        );
    }

    #[test]
    fn bad_escapes_are_configuration_errors() {
        for url in ["http://a%zz:b@host/", "http://a:b%4@host/"] {
            assert!(matches!(
                take(url.parse().unwrap()),
                Err(ClientError::InvalidConfig(message)) if message.contains('%')
            ));
        }
    }
}
