//! The model of a `#[method]` function: what the checks and the code generation work on.
//! Every node keeps the syntax it came from, so errors can point at it.

use syn::{FnArg, GenericArgument, ItemFn, LitStr, Pat, PathArguments, ReturnType, Type};

/// A function marked `#[method]`.
pub struct Method<'a> {
    pub item: &'a ItemFn,
    /// The name clients call it by.
    pub wire_name: LitStr,
    pub args: Vec<Arg<'a>>,
    pub output: Output<'a>,
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
    /// Anything the checks must reject (a receiver, a pattern).
    Unsupported,
}

/// How the return value becomes a response.
pub enum Output<'a> {
    /// No return type: the result is `null`.
    Unit,
    /// A return type named `...Result`: `Err` becomes an error response.
    Fallible(&'a Type),
    /// Any other type: serialized as the result.
    Value(&'a Type),
}

impl<'a> Method<'a> {
    pub fn from_syn(item: &'a ItemFn, name: Option<LitStr>) -> Self {
        let ident = &item.sig.ident;
        let wire_name = name.unwrap_or_else(|| LitStr::new(&ident.unraw_string(), ident.span()));
        let args = item.sig.inputs.iter().map(Arg::from_syn).collect();
        let output = match &item.sig.output {
            ReturnType::Default => Output::Unit,
            ReturnType::Type(_, ty)
                if last_segment_ident(ty).is_some_and(|i| i.ends_with("Result")) =>
            {
                Output::Fallible(ty)
            }
            ReturnType::Type(_, ty) => Output::Value(ty),
        };
        Method {
            item,
            wire_name,
            args,
            output,
        }
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
                    match wrapper(ty) {
                        Some(("Params", _)) => ArgKind::WholeParams { ty },
                        Some(("State", inner)) => ArgKind::State { ty, inner },
                        _ => ArgKind::Param { name, ty },
                    }
                }
                _ => ArgKind::Unsupported,
            },
        };
        Arg { syntax, kind }
    }
}

/// `Some(("State", T))` for `State<T>` or `path::State<T>`, likewise for `Params`.
fn wrapper(ty: &Type) -> Option<(&'static str, &Type)> {
    let Type::Path(path) = ty else { return None };
    let last = path.path.segments.last()?;
    let name = if last.ident == "State" {
        "State"
    } else if last.ident == "Params" {
        "Params"
    } else {
        return None;
    };
    let PathArguments::AngleBracketed(generics) = &last.arguments else {
        return None;
    };
    match generics.args.first() {
        Some(GenericArgument::Type(inner)) if generics.args.len() == 1 => Some((name, inner)),
        _ => None,
    }
}

fn last_segment_ident(ty: &Type) -> Option<String> {
    match ty {
        Type::Path(path) => path.path.segments.last().map(|s| s.ident.to_string()),
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
