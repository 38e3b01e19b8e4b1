//! Introspection (issue 7): the OpenRPC document `#[method]` and the runtime build, checked
//! against the functions' signatures and doc comments, and served as `rpc.discover`.

mod common;

use std::sync::atomic::{AtomicU64, Ordering};

use common::{call, error_code};
use jsonrpc_runtime::openrpc::{self, Info};
use jsonrpc_runtime::{method, Dispatcher, Error, Methods, Params, State};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// A point on the plane.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
struct Point {
    /// Across.
    x: f64,
    /// Up.
    y: f64,
}

/// A value with no `JsonSchema`: methods that take it still work, described as "any value".
#[derive(Serialize, Deserialize)]
struct Opaque {
    token: String,
}

/// The params of `translate`, taken whole.
#[derive(Deserialize, schemars::JsonSchema)]
struct Move {
    point: Point,
    dx: f64,
    dy: Option<f64>,
}

#[derive(Default)]
struct Calls(AtomicU64);

/// Adds two integers.
///
/// Overflow wraps around,
/// as in two's complement.
#[method(name = "math.add")]
fn add(a: i64, b: i64) -> i64 {
    a.wrapping_add(b)
}

/// Greets someone, by default
/// with "Hello".
#[method]
async fn greet(name: String, greeting: Option<String>) -> String {
    format!("{}, {name}!", greeting.as_deref().unwrap_or("Hello"))
}

/// The distance between two points.
#[method(error(-32010, "the points are the same"), error(-32011, "too far"))]
fn distance(from: Point, to: Point, calls: State<Calls>) -> Result<f64, Error> {
    calls.0.fetch_add(1, Ordering::Relaxed);
    if from == to {
        return Err(Error::new(-32010, "the points are the same"));
    }
    Ok((to.x - from.x).hypot(to.y - from.y))
}

/// Moves a point by `dx` and `dy` (default 0).
#[method]
fn translate(args: Params<Move>) -> Point {
    Point {
        x: args.point.x + args.dx,
        y: args.point.y + args.dy.unwrap_or(0.0),
    }
}

/// The sum of any number of integers.
#[method]
fn sum(numbers: Params<Vec<i64>>) -> i64 {
    numbers.iter().sum()
}

/// A tuple, taken whole: its elements are by-position params.
#[method]
fn label(args: Params<(i64, String)>) -> String {
    let (number, text) = args.into_inner();
    format!("{number} {text}")
}

/// The numbers from `from` (default 0) to `to`, `step` apart (default 1).
#[method]
fn range(from: Option<i64>, to: i64, step: Option<i64>) -> Vec<i64> {
    let step = usize::try_from(step.unwrap_or(1)).unwrap_or(1).max(1);
    (from.unwrap_or(0)..to).step_by(step).collect()
}

/// The length of a span.
#[method]
fn length(span: (i64, i64)) -> i64 {
    span.1 - span.0
}

/// Returns the token of an opaque value.
#[method]
fn open(opaque: Opaque, prefix: Option<Opaque>) -> String {
    match prefix {
        Some(prefix) => format!("{}{}", prefix.token, opaque.token),
        None => opaque.token,
    }
}

#[method]
fn undocumented() {}

fn methods() -> Methods {
    Methods::new()
        .with(add::METHOD)
        .with(greet::METHOD)
        .with(distance::METHOD)
        .with(translate::METHOD)
        .with(sum::METHOD)
        .with(label::METHOD)
        .with(range::METHOD)
        .with(length::METHOD)
        .with(open::METHOD)
        .with(undocumented::METHOD)
}

fn info() -> Info {
    Info::new("geometry", "2.1.0").description("Points and greetings.")
}

fn document() -> Value {
    openrpc::document(&info(), &methods())
}

fn dispatcher() -> Dispatcher {
    Dispatcher::builder()
        .methods(methods())
        .state(Calls::default())
        .openrpc(info())
        .build()
        .expect("a valid method set")
}

/// The method object called `name`.
fn method_object(document: &Value, name: &str) -> Value {
    document["methods"]
        .as_array()
        .expect("a list of methods")
        .iter()
        .find(|m| m["name"] == name)
        .unwrap_or_else(|| panic!("no method `{name}` in {document:#}"))
        .clone()
}

/// A method's params as `(name, required)` pairs, in order.
fn params_of(method: &Value) -> Vec<(String, bool)> {
    method["params"]
        .as_array()
        .expect("a list of params")
        .iter()
        .map(|p| {
            let name = p["name"].as_str().expect("a name").to_owned();
            let required = p["required"].as_bool().expect("a required flag");
            (name, required)
        })
        .collect()
}

fn owned(params: &[(&str, bool)]) -> Vec<(String, bool)> {
    params.iter().map(|(n, r)| (n.to_string(), *r)).collect()
}

