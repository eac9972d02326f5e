//! The documents stay true to the repository they describe:
//!
//! - every relative link of README.md and docs/*.md reaches a file or folder that exists, and a
//!   link's `#anchor` into a Markdown file names a heading that file has;
//! - every `*.md` file named in those documents, or in a comment under src/, tests/ or benches/,
//!   exists (a results file such as `report.md` counts when a committed one exists);
//! - every `#anchor` a comment cites (`docs/ARCHITECTURE.md#strategies`) is a heading there;
//! - every repository path a document quotes as code (`src/exec/slots.rs`) exists;
//! - the module layers docs/ARCHITECTURE.md draws are the ones the imports follow: each module of
//!   src/ has a row in its Layers table and a heading in its code map, and imports only modules of
//!   lower layers, so there is no import cycle between modules.
//!
//! Fenced code blocks and HTML comments of a document are not read: the first hold examples
//! (`results/<a>`), the second mark places where other work will land.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};

use regex::Regex;

/// Citations known to be stale and owned by another change, as (file, named document). Each
/// entry must still be needed: once the citation is fixed, the test asks for the entry to go.
const PENDING: &[(&str, &str)] = &[];

/// Folders whose paths, quoted as code in a document, must exist.
const REPO_DIRS: &str =
    r"^(\.\./)*(src|tests|scripts|examples|benches|docs|assets|\.ci)/[A-Za-z0-9_./+-]*$";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every file of the repository, relative to its root, outside `target/` and `.git/`.
fn repo_files(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            let name = entry.file_name();
            if path.is_dir() {
                if dir == root && (name == "target" || name == ".git") {
                    continue;
                }
                stack.push(path);
            } else {
                out.push(path.strip_prefix(root).unwrap().to_path_buf());
            }
        }
    }
    out.sort();
    out
}

/// `a/b/../c` as `a/c`, without touching the filesystem.
fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            c => out.push(c),
        }
    }
    out
}

/// A Markdown text without its fenced code blocks and HTML comments (lines kept, blanked).
fn prose(md: &str) -> String {
    let no_comments = Regex::new(r"(?s)<!--.*?-->")
        .unwrap()
        .replace_all(md, |c: &regex::Captures| {
            c[0].chars()
                .map(|ch| if ch == '\n' { '\n' } else { ' ' })
                .collect::<String>()
        })
        .into_owned();
    let mut out = String::new();
    let mut fenced = false;
    for line in no_comments.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            out.push('\n');
            continue;
        }
        if !fenced {
            out.push_str(line);
        }
        out.push('\n');
    }
    out
}

/// The anchor GitHub gives a heading: lower case, spaces as `-`, every other character but
/// letters, digits, `-` and `_` dropped.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

/// Every anchor of a Markdown file's headings (a repeated heading gets `-1`, `-2`...).
fn anchors(md: &str) -> BTreeSet<String> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut out = BTreeSet::new();
    for line in prose(md).lines() {
        let hashes = line.chars().take_while(|&c| c == '#').count();
        if hashes == 0 || hashes > 6 || !line[hashes..].starts_with(' ') {
            continue;
        }
        let base = slug(&line[hashes..]);
        let n = seen.entry(base.clone()).or_insert(0);
        out.insert(if *n == 0 {
            base.clone()
        } else {
            format!("{base}-{n}")
        });
        *n += 1;
    }
    out
}

/// The documents: README.md and every Markdown file under docs/.
fn documents(root: &Path, files: &[PathBuf]) -> Vec<PathBuf> {
    let mut docs: Vec<PathBuf> = files
        .iter()
        .filter(|f| f.starts_with("docs") && f.extension().is_some_and(|e| e == "md"))
        .cloned()
        .collect();
    docs.insert(0, PathBuf::from("README.md"));
    assert!(root.join("README.md").is_file());
    docs
}

/// The comments of a Rust file (`//`, `///`, `//!`), with their line numbers.
fn comments(text: &str) -> Vec<(usize, String)> {
    text.lines()
        .enumerate()
        .filter_map(|(i, line)| {
            let t = line.trim_start();
            let at = if t.starts_with("//") {
                Some(line.len() - t.len())
            } else {
                line.find(" // ").map(|p| p + 1)
            }?;
            Some((i + 1, line[at..].trim_start_matches('/').to_string()))
        })
        .collect()
}

/// The Rust files whose comments are read: under src/, tests/ and benches/.
fn rust_files(files: &[PathBuf]) -> Vec<PathBuf> {
    files
        .iter()
        .filter(|f| {
            f.extension().is_some_and(|e| e == "rs")
                && ["src", "tests", "benches"].iter().any(|d| f.starts_with(d))
        })
        .cloned()
        .collect()
}

/// Where a document or comment in `from` (a file relative to the root) may mean `name`: beside
/// it, or from the root.
fn candidates(from: &Path, name: &str) -> Vec<PathBuf> {
    let dir = from.parent().unwrap_or(Path::new(""));
    vec![normalise(&dir.join(name)), normalise(Path::new(name))]
}

