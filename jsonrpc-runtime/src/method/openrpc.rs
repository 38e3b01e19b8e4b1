//! Introspection: an OpenRPC 1.3 document built from what `#[method]` records about each method
//! (name, doc comment, params, JSON Schemas), served as `rpc.discover` or written to a file.

use schemars::generate::SchemaSettings;
use schemars::{Schema, SchemaGenerator};
use serde_json::{json, Map, Value};

pub use super::describe::{
    CannotDecode, DecodesAbsence, HasSchema, MethodDoc, NoSchema, ParamDoc, ResultProbe, SchemaFn,
    SchemaProbe, ValueProbe,
};
use crate::Methods;

/// The OpenRPC version the documents follow.
pub const OPENRPC_VERSION: &str = "1.3.2";

/// The `info` object of an OpenRPC document: what the API is called and its version.
#[derive(Debug, Clone)]
pub struct Info {
    /// The API's title.
    pub title: String,
    /// The API's version (not the OpenRPC version).
    pub version: String,
    /// A longer description, if any.
    pub description: Option<String>,
}

impl Info {
    /// An `info` object with a title and a version.
    pub fn new(title: impl Into<String>, version: impl Into<String>) -> Self {
        Info {
            title: title.into(),
            version: version.into(),
            description: None,
        }
    }

    /// Adds a description.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }
}

/// A generator whose shared definitions land in `components.schemas`.
pub(crate) fn generator() -> SchemaGenerator {
    let mut settings = SchemaSettings::draft07();
    settings.definitions_path = "/components/schemas".into();
    settings.meta_schema = None;
    SchemaGenerator::new(settings)
}

/// Builds the OpenRPC document of `methods`.
///
/// Subscriptions are not listed: OpenRPC has no way to describe their notifications.
///
/// The document always lists `rpc.discover`, the method a dispatcher built with
/// [`DispatcherBuilder::openrpc`](crate::DispatcherBuilder::openrpc) serves it as.
pub fn document(info: &Info, methods: &Methods) -> Value {
    let mut generator = generator();
    let mut entries: Vec<_> = methods
        .iter()
        // A dispatcher's own method set holds `rpc.discover` already: describe it once.
        .filter(|(name, _)| *name != DISCOVER.name())
        // OpenRPC describes calls that get one answer; subscriptions (and their unsubscribe
        // methods) push over WebSocket and cannot be called over HTTP, so they are left out.
        .filter(|(_, def)| def.subscription().is_none() && !def.is_unsubscribe())
        .collect();
    entries.sort_by_key(|(name, _)| *name);
    let docs: Vec<_> = entries
        .into_iter()
        .map(|(name, def)| (name, def.doc(&mut generator)))
        .collect();
    // The generator's transforms (draft-07 `items` for tuples, no `$ref` siblings) apply to the
    // shared definitions here, and to the schemas inlined in the methods in `describe`.
    let schemas = generator.take_definitions(true);
    let mut described = Vec::with_capacity(docs.len() + 1);
    for (name, mut doc) in docs {
        for schema in doc
            .params
            .iter_mut()
            .chain(doc.whole_params.as_mut())
            .filter_map(|param| param.schema.as_mut())
            .chain(doc.result.as_mut())
        {
            for transform in generator.transforms_mut() {
                transform.transform(schema);
            }
        }
        described.push(describe(name, doc, &schemas));
    }
    described.push(describe_discover());
    let mut info_object = json!({ "title": info.title, "version": info.version });
    if let Some(description) = &info.description {
        info_object["description"] = json!(description);
    }
    json!({
        "openrpc": OPENRPC_VERSION,
        "info": info_object,
        "methods": described,
        "components": { "schemas": schemas },
    })
}

/// The method object of one method.
fn describe(name: &str, doc: MethodDoc, schemas: &Map<String, Value>) -> Value {
    let mut method = Map::new();
    method.insert("name".into(), json!(name));
    let (summary, description) = split_docs(doc.docs);
    if let Some(summary) = summary {
        method.insert("summary".into(), json!(summary));
    }
    if let Some(description) = description {
        method.insert("description".into(), json!(description));
    }
    let (params, structure) = match &doc.whole_params {
        Some(whole) => whole_params(whole, schemas),
        None => {
            // OpenRPC puts every optional param after the required ones. An `Option` param
            // before a required one must be given when params are by position (as `null` when
            // it has no value), so it is described as required.
            let last_required = doc.params.iter().rposition(|param| param.required);
            let params = doc
                .params
                .iter()
                .enumerate()
                .map(|(index, param)| {
                    let required = param.required || last_required.is_some_and(|last| index < last);
                    content_descriptor(param.name, required, param.schema.as_ref())
                })
                .collect();
            (params, "either")
        }
    };
    method.insert("params".into(), Value::Array(params));
    method.insert("paramStructure".into(), json!(structure));
    method.insert(
        "result".into(),
        json!({ "name": "result", "schema": schema_or_any(doc.result.as_ref()) }),
    );
    if !doc.errors.is_empty() {
        let errors: Vec<_> = doc
            .errors
            .iter()
            .map(|(code, message)| json!({ "code": code, "message": message }))
            .collect();
        method.insert("errors".into(), Value::Array(errors));
    }
    Value::Object(method)
}

