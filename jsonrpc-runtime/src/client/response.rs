//! Reading response bodies: checking each response object against the specification and
//! matching it to its request by id.

use std::collections::HashMap;

use serde_json::value::RawValue;
use serde_json::Value;

use crate::client::{ClientError, Id, InvalidResponse};
use crate::Error;

/// What one response object answers, once checked.
#[derive(Debug)]
pub(crate) enum Reply {
    /// The call succeeded with this result.
    Result(Box<RawValue>),
    /// The call failed with this error object.
    Error(Error),
    /// The response object is broken (both or neither of `result` and `error`, and the like).
    Invalid(InvalidResponse),
}

impl Reply {
    /// The result, or the error the reply stands for.
    pub(crate) fn into_result(self) -> Result<Box<RawValue>, ClientError> {
        match self {
            Reply::Result(raw) => Ok(raw),
            Reply::Error(error) => Err(ClientError::Rpc(error)),
            Reply::Invalid(reason) => Err(reason.into()),
        }
    }
}

/// Reads the response to a single request whose id is `expected`.
pub(crate) fn single(body: &[u8], expected: &Id) -> Result<Box<RawValue>, ClientError> {
    if body.is_empty() {
        return Err(InvalidResponse::EmptyBody.into());
    }
    let raw = parse_json(body)?;
    if raw.get().starts_with('[') {
        return Err(InvalidResponse::NotAResponse(
            "an array was sent in answer to a single request".to_owned(),
        )
        .into());
    }
    let object = read_object(raw)?;
    match (&object.reply, id_of(object.id)) {
        (Reply::Invalid(_), _) => {}
        // The server could not read the request's id, so it answered with null: the error is
        // still the answer to this request.
        (Reply::Error(_), None) if object.id.get() == "null" => {}
        (_, Some(id)) if id == *expected => {}
        _ => {
            return Err(InvalidResponse::WrongId {
                expected: expected.clone(),
                got: object.id.get().to_owned(),
            }
            .into())
        }
    }
    object.reply.into_result()
}

/// Reads the response to a batch: each answer by its id. A batch answered as a whole with one
/// error object (the server refused it) is that error.
pub(crate) fn batch(body: &[u8]) -> Result<HashMap<Id, Reply>, ClientError> {
    let raw = parse_json(body)?;
    if raw.get().starts_with('{') {
        let object = read_object(raw)?;
        return Err(match object.reply {
            Reply::Error(error) => ClientError::Rpc(error),
            _ => InvalidResponse::NotAResponse(
                "a single object was sent in answer to a batch".to_owned(),
            )
            .into(),
        });
    }
    let elements: Vec<&RawValue> = serde_json::from_str(raw.get()).map_err(|_| {
        InvalidResponse::NotAResponse("a batch must be answered with an array".to_owned())
    })?;
    let mut answers = HashMap::with_capacity(elements.len());
    for element in elements {
        // An answer that cannot be matched to a call answers none of them.
        let Ok(object) = read_object(element) else {
            tracing::debug!(answer = element.get(), "ignoring an invalid batch answer");
            continue;
        };
        let Some(id) = id_of(object.id) else {
            tracing::debug!(
                answer = element.get(),
                "ignoring a batch answer without an id"
            );
            continue;
        };
        if answers.contains_key(&id) {
            answers.insert(
                id.clone(),
                Reply::Invalid(InvalidResponse::DuplicateAnswer(id)),
            );
        } else {
            answers.insert(id, object.reply);
        }
    }
    Ok(answers)
}

fn parse_json(body: &[u8]) -> Result<&RawValue, ClientError> {
    serde_json::from_slice(body).map_err(|error| InvalidResponse::NotJson(error.to_string()).into())
}

/// A response object: its raw id and what it answers.
struct Object<'a> {
    id: &'a RawValue,
    reply: Reply,
}