struct Checker {
    root: PathBuf,
    files: Vec<PathBuf>,
    anchors: BTreeMap<PathBuf, BTreeSet<String>>,
    problems: Vec<String>,
    pending_seen: BTreeSet<(String, String)>,
}

impl Checker {
    fn new() -> Self {
        let root = root();
        let files = repo_files(&root);
        let anchors = files
            .iter()
            .filter(|f| f.extension().is_some_and(|e| e == "md"))
            .map(|f| {
                let text = std::fs::read_to_string(root.join(f)).unwrap_or_default();
                (f.clone(), anchors(&text))
            })
            .collect();
        Checker {
            root,
            files,
            anchors,
            problems: Vec::new(),
            pending_seen: BTreeSet::new(),
        }
    }

    fn exists(&self, path: &Path) -> bool {
        path.as_os_str().is_empty() || self.root.join(path).exists()
    }

    /// A link's target (`path`, `path#anchor` or `#anchor`) from `from`.
    fn link(&mut self, from: &Path, line: usize, target: &str) {
        let (path, anchor) = match target.split_once('#') {
            Some((p, a)) => (p, Some(a)),
            None => (target, None),
        };
        let resolved = if path.is_empty() {
            from.to_path_buf()
        } else {
            normalise(&from.parent().unwrap_or(Path::new("")).join(path))
        };
        if !self.exists(&resolved) {
            self.problems.push(format!(
                "{}:{line}: link `{target}`: {} does not exist",
                from.display(),
                resolved.display()
            ));
            return;
        }
        if let Some(anchor) = anchor {
            self.anchor(from, line, &resolved, anchor, target);
        }
    }

    /// `anchor` must be a heading of the Markdown file `file`.
    fn anchor(&mut self, from: &Path, line: usize, file: &Path, anchor: &str, cited: &str) {
        let Some(headings) = self.anchors.get(file) else {
            if file.extension().is_some_and(|e| e == "md") {
                self.problems.push(format!(
                    "{}:{line}: `{cited}`: {} is not in the repository",
                    from.display(),
                    file.display()
                ));
            }
            return; // not Markdown: an anchor into a chart or a page is not ours to check
        };
        if !headings.contains(anchor) {
            self.problems.push(format!(
                "{}:{line}: `{cited}`: {} has no heading `#{anchor}` (it has: {})",
                from.display(),
                file.display(),
                headings.iter().cloned().collect::<Vec<_>>().join(", ")
            ));
        }
    }

    /// A `*.md` file named in `from`: beside it, from the root, or (a results file such as
    /// `report.md`) a committed file of that name.
    fn named(&mut self, from: &Path, line: usize, name: &str) {
        let name = name.strip_prefix('/').unwrap_or(name);
        if candidates(from, name).iter().any(|c| self.exists(c)) {
            return;
        }
        let suffix = format!("/{name}");
        if !name.starts_with("..")
            && self
                .files
                .iter()
                .any(|f| f.to_string_lossy().ends_with(&suffix))
        {
            return;
        }
        let key = (from.to_string_lossy().into_owned(), name.to_string());
        if PENDING
            .iter()
            .any(|(f, n)| (*f, *n) == (&key.0[..], &key.1[..]))
        {
            self.pending_seen.insert(key);
            return;
        }
        self.problems.push(format!(
            "{}:{line}: names `{name}`, which is not in the repository",
            from.display()
        ));
    }

    fn report(self) {
        let mut problems = self.problems;
        for (f, n) in PENDING {
            if !self.pending_seen.contains(&(f.to_string(), n.to_string())) {
                problems.push(format!(
                    "{f} no longer names `{n}`: remove its entry from PENDING in tests/docs_links.rs"
                ));
            }
        }
        assert!(
            problems.is_empty(),
            "{} broken reference(s):\n{}",
            problems.len(),
            problems.join("\n")
        );
    }
}

/// `*.md` names in a text (URLs left out).
fn md_names(text: &str) -> Vec<String> {
    let urls = Regex::new(r"[a-z]+://\S+").unwrap();
    let name = Regex::new(r"[A-Za-z0-9_./-]*[A-Za-z0-9_-]\.md\b").unwrap();
    let text = urls.replace_all(text, "");
    name.find_iter(&text)
        .map(|m| m.as_str().to_string())
        .collect()
}

