//! Size (`size -A`) and stack (`-fstack-usage`, `-fcallgraph-info=su`)
//! figures of a build.

use serde::Serialize;
use std::collections::BTreeMap;

/// Section sizes in bytes, grouped the usual way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct SectionSizes {
    pub text: u64,
    pub rodata: u64,
    pub data: u64,
    pub bss: u64,
}

impl SectionSizes {
    pub fn add(&mut self, o: &SectionSizes) {
        self.text += o.text;
        self.rodata += o.rodata;
        self.data += o.data;
        self.bss += o.bss;
    }
}

/// Parse `size -A` output (one or several files) into grouped sizes.
/// Debug, comment and attribute sections are not counted.
pub fn parse_size_a(text: &str) -> SectionSizes {
    let mut s = SectionSizes::default();
    for line in text.lines() {
        let mut parts = line.split_whitespace();
        let (Some(name), Some(size)) = (parts.next(), parts.next()) else {
            continue;
        };
        let Ok(size) = size.parse::<u64>() else {
            continue;
        };
        if !name.starts_with('.') && name != "COMMON" {
            continue;
        }
        let is = |p: &str| name == p || name.starts_with(&format!("{p}."));
        if is(".text")
            || is(".init")
            || is(".fini")
            || is(".plt")
            || name.starts_with(".ARM.exidx")
            || name.starts_with(".ARM.extab")
            || is(".iplt")
        {
            s.text += size;
        } else if is(".rodata") || name.starts_with(".srodata") || is(".eh_frame") {
            s.rodata += size;
        } else if is(".data")
            || is(".sdata")
            || is(".tdata")
            || is(".init_array")
            || is(".fini_array")
            || is(".got")
            || is(".got.plt")
        {
            s.data += size;
        } else if is(".bss") || is(".sbss") || is(".tbss") || name == "COMMON" || is(".noinit") {
            s.bss += size;
        }
    }
    s
}

/// One function's frame from `-fstack-usage`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Frame {
    pub function: String,
    pub bytes: u64,
    /// `static`, `dynamic` or `dynamic,bounded`.
    pub kind: String,
}

/// Parse `.su` text: `file:line:col:function<TAB>bytes<TAB>kind`.
pub fn parse_su(text: &str) -> Vec<Frame> {
    let mut frames = Vec::new();
    for line in text.lines() {
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.len() < 3 {
            continue;
        }
        let function = cols[0].rsplit(':').next().unwrap_or(cols[0]).to_string();
        if let Ok(bytes) = cols[1].trim().parse::<u64>() {
            frames.push(Frame {
                function,
                bytes,
                kind: cols[2].trim().to_string(),
            });
        }
    }
    frames
}

/// A call graph from `-fcallgraph-info=su` (`.ci`, VCG text).
#[derive(Debug, Clone, Default)]
pub struct CallGraph {
    /// Function -> frame bytes (None: no size known, e.g. libgcc helpers).
    pub frames: BTreeMap<String, Option<u64>>,
    pub edges: BTreeMap<String, Vec<String>>,
}

fn quoted_after<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let start = line.find(key)? + key.len();
    let rest = &line[start..];
    let open = rest.find('"')? + 1;
    let close = rest[open..].find('"')? + open;
    Some(&rest[open..close])
}

/// Parse (and merge) `.ci` texts.
pub fn parse_ci(texts: &[String]) -> CallGraph {
    let mut g = CallGraph::default();
    for text in texts {
        for line in text.lines() {
            let line = line.trim();
            if line.starts_with("node:") {
                let Some(title) = quoted_after(line, "title:") else {
                    continue;
                };
                let bytes = quoted_after(line, "label:").and_then(|label| {
                    label.split("\\n").find_map(|part| {
                        part.strip_suffix(" bytes (static)")
                            .or_else(|| {
                                part.split(" bytes (")
                                    .next()
                                    .filter(|_| part.contains(" bytes ("))
                            })
                            .and_then(|n| n.trim().parse::<u64>().ok())
                    })
                });
                let e = g.frames.entry(title.to_string()).or_insert(None);
                if bytes.is_some() {
                    *e = bytes;
                }
            } else if line.starts_with("edge:") {
                if let (Some(s), Some(t)) = (
                    quoted_after(line, "sourcename:"),
                    quoted_after(line, "targetname:"),
                ) {
                    let v = g.edges.entry(s.to_string()).or_default();
                    if !v.iter().any(|x| x == t) {
                        v.push(t.to_string());
                    }
                }
            }
        }
    }
    g
}

impl CallGraph {
    /// The deepest frame chain from `root`: (bytes, chain, callees without a
    /// known size). Cycles (none in generated code) are cut.
    pub fn max_chain(&self, root: &str) -> (u64, Vec<String>, Vec<String>) {
        let mut unsized_callees = Vec::new();
        let mut stack = Vec::new();
        let (b, chain) = self.walk(root, &mut stack, &mut unsized_callees);
        unsized_callees.sort();
        unsized_callees.dedup();
        (b, chain, unsized_callees)
    }

    fn walk(
        &self,
        f: &str,
        stack: &mut Vec<String>,
        unsized_callees: &mut Vec<String>,
    ) -> (u64, Vec<String>) {
        if stack.iter().any(|s| s == f) || stack.len() > 64 {
            return (0, Vec::new());
        }
        let own = match self.frames.get(f).copied().flatten() {
            Some(b) => b,
            None => {
                unsized_callees.push(f.to_string());
                0
            }
        };
        stack.push(f.to_string());
        let mut best = (0u64, Vec::new());
        if let Some(callees) = self.edges.get(f) {
            for c in callees {
                let r = self.walk(c, stack, unsized_callees);
                if r.0 > best.0 || best.1.is_empty() {
                    best = r;
                }
            }
        }
        stack.pop();
        let mut chain = vec![f.to_string()];
        chain.extend(best.1);
        (own + best.0, chain)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_a_groups_sections() {
        let t = "model.o  :\nsection   size   addr\n.text   120   0\n.text.timber_infer_single 40 0\n.rodata.x 16 0\n.data 4 0\n.bss 8 0\n.comment 30 0\n.ARM.attributes 20 0\nTotal 238\n";
        let s = parse_size_a(t);
        assert_eq!(
            s,
            SectionSizes {
                text: 160,
                rodata: 16,
                data: 4,
                bss: 8
            }
        );
    }

    #[test]
    fn callgraph_chain() {
        let ci = r#"graph: { title: "model.c"
node: { title: "timber_infer_single" label: "timber_infer_single\nmodel.c:9:9\n32 bytes (static)" }
node: { title: "timber_exp" label: "timber_exp\nmodel.c:2:2\n16 bytes (static)" }
node: { title: "__aeabi_fadd" label: "__aeabi_fadd\n<built-in>" shape : ellipse }
edge: { sourcename: "timber_infer_single" targetname: "timber_exp" }
edge: { sourcename: "timber_exp" targetname: "__aeabi_fadd" }
}"#;
        let g = parse_ci(&[ci.to_string()]);
        let (b, chain, unsized_callees) = g.max_chain("timber_infer_single");
        assert_eq!(b, 48);
        assert_eq!(chain, ["timber_infer_single", "timber_exp", "__aeabi_fadd"]);
        assert_eq!(unsized_callees, ["__aeabi_fadd"]);
        let su = parse_su("/x/model.c:9:9:timber_infer_single\t32\tstatic\n");
        assert_eq!(su[0].function, "timber_infer_single");
        assert_eq!(su[0].bytes, 32);
    }
}
