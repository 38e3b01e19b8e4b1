//! The options of `#[method(...)]`.

use proc_macro2::TokenStream;
use syn::parse::Parser;
use syn::{LitStr, Path};

/// The options, as written.
#[derive(Default)]
pub struct Args {
    /// `name = "..."`: the wire name.
    pub name: Option<LitStr>,
    /// `group = "..."`: the group the method belongs to.
    pub group: Option<LitStr>,
    /// `blocking`: run a plain `fn` on tokio's blocking pool.
    pub blocking: Option<Path>,
    /// `error(code, "message")`, repeatable: errors the method declares, for its OpenRPC
    /// description.
    pub errors: Vec<(syn::Expr, LitStr)>,
    /// `crate = "..."`: the path of jsonrpc-runtime.
    pub krate: Option<Path>,
}

const VALID: &str = "expected one of: `name`, `group`, `blocking`, `error`, `crate`";

/// Parses the options. Every option may appear once.
pub fn parse(tokens: TokenStream) -> syn::Result<Args> {
    let mut args = Args::default();
    let parser = syn::meta::parser(|meta| {
        let key = meta
            .path
            .get_ident()
            .map(ToString::to_string)
            .unwrap_or_default();
        let repeated = || meta.error(format!("`{key}` is given more than once"));
        let needs_value = |example: &str| {
            if meta.input.peek(syn::Token![=]) {
                Ok(())
            } else {
                Err(meta.error(format!("`{key}` needs a value: `{key} = {example}`")))
            }
        };
        match key.as_str() {
            "name" | "group" => {
                needs_value("\"...\"")?;
                let value: LitStr = meta.value()?.parse()?;
                let slot = if key == "name" {
                    &mut args.name
                } else {
                    &mut args.group
                };
                if slot.replace(value).is_some() {
                    return Err(repeated());
                }
            }
            "blocking" => {
                if !meta.input.is_empty() && !meta.input.peek(syn::Token![,]) {
                    return Err(
                        meta.error("`blocking` takes no value: write `#[method(blocking)]`")
                    );
                }
                if args.blocking.replace(meta.path.clone()).is_some() {
                    return Err(repeated());
                }
            }
            "error" => {
                let content;
                syn::parenthesized!(content in meta.input);
                let code: syn::Expr = content.parse()?;
                content.parse::<syn::Token![,]>().map_err(|_| {
                    meta.error("write a declared error as `error(CODE, \"message\")`")
                })?;
                let message: LitStr = content.parse()?;
                args.errors.push((code, message));
            }
            "crate" => {
                needs_value("\"jsonrpc_runtime\"")?;
                let path: LitStr = meta.value()?.parse()?;
                let parsed = path.parse().map_err(|_| {
                    syn::Error::new_spanned(
                        &path,
                        "`crate` must be a path, like `crate = \"my_rpc\"`",
                    )
                })?;
                if args.krate.replace(parsed).is_some() {
                    return Err(repeated());
                }
            }
            _ => {
                let unknown = if key.is_empty() {
                    "this".to_owned()
                } else {
                    format!("`{key}`")
                };
                return Err(meta.error(format!("unknown option {unknown}; {VALID}")));
            }
        }
        Ok(())
    });
    parser.parse2(tokens)?;
    Ok(args)
}
