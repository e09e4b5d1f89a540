//! The TUI's files do not import each other in a cycle: every file under `src/tui` is a
//! node, every path it names into `crate::tui` (through `use crate::tui::…`,
//! `use super::…`, or such a path written inline, and a `mod.rs` naming its own child
//! modules) is an edge to the file of the deepest module on that path. The graph must
//! have no cycle. Test modules (`#[cfg(test)]` to the end of a file) are left out.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A file's module path, e.g. `["tui", "views", "list"]`, and whether it is a `mod.rs`.
fn module_of(src: &Path, file: &Path) -> (Vec<String>, bool) {
    let rel = file.strip_prefix(src).expect("under src");
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    let is_mod = parts.last().is_some_and(|p| p == "mod");
    if is_mod {
        parts.pop();
    }
    (parts, is_mod)
}

/// The file of a module path, if there is one.
fn file_of(src: &Path, module: &[String]) -> Option<PathBuf> {
    let joined: PathBuf = module.iter().collect();
    let flat = src.join(&joined).with_extension("rs");
    if flat.is_file() {
        return Some(flat);
    }
    let dir = src.join(&joined).join("mod.rs");
    dir.is_file().then_some(dir)
}

/// The code of a file without comments and without its test module.
fn code(text: &str) -> String {
    let text = text.split("#[cfg(test)]").next().unwrap_or("");
    text.lines()
        .map(|l| match l.find("//") {
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Expands a use tree (`a::{b, c::{d, self}}`) into its paths.
fn expand(tree: &str) -> Vec<String> {
    let tree: String = tree.chars().filter(|c| !c.is_whitespace()).collect();
    let Some(open) = tree.find('{') else {
        return vec![tree];
    };
    let prefix = &tree[..open];
    let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts
        .into_iter()
        .filter(|p| !p.is_empty())
        .flat_map(|p| expand(p).into_iter().map(move |e| format!("{prefix}{e}")))
        .collect()
}

/// Every path into the crate a file names: use trees, and inline `crate::`/`super::`
/// paths.
fn paths(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find("use ") {
        let before_ok = i == 0 || !rest.as_bytes()[i - 1].is_ascii_alphanumeric() && rest.as_bytes()[i - 1] != b'_';
        let after = &rest[i + 4..];
        let end = after.find(';').unwrap_or(after.len());
        if before_ok {
            out.extend(expand(&after[..end]));
        }
        rest = &after[end.min(after.len())..];
    }
    let bytes = code.as_bytes();
    for start in ["crate::", "super::"] {
        let mut from = 0;
        while let Some(i) = code[from..].find(start) {
            let at = from + i;
            let ok =
                at == 0 || !(bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'_' || bytes[at - 1] == b':');
            let len = code[at..]
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
                .unwrap_or(code.len() - at);
            if ok {
                out.push(code[at..at + len].trim_end_matches(':').to_string());
            }
            from = at + len.max(1);
        }
    }
    out
}

/// The modules a `mod.rs` declares (`pub mod x;`).
fn children(code: &str) -> Vec<String> {
    code.lines()
        .filter_map(|l| {
            let l = l.trim();
            let l = l.strip_prefix("pub ").unwrap_or(l);
            l.strip_prefix("mod ")?.strip_suffix(';').map(str::to_string)
        })
        .collect()
}

/// The files under `dir`.
fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The module graph of `src/tui`: file -> files it uses.
fn graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut all = Vec::new();
    files(&src.join("tui"), &mut all);
    let name = |p: &Path| p.strip_prefix(src).expect("under src").to_string_lossy().to_string();
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &all {
        let (module, is_mod) = module_of(src, file);
        let text = code(&std::fs::read_to_string(file).expect("read"));
        let mut targets: Vec<Vec<String>> = Vec::new();
        for path in paths(&text) {
            let segs: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
            let mut abs: Vec<String> = Vec::new();
            let mut it = segs.iter().peekable();
            match it.peek() {
                Some(&&"crate") => {
                    it.next();
                }
                Some(&&"super") => {
                    // `super` of a file is its directory's module; of a mod.rs, the parent.
                    abs = module.clone();
                    while it.peek() == Some(&&"super") {
                        it.next();
                        abs.pop();
                    }
                }
                Some(&&"self") => {
                    it.next();
                    abs = module.clone();
                    if !is_mod {
                        // `self::x` in a file names its own items.
                        continue;
                    }
                }
                _ => continue,
            }
            abs.extend(it.map(|s| (*s).to_string()).filter(|s| s != "self" && s != "*"));
            targets.push(abs);
        }
        if is_mod {
            for child in children(&text) {
                if text.contains(&format!("{child}::")) {
                    let mut m = module.clone();
                    m.push(child);
                    targets.push(m);
                }
            }
        }
        let edges = g.entry(name(file)).or_default();
        for t in targets {
            if t.first().map(String::as_str) != Some("tui") {
                continue;
            }
            // The deepest module along the path that is a file of its own.
            let mut found = None;
            for n in 2..=t.len() {
                match file_of(src, &t[..n]) {
                    Some(f) => found = Some(f),
                    None => break,
                }
            }
            if let Some(f) = found {
                let target = name(&f);
                if target != name(file) {
                    edges.insert(target);
                }
            }
        }
    }
    g
}

/// A cycle in `g`, as the files along it, if there is one.
fn cycle(g: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        n: &str,
        g: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        state.insert(n.to_string(), 1);
        stack.push(n.to_string());
        for m in g.get(n).into_iter().flatten() {
            match state.get(m.as_str()).copied().unwrap_or(0) {
                0 => {
                    if let Some(c) = visit(m, g, state, stack) {
                        return Some(c);
                    }
                }
                1 => {
                    let from = stack.iter().position(|x| x == m).unwrap_or(0);
                    let mut c = stack[from..].to_vec();
                    c.push(m.clone());
                    return Some(c);
                }
                _ => {}
            }
        }
        stack.pop();
        state.insert(n.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for n in g.keys() {
        if state.get(n.as_str()).copied().unwrap_or(0) == 0
            && let Some(c) = visit(n, g, &mut state, &mut Vec::new())
        {
            return Some(c);
        }
    }
    None
}

#[test]
fn the_parser_sees_use_trees_and_inline_paths() {
    assert_eq!(
        expand("super::{a, b::{C, self}}"),
        vec!["super::a", "super::b::C", "super::b::self"]
    );
    let p = paths("use super::x::Y;\nfn f() { crate::tui::z::go(); }\nuse crate::{tui::w, app::App};");
    assert!(p.contains(&"super::x::Y".to_string()), "{p:?}");
    assert!(p.contains(&"crate::tui::z::go".to_string()), "{p:?}");
    assert!(p.contains(&"crate::tui::w".to_string()), "{p:?}");
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    g.entry("a".into()).or_default().insert("b".into());
    g.entry("b".into()).or_default().insert("c".into());
    assert!(cycle(&g).is_none());
    g.entry("c".into()).or_default().insert("a".into());
    assert_eq!(cycle(&g), Some(vec!["a".into(), "b".into(), "c".into(), "a".into()]));
}

#[test]
fn no_import_cycle_among_tui_files() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let g = graph(&src);
    // The graph is real: the known edges are seen.
    let edge = |a: &str, b: &str| g.get(a).is_some_and(|e| e.contains(b));
    assert!(edge("tui/update.rs", "tui/state.rs"), "{g:#?}");
    assert!(edge("tui/views/list.rs", "tui/effect.rs"), "{g:#?}");
    assert!(edge("tui/popups/mod.rs", "tui/popups/form.rs"), "{g:#?}");
    if let Some(c) = cycle(&g) {
        panic!(
            "src/tui files import each other in a cycle: {}\n(components return effects to \
             update instead of calling each other; data types live below the files using them)",
            c.join(" -> ")
        );
    }
}
