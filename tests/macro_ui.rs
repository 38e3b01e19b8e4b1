//! Compile-time tests of the `#[method]` attribute, run with trybuild.
//!
//! - `tests/ui/pass/*.rs` are programs the macro must accept and that must compile.
//! - `tests/ui/fail/*.rs` each misuse the macro in one way; each must fail to compile with the
//!   error recorded beside it in a `.stderr` file, which checks both the message and that it
//!   points at the offending token.
//!
//! After a deliberate change to the macro's messages (or a compiler upgrade that rewords its
//! own), refresh the snapshots with
//!
//! ```sh
//! TRYBUILD=overwrite cargo test --test macro_ui
//! ```
//!
//! then review every changed `.stderr` by hand (`git diff tests/ui`): the error must still point
//! at the offending token and tell the user what to do.

#[test]
fn macro_ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("tests/ui/pass/*.rs");
    cases.compile_fail("tests/ui/fail/*.rs");
}
