//! Whether an `async fn`'s body can wait at all. A body that never awaits completes on its first
//! poll, so the generated code runs it to completion on the spot instead of boxing its future:
//! the call then costs what a plain `fn` costs (no allocation, no future kept).
//!
//! Only `.await` suspends an `async fn`. The check is on tokens, so an `await` anywhere counts,
//! nested blocks and closures included (a false "may wait" only costs the box). A macro call
//! could expand to an `.await` the tokens do not show, so any macro outside a short list of
//! standard and logging macros, which never expand to one, counts as "may wait" too.

use proc_macro2::{Delimiter, TokenStream, TokenTree};

/// Macros known never to expand to an `.await` (their arguments are still checked).
const PLAIN_MACROS: &[&str] = &[
    "assert",
    "assert_eq",
    "assert_ne",
    "concat",
    "debug",
    "debug_assert",
    "debug_assert_eq",
    "debug_assert_ne",
    "eprint",
    "eprintln",
    "error",
    "format",
    "format_args",
    "info",
    "json",
    "matches",
    "panic",
    "print",
    "println",
    "stringify",
    "todo",
    "trace",
    "unimplemented",
    "unreachable",
    "vec",
    "warn",
    "write",
    "writeln",
];

/// Whether `body` surely completes without suspending.
pub fn never_awaits(body: TokenStream) -> bool {
    let mut previous: Option<TokenTree> = None;
    let mut tokens = body.into_iter().peekable();
    while let Some(token) = tokens.next() {
        match &token {
            TokenTree::Ident(ident) if ident == "await" => return false,
            TokenTree::Group(group) if !never_awaits(group.stream()) => return false,
            // `name!(...)`, `name![...]`, `name! {...}`: a macro call, unless it is a plain one.
            TokenTree::Punct(bang) if bang.as_char() == '!' => {
                let invokes = matches!(tokens.peek(), Some(TokenTree::Group(group))
                    if group.delimiter() != Delimiter::None);
                let name = match &previous {
                    Some(TokenTree::Ident(name)) => Some(name.to_string()),
                    _ => None,
                };
                // `!` after an identifier and before a group: a macro call (`if !(x)` lands
                // here too, and only costs the box).
                if invokes && name.is_some_and(|name| !PLAIN_MACROS.contains(&name.as_str())) {
                    return false;
                }
            }
            _ => {}
        }
        previous = Some(token);
    }
    true
}

#[cfg(test)]
mod tests {
    use super::never_awaits;
    use quote::quote;

    #[test]
    fn bodies_without_await_never_wait() {
        assert!(never_awaits(quote!({ "pong" })));
        assert!(never_awaits(quote!({
            let x = a + b;
            format!("{x}")
        })));
        assert!(never_awaits(quote!({
            if !done {
                vec![1, 2]
            } else {
                vec![]
            }
        })));
        assert!(never_awaits(quote!({
            tracing::info!("x");
            x != y
        })));
    }

    #[test]
    fn an_await_anywhere_may_wait() {
        assert!(!never_awaits(quote!({ sleep(1).await })));
        assert!(!never_awaits(quote!({
            let f = async { g().await };
            1
        })));
        assert!(!never_awaits(quote!({ println!("{}", x.await) })));
    }

    #[test]
    fn unknown_macros_may_wait() {
        assert!(!never_awaits(quote!({ tokio::join!(a, b) })));
        assert!(!never_awaits(quote!({
            my_macro! { x }
        })));
        assert!(!never_awaits(quote!({
            if !(x) {
                1
            } else {
                2
            }
        })));
    }
}
