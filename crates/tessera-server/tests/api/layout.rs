//! The layering rules of README's "Layout" section, checked by reading `src`: each failure lists
//! the offending `file:line`s (for cycles, one example line per edge), then what to do about it.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fs;
use std::path::{Path, PathBuf};

const SERVER_SRC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
const CLIENT_SRC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tessera-client/src");
/// Lines of non-test code one file may hold.
const MAX_LINES: usize = 600;
/// Calls that panic on `Err` or `None`.
const PANICS: [&str; 2] = [".unwrap()", ".expect("];
/// Taking a lock: `parking_lot` locks do not poison, so there is nothing to unwrap.
const LOCKS: [&str; 3] = [".lock()", ".read()", ".write()"];
/// Reads of stored data: a bad row is an error, never a panic.
const ROW_READS: [&str; 3] = ["row.get(", ".try_get(", "serde_json::from_"];

/// A rule violation: file as shown, line (0: the whole file), what is wrong.
type Finding = (String, usize, String);
/// Edges between the children of one module: from -> to -> one `file:line` making the edge.
type Graph = BTreeMap<String, BTreeMap<String, String>>;

/// One `.rs` file under a source root.
struct Source {
    /// The path printed in findings, e.g. `src/store/mod.rs`.
    shown: String,
    /// `src/lib.rs`, `src/main.rs`: `[]`; `src/a/mod.rs`: `[a]`; `src/a/b.rs`: `[a, b]`.
    module: Vec<String>,
    raw: Vec<String>,
    /// Lines without comments, literals blanked; `None` inside a `#[cfg(test)]` module (or a
    /// `tests.rs` file).
    code: Vec<Option<String>>,
}

impl Source {
    fn read(root: &Path, path: &Path, shown_root: &str) -> Self {
        let text =
            fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
        let rel = path.strip_prefix(root).expect("under its root");
        let parts = rel.with_extension("");
        let mut module: Vec<String> = parts.iter().map(|p| p.to_string_lossy().into()).collect();
        let shown = format!("{shown_root}/{}.rs", module.join("/"));
        let root_file = matches!(module.as_slice(), [m] if m == "lib" || m == "main");
        if root_file || module.last().is_some_and(|m| m == "mod") {
            module.pop();
        }
        let stripped: Vec<String> = strip(&text).lines().map(str::to_owned).collect();
        // A `tests.rs` file is the body of a `#[cfg(test)] mod tests;`: test code throughout.
        let mask = if module.last().is_some_and(|m| m == "tests") {
            vec![true; stripped.len()]
        } else {
            test_mask(&stripped)
        };
        let code = stripped
            .into_iter()
            .zip(mask)
            .map(|(l, test)| (!test).then_some(l));
        let raw = text.lines().map(str::to_owned).collect();
        Self {
            shown,
            module,
            raw,
            code: code.collect(),
        }
    }

    /// Non-test code lines, numbered from 1.
    fn code_lines(&self) -> impl Iterator<Item = (usize, &str)> {
        let lines = self.code.iter().enumerate();
        lines.filter_map(|(i, l)| Some((i + 1, l.as_deref()?)))
    }

    fn finding(&self, line: usize, what: impl Into<String>) -> Finding {
        (self.shown.clone(), line, what.into())
    }
}

fn read_tree(root: &Path, shown_root: &str) -> Vec<Source> {
    let (mut paths, mut dirs) = (Vec::new(), vec![root.to_path_buf()]);
    while let Some(dir) = dirs.pop() {
        let entries = fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        for path in entries.map(|e| e.expect("directory entry").path()) {
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                paths.push(path);
            }
        }
    }
    paths.sort();
    paths
        .into_iter()
        .map(|p| Source::read(root, &p, shown_root))
        .collect()
}

fn server_files() -> Vec<Source> {
    read_tree(Path::new(SERVER_SRC), "src")
}

