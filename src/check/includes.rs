//! Headers the checked files include, read for their declarations only
//! (typedefs, members, prototypes, macros): the essential type model needs
//! them to type what the checked files declare through them, but findings
//! are reported for the checked files alone.
//!
//! `#include "h"` is looked up next to the including file, then in the
//! search directories (`timber check -I DIR`) in order; `#include <h>` in
//! the search directories only (the standard headers' typedefs are built
//! into the checker). Includes are followed transitively, each header once.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::Serialize;

/// An `#include` the checker could not find, so its declarations are unknown.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Unresolved {
    pub file: String,
    pub line: usize,
    pub header: String,
}

/// At most this many headers are read (a guard against include explosions).
const MAX_HEADERS: usize = 4096;

/// Standard headers: their typedefs are built in, so not finding them is no loss.
const STANDARD: &[&str] = &[
    "assert.h",
    "complex.h",
    "ctype.h",
    "errno.h",
    "fenv.h",
    "float.h",
    "inttypes.h",
    "iso646.h",
    "limits.h",
    "locale.h",
    "math.h",
    "setjmp.h",
    "signal.h",
    "stdarg.h",
    "stdbool.h",
    "stddef.h",
    "stdint.h",
    "stdio.h",
    "stdlib.h",
    "string.h",
    "tgmath.h",
    "time.h",
    "wchar.h",
    "wctype.h",
];

/// The `#include` targets of a text: (line, name, quoted).
pub fn directives(text: &str) -> Vec<(usize, String, bool)> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let t = line.trim_start();
        let Some(rest) = t.strip_prefix('#') else {
            continue;
        };
        let rest = rest.trim_start();
        let Some(rest) = rest.strip_prefix("include") else {
            continue;
        };
        let rest = rest.trim();
        let (open, close, quoted) = match rest.chars().next() {
            Some('"') => ('"', '"', true),
            Some('<') => ('<', '>', false),
            _ => continue,
        };
        let body = &rest[open.len_utf8()..];
        if let Some(end) = body.find(close) {
            out.push((i + 1, body[..end].to_string(), quoted));
        }
    }
    out
}

/// Read the headers `files` include (transitively), except those among
/// `files`: (display path, text) of each, and the includes not found.
pub fn gather(files: &[PathBuf], search: &[PathBuf]) -> (Vec<(String, String)>, Vec<Unresolved>) {
    let checked: BTreeSet<PathBuf> = files.iter().filter_map(|f| f.canonicalize().ok()).collect();
    let mut seen: BTreeSet<PathBuf> = checked.clone();
    let mut queue: Vec<PathBuf> = files.to_vec();
    let mut headers = Vec::new();
    let mut unresolved = BTreeSet::new();
    let mut i = 0;
    while i < queue.len() && headers.len() < MAX_HEADERS {
        let file = queue[i].clone();
        i += 1;
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        for (line, name, quoted) in directives(&text) {
            let here = file.parent().map(Path::to_path_buf);
            let candidates = quoted
                .then_some(here)
                .flatten()
                .into_iter()
                .chain(search.iter().cloned());
            let found = candidates.map(|d| d.join(&name)).find(|p| p.is_file());
            match found {
                Some(p) => {
                    let Ok(id) = p.canonicalize() else { continue };
                    if !seen.insert(id) {
                        continue;
                    }
                    if !checked.contains(&p) {
                        if let Ok(t) = std::fs::read_to_string(&p) {
                            headers.push((super::display_path(&p), t));
                        }
                    }
                    queue.push(p);
                }
                None if !quoted && STANDARD.contains(&name.as_str()) => {}
                None => {
                    unresolved.insert(Unresolved {
                        file: super::display_path(&file),
                        line,
                        header: name,
                    });
                }
            }
        }
    }
    (headers, unresolved.into_iter().collect())
}