/// Checks one response object (section 5 of the specification). `Err` when it is not a
/// response object at all.
fn read_object(raw: &RawValue) -> Result<Object<'_>, InvalidResponse> {
    let not_a_response = |reason: &str| InvalidResponse::NotAResponse(reason.to_owned());
    let members: HashMap<String, &RawValue> = serde_json::from_str(raw.get())
        .map_err(|_| not_a_response("a response must be a JSON object"))?;
    if members.get("jsonrpc").map(|v| v.get()) != Some(r#""2.0""#) {
        return Err(not_a_response(r#"`jsonrpc` must be "2.0""#));
    }
    let id = *members
        .get("id")
        .ok_or_else(|| not_a_response("a response must have an `id`"))?;
    let reply = match (members.get("result"), members.get("error")) {
        (Some(_), Some(_)) => Reply::Invalid(InvalidResponse::BothResultAndError),
        (None, None) => Reply::Invalid(InvalidResponse::NeitherResultNorError),
        (Some(result), None) => Reply::Result((*result).to_owned()),
        (None, Some(error)) => match error_object(error) {
            Some(error) => Reply::Error(error),
            None => Reply::Invalid(not_a_response(
                "`error` must be an object with an integer `code` and a string `message`",
            )),
        },
    };
    Ok(Object { id, reply })
}

/// An error object: `code`, `message` and optional `data`.
pub(crate) fn error_object(raw: &RawValue) -> Option<Error> {
    let Value::Object(mut members) = serde_json::from_str(raw.get()).ok()? else {
        return None;
    };
    let code = i32::try_from(members.get("code")?.as_i64()?).ok()?;
    let Value::String(message) = members.remove("message")? else {
        return None;
    };
    let error = Error::new(code, message);
    Some(match members.remove("data") {
        Some(data) => error.with_data(data),
        None => error,
    })
}

/// The id a response carries, if it is one a request could have had (not null).
fn id_of(raw: &RawValue) -> Option<Id> {
    serde_json::from_str(raw.get()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn single_text(body: &str, expected: i64) -> Result<String, ClientError> {
        single(body.as_bytes(), &Id::Num(expected)).map(|raw| raw.get().to_owned())
    }

    fn invalid(result: Result<String, ClientError>) -> InvalidResponse {
        match result {
            Err(ClientError::InvalidResponse(reason)) => reason,
            other => panic!("expected an invalid response, got {other:?}"),
        }
    }

    #[test]
    fn a_result_with_the_right_id() {
        let text = single_text(r#"{"jsonrpc":"2.0","result":{"a":[1]},"id":3}"#, 3);
        assert_eq!(text.unwrap(), r#"{"a":[1]}"#);
        let text = single_text(r#"{"id":3,"result":null,"jsonrpc":"2.0"}"#, 3);
        assert_eq!(text.unwrap(), "null");
    }

    #[test]
    fn an_error_object() {
        let body = r#"{"jsonrpc":"2.0","error":{"code":-32001,"message":"no","data":[1]},"id":1}"#;
        match single_text(body, 1) {
            Err(ClientError::Rpc(error)) => {
                assert_eq!(error.code(), -32001);
                assert_eq!(error.message(), "no");
                assert_eq!(error.data(), Some(&serde_json::json!([1])));
            }
            other => panic!("{other:?}"),
        }
        // An error with a null id still answers the request.
        let body = r#"{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null}"#;
        assert!(matches!(single_text(body, 1), Err(ClientError::Rpc(e)) if e.code() == -32700));
    }

    #[test]
    fn broken_responses() {
        assert_eq!(
            invalid(single_text(r#"{"jsonrpc":"2.0","result":1,"id":2}"#, 1)),
            InvalidResponse::WrongId {
                expected: Id::Num(1),
                got: "2".to_owned()
            }
        );
        assert_eq!(
            invalid(single_text(r#"{"jsonrpc":"2.0","result":1,"id":"1"}"#, 1)),
            InvalidResponse::WrongId {
                expected: Id::Num(1),
                got: r#""1""#.to_owned()
            }
        );
        assert_eq!(
            invalid(single_text(r#"{"jsonrpc":"2.0","result":1,"id":null}"#, 1)),
            InvalidResponse::WrongId {
                expected: Id::Num(1),
                got: "null".to_owned()
            }
        );
        assert_eq!(
            invalid(single_text(
                r#"{"jsonrpc":"2.0","result":1,"error":{"code":1,"message":"x"},"id":1}"#,
                1
            )),
            InvalidResponse::BothResultAndError
        );
        assert_eq!(
            invalid(single_text(r#"{"jsonrpc":"2.0","id":1}"#, 1)),
            InvalidResponse::NeitherResultNorError
        );
        assert!(matches!(
            invalid(single_text("<html>", 1)),
            InvalidResponse::NotJson(_)
        ));
        assert_eq!(invalid(single_text("", 1)), InvalidResponse::EmptyBody);
        for body in [
            r#"{"result":1,"id":1}"#,
            r#"{"jsonrpc":"1.0","result":1,"id":1}"#,
            r#"{"jsonrpc":"2.0","result":1}"#,
            r#"[{"jsonrpc":"2.0","result":1,"id":1}]"#,
            r#""pong""#,
            r#"{"jsonrpc":"2.0","error":{"code":"x","message":"m"},"id":1}"#,
            r#"{"jsonrpc":"2.0","error":{"code":1},"id":1}"#,
        ] {
            assert!(
                matches!(
                    invalid(single_text(body, 1)),
                    InvalidResponse::NotAResponse(_)
                ),
                "{body}"
            );
        }
    }

    #[test]
    fn batch_answers_by_id() {
        let body = br#"[
            {"jsonrpc":"2.0","result":2,"id":2},
            {"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not found"},"id":"a"},
            {"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request"},"id":null},
            {"jsonrpc":"2.0","result":1,"id":1},
            {"jsonrpc":"2.0","result":1,"id":1},
            {"jsonrpc":"2.0","result":1,"error":null,"id":3},
            7
        ]"#;
        let answers = batch(body).unwrap();
        assert_eq!(answers.len(), 4);
        assert!(matches!(&answers[&Id::Num(2)], Reply::Result(r) if r.get() == "2"));
        assert!(matches!(&answers[&Id::from("a")], Reply::Error(e) if e.code() == -32601));
        assert!(matches!(
            &answers[&Id::Num(1)],
            Reply::Invalid(InvalidResponse::DuplicateAnswer(Id::Num(1)))
        ));
        assert!(matches!(
            &answers[&Id::Num(3)],
            Reply::Invalid(InvalidResponse::BothResultAndError)
        ));
    }

    #[test]
    fn a_batch_refused_as_a_whole() {
        let body =
            br#"{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request"},"id":null}"#;
        assert!(matches!(batch(body), Err(ClientError::Rpc(e)) if e.code() == -32600));
        let body = br#"{"jsonrpc":"2.0","result":1,"id":1}"#;
        assert!(matches!(
            batch(body),
            Err(ClientError::InvalidResponse(InvalidResponse::NotAResponse(
                _
            )))
        ));
        assert!(matches!(
            batch(b"nope"),
            Err(ClientError::InvalidResponse(InvalidResponse::NotJson(_)))
        ));
    }
}
