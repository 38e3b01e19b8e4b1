//! A user's own extractor: built from the call, rejecting it with an error of its own, reading
//! state that the start-up check knows about.

use jsonrpc_runtime::{
    method, CallContext, Dispatcher, Error, FromCall, Methods, StartupError, State, StateKey,
};

struct Tokens(Vec<(&'static str, &'static str)>);

/// The caller, from the `token` extension a layer would put into the request; here, from the
/// method name, to keep the test free of HTTP.
struct CurrentUser(String);

impl FromCall for CurrentUser {
    type Rejection = Error;

    fn from_call(call: &CallContext<'_>) -> Result<Self, Error> {
        let tokens = State::<Tokens>::from_call(call)?;
        let token = call.method.split('.').nth(1).unwrap_or_default();
        tokens
            .0
            .iter()
            .find(|(known, _)| *known == token)
            .map(|(_, user)| CurrentUser((*user).to_owned()))
            .ok_or_else(|| Error::new(-32001, "unauthorized"))
    }

    fn required_states() -> Vec<StateKey> {
        State::<Tokens>::required_states()
    }
}

#[method(name = "whoami")]
fn whoami(user: CurrentUser, greeting: Option<String>) -> String {
    format!("{}, {}", greeting.as_deref().unwrap_or("hello"), user.0)
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let methods = Methods::new().with(whoami::METHOD).prefixed("");
    let dispatcher = Dispatcher::builder()
        .methods(methods.clone().merge(Methods::new().with(whoami::METHOD).prefixed("as.t1.")))
        .state(Tokens(vec![("t1", "ann")]))
        .build()
        .unwrap();
    let answer = |body: &str| {
        let bytes = runtime.block_on(dispatcher.dispatch(body.as_bytes())).unwrap();
        String::from_utf8(bytes).unwrap()
    };
    assert_eq!(
        answer(r#"{"jsonrpc":"2.0","method":"as.t1.whoami","params":["hi"],"id":1}"#),
        r#"{"jsonrpc":"2.0","result":"hi, ann","id":1}"#
    );
    assert_eq!(
        answer(r#"{"jsonrpc":"2.0","method":"whoami","id":1}"#),
        r#"{"jsonrpc":"2.0","error":{"code":-32001,"message":"unauthorized"},"id":1}"#
    );
    // The state the extractor reads is checked at start-up.
    let missing = Dispatcher::builder().methods(methods).build();
    assert!(matches!(
        missing,
        Err(StartupError::MissingState { method: "whoami", .. })
    ));
}