#[test]
fn the_document_names_its_version_and_its_api() {
    let document = document();
    assert_eq!(document["openrpc"], "1.3.2");
    assert_eq!(
        document["info"],
        json!({ "title": "geometry", "version": "2.1.0", "description": "Points and greetings." })
    );
    let names: Vec<&str> = document["methods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "distance",
            "greet",
            "label",
            "length",
            "math.add",
            "open",
            "range",
            "sum",
            "translate",
            "undocumented",
            "rpc.discover"
        ],
        "every method once, by wire name, and rpc.discover"
    );
}

#[test]
fn doc_comments_are_summaries_and_descriptions() {
    let document = document();
    let add = method_object(&document, "math.add");
    assert_eq!(add["summary"], "Adds two integers.");
    assert_eq!(
        add["description"],
        "Overflow wraps around,\nas in two's complement."
    );
    // A first paragraph over two lines is one summary line.
    let greet = method_object(&document, "greet");
    assert_eq!(
        greet["summary"],
        r#"Greets someone, by default with "Hello"."#
    );
    assert!(greet.get("description").is_none(), "{greet:#}");
    // No doc comment, neither.
    let undocumented = method_object(&document, "undocumented");
    assert!(undocumented.get("summary").is_none(), "{undocumented:#}");
    assert!(
        undocumented.get("description").is_none(),
        "{undocumented:#}"
    );
}

