//! The code `#[method]` writes: the function unchanged, plus a hidden type of the same name
//! holding the method's entry point and its `METHOD` constant, and the registration.
//!
//! The type is an empty braced struct, which lives only in the type namespace, so it can share
//! the function's name (`ping::METHOD` beside `ping()`), and works inside function bodies too.
//! Generated code reaches the runtime only through `<crate>::__private`.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::{Ident, Item, PathArguments, Type};

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
        Err(error) => return with_error(quote!(#item), error),
    };
    let model = Method::from_syn(&item, args.name.clone());
    let mut errors = Vec::new();
    errors.extend(check::method(&model).err());
    errors.extend(check::blocking_is_sync(&model, args.blocking.as_ref()).err());
    if let Some(mut error) = errors.pop() {
        for other in errors {
            error.combine(other);
        }
        return with_error(quote!(#item), error);
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
        Err(error) => return with_error(quote!(#item), error),
    };
    let model = Method::from_syn_subscription(&item, args.name.clone());
    if let Err(error) = check::subscription(&model, &args) {
        return with_error(quote!(#item), error);
    }
    let krate = args
        .krate
        .clone()
        .unwrap_or_else(|| syn::parse_quote!(::jsonrpc_runtime));
    generate(&model, &args, &quote!(#krate::__private))
}

/// The statements that decode a call's arguments into `__jsonrpc_arg0...`, the names of those
/// variables, and the state types the method needs.
fn decode_args(
    model: &Method,
    private: &TokenStream,
) -> (Vec<TokenStream>, Vec<Ident>, Vec<TokenStream>) {
    let mut decode = Vec::new();
    let mut vars = Vec::new();
    let mut states = Vec::new();
    let takes_whole_params = model
        .args
        .iter()
        .any(|a| matches!(a.kind, ArgKind::WholeParams { .. }));
    if !takes_whole_params {
        decode.push(quote! {
            let mut __jsonrpc_params = match #private::ParamsReader::new(__jsonrpc_call.params) {
                ::core::result::Result::Ok(reader) => reader,
                ::core::result::Result::Err(error) => return #private::Outcome::Ready(::core::result::Result::Err(error)),
            };
        });
    }
    for (index, arg) in model.args.iter().enumerate() {
        let var = format_ident!("__jsonrpc_arg{}", index);
        let value = match arg.kind {
            ArgKind::Param { name, ty } => {
                let param_name = ast::param_name(name);
                quote_spanned!(ty.span()=> __jsonrpc_params.next::<#ty>(#param_name))
            }
            ArgKind::WholeParams { ty, .. } => {
                quote_spanned!(ty.span()=> #private::whole_params::<_>(&__jsonrpc_call).map(|p: #ty| p))
            }
            ArgKind::State { ty, inner, .. } => {
                states.push(quote_spanned!(inner.span()=> #private::StateKey::of::<#inner> as fn() -> #private::StateKey));
                quote_spanned!(ty.span()=> #private::state::<#inner>(&__jsonrpc_call).map(|s: #ty| s))
            }
            ArgKind::Context { ty, ref extractor } => {
                let function = Ident::new(extractor.function(), Span::call_site());
                let turbofish = match extractor {
                    ast::Extractor::Extension(inner) => quote!(::<#inner>),
                    _ => quote!(),
                };
                quote_spanned!(ty.span()=> #private::extract::#function #turbofish(&__jsonrpc_call.context).map(|e: #ty| e))
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
    if !takes_whole_params {
        decode.push(quote! {
            if let ::core::result::Result::Err(error) = __jsonrpc_params.finish() {
                return #private::Outcome::Ready(::core::result::Result::Err(error));
            }
        });
    }
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
        #private::subscribe(&__jsonrpc_call, #wire_name, #unsubscribe, #notification, move |__jsonrpc_pending| {
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
        quote_spanned!(blocking.span()=> #private::Outcome::Pending(::std::boxed::Box::pin(#private::run_blocking(#wire_name, move || { #respond }))))
    } else if let Some(asyncness) = &model.item.sig.asyncness {
        // Spanned at `async`, so that a future that is not `Send` is reported there.
        quote_spanned!(asyncness.span()=> #private::Outcome::Pending(::std::boxed::Box::pin(async move { #respond })))
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

    quote! {
        #item

        #[doc(hidden)]
        #[allow(non_camel_case_types, dead_code)]
        #vis struct #ident {}

        impl #ident {
            #[doc = #method_doc]
            pub const METHOD: #private::MethodDef = #private::MethodDef::__new(
                #wire_name,
                #ident::__jsonrpc_call,
                &[#(#states),*],
                #file,
                #line,
            )#group #role.__with_doc(#ident::__jsonrpc_describe);

            #describe

            #[doc(hidden)]
            fn __jsonrpc_call<'__jsonrpc>(__jsonrpc_call: #private::Call<'__jsonrpc>) -> #private::Outcome<'__jsonrpc> {
                #(#decode)*
                #outcome
            }
        }

        #private::inventory::submit! { #private::Registration(#ident::METHOD) }

        #client
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
    let (vis, ident, wire_name) = (&item.vis, &item.sig.ident, &model.wire_name);
    let params = client_params(model);
    let sink_ty = sink.ty.expect("checked by check::subscription");
    quote! {
        #private::subscription_calls! {
            #vis #ident #wire_name #unsubscribe #params -> <#sink_ty as #private::SinkItem>::Item
        }
    }
}

/// The params of a typed call: `(name: T, ...)` by position, or `whole(name: Params<T>)`.
fn client_params(model: &Method) -> TokenStream {
    let mut params = Vec::new();
    let mut whole = None;
    for arg in &model.args {
        match arg.kind {
            ArgKind::Param { name, ty } => params.push(quote!(#name: #ty)),
            ArgKind::WholeParams { ty } => whole = Some(quote!(whole(params: #ty))),
            _ => {}
        }
    }
    whole.unwrap_or_else(|| quote!((#(#params),*)))
}

/// The typed client calls, `#ident::call(&client, params...)` and `call_blocking`: the runtime's
/// `client_calls!` writes them (and writes nothing when its `client` feature is off). Only the
/// params are passed: `State<T>` and request-context arguments are the server's business, and a
/// `Params<T>` argument is the whole params.
fn client_calls(model: &Method, private: &TokenStream) -> TokenStream {
    let item = model.item;
    let (vis, ident, wire_name) = (&item.vis, &item.sig.ident, &model.wire_name);
    let params = client_params(model);
    let result = client_result(model.output, private);
    quote!(#private::client_calls! { #vis #ident #wire_name #params -> #result })
}

/// The type a client receives for the method's return type: `value T`, or `fallible R` for a
/// `Result`-like `R` (its `Ok` type). A borrowed type is received owned (`&'static str` as
/// `String`); an `impl Trait` type, which cannot be named, as a JSON value.
fn client_result(output: Option<&Type>, private: &TokenStream) -> TokenStream {
    let Some(ty) = output.map(peel) else {
        return quote!(value());
    };
    if mentions_impl(ty.to_token_stream()) {
        return quote!(value #private::client::JsonValue);
    }
    match ty {
        Type::Reference(reference) => {
            let referent = &reference.elem;
            quote!(value <#referent as ::std::borrow::ToOwned>::Owned)
        }
        // `Result<T, E>`, `RpcResult<T>`, `io::Result<T>`: a name ending in `Result`, with
        // arguments. (The server decides by type; the signature must decide by name.)
        Type::Path(path)
            if path.qself.is_none()
                && path.path.segments.last().is_some_and(|last| {
                    last.ident.to_string().ends_with("Result")
                        && matches!(last.arguments, PathArguments::AngleBracketed(_))
                }) =>
        {
            quote!(fallible #ty)
        }
        _ => quote!(value #ty),
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
