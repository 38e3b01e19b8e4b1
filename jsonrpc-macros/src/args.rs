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
    /// `unsubscribe = "..."` (subscriptions): the unsubscribe method's name.
    pub unsubscribe: Option<LitStr>,
    /// `notification = "..."` (subscriptions): the method name of the notifications.
    pub notification: Option<LitStr>,
}

/// The options `#[method]` takes.
pub const METHOD_OPTIONS: &[&str] = &["name", "group", "blocking", "error", "crate"];

/// The options `#[subscription]` takes.
pub const SUBSCRIPTION_OPTIONS: &[&str] =
    &["name", "unsubscribe", "notification", "group", "crate"];

/// Parses the options, of which `allowed` are valid here. Every option may appear once, but
/// `error`.
pub fn parse(tokens: TokenStream, allowed: &[&str]) -> syn::Result<Args> {
    let valid = format!(
        "expected one of: {}",
        allowed
            .iter()
            .map(|option| format!("`{option}`"))
            .collect::<Vec<_>>()
            .join(", ")
    );
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
        let known = allowed.contains(&key.as_str());
        match key.as_str() {
            "name" | "group" | "unsubscribe" | "notification" if known => {
                needs_value("\"...\"")?;
                let value: LitStr = meta.value()?.parse()?;
                let slot = match key.as_str() {
                    "name" => &mut args.name,
                    "group" => &mut args.group,
                    "unsubscribe" => &mut args.unsubscribe,
                    _ => &mut args.notification,
                };
                if slot.replace(value).is_some() {
                    return Err(repeated());
                }
            }
            "blocking" if known => {
                if !meta.input.is_empty() && !meta.input.peek(syn::Token![,]) {
                    return Err(
                        meta.error("`blocking` takes no value: write `#[method(blocking)]`")
                    );
                }
                if args.blocking.replace(meta.path.clone()).is_some() {
                    return Err(repeated());
                }
            }
            "error" if known => {
                let content;
                syn::parenthesized!(content in meta.input);
                let code: syn::Expr = content.parse()?;
                content.parse::<syn::Token![,]>().map_err(|_| {
                    meta.error("write a declared error as `error(CODE, \"message\")`")
                })?;
                let message: LitStr = content.parse()?;
                args.errors.push((code, message));
            }
            "crate" if known => {
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
                return Err(meta.error(format!("unknown option {unknown}; {valid}")));
            }
        }
        Ok(())
    });
    parser.parse2(tokens)?;
    Ok(args)
}