/// A method's name, its params as `(name, required)`, and its `paramStructure`.
type Expected = (&'static str, &'static [(&'static str, bool)], &'static str);

#[test]
fn params_and_required_flags_match_the_signatures() {
    let document = document();
    let expected: [Expected; 10] = [
        ("math.add", &[("a", true), ("b", true)], "either"),
        ("greet", &[("name", true), ("greeting", false)], "either"),
        // `State<Calls>` is not a param.
        ("distance", &[("from", true), ("to", true)], "either"),
        ("open", &[("opaque", true), ("prefix", false)], "either"),
        ("undocumented", &[], "either"),
        // OpenRPC puts optional params last: an `Option` before a required param must be given
        // by position (`null` for none), so it is required.
        (
            "range",
            &[("from", true), ("to", true), ("step", false)],
            "either",
        ),
        ("length", &[("span", true)], "either"),
        // `Params<Move>`: the struct's fields, by name; `dy` is an `Option`.
        (
            "translate",
            &[("dx", true), ("point", true), ("dy", false)],
            "by-name",
        ),
        // `Params<(i64, String)>`: the tuple's elements, by position.
        (
            "label",
            &[("args.0", true), ("args.1", true)],
            "by-position",
        ),
        // `Params<Vec<i64>>`: by position, any number (OpenRPC cannot list them).
        ("sum", &[], "by-position"),
    ];
    for (name, params, structure) in expected {
        let method = method_object(&document, name);
        assert_eq!(params_of(&method), owned(params), "{name}: {method:#}");
        assert_eq!(method["paramStructure"], structure, "{name}: {method:#}");
    }
    let add = method_object(&document, "math.add");
    assert_eq!(
        add["params"][0]["schema"],
        json!({ "type": "integer", "format": "int64" })
    );
    // A tuple is a draft-07 array of `items` (not 2020-12 `prefixItems`).
    let length = method_object(&document, "length");
    assert_eq!(
        length["params"][0]["schema"],
        json!({
            "type": "array",
            "items": [
                { "type": "integer", "format": "int64" },
                { "type": "integer", "format": "int64" }
            ],
            "minItems": 2,
            "maxItems": 2
        })
    );
    let greet = method_object(&document, "greet");
    assert_eq!(greet["params"][0]["schema"], json!({ "type": "string" }));
    assert_eq!(
        greet["params"][1]["schema"],
        json!({ "type": ["string", "null"] })
    );
}

#[tokio::test]
async fn a_type_without_a_schema_is_any_value_and_still_works() {
    let open = method_object(&document(), "open");
    for param in open["params"].as_array().unwrap() {
        assert!(
            param["schema"] == json!({}) || param["schema"] == json!(true),
            "{open:#}"
        );
    }
    let dispatcher = dispatcher();
    let response = call(
        &dispatcher,
        r#"{"jsonrpc":"2.0","method":"open","params":[{"token":"b"},{"token":"a"}],"id":1}"#,
    )
    .await
    .unwrap();
    assert_eq!(response["result"], "ab", "{response}");
}

#[test]
fn a_derived_schema_is_one_shared_definition() {
    let document = document();
    let point_ref = json!({ "$ref": "#/components/schemas/Point" });
    let point = &document["components"]["schemas"]["Point"];
    assert_eq!(point["type"], "object", "{document:#}");
    assert_eq!(point["required"], json!(["x", "y"]));
    assert_eq!(point["description"], "A point on the plane.");
    assert_eq!(point["properties"]["x"]["description"], "Across.");
    let distance = method_object(&document, "distance");
    assert_eq!(distance["params"][0]["schema"], point_ref);
    assert_eq!(distance["params"][1]["schema"], point_ref);
    let translate = method_object(&document, "translate");
    let point_param = translate["params"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "point")
        .unwrap();
    assert_eq!(point_param["schema"], point_ref);
    assert_eq!(translate["result"]["schema"], point_ref);
    // Every reference points at a definition that exists.
    let text = document.to_string();
    for reference in text.split(r##""$ref":"##).skip(1) {
        let target = reference.split('"').nth(1).unwrap();
        let name = target
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("a reference outside components: {target}"));
        assert!(
            document["components"]["schemas"].get(name).is_some(),
            "{target} is not defined"
        );
    }
}

#[test]
fn results_are_the_success_type_and_errors_are_declared() {
    let document = document();
    let distance = method_object(&document, "distance");
    // `Result<f64, Error>`: the schema of `f64`.
    assert_eq!(
        distance["result"],
        json!({ "name": "result", "schema": { "type": "number", "format": "double" } })
    );
    assert_eq!(
        distance["errors"],
        json!([
            { "code": -32010, "message": "the points are the same" },
            { "code": -32011, "message": "too far" }
        ])
    );
    // `()` is `null`; methods without declared errors have no `errors`.
    let undocumented = method_object(&document, "undocumented");
    assert_eq!(undocumented["result"]["schema"], json!({ "type": "null" }));
    assert!(undocumented.get("errors").is_none());
}

#[tokio::test]
async fn rpc_discover_answers_the_same_document() {
    let dispatcher = dispatcher();
    for params in ["", r#","params":[]"#, r#","params":{}"#] {
        let request = format!(r#"{{"jsonrpc":"2.0","method":"rpc.discover"{params},"id":1}}"#);
        let response = call(&dispatcher, &request).await.unwrap();
        assert_eq!(response["result"], document(), "{request}");
    }
    // The dispatcher's own method set (which holds `rpc.discover`) gives the same document.
    assert_eq!(openrpc::document(&info(), dispatcher.methods()), document());
    // The methods still answer as before.
    let response = call(
        &dispatcher,
        r#"{"jsonrpc":"2.0","method":"distance","params":{"from":{"x":0,"y":0},"to":{"x":3,"y":4}},"id":2}"#,
    ).await
    .unwrap();
    assert_eq!(response["result"], 5.0, "{response}");
}

#[tokio::test]
async fn rpc_discover_takes_no_params() {
    let dispatcher = dispatcher();
    for params in ["[1]", r#"{"verbose":true}"#, "[null]", "3", r#""all""#] {
        let request =
            format!(r#"{{"jsonrpc":"2.0","method":"rpc.discover","params":{params},"id":1}}"#);
        let response = call(&dispatcher, &request).await.unwrap();
        let code = if params == "3" || params == r#""all""# {
            // Params that are neither a list nor an object make the request invalid.
            -32600
        } else {
            -32602
        };
        assert_eq!(error_code(&response), code, "{request}: {response}");
    }
}

#[tokio::test]
async fn rpc_discover_is_off_unless_asked_for() {
    let dispatcher = Dispatcher::builder()
        .methods(methods())
        .state(Calls::default())
        .build()
        .unwrap();
    let response = call(
        &dispatcher,
        r#"{"jsonrpc":"2.0","method":"rpc.discover","id":1}"#,
    )
    .await
    .unwrap();
    assert_eq!(error_code(&response), -32601, "{response}");
}

#[test]
fn the_document_can_be_written_to_a_file() {
    let path = std::env::temp_dir().join(format!("openrpc-{}.json", std::process::id()));
    let file = std::fs::File::create(&path).unwrap();
    serde_json::to_writer_pretty(file, &document()).unwrap();
    let read: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(read, document());
}

/// What the document says is callable is: required params by position, optional ones left out
/// by name, a whole struct by name, a tuple by position.
#[tokio::test]
async fn the_documented_params_are_callable() {
    let dispatcher = dispatcher();
    let cases = [
        (r#""range","params":[null,3]"#, json!([0, 1, 2])),
        (r#""range","params":{"to":3}"#, json!([0, 1, 2])),
        (r#""range","params":[1,7,3]"#, json!([1, 4])),
        (
            r#""translate","params":{"point":{"x":1,"y":1},"dx":2}"#,
            json!({ "x": 3.0, "y": 1.0 }),
        ),
        (r#""label","params":[7,"up"]"#, json!("7 up")),
        (r#""sum","params":[1,2,4]"#, json!(7)),
        (r#""length","params":[[2,9]]"#, json!(7)),
        (r#""greet","params":{"name":"Ann"}"#, json!("Hello, Ann!")),
    ];
    for (call_text, expected) in cases {
        let request = format!(r#"{{"jsonrpc":"2.0","method":{call_text},"id":1}}"#);
        let response = call(&dispatcher, &request).await.unwrap();
        assert_eq!(response["result"], expected, "{request}: {response}");
    }
}