fn modules(files: &[Source]) -> BTreeSet<Vec<String>> {
    files.iter().map(|f| f.module.clone()).collect()
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Drops comments and replaces string and char literals by `""`, keeping every newline.
fn strip(text: &str) -> String {
    let c: Vec<char> = text.chars().collect();
    let find = |from: usize, pat: &str| {
        let pat: Vec<char> = pat.chars().collect();
        (from..c.len())
            .find(|&j| c[j..].starts_with(&pat))
            .unwrap_or(c.len())
    };
    let ident_at = |j: Option<usize>| j.is_some_and(|j| is_ident(c[j]));
    let (mut out, mut i) = (String::with_capacity(text.len()), 0);
    while i < c.len() {
        let next = |k: usize| c.get(i + k).copied().unwrap_or(' ');
        let hashes = (1..).take_while(|&k| next(k) == '#').count();
        let (before, two_before) = (i.checked_sub(1), i.checked_sub(2));
        let prefix_ok = !ident_at(before) || (c[i - 1] == 'b' && !ident_at(two_before));
        let (end, literal) = match (c[i], next(1), next(2)) {
            ('/', '/', _) => (find(i, "\n"), false),
            ('/', '*', _) => (find(i + 2, "*/") + 2, false),
            ('r', ..) if prefix_ok && next(hashes + 1) == '"' => {
                let close = format!("\"{}", "#".repeat(hashes));
                (find(i + hashes + 2, &close) + close.len(), true)
            }
            ('"', ..) => {
                let mut j = i + 1;
                while j < c.len() && c[j] != '"' {
                    j += if c[j] == '\\' { 2 } else { 1 };
                }
                (j + 1, true)
            }
            ('\'', '\\', _) => (find(i + 3, "'") + 1, true),
            ('\'', _, '\'') => (i + 3, true),
            (ch, ..) => {
                out.push(ch);
                i += 1;
                continue;
            }
        };
        let end = end.min(c.len());
        if literal {
            out.push_str("\"\"");
        }
        out.extend(c[i..end].iter().filter(|&&ch| ch == '\n'));
        i = end;
    }
    out
}

/// `mod name;` gives `(name, false)`, `mod name {` gives `(name, true)`, whatever the visibility.
fn mod_item(line: &str) -> Option<(&str, bool)> {
    let mut rest = line.trim();
    if let Some(r) = rest.strip_prefix("pub") {
        rest = r.trim_start();
        if let Some((_, after)) = rest.strip_prefix('(').and_then(|r| r.split_once(')')) {
            rest = after.trim_start();
        }
    }
    let rest = rest.strip_prefix("mod ")?.trim_start();
    let (name, tail) = rest.split_at(rest.find(|c| !is_ident(c)).unwrap_or(rest.len()));
    match tail.trim() {
        ";" => Some((name, false)),
        "{" => Some((name, true)),
        _ => None,
    }
}

/// Marks each `#[cfg(test)]` module, from the attribute to its closing brace, as test code.
fn test_mask(lines: &[String]) -> Vec<bool> {
    let mut mask = vec![false; lines.len()];
    let mut i = 0;
    while i < lines.len() {
        let item = (i + 1..lines.len()).find(|&j| !lines[j].trim_start().starts_with("#["));
        let module = item.and_then(|j| Some((j, mod_item(&lines[j])?.1)));
        let (true, Some((item, inline))) = (lines[i].trim() == "#[cfg(test)]", module) else {
            i += 1;
            continue;
        };
        let indent = lines[item].len() - lines[item].trim_start().len();
        let close = format!("{}}}", &lines[item][..indent]);
        let end = (item + 1..lines.len()).find(|&k| lines[k].trim_end() == close);
        let end = if inline { end } else { Some(item) }.unwrap_or(lines.len() - 1);
        mask[i..=end].fill(true);
        i = end + 1;
    }
    mask
}

/// Identifiers, `::`, and single punctuation characters.
fn tokens(line: &str) -> Vec<&str> {
    let (mut out, mut rest) = (Vec::new(), line.trim_start());
    while let Some(first) = rest.chars().next() {
        let len = match rest.find(|c| !is_ident(c)) {
            _ if rest.starts_with("::") => 2,
            Some(0) => first.len_utf8(),
            end => end.unwrap_or(rest.len()),
        };
        out.push(&rest[..len]);
        rest = rest[len..].trim_start();
    }
    out
}

/// Every `crate::`, `self::`, `super::` path (not `$crate::`), `use` groups expanded, with
/// the line of its last segment.
fn crate_paths<'a>(tokens: &[(usize, &'a str)]) -> Vec<(usize, Vec<&'a str>)> {
    let mut out = Vec::new();
    for (i, &(first_line, head)) in tokens.iter().enumerate() {
        let prev = i.checked_sub(1).map(|p| tokens[p].1);
        let starts =
            matches!(head, "crate" | "self" | "super") && !matches!(prev, Some("::" | "$"));
        if !starts || tokens.get(i + 1).map(|t| t.1) != Some("::") {
            continue;
        }
        let (mut path, mut groups, mut line) = (Vec::new(), Vec::new(), first_line);
        for (k, &(n, token)) in tokens.iter().enumerate().skip(i) {
            match token {
                "::" | "*" => {}
                "{" if tokens[k - 1].1 == "::" => groups.push(path.len()),
                "," | "}" if !groups.is_empty() => {
                    out.push((line, path.clone()));
                    path.truncate(groups[groups.len() - 1]);
                    if token == "}" {
                        groups.pop();
                    }
                }
                _ if token.starts_with(is_ident) => {
                    path.push(token);
                    line = n;
                }
                _ => break,
            }
        }
        out.push((line, path));
    }
    out
}

