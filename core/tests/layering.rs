//! The module layering of `zkfl-core` (docs/ARCHITECTURE.md, "Layering"): a module's library code names only
//! modules of its own layer or of a lower one. The arithmetic does not know the proof, the proof does not know
//! the deployment policy, and the channel does not know the clinic that uses it; an edge the other way is a
//! dependency nobody decided, and this test names it.
//!
//! It reads `core/src` and collects every `crate::<module>` path of each top-level module's library code: `use`
//! lines (with their `{…}` groups) and paths written inline. Comments, string contents and test code
//! (`tests.rs`, `tests/` folders, everything after a file's `#[cfg(test)] mod`) are skipped: a unit test may
//! use a higher layer to build its fixture.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

/// The layers, lowest first. A module may use modules of its own layer and of the layers before it.
const LAYERS: &[&[&str]] = &[
    // Constant-time primitives and modular arithmetic.
    &["ct", "arith"],
    // Polynomials and sampling, the parameter sets and the proof's accepted bounds, fixed-point quantization.
    &["ring", "params", "quant"],
    // Wire encodings of polynomials and BFV objects; the ML-KEM/ML-DSA channel.
    &["wire", "channel"],
    // BFV encryption and decryption.
    &["bfv"],
    // The norm proof.
    &["zk"],
    // What a deployment may run (clinic counts, plaintext modulus, envelope limits).
    &["policy"],
    // One module per parameter set, and the derived-constants table.
    &["sets"],
    // The clinic pipeline and the threshold committee.
    &["clinic", "threshold"],
];

/// Names the crate root re-exports, with the module that defines them.
const ROOT_ALIASES: &[(&str, &str)] = &[("set_s", "sets"), ("set_l", "sets"), ("set_xl", "sets")];

/// Edges against the order that are known and kept, each with its reason. The test also fails when one of
/// them is gone, so the list stays current.
const ALLOWED: &[(&str, &str, &str)] = &[];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("core/src is readable") {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n != "tests") {
                rust_files(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "rs")
            && path.file_name().is_some_and(|n| n != "tests.rs")
        {
            out.push(path);
        }
    }
}

/// The top-level module a file belongs to (`zk/prove.rs` → `zk`, `policy.rs` → `policy`); `None` for
/// `lib.rs`.
fn top_module(file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src()).expect("file under core/src");
    let first = rel.components().next()?.as_os_str().to_str()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    (name != "lib").then(|| name.to_owned())
}

/// The library part of a file: up to its first `#[cfg(test)]` that opens an inline module, with line comments and
/// the contents of string literals removed.
fn library_code(text: &str) -> String {
    let mut code = String::new();
    let mut test_attr = false;
    for line in text.lines() {
        let t = line.trim_start();
        if test_attr && (t.starts_with("mod ") || t.starts_with("pub mod ")) && !t.ends_with(';') {
            break;
        }
        test_attr = t.starts_with("#[cfg(test)]") || (test_attr && t.starts_with("#["));
        code.push_str(&strip_comment_and_strings(line));
        code.push('\n');
    }
    code
}

fn strip_comment_and_strings(line: &str) -> String {
    let mut out = String::new();
    let mut in_string = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => in_string = !in_string,
            '\\' if in_string => {
                chars.next();
            }
            '/' if !in_string && chars.peek() == Some(&'/') => break,
            _ if !in_string => out.push(c),
            _ => {}
        }
    }
    out
}

/// Every module named right after `crate::`, including the first segment of each item of a
/// `crate::{a::X, b::{Y, Z}}` group.
fn crate_paths(code: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        let before = rest[..at].chars().next_back();
        rest = &rest[at + "crate::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            found.extend(group_heads(group));
        } else {
            found.insert(ident(rest).to_owned());
        }
    }
    found.retain(|m| !m.is_empty() && m != "self");
    found
}

fn ident(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// The first segment of each top-level item of a `{…}` group (`group` starts after the `{`).
fn group_heads(group: &str) -> Vec<String> {
    let mut heads = Vec::new();
    let mut depth = 0usize;
    let mut expecting = true;
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => expecting = true,
            c if expecting && depth == 0 && (c.is_alphabetic() || c == '_') => {
                heads.push(ident(&group[i..]).to_owned());
                expecting = false;
            }
            _ => {}
        }
    }
    heads
}

/// (from, to, file) for every edge from a module to a module of a higher layer.
fn back_edges() -> Vec<(String, String, String)> {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    files.sort();
    let mut edges = Vec::new();
    for file in files {
        let Some(from) = top_module(&file) else {
            continue;
        };
        let from_layer =
            layer_of(&from).unwrap_or_else(|| panic!("module `{from}` is in no layer of LAYERS"));
        let text = fs::read_to_string(&file).expect("source file is readable");
        for used in crate_paths(&library_code(&text)) {
            let to = ROOT_ALIASES
                .iter()
                .find(|(alias, _)| *alias == used)
                .map_or(used.as_str(), |(_, module)| *module);
            let to_layer = layer_of(to)
                .unwrap_or_else(|| panic!("`crate::{used}` in {}: in no layer", file.display()));
            if to_layer > from_layer {
                let rel = file.strip_prefix(src()).expect("under src").display();
                edges.push((from.clone(), to.to_owned(), rel.to_string()));
            }
        }
    }
    edges
}

#[test]
fn no_module_uses_a_higher_layer() {
    let edges = back_edges();
    let unexpected: Vec<_> = edges
        .iter()
        .filter(|(from, to, _)| !ALLOWED.iter().any(|(f, t, _)| f == from && t == to))
        .collect();
    assert!(
        unexpected.is_empty(),
        "back edges against the layer order of core/tests/layering.rs (from, to, file): {unexpected:#?}"
    );
    for (from, to, why) in ALLOWED {
        assert!(
            edges.iter().any(|(f, t, _)| f == from && t == to),
            "ALLOWED lists {from} → {to} ({why}), but the edge is gone: remove it from the list"
        );
    }
}

#[test]
fn every_module_is_in_a_layer() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    for module in files.iter().filter_map(|f| top_module(f)) {
        assert!(layer_of(&module).is_some(), "`{module}` is in no layer");
    }
}

#[test]
fn the_parser_finds_grouped_nested_and_inline_paths() {
    let code = library_code(
        "use crate::arith::Modulus;\n\
         use crate::{policy::{A, B}, zk::{self, x::Y}};\n\
         fn f() -> crate::clinic::RoundTerms { todo!() }\n\
         // crate::threshold::Epoch in a comment\n\
         const S: &str = \"crate::sets\";\n\
         #[cfg(test)]\n\
         mod tests { use crate::channel::X; }\n",
    );
    let found: Vec<_> = crate_paths(&code).into_iter().collect();
    assert_eq!(found, ["arith", "clinic", "policy", "zk"]);
}
