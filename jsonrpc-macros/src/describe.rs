//! The method's description for OpenRPC: a function, generated beside the entry point, that
//! builds a `MethodDoc` from the doc comment, the params and the result type. It only runs when
//! a document is made, so it costs nothing per call.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Expr, Lit, Meta, Type};

use crate::args::Args;
use crate::ast::{self, ArgKind, Method};

/// The `__jsonrpc_describe` associated function.
pub fn describe_fn(model: &Method, args: &Args, private: &TokenStream) -> TokenStream {
    let docs = doc_comment(model);
    let mut params = Vec::new();
    let mut whole = quote!(::core::option::Option::None);
    let takes_whole = model.takes_whole_params();
    for arg in &model.args {
        match arg.kind {
            ArgKind::Param { name, ty } => {
                let name = ast::param_name(name);
                let doc = param_doc(private, &name, ty);
                params.push(quote!(__jsonrpc_params.push(#doc);));
            }
            // Listed only when the compiler finds it is a param (not a context argument).
            ArgKind::ByType { name, ty } if !takes_whole => {
                let name = ast::param_name(name);
                let doc = param_doc(private, &name, ty);
                params.push(quote! {
                    if (&&&#private::Probe::<#ty>::new()).__jsonrpc_is_param() {
                        __jsonrpc_params.push(#doc);
                    }
                });
            }
            ArgKind::WholeParams { ty } => {
                let inner = params_inner(ty);
                let name = match arg.syntax {
                    syn::FnArg::Typed(typed) => match &*typed.pat {
                        syn::Pat::Ident(pat) => ast::param_name(&pat.ident),
                        _ => "params".to_owned(),
                    },
                    syn::FnArg::Receiver(_) => "params".to_owned(),
                };
                let doc = param_doc(private, &name, inner);
                whole = quote!(::core::option::Option::Some(#doc));
            }
            _ => {}
        }
    }
    let result = match model.output {
        // An `impl Trait` result has no nameable type to describe.
        Some(Type::ImplTrait(_)) => quote!(::core::option::Option::None),
        output => {
            let ty = output.map_or_else(|| quote!(()), |ty| quote!(#ty));
            quote!({
                let probe = (&#private::Kind::<#ty>::new()).__jsonrpc_value_probe();
                (&probe).__jsonrpc_schema()(__jsonrpc_generator)
            })
        }
    };
    let errors = args
        .errors
        .iter()
        .map(|(code, message)| quote!((#code, #message)));
    quote! {
        #[doc(hidden)]
        fn __jsonrpc_describe(__jsonrpc_generator: &mut #private::SchemaGenerator) -> #private::MethodDoc {
            #[allow(unused_imports)]
            use #private::{
                AmbiguousArg as _, CannotDecode as _, ContextArg as _, DecodesAbsence as _,
                HasSchema as _, NoSchema as _, ParamArg as _, ResultProbe as _, ValueProbe as _,
            };
            #[allow(unused_mut)]
            let mut __jsonrpc_params = ::std::vec::Vec::new();
            #(#params)*
            #private::MethodDoc {
                docs: #docs,
                params: __jsonrpc_params,
                whole_params: #whole,
                result: #result,
                errors: ::std::vec![#(#errors),*],
            }
        }
    }
}

/// The `ParamDoc` of a param called `name` of type `ty`.
fn param_doc(private: &TokenStream, name: &str, ty: &Type) -> TokenStream {
    quote!(#private::ParamDoc::new(
        #name,
        !(&#private::SchemaProbe::<#ty>::new()).__jsonrpc_may_be_absent(),
        (&#private::SchemaProbe::<#ty>::new()).__jsonrpc_schema()(__jsonrpc_generator),
    ))
}

/// The function's doc comment, its lines joined.
fn doc_comment(model: &Method) -> String {
    let mut lines = Vec::new();
    for attr in &model.item.attrs {
        if let Meta::NameValue(meta) = &attr.meta {
            if meta.path.is_ident("doc") {
                if let Expr::Lit(expr) = &meta.value {
                    if let Lit::Str(text) = &expr.lit {
                        lines.push(text.value());
                    }
                }
            }
        }
    }
    lines.join("\n")
}

/// `T` in `Params<T>`.
fn params_inner(ty: &Type) -> &Type {
    if let Type::Path(path) = ty {
        if let Some(syn::PathArguments::AngleBracketed(args)) =
            path.path.segments.last().map(|s| &s.arguments)
        {
            if let Some(syn::GenericArgument::Type(inner)) = args.args.first() {
                return inner;
            }
        }
    }
    ty
}