/// The longest existing module a path names, if it is a path into this crate.
fn resolve(path: &[&str], here: &[String], modules: &BTreeSet<Vec<String>>) -> Option<Vec<String>> {
    let (first, rest) = path.split_first()?;
    let mut full = match *first {
        "crate" => Vec::new(),
        "self" => here.to_vec(),
        "super" => here[..here.len().checked_sub(1)?].to_vec(),
        _ => return None,
    };
    let mut rest = rest.iter().filter(|&&s| s != "self").peekable();
    while rest.next_if(|&&s| s == "super").is_some() {
        full.pop()?;
    }
    full.extend(rest.map(|&s| s.to_owned()));
    let known = (0..=full.len())
        .rev()
        .find(|&n| modules.contains(&full[..n]))?;
    full.truncate(known);
    Some(full)
}

/// Every module of this crate that a file's non-test code names, with the line naming it.
fn references(file: &Source, modules: &BTreeSet<Vec<String>>) -> Vec<(usize, Vec<String>)> {
    let lines = file.code_lines();
    let tokens: Vec<_> = lines
        .flat_map(|(n, l)| tokens(l).into_iter().map(move |t| (n, t)))
        .collect();
    let paths = crate_paths(&tokens).into_iter();
    paths
        .filter_map(|(n, p)| Some((n, resolve(&p, &file.module, modules)?)))
        .collect()
}

/// For each module L, the edges between L's children; an edge between a module and one of its
/// ancestors is no edge (parents use children, children use their parent's items).
fn sibling_graphs(files: &[Source]) -> BTreeMap<Vec<String>, Graph> {
    let modules = modules(files);
    let mut graphs: BTreeMap<Vec<String>, Graph> = BTreeMap::new();
    for file in files {
        let from = &file.module;
        for (line, to) in references(file, &modules) {
            let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
            if common == from.len().min(to.len()) {
                continue;
            }
            let child = |m: &[String]| m[..=common].join("::");
            let graph = graphs.entry(to[..common].to_vec()).or_default();
            let edges = graph.entry(child(from)).or_default();
            edges
                .entry(child(&to))
                .or_insert(format!("{}:{line}", file.shown));
        }
    }
    graphs
}

/// The shortest cycle through each node on one, each listed once (smallest node first).
fn cycles(graph: &Graph) -> BTreeSet<Vec<&str>> {
    let mut found = BTreeSet::new();
    for start in graph.keys().map(String::as_str) {
        let mut prev: BTreeMap<&str, &str> = BTreeMap::new();
        let mut queue = VecDeque::from([start]);
        'search: while let Some(node) = queue.pop_front() {
            for next in graph.get(node).into_iter().flat_map(BTreeMap::keys) {
                if next == start {
                    let mut cycle = vec![node];
                    while let Some(&p) = prev.get(cycle[cycle.len() - 1]) {
                        cycle.push(p);
                    }
                    cycle.reverse();
                    let min = (0..cycle.len()).min_by_key(|&k| cycle[k]).unwrap_or(0);
                    cycle.rotate_left(min);
                    found.insert(cycle);
                    break 'search;
                }
                if !prev.contains_key(next.as_str()) {
                    prev.insert(next, node);
                    queue.push_back(next);
                }
            }
        }
    }
    found
}

/// One entry per cycle: `a -> b -> a`, then an example line for each edge.
fn cycle_report(files: &[Source]) -> Vec<String> {
    let mut report = Vec::new();
    for graph in sibling_graphs(files).values() {
        for cycle in cycles(graph) {
            let ring: Vec<&str> = cycle.iter().chain(&cycle[..1]).copied().collect();
            let mut text = format!("  {}", ring.join(" -> "));
            for pair in ring.windows(2) {
                let (from, to) = (pair[0], pair[1]);
                text += &format!("\n      {from} -> {to}: {}", graph[from][to]);
            }
            report.push(text);
        }
    }
    report
}

