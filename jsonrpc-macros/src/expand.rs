//! The code `#[method]` writes: the function (without the `#[param]` / `#[context]` markers on
//! its arguments), plus a hidden type of the same name holding the method's entry point and its
//! `METHOD` constant, and the registration.
//!
//! The type is an empty braced struct, which lives only in the type namespace, so it can share
//! the function's name (`ping::METHOD` beside `ping()`). It is declared in a hidden module and
//! brought in by a glob import, which an item of the user's with the same name (`mod users`
//! beside `fn users`) shadows instead of clashing with. Everything else is in a `const _: () =
//! { ... };` block at the function's own level, so that it sees what the function sees, in a
//! module or in a function body. Generated code reaches the runtime only through
//! `<crate>::__private`.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::{FnArg, Ident, Item, ItemFn, PathArguments, Type};

use crate::args::{self, Args};
use crate::ast::{self, ArgKind, Method};
use crate::check;

pub fn method(args: TokenStream, item: TokenStream) -> TokenStream {
    let item = match syn::parse2::<Item>(item.clone()) {
        Ok(Item::Fn(function)) => function,
        Ok(other) => {
            let error =
                syn::Error::new_spanned(other, "#[method] goes on a function (`fn` or `async fn`)");
            return with_error(item, error);
        }
        Err(error) => return with_error(item, error),
    };
    let args = match args::parse(args, args::METHOD_OPTIONS) {
        Ok(args) => args,
        Err(error) => return with_error(unmarked(&item), error),
    };
    let model = Method::from_syn(&item, args.name.clone());
    let mut errors = Vec::new();
    errors.extend(check::method(&model).err());
    errors.extend(check::blocking_is_sync(&model, args.blocking.as_ref()).err());
    if let Some(mut error) = errors.pop() {
        for other in errors {
            error.combine(other);
        }
        return with_error(unmarked(&item), error);
    }
    let krate = args
        .krate
        .clone()
        .unwrap_or_else(|| syn::parse_quote!(::jsonrpc_runtime));
    generate(&model, &args, &quote!(#krate::__private))
}

/// The item as written plus the error: the user sees the real error, not knock-on errors about
/// a function that vanished.
fn with_error(item: TokenStream, error: syn::Error) -> TokenStream {
    let error = error.to_compile_error();
    quote!(#item #error)
}

/// The function without the `#[param]` and `#[context]` markers, which only the macro reads.
fn unmarked(item: &ItemFn) -> TokenStream {
    let mut item = item.clone();
    for input in &mut item.sig.inputs {
        if let FnArg::Typed(typed) = input {
            typed.attrs.retain(|attr| !ast::is_marker(attr));
        }
    }
    item.into_token_stream()
}

/// The code of `#[subscription]`: as for a method, but the call opens a subscription and runs
/// the function on a task of its own.
pub fn subscription(args: TokenStream, item: TokenStream) -> TokenStream {
    let item = match syn::parse2::<Item>(item.clone()) {
        Ok(Item::Fn(function)) => function,
        Ok(other) => {
            let error = syn::Error::new_spanned(other, "#[subscription] goes on an `async fn`");
            return with_error(item, error);
        }
        Err(error) => return with_error(item, error),
    };
    let args = match args::parse(args, args::SUBSCRIPTION_OPTIONS) {
        Ok(args) => args,
        Err(error) => return with_error(unmarked(&item), error),
    };
    let model = Method::from_syn_subscription(&item, args.name.clone());
    if let Err(error) = check::subscription(&model, &args) {
        return with_error(unmarked(&item), error);
    }
    let krate = args
        .krate
        .clone()
        .unwrap_or_else(|| syn::parse_quote!(::jsonrpc_runtime));
    generate(&model, &args, &quote!(#krate::__private))
}

/// The traits the argument probe is settled by (see `jsonrpc_runtime`'s `extract.rs`).
fn probe_traits(private: &TokenStream) -> TokenStream {
    quote! {
        #[allow(unused_imports)]
        use #private::{AmbiguousArg as _, ContextArg as _, ParamArg as _};
    }
}

/// The statements that decode a call's arguments into `__jsonrpc_arg0...`, the names of those
/// variables, and for each argument that may need state, the function that lists its state
/// keys.
///
/// An argument left to its type is decoded through the probe: method resolution on
/// `&&&Probe<T>` picks the context extractor when `T: FromCall` and a param otherwise (and an
/// error when it is both). Every expression is spanned at the argument's type, so that a type
/// that fits neither is reported there.
fn decode_args(
    model: &Method,
    private: &TokenStream,
) -> (Vec<TokenStream>, Vec<Ident>, Vec<TokenStream>) {
    let mut decode = Vec::new();
    let mut vars = Vec::new();
    let mut states = Vec::new();
    let whole = model.takes_whole_params();
    let probe_traits = probe_traits(private);
    if model.args.is_empty() {
        // No reader to set up: absent params are the common case, and cost one comparison.
        decode.push(quote! {
            if let ::core::result::Result::Err(error) = #private::no_params(__jsonrpc_call.params) {
                return #private::Outcome::Ready(::core::result::Result::Err(error));
            }
        });
        return (decode, vars, states);
    }
    if !whole {
        // Every argument that may be a param, by its name: the reader reads an object whose
        // members are all among them in one pass.
        let names = model.args.iter().filter_map(|arg| match arg.kind {
            ArgKind::ByType { name, .. } | ArgKind::Param { name, .. } => {
                Some(ast::param_name(name))
            }
            _ => None,
        });
        decode.push(quote! {
            #[allow(unused_mut)]
            let mut __jsonrpc_params = match #private::ParamsReader::with_names(__jsonrpc_call.params, &[#(#names),*]) {
                ::core::result::Result::Ok(reader) => reader,
                ::core::result::Result::Err(error) => return #private::Outcome::Ready(::core::result::Result::Err(error)),
            };
        });
    }
    // The context is made once, by the first context argument that asks (see `LazyContext`).
    let takes_context = model
        .args
        .iter()
        .any(|arg| matches!(arg.kind, ArgKind::ByType { .. } | ArgKind::Context { .. }));
    if takes_context {
        decode.push(quote! {
            let __jsonrpc_context = #private::LazyContext::new(&__jsonrpc_call.context);
        });
    }
    let context = quote!(&__jsonrpc_context);
    let state_probe = |ty: &Type| {
        quote_spanned! {ty.span()=>
            (|| { #probe_traits (&&&#private::Probe::<#ty>::new()).__jsonrpc_states() })
                as fn() -> ::std::vec::Vec<#private::StateKey>
        }
    };
    // Each argument that may be a param has its place in the names given to the reader: its
    // slot, which lets the reader find its value without looking its name up.
    let mut next_slot = 0usize;
    for (index, arg) in model.args.iter().enumerate() {
        let var = format_ident!("__jsonrpc_arg{}", index);
        let slot = next_slot;
        if !whole && matches!(arg.kind, ArgKind::ByType { .. } | ArgKind::Param { .. }) {
            next_slot += 1;
        }
        let value = match arg.kind {
            ArgKind::ByType { name, ty } if !whole => {
                let param_name = ast::param_name(name);
                states.push(state_probe(ty));
                quote_spanned! {ty.span()=>
                    (&&&#private::Probe::<#ty>::new()).__jsonrpc_arg(#context, &mut __jsonrpc_params, #slot, #param_name)
                }
            }
            ArgKind::ByType { ty, .. } => {
                states.push(state_probe(ty));
                quote_spanned!(ty.span()=> #private::beside_whole::<#ty>(#context))
            }
            ArgKind::Param { name, ty } => {
                let param_name = ast::param_name(name);
                quote_spanned!(ty.span()=> #private::param::<#ty>(&mut __jsonrpc_params, #slot, #param_name))
            }
            ArgKind::Context { ty } => {
                states.push(state_probe(ty));
                quote_spanned!(ty.span()=> #private::context::<#ty>(#context))
            }
            ArgKind::WholeParams { ty } => {
                quote_spanned!(ty.span()=> #private::whole_params::<#ty>(&__jsonrpc_call))
            }
            ArgKind::Unsupported => unreachable!("rejected by check::method"),
        };
        decode.push(quote! {
            let #var = match #value {
                ::core::result::Result::Ok(value) => value,
                ::core::result::Result::Err(error) => return #private::Outcome::Ready(::core::result::Result::Err(error)),
            };
        });
        vars.push(var);
    }
    if !whole {
        decode.push(quote! {
            if let ::core::result::Result::Err(error) = __jsonrpc_params.finish() {
                return #private::Outcome::Ready(::core::result::Result::Err(error));
            }
        });
    }
    let decode = if decode.is_empty() {
        decode
    } else {
        let mut with_traits = vec![probe_traits];
        with_traits.extend(decode);
        with_traits
    };
    (decode, vars, states)
}

/// How a subscribe call starts its function: the sink from the pending subscription, then the
/// function on a task of its own, its result ending the subscription.
fn subscription_outcome(
    model: &Method,
    args: &Args,
    vars: &[Ident],
    private: &TokenStream,
) -> TokenStream {
    let ident = &model.item.sig.ident;
    let sink_ty = model
        .sink
        .as_ref()
        .and_then(|sink| sink.ty)
        .expect("checked by check::subscription");
    let notification = args
        .notification
        .clone()
        .unwrap_or_else(|| syn::LitStr::new(&model.wire_name.value(), model.wire_name.span()));
    let wire_name = &model.wire_name;
    let unsubscribe = args
        .unsubscribe
        .as_ref()
        .expect("checked by check::subscription");
    let output_span = model.output.map_or(ident.span(), |ty| ty.span());
    let output = Ident::new(
        "__jsonrpc_output",
        Span::call_site().located_at(output_span),
    );
    let end = quote_spanned! {output_span=>
        let #output = #ident(__jsonrpc_sink, #(#vars),*).await;
        {
            #[allow(unused_imports)]
            use #private::{ResultKind as _, ValueKind as _};
            (&#private::Kind::of(&#output)).__jsonrpc_kind().end(#output)
        }
    };
    let sink = quote_spanned! {sink_ty.span()=>
        <#sink_ty as #private::FromPending>::from_pending(__jsonrpc_pending)
    };
    let asyncness = model.item.sig.asyncness;
    quote_spanned! {asyncness.span()=>
        #private::subscribe(&__jsonrpc_call, __jsonrpc_slot, #wire_name, #unsubscribe, #notification, move |__jsonrpc_pending| {
            let __jsonrpc_sink = #sink;
            async move { #end }
        })
    }
}

fn generate(model: &Method, args: &Args, private: &TokenStream) -> TokenStream {
    let item = model.item;
    let vis = &item.vis;
    let ident = &item.sig.ident;
    let wire_name = &model.wire_name;
    let (decode, vars, states) = decode_args(model, private);

    let call = if model.is_async() {
        quote!(#ident(#(#vars),*).await)
    } else {
        quote!(#ident(#(#vars),*))
    };
    // The value is bound to a variable carrying the return type's span, so that a return type
    // that cannot be a result is reported there rather than on the attribute.
    let output_span = model.output.map_or(ident.span(), |ty| ty.span());
    let output = Ident::new(
        "__jsonrpc_output",
        Span::call_site().located_at(output_span),
    );
    let respond = quote_spanned! {output_span=>
        let #output = #call;
        {
            #[allow(unused_imports)]
            use #private::{ResultKind as _, ValueKind as _};
            (&#private::Kind::of(&#output)).__jsonrpc_kind().respond(#output)
        }
    };
    let outcome = if model.sink.is_some() {
        subscription_outcome(model, args, &vars, private)
    } else if let Some(blocking) = &args.blocking {
        quote_spanned!(blocking.span()=> __jsonrpc_slot.pending(#private::run_blocking(#wire_name, move || { #respond })))
    } else if model.is_async() && crate::awaits::never_awaits(model.item.block.to_token_stream()) {
        // A body that cannot wait completes on its first poll: run it now, unboxed.
        quote!(#private::Outcome::Ready(#private::complete_now(async move { #respond })))
    } else if let Some(asyncness) = &model.item.sig.asyncness {
        // Spanned at `async`, so that a future that is not `Send` is reported there. Kept in
        // the slot the dispatch hands over, boxed only when it is too large for it.
        quote_spanned!(asyncness.span()=> __jsonrpc_slot.pending(async move { #respond }))
    } else {
        quote!(#private::Outcome::Ready({ #respond }))
    };
    let group = args.group.as_ref().map(|group| quote!(.__in_group(#group)));
    let role = match (&args.unsubscribe, model.sink.is_some()) {
        (Some(unsubscribe), true) => {
            let notification = args
                .notification
                .clone()
                .unwrap_or_else(|| wire_name.clone());
            quote!(.__subscription(#unsubscribe, #notification))
        }
        _ => quote!(),
    };

    let here = ident.span();
    let file = quote_spanned!(here=> ::core::file!());
    let line = quote_spanned!(here=> ::core::line!());
    let client = match (&model.sink, &args.unsubscribe) {
        (Some(sink), Some(unsubscribe)) => subscription_calls(model, sink, unsubscribe, private),
        _ => client_calls(model, private),
    };
    let describe = crate::describe::describe_fn(model, args, private);
    let method_doc = format!(
        "The JSON-RPC method `{}`, for building a `Methods` set by hand.",
        wire_name.value()
    );

    let item = unmarked(item);
    let module = format_ident!("__jsonrpc_handle_{}", ast::param_name(ident));
    let handle = Ident::new("__JsonrpcHandle", Span::call_site());

    quote! {
        #item

        #[doc(hidden)]
        #[allow(non_snake_case)]
        mod #module {
            #[doc(hidden)]
            #[allow(non_camel_case_types, dead_code)]
            pub struct #ident {}
        }

        #[doc(hidden)]
        #[allow(unused_imports)]
        #vis use #module::*;

        const _: () = {
            #[allow(non_camel_case_types)]
            type #handle = #module::#ident;

            impl #handle {
                #[doc = #method_doc]
                pub const METHOD: #private::MethodDef = #private::MethodDef::__new(
                    #wire_name,
                    Self::__jsonrpc_call,
                    &[#(#states),*],
                    #file,
                    #line,
                )#group #role.__with_doc(Self::__jsonrpc_describe);

                #describe

                #[doc(hidden)]
                fn __jsonrpc_call<'__jsonrpc>(
                    __jsonrpc_call: #private::Call<'__jsonrpc>,
                    __jsonrpc_slot: #private::FutureSlot<'_, '__jsonrpc>,
                ) -> #private::Outcome {
                    #(#decode)*
                    #outcome
                }
            }

            #private::inventory::submit! { #private::Registration(#handle::METHOD) }

            #client
        };
    }
}

/// The typed subscribe call, `#ident::subscribe(&ws_client, params...)`: the runtime's
/// `subscription_calls!` writes it (nothing when its `client` feature is off).
fn subscription_calls(
    model: &Method,
    sink: &ast::Sink,
    unsubscribe: &syn::LitStr,
    private: &TokenStream,
) -> TokenStream {
    let item = model.item;
    let (vis, wire_name) = (&item.vis, &model.wire_name);
    let ident = Ident::new("__JsonrpcHandle", Span::call_site());
    let params = client_params(model);
    let sink_ty = sink.ty.expect("checked by check::subscription");
    quote! {
        #private::subscription_calls! {
            #vis #ident #wire_name #unsubscribe #params -> <#sink_ty as #private::SinkItem>::Item
        }
    }
}

/// The params of a typed call: `(name "wire name": T, ...)` by position (the wire name for the
/// calls by name), or `whole(name: Params<T>)`.
fn client_params(model: &Method) -> TokenStream {
    let mut params = Vec::new();
    let mut whole = None;
    for arg in &model.args {
        match arg.kind {
            // An argument left to its type is sent unless it is written as a built-in context
            // type: a typed call's signature cannot wait for the compiler (see
            // `ast::written_as_context`). Beside `Params<T>`, every other argument is context.
            ArgKind::ByType { name, ty } if !ast::written_as_context(ty) => {
                let wire = ast::param_name(name);
                params.push(quote!(#name #wire: #ty));
            }
            ArgKind::Param { name, ty } => {
                let wire = ast::param_name(name);
                params.push(quote!(#name #wire: #ty));
            }
            ArgKind::WholeParams { ty } => whole = Some(quote!(whole(params: #ty))),
            _ => {}
        }
    }
    whole.unwrap_or_else(|| quote!((#(#params),*)))
}

/// The typed client calls, `#ident::call(&client, params...)`, `call_by_name`, `notify`,
/// `batch` and their blocking forms: the runtime's `client_calls!` writes them (and writes
/// nothing when its `client` feature is off). Only the params are passed: `State<T>` and
/// request-context arguments are the server's business, and a `Params<T>` argument is the whole
/// params.
fn client_calls(model: &Method, private: &TokenStream) -> TokenStream {
    let item = model.item;
    let (vis, wire_name) = (&item.vis, &model.wire_name);
    // The handle type under an alias that only this block sees: the function's name may be
    // taken by an item of the user's (see the module docs).
    let ident = Ident::new("__JsonrpcHandle", Span::call_site());
    let params = client_params(model);
    let result = client_result(model.output, private);
    quote!(#private::client_calls! { #vis #ident #wire_name #params -> #result })
}

/// What a client receives for the method's return type `R`: `by_type R`, which the runtime
/// resolves through its `ClientResult` trait (the `T` of any `Result<T, E>`, whatever its name;
/// any other type as it is). The macro only helps where the type alone cannot say: a borrowed
/// type is received owned (`&'static str` as `String`), an `impl Trait` type, which cannot be
/// named, as a JSON value, and for a type written `Result<T, ...>` it names `T` itself
/// (`written [T] R`), which settles a `Result<T, String>`, itself `Deserialize`; the runtime
/// still checks that `R` is a `Result` with that `T`.
fn client_result(output: Option<&Type>, private: &TokenStream) -> TokenStream {
    let Some(ty) = output.map(peel) else {
        return quote!(by_type());
    };
    if mentions_impl(ty.to_token_stream()) {
        return quote!(by_type #private::client::JsonValue);
    }
    match ty {
        Type::Reference(reference) => {
            let referent = &reference.elem;
            quote!(by_type <#referent as ::std::borrow::ToOwned>::Owned)
        }
        Type::Path(path) if path.qself.is_none() => match written_ok(path) {
            Some(ok) => quote!(written [#ok] #ty),
            None => quote!(by_type #ty),
        },
        _ => quote!(by_type #ty),
    }
}

/// The `T` of a type written `Result<T, ...>` or `some::path::Result<T>`.
fn written_ok(path: &syn::TypePath) -> Option<&Type> {
    let last = path.path.segments.last()?;
    if last.ident != "Result" {
        return None;
    }
    let PathArguments::AngleBracketed(arguments) = &last.arguments else {
        return None;
    };
    match arguments.args.first()? {
        syn::GenericArgument::Type(ok) => Some(ok),
        _ => None,
    }
}

/// The type inside any parentheses or invisible groups.
fn peel(ty: &Type) -> &Type {
    match ty {
        Type::Paren(inner) => peel(&inner.elem),
        Type::Group(inner) => peel(&inner.elem),
        _ => ty,
    }
}

fn mentions_impl(tokens: TokenStream) -> bool {
    tokens.into_iter().any(|token| match token {
        TokenTree::Ident(ident) => ident == "impl",
        TokenTree::Group(group) => mentions_impl(group.stream()),
        _ => false,
    })
}