/// A `Params<T>` method, described from `T`'s schema (looked up in `schemas` when it is a
/// `$ref`): a struct's fields are by-name params; a tuple's elements are by-position params; a
/// list is by position with no fixed params to list (OpenRPC has no variadic params); a map is
/// by name, likewise. Without a schema nothing is known, and `T` decides what it accepts.
fn whole_params(whole: &ParamDoc, schemas: &Map<String, Value>) -> (Vec<Value>, &'static str) {
    let Some(schema) = whole
        .schema
        .as_ref()
        .map(|s| resolve(s.as_value(), schemas))
    else {
        return (Vec::new(), "either");
    };
    if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
        let required: Vec<&str> = schema
            .get("required")
            .and_then(Value::as_array)
            .map(|names| names.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let mut params: Vec<Value> = properties
            .iter()
            .map(|(name, schema)| {
                json!({ "name": name, "required": required.contains(&name.as_str()), "schema": schema })
            })
            .collect();
        // Required params first, as OpenRPC asks; by name, the order means nothing else.
        params.sort_by_key(|param| param["required"] != true);
        return (params, "by-name");
    }
    match schema.get("type").and_then(Value::as_str) {
        Some("array") => {
            let elements = schema.get("items").and_then(Value::as_array);
            let min_items = schema.get("minItems").and_then(Value::as_u64).unwrap_or(0);
            let params = elements
                .into_iter()
                .flatten()
                .zip(0u64..)
                .map(|(schema, index)| {
                    json!({
                        "name": format!("{}.{index}", whole.name),
                        "required": index < min_items,
                        "schema": schema,
                    })
                })
                .collect();
            (params, "by-position")
        }
        Some("object") => (Vec::new(), "by-name"),
        _ => (Vec::new(), "either"),
    }
}

/// The definition a `{"$ref": "#/components/schemas/Name"}` schema points to, or the schema.
fn resolve<'a>(schema: &'a Value, schemas: &'a Map<String, Value>) -> &'a Value {
    schema
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|reference| reference.strip_prefix("#/components/schemas/"))
        .and_then(|name| schemas.get(&name.replace("~1", "/").replace("~0", "~")))
        .unwrap_or(schema)
}

fn content_descriptor(name: &str, required: bool, schema: Option<&Schema>) -> Value {
    json!({ "name": name, "required": required, "schema": schema_or_any(schema) })
}

/// A type without a schema accepts anything as far as the document can tell.
/// Any value is written `{}` rather than the equivalent `true`, which some OpenRPC tools cannot
/// read as a content descriptor's schema.
fn schema_or_any(schema: Option<&Schema>) -> Value {
    match schema.map(Schema::as_value) {
        None | Some(Value::Bool(true)) => json!({}),
        Some(schema) => schema.clone(),
    }
}

/// The built-in `rpc.discover` method's own description.
fn describe_discover() -> Value {
    json!({
        "name": "rpc.discover",
        "summary": "Returns the OpenRPC document of this server.",
        "params": [],
        "paramStructure": "either",
        "result": { "name": "OpenRPC document", "schema": { "type": "object" } },
    })
}

/// The first paragraph of a doc comment is the summary, the rest the description. `///` lines
/// start with a space, which is not part of the text: lines lose the indent they share.
fn split_docs(docs: &str) -> (Option<String>, Option<String>) {
    let docs = docs.trim();
    if docs.is_empty() {
        return (None, None);
    }
    let (summary, rest) = docs.split_once("\n\n").unwrap_or((docs, ""));
    let summary = summary.lines().map(str::trim).collect::<Vec<_>>().join(" ");
    let rest = rest.trim_matches('\n').trim_end();
    let indent = rest
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| line.len() - line.trim_start().len())
        .min()
        .unwrap_or(0);
    let rest = rest
        .lines()
        .map(|line| line.get(indent..).unwrap_or("").trim_end())
        .collect::<Vec<_>>()
        .join("\n");
    (Some(summary), (!rest.is_empty()).then_some(rest))
}

/// The document a dispatcher serves as `rpc.discover`, kept as state.
pub(crate) struct DiscoverDocument(Box<serde_json::value::RawValue>);

impl DiscoverDocument {
    pub(crate) fn new(document: &Value) -> Self {
        let text = document.to_string();
        DiscoverDocument(
            serde_json::value::RawValue::from_string(text).expect("a serialized Value is JSON"),
        )
    }
}

/// The built-in `rpc.discover` method.
pub(crate) const DISCOVER: crate::MethodDef =
    crate::MethodDef::__new("rpc.discover", discover, &[], file!(), line!());

fn discover(
    call: crate::method::handler::Call<'_>,
    _: crate::method::handler::FutureSlot<'_, '_>,
) -> crate::method::handler::Outcome {
    use crate::method::handler::{Outcome, SuccessHead};
    let no_params = crate::method::params::ParamsReader::new(call.params).and_then(|p| p.finish());
    Outcome::Ready(
        no_params.and_then(|()| match call.context.states.get::<DiscoverDocument>() {
            Some(document) => SuccessHead::new(&*document.0),
            None => Err(crate::Error::internal_error()),
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::split_docs;

    #[test]
    fn the_first_paragraph_is_the_summary() {
        assert_eq!(split_docs(""), (None, None));
        assert_eq!(split_docs(" Adds.\n"), (Some("Adds.".into()), None));
        assert_eq!(
            split_docs(" Adds two\n numbers.\n\n Overflow wraps.\n"),
            (
                Some("Adds two numbers.".into()),
                Some("Overflow wraps.".into())
            )
        );
        assert_eq!(
            split_docs(" Adds.\n\n Overflow wraps:\n\n ```\n if a {\n     b\n }\n ```\n"),
            (
                Some("Adds.".into()),
                Some("Overflow wraps:\n\n```\nif a {\n    b\n}\n```".into())
            )
        );
    }
}