/// Fails listing the findings, one line per place, then the advice.
fn assert_none(rule: &str, advice: &str, mut found: Vec<Finding>) {
    found.sort();
    found.dedup();
    let mut places: BTreeMap<(String, usize), Vec<String>> = BTreeMap::new();
    for (file, line, what) in found {
        places.entry((file, line)).or_default().push(what);
    }
    let count = places.len();
    let list: String = places
        .into_iter()
        .map(|((file, line), what)| match line {
            0 => format!("\n  {file}: {}", what.join("; ")),
            _ => format!("\n  {file}:{line}: {}", what.join("; ")),
        })
        .collect();
    assert!(
        count == 0,
        "{rule}: {count} place(s){list}\nWhat to do: {advice}"
    );
}

/// `word` as a whole identifier.
fn mentions(line: &str, word: &str) -> bool {
    line.match_indices(word).any(|(at, _)| {
        !line[..at].ends_with(is_ident) && !line[at + word.len()..].starts_with(is_ident)
    })
}

#[test]
fn no_import_cycles() {
    let report = cycle_report(&server_files());
    assert!(
        report.is_empty(),
        "import cycles between sibling modules ({}):\n{}\nWhat to do: a module may use its \
         parent and its children, but siblings must form a DAG. Break each cycle at its weakest \
         edge: move the shared item down into a module both sides may use (e.g. `model`), or \
         pass it in (argument, trait) instead of importing it.",
        report.len(),
        report.join("\n")
    );
}

#[test]
fn cycle_detector_finds_a_planted_cycle_and_ignores_parent_child_edges() {
    /// Removes the synthetic tree even when an assertion fails.
    struct TempTree(PathBuf);
    impl Drop for TempTree {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }
    let name = format!("tessera-layout-{}", std::process::id());
    let tree = TempTree(std::env::temp_dir().join(name));
    let _ = fs::remove_dir_all(&tree.0); // left over by a killed run with the same pid
    let files = [
        ("lib.rs", "/// A.\nmod a;\n/// B.\nmod b;\n/// C.\nmod c;\n"),
        (
            "a.rs",
            "use crate::{\n    b::inner::Thing,\n    c,\n};\npub fn g() {}\n",
        ),
        (
            "b/mod.rs",
            "pub mod inner;\npub fn f() {\n    crate::a::g();\n    self::inner::h();\n}",
        ),
        (
            "b/inner.rs",
            "use super::f;\npub struct Thing;\npub fn h() { super::super::c::k(); }\n",
        ),
        (
            "c.rs",
            "// crate::a::g() in a comment\nmacro_rules! m { () => { $crate::a::g() }; }\n\
             pub fn k() { let _ = \"crate::a::g\"; }\n#[cfg(test)]\nmod tests {\n    \
             use crate::a::g;\n}\n",
        ),
    ];
    for (path, text) in files {
        let path = tree.0.join(path);
        fs::create_dir_all(path.parent().expect("has a parent")).expect("create dir");
        fs::write(&path, text).expect("write synthetic file");
    }
    let files = read_tree(&tree.0, "src");
    let graphs = sibling_graphs(&files);
    assert_eq!(
        graphs.keys().collect::<Vec<_>>(),
        [&Vec::<String>::new()],
        "only root edges"
    );
    let root = &graphs[&Vec::<String>::new()];
    assert_eq!(root["a"]["b"], "src/a.rs:2");
    assert_eq!(root["a"]["c"], "src/a.rs:3");
    assert_eq!(root["b"]["a"], "src/b/mod.rs:3");
    assert_eq!(root["b"]["c"], "src/b/inner.rs:3");
    assert!(
        !root.contains_key("c"),
        "comments, strings, $crate and tests count: {root:?}"
    );
    let report = cycle_report(&files);
    assert_eq!(report.len(), 1, "{report:?}");
    assert!(report[0].starts_with("  a -> b -> a\n"), "{report:?}");
}

