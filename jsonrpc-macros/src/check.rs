//! The rules a `#[method]` function must follow. Each rule is a function; every broken rule is
//! reported, each at the token that breaks it.

use syn::{FnArg, Type};

use crate::ast::{Arg, ArgKind, Method};

/// Applies every rule; `Err` combines all the errors found.
pub fn method(method: &Method) -> syn::Result<()> {
    // Every other error would be a knock-on error of this one.
    is_free_function(method, "#[method]")?;
    function_rules(method)
}

/// The rules of any function the macros turn into a method.
fn function_rules(method: &Method) -> syn::Result<()> {
    let mut errors = Errors::default();
    wire_name_is_usable(method, &mut errors);
    signature_is_plain(method, &mut errors);
    no_generics(method, &mut errors);
    for arg in &method.args {
        argument_is_named(arg.syntax, &arg.kind, &mut errors);
        one_marker(arg, &mut errors);
        if let ArgKind::Param { ty, .. } | ArgKind::ByType { ty, .. } = arg.kind {
            param_type_is_owned(ty, &mut errors);
        }
    }
    whole_params_stand_alone(method, &mut errors);
    errors.finish()
}

/// What to do about `#[method]` or `#[subscription]` on an associated function.
fn not_in_impl(attribute: &str) -> String {
    format!("{attribute} goes on a free function, not on an associated function of an `impl` block: move the function out of the `impl` (into the module), and take shared data as `State<T>`")
}

/// A method is a free function: the generated handle and registration are module items, which
/// an `impl` block cannot hold. The macro cannot see the block: a signature that takes `self`
/// or names `Self` shows the function is in one, and otherwise the source around the attribute
/// may (see `scope.rs`). Reported once, on the attribute.
fn is_free_function(method: &Method, attribute: &str) -> syn::Result<()> {
    if method.is_associated() || crate::scope::attribute_in_impl_or_trait() {
        return Err(syn::Error::new(
            proc_macro2::Span::call_site(),
            not_in_impl(attribute),
        ));
    }
    Ok(())
}

/// `#[param]` and `#[context]` say what an argument is: one of them, without arguments, and
/// not on `Params<T>`, which is always the whole params.
fn one_marker(arg: &Arg, errors: &mut Errors) {
    for extra in arg.markers.iter().skip(1) {
        errors.push(syn::Error::new_spanned(
            extra,
            "an argument is either `#[param]` or `#[context]`: keep one",
        ));
    }
    for marker in &arg.markers {
        if !matches!(marker.meta, syn::Meta::Path(_)) {
            errors.push(syn::Error::new_spanned(
                &marker.meta,
                "`#[param]` and `#[context]` take no arguments",
            ));
        }
    }
    if let (Some(marker), FnArg::Typed(typed)) = (arg.markers.first(), arg.syntax) {
        if crate::ast::is_whole_params(&typed.ty) && marker.path().is_ident(crate::ast::CONTEXT) {
            errors.push(syn::Error::new_spanned(
                marker,
                "`Params<T>` is the whole params, not a context argument: remove `#[context]`",
            ));
        }
    }
}

/// `blocking` moves a plain `fn` onto tokio's blocking pool; an `async fn` must not block.
pub fn blocking_is_sync(method: &Method, blocking: Option<&syn::Path>) -> syn::Result<()> {
    match (blocking, &method.item.sig.asyncness) {
        (Some(path), Some(_)) => Err(syn::Error::new_spanned(
            path,
            "`blocking` is for plain `fn`s that block; an `async fn` must not block: remove `blocking` or `async`",
        )),
        _ => Ok(()),
    }
}

#[derive(Default)]
struct Errors(Option<syn::Error>);

impl Errors {
    fn push(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(all) => all.combine(error),
            None => self.0 = Some(error),
        }
    }

    fn finish(self) -> syn::Result<()> {
        self.0.map_or(Ok(()), Err)
    }
}

