//! A small language server over stdio with the Language Server Protocol's `Content-Length`
//! framing: every LSP method is an ordinary `#[method]`, and the server calls its client back
//! through `Peer`.
//!
//! - `initialize`, `initialized`, `shutdown` and `exit` (the lifecycle; `exit` ends the process,
//!   as does the end of stdin);
//! - `textDocument/didOpen`, `didChange` and `didClose` (notifications) keep the open documents
//!   in state, and `didOpen` tells the client what it read (`window/logMessage`);
//! - `textDocument/hover` answers how often the word under the cursor occurs;
//! - `example/wordCount` counts a document's words, first asking the client for its settings
//!   (`workspace/configuration`, section `wordCount`: `{"minLength": N}`) and using the answer.
//!
//! ```sh
//! cargo build --example lsp_server
//! # An editor spawns target/debug/examples/lsp_server and talks on its stdin and stdout.
//! ```
//!
//! `interop/stdio.sh` drives it with `vscode-jsonrpc`, the JSON-RPC library of VS Code.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};

use jsonrpc_runtime::stream::Framing;
use jsonrpc_runtime::{method, Error, Params, Peer, Server, State};
use serde::Deserialize;
use serde_json::{json, Value};

/// The server's state: the open documents by URI, and whether `shutdown` came.
#[derive(Default)]
struct Workspace {
    documents: Mutex<HashMap<String, String>>,
    shut_down: AtomicBool,
}

impl Workspace {
    fn documents(&self) -> MutexGuard<'_, HashMap<String, String>> {
        self.documents
            .lock()
            .expect("no method panics holding the lock")
    }

    fn text(&self, uri: &str) -> Result<String, Error> {
        self.documents()
            .get(uri)
            .cloned()
            .ok_or_else(|| Error::new(-32602, format!("{uri} is not open")))
    }
}

// LSP names its params in camelCase: each method takes them whole, as a struct (`Params<T>`),
// and serde ignores the fields this server does not read.

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TextDocumentItem {
    uri: String,
    text: String,
}

#[derive(Deserialize)]
struct TextDocumentIdentifier {
    uri: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DidOpen {
    text_document: TextDocumentItem,
}

#[derive(Deserialize)]
struct TextChange {
    text: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DidChange {
    text_document: TextDocumentIdentifier,
    content_changes: Vec<TextChange>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OnDocument {
    text_document: TextDocumentIdentifier,
}

#[derive(Deserialize)]
struct Position {
    line: usize,
    /// In UTF-16 code units, LSP's default position encoding.
    character: usize,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Hover {
    text_document: TextDocumentIdentifier,
    position: Position,
}

/// The handshake: the server's capabilities. Documents are synchronized whole (`1`).
#[method]
fn initialize(params: Params<Value>) -> Value {
    tracing::info!(client = %params["clientInfo"], "initialize");
    json!({
        "capabilities": {
            "textDocumentSync": 1,
            "hoverProvider": true,
            "experimental": { "wordCount": true },
        },
        "serverInfo": { "name": "jsonrpc-runtime-lsp-example", "version": env!("CARGO_PKG_VERSION") },
    })
}

/// The client is ready (a notification).
#[method]
fn initialized() {
    tracing::info!("the client is initialized");
}

/// A document was opened: keep its text, and tell the client how many words it read.
#[method(name = "textDocument/didOpen")]
async fn did_open(
    params: Params<DidOpen>,
    workspace: State<Workspace>,
    peer: Peer,
) -> Result<(), Error> {
    let DidOpen {
        text_document: TextDocumentItem { uri, text },
    } = params.0;
    let message = format!("opened {uri}: {} words", words(&text).count());
    workspace.documents().insert(uri, text);
    // `type` 3 is Info.
    peer.notify(
        "window/logMessage",
        json!({ "type": 3, "message": message }),
    )
    .await?;
    Ok(())
}

/// A document changed: the last change holds its whole new text.
#[method(name = "textDocument/didChange")]
fn did_change(params: Params<DidChange>, workspace: State<Workspace>) {
    let DidChange {
        text_document,
        content_changes,
    } = params.0;
    if let Some(change) = content_changes.into_iter().last() {
        workspace.documents().insert(text_document.uri, change.text);
    }
}

/// A document was closed: forget it.
#[method(name = "textDocument/didClose")]
fn did_close(params: Params<OnDocument>, workspace: State<Workspace>) {
    workspace.documents().remove(&params.text_document.uri);
}

/// The word under the cursor and how often it occurs in the document; `null` off a word.
#[method(name = "textDocument/hover")]
fn hover(params: Params<Hover>, workspace: State<Workspace>) -> Result<Value, Error> {
    let text = workspace.text(&params.text_document.uri)?;
    let Position { line, character } = params.position;
    let Some(word) = text
        .lines()
        .nth(line)
        .and_then(|line| word_at(line, character))
    else {
        return Ok(Value::Null);
    };
    let count = words(&text).filter(|other| *other == word).count();
    Ok(json!({
        "contents": { "kind": "plaintext", "value": format!("`{word}`: {count} in this document") },
    }))
}

/// The settings `example/wordCount` asks the client for (section `wordCount`).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WordCountSettings {
    min_length: usize,
}

/// Counts the words of an open document that have at least `minLength` characters, a setting
/// it asks the client for while the call runs. A client without the setting answers `null`:
/// then every word counts. An error the client answers is this call's error.
#[method(name = "example/wordCount")]
async fn word_count(
    params: Params<OnDocument>,
    workspace: State<Workspace>,
    peer: Peer,
) -> Result<Value, Error> {
    let uri = &params.text_document.uri;
    let settings: Vec<Option<WordCountSettings>> = peer
        .request(
            "workspace/configuration",
            json!({ "items": [{ "scopeUri": uri, "section": "wordCount" }] }),
        )
        .await?;
    let min_length = settings
        .into_iter()
        .next()
        .flatten()
        .map_or(1, |s| s.min_length);
    let text = workspace.text(uri)?;
    let count = words(&text)
        .filter(|word| word.chars().count() >= min_length)
        .count();
    Ok(json!({ "words": count, "minLength": min_length }))
}

/// The client asks the server to get ready to exit; `exit` follows.
#[method]
fn shutdown(workspace: State<Workspace>) {
    workspace.shut_down.store(true, Ordering::SeqCst);
}

/// Ends the process: with status 0 after `shutdown`, else 1, as LSP asks.
#[method]
fn exit(workspace: State<Workspace>) {
    let status = if workspace.shut_down.load(Ordering::SeqCst) {
        0
    } else {
        1
    };
    tracing::info!(status, "exit");
    std::process::exit(status);
}

/// The words of `text`: runs of letters, digits and `_`.
fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|word| !word.is_empty())
}

/// The word of `line` that covers the UTF-16 offset `character`.
fn word_at(line: &str, character: usize) -> Option<&str> {
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    let mut utf16 = 0;
    let (at, _) = line.char_indices().find(|&(_, c)| {
        utf16 += c.len_utf16();
        character < utf16
    })?;
    let start = line[..at]
        .char_indices()
        .rev()
        .take_while(|&(_, c)| is_word(c))
        .last()
        .map_or(at, |(index, _)| index);
    let end = line[at..]
        .find(|c: char| !is_word(c))
        .map_or(line.len(), |i| at + i);
    (at < end).then(|| &line[start..end])
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    // stdout carries the protocol: logs go to stderr.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .init();
    Server::builder()
        .state(Workspace::default())
        .serve_stdio(Framing::ContentLength)
        .await
}