#[test]
fn layers() {
    let files = server_files();
    let modules = modules(&files);
    let mut found = Vec::new();
    for file in &files {
        let top = file.module.first().map_or("", String::as_str);
        let composes = matches!(file.shown.as_str(), "src/app.rs" | "src/lib.rs");
        for (n, line) in file.code_lines() {
            if top != "http" && !composes && mentions(line, "axum") {
                found.push(file.finding(n, "names `axum` (only `http/`, app.rs and lib.rs may)"));
            }
            for db in ["sqlx", "rusqlite"] {
                if top != "store" && mentions(line, db) {
                    found.push(file.finding(n, format!("names `{db}` (only `store/` may)")));
                }
            }
            if top == "service" && mentions(line, "AppState") {
                found.push(file.finding(n, "service names `AppState`"));
            }
        }
        let banned: &[&str] = match top {
            "service" => &["http", "state", "wire"],
            "store" => &["service", "http", "state"],
            _ => &[],
        };
        for (n, target) in references(file, &modules) {
            if let Some(to) = target.first().filter(|t| banned.contains(&t.as_str())) {
                found.push(file.finding(n, format!("{top} uses `crate::{to}`")));
            }
        }
    }
    assert_none(
        "layers (http translates, service decides, store persists)",
        "keep axum in `http/` and sqlx/rusqlite in `store/`; services take the store, caches and \
         config as arguments (never `AppState`, handlers or wire types: convert in `http/`); \
         stores know `model`, not the layers above them.",
        found,
    );
}

#[test]
fn modules_stay_small() {
    let mut found = Vec::new();
    for (root, shown) in [(SERVER_SRC, "src"), (CLIENT_SRC, "tessera-client/src")] {
        for file in read_tree(Path::new(root), shown) {
            let lines = file.code.iter().filter(|l| l.is_some()).count();
            if lines > MAX_LINES {
                found.push(file.finding(0, format!("{lines} lines outside `#[cfg(test)]`")));
            }
        }
    }
    assert_none(
        &format!("modules_stay_small (at most {MAX_LINES} lines of non-test code per file)"),
        "split the file into a directory module (`x.rs` -> `x/mod.rs` plus one file per concern).",
        found,
    );
}

#[test]
fn no_panics_on_locks_or_rows() {
    let mut found = Vec::new();
    for file in server_files() {
        let lines: Vec<(usize, String)> = file
            .code_lines()
            .map(|(n, l)| (n, l.split_whitespace().collect()))
            .collect();
        for (i, (n, here)) in lines.iter().enumerate() {
            // A method chain may go on on the next line.
            let next = match lines.get(i + 1) {
                Some((m, l)) if *m == n + 1 && l.starts_with('.') => l.as_str(),
                _ => "",
            };
            let joined = format!("{here}{next}");
            let starts_here = |p: &str| joined.find(p).is_some_and(|at| at < here.len());
            for lock in LOCKS {
                if PANICS.iter().any(|p| starts_here(&format!("{lock}{p}"))) {
                    found.push(file.finding(*n, format!("unwrap/expect on `{lock}`")));
                }
            }
            let panics = PANICS.iter().any(|p| joined.contains(p));
            if panics && let Some(read) = ROW_READS.into_iter().find(|&p| starts_here(p)) {
                found.push(file.finding(*n, format!("unwrap/expect on `{read}`")));
            }
        }
    }
    assert_none(
        "no_panics_on_locks_or_rows",
        "use `parking_lot` locks (they do not poison: no unwrap/expect); turn bad stored data \
         into the server's `Error` with `?`/`map_err` instead of panicking.",
        found,
    );
}

#[test]
fn every_module_is_documented() {
    let mut found = Vec::new();
    let files = server_files();
    for file in &files {
        for (n, line) in file.code_lines() {
            let Some((name, false)) = mod_item(line) else {
                continue;
            };
            let mut above = file.raw[..n - 1].iter().rev().map(|l| l.trim());
            if above
                .find(|l| !l.starts_with("#["))
                .is_some_and(|l| l.starts_with("///"))
            {
                continue;
            }
            let child: Vec<String> = file.module.iter().cloned().chain([name.into()]).collect();
            let first = |f: &Source| f.raw.iter().find(|l| !l.trim().is_empty()).cloned();
            let inner_doc = (files.iter().filter(|f| f.module == child).filter_map(first))
                .any(|l| l.starts_with("//!"));
            if !inner_doc {
                found.push(file.finding(n, format!("`mod {name};` has no doc")));
            }
        }
    }
    assert_none(
        "every_module_is_documented",
        "put a one-line `///` comment above the `mod` line (attributes may sit between), or \
         start the module's file with a `//!` line.",
        found,
    );
}
