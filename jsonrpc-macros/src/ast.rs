//! The model of a `#[method]` function: what the checks and the code generation work on.
//! Every node keeps the syntax it came from, so errors can point at it.
//!
//! Whether an argument is a param or a context argument is not decided here: the macro sees
//! how a type is written, not what it is, so it leaves the choice to the compiler (see
//! `jsonrpc_runtime`'s `extract.rs`) unless `#[param]` or `#[context]` says. Only `Params<T>`,
//! which changes the shape of the method's params, is recognised as written.

use proc_macro2::{TokenStream, TokenTree};
use quote::ToTokens;
use syn::{
    Attribute, FnArg, GenericArgument, ItemFn, LitStr, Pat, PathArguments, ReturnType, Type,
};

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
    /// The `#[param]` and `#[context]` attributes written on it (more than one is an error).
    pub markers: Vec<&'a Attribute>,
}

pub enum ArgKind<'a> {
    /// `name: T`: a param or a context argument, as the compiler finds `T` to be.
    ByType { name: &'a syn::Ident, ty: &'a Type },
    /// `#[param] name: T`: a param, whatever `T` also is.
    Param { name: &'a syn::Ident, ty: &'a Type },
    /// `#[context] name: T`: built from the call; `T` must implement `FromCall`.
    Context { ty: &'a Type },
    /// `name: Params<T>`: the whole params value.
    WholeParams { ty: &'a Type },
    /// Anything the checks must reject (a receiver, a pattern).
    Unsupported,
}

/// The attributes that say what an argument is.
pub const PARAM: &str = "param";
pub const CONTEXT: &str = "context";

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

    /// Whether a `Params<T>` argument takes the whole params.
    pub fn takes_whole_params(&self) -> bool {
        self.args
            .iter()
            .any(|arg| matches!(arg.kind, ArgKind::WholeParams { .. }))
    }

    /// Whether the signature takes `self` or names `Self`: the function is an associated
    /// function of an `impl` block.
    pub fn is_associated(&self) -> bool {
        let sig = &self.item.sig;
        sig.receiver().is_some() || mentions(sig.to_token_stream(), "Self")
    }
}

impl<'a> Arg<'a> {
    fn from_syn(syntax: &'a FnArg) -> Self {
        let (kind, markers) = match syntax {
            FnArg::Receiver(_) => (ArgKind::Unsupported, Vec::new()),
            FnArg::Typed(typed) => {
                let markers: Vec<&Attribute> =
                    typed.attrs.iter().filter(|attr| is_marker(attr)).collect();
                let kind = match (&*typed.pat, &*typed.ty) {
                    (Pat::Ident(pat), ty) if pat.by_ref.is_none() && pat.subpat.is_none() => {
                        let name = &pat.ident;
                        let marked =
                            |marker: &str| markers.iter().any(|attr| attr.path().is_ident(marker));
                        if marked(PARAM) {
                            ArgKind::Param { name, ty }
                        } else if marked(CONTEXT) {
                            ArgKind::Context { ty }
                        } else if is_whole_params(ty) {
                            ArgKind::WholeParams { ty }
                        } else {
                            ArgKind::ByType { name, ty }
                        }
                    }
                    _ => ArgKind::Unsupported,
                };
                (kind, markers)
            }
        };
        Arg {
            syntax,
            kind,
            markers,
        }
    }
}

/// `#[param]` or `#[context]`.
pub fn is_marker(attr: &Attribute) -> bool {
    attr.path().is_ident(PARAM) || attr.path().is_ident(CONTEXT)
}

/// `Params<T>` or `path::Params<T>`, with one type argument.
pub fn is_whole_params(ty: &Type) -> bool {
    let Type::Path(path) = peel(ty) else {
        return false;
    };
    let Some(last) = path.path.segments.last() else {
        return false;
    };
    let PathArguments::AngleBracketed(generics) = &last.arguments else {
        return false;
    };
    last.ident == "Params"
        && generics.args.len() == 1
        && matches!(generics.args.first(), Some(GenericArgument::Type(_)))
}

/// Whether a type is written as one of the built-in context types (`State<T>`, `RequestId`,
/// ...), by the last segment of its path.
///
/// Only the typed client's list of params uses this: a typed call's signature must be written
/// by the macro, before any type is known, so it leaves out these and `#[context]` arguments.
/// The server side never looks at names.
pub fn written_as_context(ty: &Type) -> bool {
    let Type::Path(path) = peel(ty) else {
        return false;
    };
    let Some(last) = path.path.segments.last() else {
        return false;
    };
    let name = last.ident.to_string();
    match &last.arguments {
        PathArguments::None => matches!(
            name.as_str(),
            "RequestId" | "MethodName" | "Headers" | "PeerAddr" | "Peer"
        ),
        PathArguments::AngleBracketed(_) => matches!(name.as_str(), "State" | "Extension"),
        PathArguments::Parenthesized(_) => false,
    }
}

/// The type inside any parentheses or invisible groups (a `$t:ty` from `macro_rules!` arrives
/// in an invisible group).
pub fn peel(ty: &Type) -> &Type {
    match ty {
        Type::Paren(inner) => peel(&inner.elem),
        Type::Group(inner) => peel(&inner.elem),
        _ => ty,
    }
}

/// Whether `tokens` contain the identifier `word`, at any depth.
pub fn mentions(tokens: TokenStream, word: &str) -> bool {
    tokens.into_iter().any(|token| match token {
        TokenTree::Ident(ident) => ident == word,
        TokenTree::Group(group) => mentions(group.stream(), word),
        _ => false,
    })
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
