//! The model of a `#[method]` function: what the checks and the code generation work on.
//! Every node keeps the syntax it came from, so errors can point at it.

use syn::{FnArg, GenericArgument, ItemFn, LitStr, Pat, PathArguments, ReturnType, Type};

/// A function marked `#[method]`.
pub struct Method<'a> {
    pub item: &'a ItemFn,
    /// The name clients call it by.
    pub wire_name: LitStr,
    pub args: Vec<Arg<'a>>,
    /// The declared return type; `None` for `()`.
    pub output: Option<&'a Type>,
    /// For a `#[subscription]`: its first argument, the sink (not among `args`).
    pub sink: Option<Sink<'a>>,
}

/// The first argument of a subscription function.
pub struct Sink<'a> {
    pub syntax: &'a FnArg,
    /// Its type, when it is a plain `name: Type` argument.
    pub ty: Option<&'a Type>,
}

/// One argument of the function.
pub struct Arg<'a> {
    pub syntax: &'a FnArg,
    pub kind: ArgKind<'a>,
}

pub enum ArgKind<'a> {
    /// A param: `name: T`.
    Param { name: &'a syn::Ident, ty: &'a Type },
    /// `name: Params<T>`: the whole params value.
    WholeParams { ty: &'a Type },
    /// `name: State<T>`: shared state; `inner` is `T`.
    State { ty: &'a Type, inner: &'a Type },
    /// A request-context extractor (`RequestId`, `Extension<T>`...): not a param.
    Context {
        ty: &'a Type,
        extractor: Extractor<'a>,
    },
    /// Anything the checks must reject (a receiver, a pattern).
    Unsupported,
}

/// The request-context extractors, recognised by the last segment of their type's path.
pub enum Extractor<'a> {
    RequestId,
    MethodName,
    Headers,
    PeerAddr,
    /// The connection's other side.
    Peer,
    /// `Extension<T>`; the field is `T`.
    Extension(&'a Type),
}

impl Extractor<'_> {
    /// The runtime function (in `__private::extract`) that builds this extractor.
    pub fn function(&self) -> &'static str {
        match self {
            Extractor::RequestId => "request_id",
            Extractor::MethodName => "method_name",
            Extractor::Headers => "headers",
            Extractor::PeerAddr => "peer_addr",
            Extractor::Peer => "peer",
            Extractor::Extension(_) => "extension",
        }
    }
}

impl<'a> Method<'a> {
    pub fn from_syn(item: &'a ItemFn, name: Option<LitStr>) -> Self {
        let ident = &item.sig.ident;
        let wire_name = name.unwrap_or_else(|| LitStr::new(&ident.unraw_string(), ident.span()));
        let args = item.sig.inputs.iter().map(Arg::from_syn).collect();
        let output = match &item.sig.output {
            ReturnType::Default => None,
            ReturnType::Type(_, ty) => Some(&**ty),
        };
        Method {
            item,
            wire_name,
            args,
            output,
            sink: None,
        }
    }

    /// A `#[subscription]` function: its first argument is the sink, the others are read as
    /// for `#[method]`.
    pub fn from_syn_subscription(item: &'a ItemFn, name: Option<LitStr>) -> Self {
        let mut method = Method::from_syn(item, name);
        if let Some(first) = item.sig.inputs.first() {
            method.args.remove(0);
            let ty = match first {
                FnArg::Typed(typed) if matches!(&*typed.pat, Pat::Ident(_)) => Some(&*typed.ty),
                _ => None,
            };
            method.sink = Some(Sink { syntax: first, ty });
        }
        method
    }

    pub fn is_async(&self) -> bool {
        self.item.sig.asyncness.is_some()
    }
}

impl<'a> Arg<'a> {
    fn from_syn(syntax: &'a FnArg) -> Self {
        let kind = match syntax {
            FnArg::Receiver(_) => ArgKind::Unsupported,
            FnArg::Typed(typed) => match (&*typed.pat, &*typed.ty) {
                (Pat::Ident(pat), ty) if pat.by_ref.is_none() && pat.subpat.is_none() => {
                    let name = &pat.ident;
                    match (wrapper(ty), extractor(ty)) {
                        (Some(("Params", _)), _) => ArgKind::WholeParams { ty },
                        (Some(("State", inner)), _) => ArgKind::State { ty, inner },
                        (Some(("Extension", inner)), _) => ArgKind::Context {
                            ty,
                            extractor: Extractor::Extension(inner),
                        },
                        (_, Some(extractor)) => ArgKind::Context { ty, extractor },
                        _ => ArgKind::Param { name, ty },
                    }
                }
                _ => ArgKind::Unsupported,
            },
        };
        Arg { syntax, kind }
    }
}

/// The context extractors that take no type argument.
fn extractor(ty: &Type) -> Option<Extractor<'static>> {
    let Type::Path(path) = ty else { return None };
    let last = path.path.segments.last()?;
    if !last.arguments.is_none() {
        return None;
    }
    match last.ident.to_string().as_str() {
        "RequestId" => Some(Extractor::RequestId),
        "MethodName" => Some(Extractor::MethodName),
        "Headers" => Some(Extractor::Headers),
        "PeerAddr" => Some(Extractor::PeerAddr),
        "Peer" => Some(Extractor::Peer),
        _ => None,
    }
}

/// `Some(("State", T))` for `State<T>` or `path::State<T>`, likewise for `Params` and
/// `Extension`.
fn wrapper(ty: &Type) -> Option<(&'static str, &Type)> {
    let Type::Path(path) = ty else { return None };
    let last = path.path.segments.last()?;
    let name = ["State", "Params", "Extension"]
        .into_iter()
        .find(|name| last.ident == name)?;
    let PathArguments::AngleBracketed(generics) = &last.arguments else {
        return None;
    };
    match generics.args.first() {
        Some(GenericArgument::Type(inner)) if generics.args.len() == 1 => Some((name, inner)),
        _ => None,
    }
}

trait UnrawString {
    fn unraw_string(&self) -> String;
}

impl UnrawString for syn::Ident {
    /// The name without a leading `r#`: `r#type` is the param `type`.
    fn unraw_string(&self) -> String {
        let name = self.to_string();
        name.strip_prefix("r#").map(str::to_owned).unwrap_or(name)
    }
}

pub fn param_name(ident: &syn::Ident) -> String {
    ident.unraw_string()
}