#[test]
fn every_link_and_named_document_exists() {
    let mut c = Checker::new();
    let link = Regex::new(r#"\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)"#).unwrap();
    let code = Regex::new(r"`([^`]+)`").unwrap();
    let repo_path = Regex::new(REPO_DIRS).unwrap();
    for doc in documents(&c.root.clone(), &c.files.clone()) {
        let text = prose(&std::fs::read_to_string(c.root.join(&doc)).unwrap());
        // Links, over the whole text (a link's words may wrap onto the next line), with code
        // spans (which may hold brackets) blanked first.
        let plain = code.replace_all(&text, "``");
        for m in link.captures_iter(&plain) {
            let target = m.get(1).unwrap();
            let n = plain[..target.start()].matches('\n').count() + 1;
            let target = target.as_str();
            if !target.contains("://") && !target.starts_with("mailto:") {
                c.link(&doc, n, target);
            }
        }
        for (i, line) in text.lines().enumerate() {
            let n = i + 1;
            for name in md_names(&code.replace_all(line, "``")) {
                c.named(&doc, n, &name);
            }
            // Repository paths quoted as code, and documents named there.
            for span in code.captures_iter(line) {
                for word in span[1].split_whitespace() {
                    if repo_path.is_match(word) {
                        let found = candidates(&doc, word).iter().any(|p| c.exists(p));
                        if !found {
                            c.problems.push(format!(
                                "{}:{n}: quotes `{word}`, which is not in the repository",
                                doc.display()
                            ));
                        }
                    }
                }
                for name in md_names(&span[1]) {
                    c.named(&doc, n, &name);
                }
            }
        }
    }
    let cited = Regex::new(r"([A-Za-z0-9_./-]+\.md)#([A-Za-z0-9_-]+)").unwrap();
    for file in rust_files(&c.files.clone()) {
        let text = std::fs::read_to_string(c.root.join(&file)).unwrap();
        for (n, comment) in comments(&text) {
            for name in md_names(&comment) {
                c.named(&file, n, &name);
            }
            for m in cited.captures_iter(&comment) {
                let target = normalise(Path::new(&m[1]));
                let (anchor, whole) = (m[2].to_string(), m[0].to_string());
                c.anchor(&file, n, &target, &anchor, &whole);
            }
        }
    }
    c.report();
}

/// The Layers table of docs/ARCHITECTURE.md: each module's layer.
fn layers(architecture: &str) -> BTreeMap<String, usize> {
    let section = architecture
        .split("\n## ")
        .find(|s| s.starts_with("Layers\n"))
        .expect("docs/ARCHITECTURE.md has a `## Layers` section");
    let row = Regex::new(r"^\|\s*(\d+)\s*\|(.*)\|\s*$").unwrap();
    let name = Regex::new(r"`([a-z_]+)`").unwrap();
    let mut out = BTreeMap::new();
    for line in section.lines() {
        if let Some(r) = row.captures(line) {
            let layer: usize = r[1].parse().unwrap();
            for m in name.captures_iter(&r[2]) {
                let previous = out.insert(m[1].to_string(), layer);
                assert!(previous.is_none(), "`{}` is in two layers", &m[1]);
            }
        }
    }
    out
}

/// The top-level modules of src/ and, for each, the other modules its code (not its comments)
/// names as `crate::<module>`.
fn imports(root: &Path) -> BTreeMap<String, BTreeMap<String, String>> {
    let path = Regex::new(r"\bcrate::([a-z_]+)").unwrap();
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(root.join("src")).unwrap().flatten() {
        let p = entry.path();
        let module = p.file_stem().unwrap().to_string_lossy().into_owned();
        if module == "lib" || module == "main" {
            continue;
        }
        let files: Vec<PathBuf> = if p.is_dir() {
            repo_files(&p).into_iter().map(|f| p.join(f)).collect()
        } else {
            vec![p.clone()]
        };
        let mut uses: BTreeMap<String, String> = BTreeMap::new();
        for f in files
            .iter()
            .filter(|f| f.extension().is_some_and(|e| e == "rs"))
        {
            let text = std::fs::read_to_string(f).unwrap();
            for (i, line) in text.lines().enumerate() {
                let code = line.split("//").next().unwrap_or("");
                for m in path.captures_iter(code) {
                    if m[1] != module {
                        let at = format!("{}:{}", f.strip_prefix(root).unwrap().display(), i + 1);
                        uses.entry(m[1].to_string()).or_insert(at);
                    }
                }
            }
        }
        out.insert(module, uses);
    }
    out
}

#[test]
fn modules_import_only_lower_layers_as_the_architecture_draws_them() {
    let root = root();
    let architecture = std::fs::read_to_string(root.join("docs/ARCHITECTURE.md")).unwrap();
    let layer = layers(&architecture);
    let headings = anchors(&architecture);
    let modules = imports(&root);
    let mut problems = Vec::new();
    for m in layer.keys().filter(|m| !modules.contains_key(*m)) {
        problems.push(format!(
            "the Layers table lists `{m}`, which is no module of src/"
        ));
    }
    for (m, uses) in &modules {
        if !headings.contains(m) {
            problems.push(format!("the code map has no `### {m}` heading"));
        }
        let Some(&own) = layer.get(m) else {
            problems.push(format!("module `{m}` has no row in the Layers table"));
            continue;
        };
        for (used, at) in uses {
            match layer.get(used) {
                Some(&l) if l < own => {}
                Some(&l) => problems.push(format!(
                    "{at}: `{m}` (layer {own}) uses `crate::{used}` (layer {l}): a module may use only lower layers"
                )),
                None => {} // reported as a module without a row
            }
        }
    }
    assert!(
        problems.is_empty(),
        "docs/ARCHITECTURE.md, Layers, and the code disagree:\n{}",
        problems.join("\n")
    );
}
