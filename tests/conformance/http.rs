//! HTTP/1.1: statuses and headers, keep-alive, pipelining, chunked request bodies,
//! `Expect: 100-continue`, other methods than POST, and UTF-8 bodies through `echo`.

use serde_json::{json, Value};

use crate::harness::{assert_json_response, target, PING, PONG};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_are_json_with_an_exact_length() {
    for request in [
        PING,
        r#"[{"jsonrpc":"2.0","method":"ping","id":1},{"jsonrpc":"2.0","method":"ping","id":2}]"#,
        r#"{"jsonrpc":"2.0","method":"nope","id":1}"#,
        r#"{"jsonrpc":"2.0","method":"fail","id":1}"#,
        "{",
        "[]",
        r#"{"jsonrpc":"2.0","method":"ping","id":{}}"#,
    ] {
        // JSON-RPC errors are still HTTP successes.
        let response = target().post(request).await;
        assert_json_response(&response, request.as_bytes());
        assert_eq!(
            response.header("content-length"),
            Some(response.body.len().to_string().as_str()),
            "{request}"
        );
        let _: Value = serde_json::from_slice(&response.body).expect("a JSON body");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_to_answer_is_204_without_a_body() {
    let response = target().post(r#"{"jsonrpc":"2.0","method":"ping"}"#).await;
    assert_eq!(response.status, 204);
    assert!(response.body.is_empty());
    assert!(
        matches!(response.header("content-length"), None | Some("0")),
        "{response:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_charset_parameter_on_the_content_type_is_accepted() {
    let mut connection = target().connect().await;
    let length = PING.len().to_string();
    let head = target().head(
        "POST",
        &[
            ("Content-Type", "application/json; charset=utf-8"),
            ("Content-Length", &length),
        ],
    );
    connection.send(format!("{head}{PING}")).await;
    assert_eq!(connection.response().await.text(), PONG);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_requests_on_one_keep_alive_connection() {
    let mut connection = target().connect().await;
    for i in 0..1000 {
        let response = connection
            .post(format!(
                r#"{{"jsonrpc":"2.0","method":"subtract","params":[{i},1],"id":{i}}}"#
            ))
            .await;
        assert_eq!(response.status, 200);
        assert_eq!(
            response.text(),
            format!(r#"{{"jsonrpc":"2.0","result":{},"id":{i}}}"#, i - 1)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipelined_requests_are_answered_in_order() {
    let mut connection = target().connect().await;
    // Ten requests in one write; the first is the slowest, so answering out of order would show.
    let mut requests =
        target().post_request(br#"{"jsonrpc":"2.0","method":"sleep","params":[100],"id":0}"#);
    for i in 1..10 {
        let body = if i == 5 {
            // A notification in the middle gets its 204 in its place.
            r#"{"jsonrpc":"2.0","method":"ping"}"#.to_owned()
        } else {
            format!(r#"{{"jsonrpc":"2.0","method":"ping","id":{i}}}"#)
        };
        requests.extend(target().post_request(body.as_bytes()));
    }
    connection.send(requests).await;
    let first = connection.response().await;
    assert_eq!(first.text(), r#"{"jsonrpc":"2.0","result":100,"id":0}"#);
    for i in 1..10 {
        let response = connection.response().await;
        if i == 5 {
            assert_eq!(response.status, 204);
        } else {
            assert_eq!(
                response.text(),
                format!(r#"{{"jsonrpc":"2.0","result":"pong","id":{i}}}"#)
            );
        }
    }
    // The connection is still usable afterwards.
    assert_eq!(connection.post(PING).await.text(), PONG);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chunked_request_bodies() {
    let body = r#"{"jsonrpc":"2.0","method":"subtract","params":[42,23],"id":"chunked"}"#;
    let expected = r#"{"jsonrpc":"2.0","result":19,"id":"chunked"}"#;
    let head = target().head(
        "POST",
        &[
            ("Content-Type", "application/json"),
            ("Transfer-Encoding", "chunked"),
        ],
    );
    let mut connection = target().connect().await;

    // Chunks of 1, 16 and the rest bytes, each written separately.
    connection.send(&head).await;
    let (one, rest) = body.split_at(1);
    let (sixteen, rest) = rest.split_at(16);
    for chunk in [one, sixteen, rest] {
        connection
            .send(format!("{:x}\r\n{chunk}\r\n", chunk.len()))
            .await;
    }
    connection.send("0\r\n\r\n").await;
    assert_eq!(connection.response().await.text(), expected);

    // Upper-case sizes, a chunk extension and a trailer, on the same connection.
    let (a, b) = body.split_at(30);
    connection
        .send(format!(
            "{head}{:X};name=value\r\n{a}\r\n{:X}\r\n{b}\r\n0\r\nX-Trailer: 1\r\n\r\n",
            a.len(),
            b.len()
        ))
        .await;
    assert_eq!(connection.response().await.text(), expected);

    // A chunked notification: 204.
    let notification = r#"{"jsonrpc":"2.0","method":"ping"}"#;
    connection
        .send(format!(
            "{head}{:x}\r\n{notification}\r\n0\r\n\r\n",
            notification.len()
        ))
        .await;
    assert_eq!(connection.response().await.status, 204);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expect_100_continue() {
    let mut connection = target().connect().await;
    let length = PING.len().to_string();
    connection
        .send(target().head(
            "POST",
            &[
                ("Content-Type", "application/json"),
                ("Content-Length", &length),
                ("Expect", "100-continue"),
            ],
        ))
        .await;
    // The body is not sent until the server asks for it.
    let interim = connection.response().await;
    assert_eq!(interim.status, 100, "{interim:?}");
    connection.send(PING).await;
    let response = connection.response().await;
    assert_eq!(response.status, 200);
    assert_eq!(response.text(), PONG);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_methods_than_post_get_405_with_allow_post() {
    for method in ["GET", "PUT", "DELETE", "PATCH", "OPTIONS"] {
        let mut connection = target().connect().await;
        let head = target().head(method, &[("Content-Length", "0")]);
        connection.send(head).await;
        let response = connection.response().await;
        assert_eq!(response.status, 405, "{method}: {response:?}");
        assert_eq!(response.header("allow"), Some("POST"), "{method}");
    }
    // A GET with a request in its query or body is refused all the same.
    let mut connection = target().connect().await;
    let length = PING.len().to_string();
    let head = target().head("GET", &[("Content-Length", &length)]);
    connection.send(format!("{head}{PING}")).await;
    assert_eq!(connection.response().await.status, 405);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_close_is_honoured() {
    let mut connection = target().connect().await;
    let length = PING.len().to_string();
    let head = target().head(
        "POST",
        &[
            ("Content-Type", "application/json"),
            ("Content-Length", &length),
            ("Connection", "close"),
        ],
    );
    connection.send(format!("{head}{PING}")).await;
    assert_eq!(connection.response().await.text(), PONG);
    assert_eq!(connection.read_until_closed().await, b"");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unicode_round_trips_through_echo() {
    // As JSON text: each must come back as the same string.
    for value in [
        r#""héllo wörld""#,
        r#""日本語のテキスト""#,
        r#""Привет, мир""#,
        r#""שלום עולם""#,
        // Astral characters, raw: four UTF-8 bytes each.
        r#""😀 🎉 𝄞 𠜎""#,
        // The same, as escaped surrogate pairs.
        r#""\ud83d\ude00 \uD83C\uDF89 \ud834\udd1e""#,
        r#""e\u0301 vs \u00e9""#,
        r#""\u2028\u2029\ufeff""#,
        r#""\u0000 \u001f \" \\ \/ \b \f \n \r \t""#,
        r#"{"ключ":"значение","😀":["𝄞",{"é":"\ud83d\ude00"}]}"#,
    ] {
        let expected: Value = serde_json::from_str(value).unwrap();
        let request = format!(r#"{{"jsonrpc":"2.0","method":"echo","params":[{value}],"id":1}}"#);
        let response = target().call(&request).await;
        assert_eq!(
            response,
            json!({"jsonrpc":"2.0","result":expected,"id":1}),
            "{request}"
        );
    }
    // An escaped pair comes back as the character it encodes.
    let response = target()
        .call_text(r#"{"jsonrpc":"2.0","method":"echo","params":["\ud83d\ude00"],"id":1}"#)
        .await;
    assert_eq!(response, r#"{"jsonrpc":"2.0","result":"😀","id":1}"#);
}
