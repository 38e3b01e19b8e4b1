//! The options of `#[method(...)]`.

use proc_macro2::TokenStream;
use syn::parse::Parser;
use syn::{LitStr, Path};

/// The options, as written.
pub struct Args {
    /// `name = "..."`: the wire name.
    pub name: Option<LitStr>,
    /// `crate = "..."`: the path of jsonrpc-runtime.
    pub krate: Option<Path>,
}

const VALID: &str = "expected one of: `name`, `crate`";

/// Parses the options. Every option may appear once.
pub fn parse(tokens: TokenStream) -> syn::Result<Args> {
    let mut args = Args {
        name: None,
        krate: None,
    };
    let parser = syn::meta::parser(|meta| {
        if meta.path.is_ident("name") {
            if args.name.is_some() {
                return Err(meta.error("`name` is given more than once"));
            }
            args.name = Some(meta.value()?.parse()?);
        } else if meta.path.is_ident("crate") {
            if args.krate.is_some() {
                return Err(meta.error("`crate` is given more than once"));
            }
            let path: LitStr = meta.value()?.parse()?;
            args.krate = Some(path.parse()?);
        } else {
            let unknown = meta
                .path
                .get_ident()
                .map_or_else(|| "this".to_owned(), |i| format!("`{i}`"));
            return Err(meta.error(format!("unknown option {unknown}; {VALID}")));
        }
        Ok(())
    });
    parser.parse2(tokens)?;
    Ok(args)
}