/// A wire name must not be empty, and names starting with `rpc.` are reserved by the
/// specification for the protocol's own methods.
fn wire_name_is_usable(method: &Method, errors: &mut Errors) {
    let name = method.wire_name.value();
    if name.is_empty() {
        errors.push(syn::Error::new_spanned(
            &method.wire_name,
            "a method name must not be empty",
        ));
    } else if name.starts_with("rpc.") {
        errors.push(syn::Error::new_spanned(
            &method.wire_name,
            "method names starting with `rpc.` are reserved by JSON-RPC 2.0; choose another name with #[method(name = \"...\")]",
        ));
    }
}

/// `unsafe`, `extern` and C-variadic functions cannot be called safely from generated code.
fn signature_is_plain(method: &Method, errors: &mut Errors) {
    let sig = &method.item.sig;
    if let Some(token) = &sig.unsafety {
        errors.push(syn::Error::new_spanned(
            token,
            "a JSON-RPC method cannot be `unsafe`: wrap the unsafe code in a safe function",
        ));
    }
    if let Some(abi) = &sig.abi {
        errors.push(syn::Error::new_spanned(
            abi,
            "a JSON-RPC method cannot have an `extern` ABI",
        ));
    }
    if let Some(variadic) = &sig.variadic {
        errors.push(syn::Error::new_spanned(
            variadic,
            "a JSON-RPC method cannot be variadic: take `Params<Vec<T>>` instead",
        ));
    }
}

/// Params are decoded at run time into concrete types, so a method cannot be generic.
fn no_generics(method: &Method, errors: &mut Errors) {
    let generics = &method.item.sig.generics;
    if !generics.params.is_empty() {
        errors.push(syn::Error::new_spanned(
            &generics.params,
            "a JSON-RPC method cannot be generic: its params are decoded into concrete types at run time",
        ));
    }
    if let Some(clause) = &generics.where_clause {
        errors.push(syn::Error::new_spanned(
            clause,
            "a JSON-RPC method cannot have a `where` clause",
        ));
    }
}

/// Each argument's name is its param name for by-name calls, so it must be a plain name;
/// a method has no `self`.
fn argument_is_named(arg: &FnArg, kind: &ArgKind, errors: &mut Errors) {
    if !matches!(kind, ArgKind::Unsupported) {
        return;
    }
    match arg {
        FnArg::Receiver(receiver) => {
            errors.push(syn::Error::new_spanned(receiver, not_in_impl("#[method]")))
        }
        FnArg::Typed(typed) => errors.push(syn::Error::new_spanned(
            &typed.pat,
            "a JSON-RPC method's arguments must be plain names (`name: Type`): the name is the param's name in by-name calls",
        )),
    }
}

/// Params are decoded into owned values, and their type must be nameable.
fn param_type_is_owned(ty: &Type, errors: &mut Errors) {
    match ty {
        Type::Reference(reference) => errors.push(syn::Error::new_spanned(
            reference,
            "a param cannot be a reference: params are decoded into owned values (use `String` for `&str`, `Vec<T>` for `&[T]`)",
        )),
        Type::ImplTrait(_) => errors.push(syn::Error::new_spanned(
            ty,
            "a param cannot be `impl Trait`: name a concrete type that implements `serde::Deserialize`",
        )),
        _ => {}
    }
}

/// `Params<T>` takes the whole params value, so it cannot share it with other params or with a
/// second `Params<T>`.
fn whole_params_stand_alone(method: &Method, errors: &mut Errors) {
    let whole: Vec<_> = method
        .args
        .iter()
        .filter(|arg| matches!(arg.kind, ArgKind::WholeParams { .. }))
        .collect();
    let Some(first) = whole.first() else { return };
    for extra in &whole[1..] {
        errors.push(syn::Error::new_spanned(
            extra.syntax,
            "a method takes at most one `Params<T>`",
        ));
    }
    for arg in &method.args {
        // An argument left to its type beside `Params<T>` must be a context argument; the
        // compiler says so when it is not.
        if let ArgKind::Param { .. } = arg.kind {
            let mut error = syn::Error::new_spanned(
                arg.syntax,
                "a method that takes `Params<T>` cannot take other params: `Params<T>` is the whole params value",
            );
            error.combine(syn::Error::new_spanned(
                first.syntax,
                "`Params<T>` is taken here",
            ));
            errors.push(error);
        }
    }
}

