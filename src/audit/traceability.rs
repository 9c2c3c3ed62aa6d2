//! Traceability from the model to the generated code (`traceability.json`):
//! for every tree and node of the source model, the generated file, table
//! (or, for the branches layout, function) and line that hold it. Read
//! back from the generated text itself (each table row, and each `if` and
//! leaf line of a tree function, carries a `/* tree T node N */` comment),
//! so the map shows what was emitted, not what the generator meant to
//! emit.

use serde::Serialize;

use crate::codegen::GeneratedFile;

/// Where one table's rows are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableTrace {
    /// Bundle path of the file, e.g. `src/model_data.c`.
    pub file: String,
    /// The C array, e.g. `timber_nodes`.
    pub table: String,
    /// `[tree, node, line]` per row, in file order (tree and node as the
    /// source model numbers them; line 1-based).
    pub rows: Vec<[u64; 3]>,
}

/// The whole map.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Traceability {
    pub schema_version: u32,
    /// IR tree index -> source model tree index.
    pub ir_tree_to_source_tree: Vec<u64>,
    pub tables: Vec<TableTrace>,
    /// Number of distinct (tree, node) pairs traced.
    pub nodes_traced: usize,
}

/// Parse `tree T node N` comments out of the generated files.
pub fn trace(files: &[GeneratedFile], ir_tree_to_source_tree: Vec<u64>) -> Traceability {
    let mut tables: Vec<TableTrace> = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    let mut names: Vec<&GeneratedFile> = files.iter().collect();
    names.sort_by(|a, b| a.name.cmp(&b.name));
    for f in names {
        let mut current: Option<String> = None;
        for (i, line) in f.contents.lines().enumerate() {
            if let Some(name) = array_name(line).or_else(|| function_name(line)) {
                current = Some(name);
            }
            let Some((tree, node)) = row_comment(line) else {
                continue;
            };
            let table = current.clone().unwrap_or_else(|| "(file scope)".into());
            let path = crate::audit::layout::source_file(&f.name);
            match tables.last_mut() {
                Some(t) if t.file == path && t.table == table => {}
                _ => tables.push(TableTrace {
                    file: path,
                    table,
                    rows: Vec::new(),
                }),
            }
            if let Some(t) = tables.last_mut() {
                t.rows.push([tree, node, i as u64 + 1]);
            }
            seen.insert((tree, node));
        }
    }
    Traceability {
        schema_version: 1,
        ir_tree_to_source_tree,
        tables,
        nodes_traced: seen.len(),
    }
}

/// `const timber_node_t timber_nodes[TIMBER_N_NODES] = {` -> `timber_nodes`.
fn array_name(line: &str) -> Option<String> {
    let l = line.trim_start();
    if !l.starts_with("const ") && !l.starts_with("static const ") {
        return None;
    }
    let before = &l[..l.find('[')?];
    let name = before.split_whitespace().last()?;
    Some(name.trim_start_matches('*').to_string())
}

/// `static timber_float32_t timber_tree_3(const ...)` (a function
/// definition at file scope) -> `timber_tree_3`.
fn function_name(line: &str) -> Option<String> {
    if !line.starts_with("static ") || line.trim_end().ends_with(';') {
        return None;
    }
    let before = &line[..line.find('(')?];
    if before.contains('=') {
        return None;
    }
    let name = before.split_whitespace().last()?;
    Some(name.trim_start_matches('*').to_string())
}

/// `... /* tree 3 node 17 */` -> (3, 17).
fn row_comment(line: &str) -> Option<(u64, u64)> {
    let start = line.rfind("/* tree ")?;
    let rest = line[start + 8..].strip_suffix("*/").or_else(|| {
        let r = &line[start + 8..];
        r.find("*/").map(|e| &r[..e])
    })?;
    let mut it = rest.split_whitespace();
    let tree = it.next()?.parse().ok()?;
    if it.next()? != "node" {
        return None;
    }
    let node = it.next()?.parse().ok()?;
    Some((tree, node))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rows_and_tables() {
        let f = GeneratedFile {
            name: "model_data.c".into(),
            contents: "/* header */\nconst timber_node_t timber_nodes[2] = {\n    { 1.0f, 1U }, /* tree 0 node 0 */\n    { 2.0f, 2U } /* tree 0 node 1 */\n};\nconst timber_float32_t timber_leaves[1] = {\n    3.0f /* tree 4 node 7 */\n};\n".into(),
        };
        let t = trace(&[f], vec![0]);
        assert_eq!(t.tables.len(), 2);
        assert_eq!(t.tables[0].table, "timber_nodes");
        assert_eq!(t.tables[0].rows, vec![[0, 0, 3], [0, 1, 4]]);
        assert_eq!(t.tables[1].table, "timber_leaves");
        assert_eq!(t.tables[1].rows, vec![[4, 7, 7]]);
        assert_eq!(t.nodes_traced, 3);
    }

    #[test]
    fn tree_functions_name_their_rows() {
        let f = GeneratedFile {
            name: "model.c".into(),
            contents: "static timber_float32_t timber_tree_0(const timber_float32_t in[2U])\n{\n    timber_float32_t v;\n    if (in[1U] < 5e-1f) { /* tree 0 node 0 */\n        v = 1e0f; /* tree 0 node 1 */\n    } else {\n        v = 2e0f; /* tree 0 node 2 */\n    }\n    return v;\n}\n".into(),
        };
        let t = trace(&[f], vec![0]);
        assert_eq!(t.tables.len(), 1);
        assert_eq!(t.tables[0].file, "src/model.c");
        assert_eq!(t.tables[0].table, "timber_tree_0");
        assert_eq!(t.tables[0].rows, vec![[0, 0, 4], [0, 1, 5], [0, 2, 7]]);
    }
}
