//! Rule 17.2 (required): no direct or indirect recursion.
//!
//! ## What it checks
//! Calls that take part in a cycle of the call graph built from all checked files: a function calling itself, or calling a chain that leads back to it. The call that closes each cycle edge is reported.
//!
//! ## Why
//! Recursion makes the worst-case stack depth hard or impossible to bound.
//!
//! ## Known limits
//! Only direct calls by name are followed; calls through function pointers are not. Static functions with the same name in different files are treated as one.
//!
//! ## Example
//! ```c
//! uint32_t f(uint32_t n) { return (n == 0U) ? 1U : f(n - 1U); }   /* flagged */
//! ```

use std::collections::BTreeMap;

use crate::check::source;
use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "17.2"
    }
    fn category(&self) -> Category {
        Category::Required
    }
    fn summary(&self) -> &'static str {
        "No direct or indirect recursion."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        // Call graph: function name -> called names (defined functions only).
        let mut defined: BTreeMap<&str, usize> = BTreeMap::new();
        for u in &program.units {
            for &f in u.nodes("function_definition") {
                if let Some(name) = source::function_name(u, f) {
                    let next = defined.len();
                    defined.entry(name).or_insert(next);
                }
            }
        }
        let n = defined.len();
        let mut edges: Vec<Vec<usize>> = vec![Vec::new(); n];
        let mut calls = Vec::new();
        for u in &program.units {
            for &c in u.nodes("call_expression") {
                let Some(callee) = c.child_by_field_name("function").filter(|f| f.kind() == "identifier") else {
                    continue;
                };
                let Some(&to) = defined.get(u.text(callee)) else {
                    continue;
                };
                let Some(from) = u.enclosing_function(c)
                    .and_then(|f| source::function_name(u, f))
                    .and_then(|name| defined.get(name).copied())
                else {
                    continue;
                };
                edges[from].push(to);
                calls.push((u, c, from, to));
            }
        }
        let comp = strongly_connected(&edges);
        for (u, c, from, to) in calls {
            if comp[from] == comp[to] {
                let msg = if from == to { "recursive call" } else { "call closes a cycle of indirect recursion" };
                out.at(u, c, msg, "rewrite as a loop with a bounded explicit stack");
            }
        }
    }
}

/// Component number of each node (Tarjan's algorithm, iterative).
fn strongly_connected(edges: &[Vec<usize>]) -> Vec<usize> {
    let n = edges.len();
    let mut index = vec![usize::MAX; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut comp = vec![usize::MAX; n];
    let mut stack = Vec::new();
    let mut next_index = 0;
    let mut next_comp = 0;
    for start in 0..n {
        if index[start] != usize::MAX {
            continue;
        }
        let mut work: Vec<(usize, usize)> = vec![(start, 0)];
        while let Some(&mut (v, ref mut i)) = work.last_mut() {
            if *i == 0 && index[v] == usize::MAX {
                index[v] = next_index;
                low[v] = next_index;
                next_index += 1;
                stack.push(v);
                on_stack[v] = true;
            }
            if let Some(&w) = edges[v].get(*i) {
                *i += 1;
                if index[w] == usize::MAX {
                    work.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            work.pop();
            if let Some(&(parent, _)) = work.last() {
                low[parent] = low[parent].min(low[v]);
            }
            if low[v] == index[v] {
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    comp[w] = next_comp;
                    if w == v {
                        break;
                    }
                }
                next_comp += 1;
            }
        }
    }
    comp
}