/// The rules of a `#[subscription]` function: those of a method, plus its own.
pub fn subscription(method: &Method, args: &crate::args::Args) -> syn::Result<()> {
    // As for a method, every other error would be a knock-on error of this one.
    is_free_function(method, "#[subscription]")?;
    let mut errors = Errors::default();
    if let Err(error) = function_rules(method) {
        errors.push(error);
    }
    subscription_is_async(method, &mut errors);
    sink_comes_first(method, &mut errors);
    no_sink_among_params(method, &mut errors);
    names_are_distinct(method, args, &mut errors);
    errors.finish()
}

/// A subscription runs for as long as it sends items: its function is an `async fn`.
fn subscription_is_async(method: &Method, errors: &mut Errors) {
    if method.item.sig.asyncness.is_none() {
        errors.push(syn::Error::new_spanned(
            method.item.sig.fn_token,
            "a subscription is an `async fn`: it runs for as long as the subscription does",
        ));
    }
}

/// The first argument is where the items go: `sink: Sink<T>` or `pending: PendingSink<T>`.
fn sink_comes_first(method: &Method, errors: &mut Errors) {
    const HINT: &str = "a subscription's first argument is its sink: `sink: Sink<T>` (or `pending: PendingSink<T>` to accept or reject it first)";
    match &method.sink {
        None => errors.push(syn::Error::new(
            method.item.sig.paren_token.span.join(),
            HINT,
        )),
        Some(sink) if sink.ty.is_none() => {
            errors.push(syn::Error::new_spanned(sink.syntax, HINT));
        }
        Some(_) => {}
    }
}

/// A sink written after the first argument would be read as a param: say where it goes.
fn no_sink_among_params(method: &Method, errors: &mut Errors) {
    for arg in &method.args {
        let (ArgKind::Param { ty, .. } | ArgKind::ByType { ty, .. }) = arg.kind else {
            continue;
        };
        let Type::Path(path) = crate::ast::peel(ty) else {
            continue;
        };
        if path
            .path
            .segments
            .last()
            .is_some_and(|last| last.ident == "Sink" || last.ident == "PendingSink")
        {
            errors.push(syn::Error::new_spanned(
                arg.syntax,
                "the sink must be the subscription's first argument; the others are params and context",
            ));
        }
    }
}

/// The unsubscribe method is required, and the three names must differ (the server checks
/// them against every other method when it starts).
fn names_are_distinct(method: &Method, args: &crate::args::Args, errors: &mut Errors) {
    let Some(unsubscribe) = &args.unsubscribe else {
        errors.push(syn::Error::new(
            proc_macro2::Span::call_site(),
            "`#[subscription]` needs `unsubscribe = \"...\"`: the name of the method that ends a subscription",
        ));
        return;
    };
    let name = method.wire_name.value();
    if unsubscribe.value() == name {
        errors.push(syn::Error::new_spanned(
            unsubscribe,
            "the unsubscribe method needs a name of its own, not the subscription's",
        ));
    }
    if unsubscribe.value().is_empty() || unsubscribe.value().starts_with("rpc.") {
        errors.push(syn::Error::new_spanned(
            unsubscribe,
            "the unsubscribe method's name must not be empty or start with `rpc.` (reserved by JSON-RPC 2.0)",
        ));
    }
    if let Some(notification) = &args.notification {
        if notification.value().is_empty() {
            errors.push(syn::Error::new_spanned(
                notification,
                "a notification name must not be empty",
            ));
        } else if notification.value() == name || notification.value() == unsubscribe.value() {
            errors.push(syn::Error::new_spanned(
                notification,
                "the notifications need a method name of their own, not the subscribe or unsubscribe method's",
            ));
        }
    }
}
