//! The runtime's parts depend on each other in one direction only, top to bottom (see "How the
//! crate is built" in the crate docs): transports, then the dispatcher, the method model, the
//! session, the wire format. This test reads every `crate::` path in `jsonrpc-runtime/src` (doc
//! comments and comments aside) and fails on one that reaches a higher part.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

/// Each part of the runtime (a top-level module) and its height: a file may reach parts of its
/// own height or lower.
const PARTS: &[(&str, u32)] = &[
    ("wire", 0),
    ("session", 1),
    ("method", 2),
    ("dispatch", 3),
    ("connection", 4),
    ("shutdown", 4),
    ("http", 5),
    ("ws", 5),
    ("stream", 5),
    ("client", 5),
];

fn height(part: &str) -> Option<u32> {
    PARTS
        .iter()
        .find(|(name, _)| *name == part)
        .map(|&(_, h)| h)
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("jsonrpc-runtime/src")
}

/// The text of a file without its comments (line comments, doc comments included).
fn code(text: &str) -> String {
    text.lines()
        .map(|line| match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The first identifier of `text`.
fn ident(text: &str) -> &str {
    let text = text.trim_start();
    let end = text
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    &text[..end]
}

/// The first segment after each `crate::` in `code` (each member of a `crate::{..}` group).
fn crate_paths(code: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        let before = rest[..at].chars().next_back();
        rest = &rest[at + "crate::".len()..];
        if matches!(before, Some(c) if c == '$' || c.is_alphanumeric() || c == '_') {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0;
            let mut start = 0;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => {
                        found.push(ident(&group[start..i]).to_owned());
                        break;
                    }
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        found.push(ident(&group[start..i]).to_owned());
                        start = i + 1;
                    }
                    _ => {}
                }
            }
        } else {
            found.push(ident(rest).to_owned());
        }
    }
    found.retain(|name| !name.is_empty());
    found
}

/// What each name the crate root re-exports comes from: `Error` from `wire`, `subscription`
/// from `method`, read from the `pub use` items of `lib.rs`.
fn root_names() -> HashMap<String, String> {
    let lib = code(&fs::read_to_string(src().join("lib.rs")).unwrap());
    // The items of the root itself, not those of `__private`.
    let lib = lib.split("pub mod __private").next().unwrap();
    let mut names: HashMap<String, String> = HashMap::new();
    for item in lib.split(';') {
        let Some(at) = item.find("pub use ") else {
            continue;
        };
        let path = item[at + "pub use ".len()..].trim();
        let from = ident(path.trim_start_matches("crate::")).to_owned();
        // Other crates' items (the macros, `schemars`) are no part of this one.
        if height(&from).is_none() && !names.contains_key(&from) {
            continue;
        }
        let tail = path.rsplit("::").next().unwrap_or(path);
        let members: Vec<&str> = match path.find('{') {
            Some(open) => path[open + 1..path.rfind('}').unwrap()]
                .split(',')
                .map(|member| member.rsplit("::").next().unwrap())
                .collect(),
            None => vec![tail],
        };
        for member in members {
            let name = match member.split(" as ").nth(1) {
                Some(alias) => alias,
                None => member,
            };
            names.insert(ident(name).to_owned(), from.clone());
        }
    }
    names
}

/// The part a path's first segment names, following the root's re-exports.
fn part_of(name: &str, root: &HashMap<String, String>) -> Option<String> {
    let mut name = name.to_owned();
    for _ in 0..4 {
        if height(&name).is_some() {
            return Some(name);
        }
        name = root.get(&name)?.clone();
    }
    None
}

fn rust_files(dir: &Path, into: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, into);
        } else if path.extension().is_some_and(|e| e == "rs") {
            into.push(path);
        }
    }
}

/// Every `crate::` path of a file under `part` that reaches a higher part.
fn upward(part: &str, text: &str, root: &HashMap<String, String>) -> Vec<String> {
    let own = height(part).unwrap();
    crate_paths(&code(text))
        .into_iter()
        .filter_map(|name| {
            let target = part_of(&name, root)?;
            (height(&target).unwrap() > own).then(|| format!("crate::{name} (in `{target}`)"))
        })
        .collect()
}

#[test]
fn every_part_depends_only_on_the_parts_below_it() {
    let root = root_names();
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut violations = Vec::new();
    let mut seen = 0;
    for file in &files {
        let relative = file.strip_prefix(src()).unwrap();
        let part = relative.components().next().unwrap().as_os_str();
        let part = part.to_str().unwrap().trim_end_matches(".rs");
        if part == "lib" {
            continue;
        }
        assert!(
            height(part).is_some(),
            "{}: `{part}` is not in the list of parts; add it to PARTS",
            relative.display()
        );
        seen += 1;
        let text = fs::read_to_string(file).unwrap();
        for path in upward(part, &text, &root) {
            violations.push(format!("{}: {path}", relative.display()));
        }
    }
    assert!(seen > 40, "only {seen} files were read");
    assert!(
        violations.is_empty(),
        "a lower part reaches a higher one:\n{}",
        violations.join("\n")
    );
}

/// The check itself finds an upward path, in a `use` group and through a root re-export.
#[test]
fn an_upward_path_is_found() {
    let root = root_names();
    assert_eq!(root.get("Dispatcher").map(String::as_str), Some("dispatch"));
    assert_eq!(root.get("Sink").map(String::as_str), Some("subscription"));
    let text = "use crate::{Error, Dispatcher};\n/// [crate::http]\nfn f() -> crate::Sink<u8> {}";
    assert_eq!(
        upward("wire", text, &root),
        [
            "crate::Dispatcher (in `dispatch`)",
            "crate::Sink (in `method`)"
        ]
    );
    assert!(upward("http", text, &root).is_empty());
}
