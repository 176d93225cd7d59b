//! The documentation names only files that exist: every repository path in README.md and
//! docs/*.md (`api/src/…`, `tests/tests/…`, `migration/src/…`, the indented entries of the map of
//! the crates, and the links between pages) must be found in the repository.

use std::path::{Path, PathBuf};

/// The top-level folders a path in the documentation starts from.
const ROOTS: &[&str] = &[
    "api/",
    "entity/",
    "migration/",
    "mobile-contract/",
    "jobs/",
    "tests/",
    "vendor/",
    "docs/",
    ".ci/",
];

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate sits in the repository")
        .to_path_buf()
}

/// The Markdown files people read: README.md and every page of docs/.
fn documents() -> Vec<PathBuf> {
    let root = repository();
    let mut files = vec![root.join("README.md")];
    let mut pages: Vec<PathBuf> = std::fs::read_dir(root.join("docs"))
        .expect("docs/ exists")
        .map(|entry| entry.expect("docs/ is readable").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "md"))
        .collect();
    pages.sort();
    files.extend(pages);
    files
}

fn is_path_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/')
}

/// `a/{b,c}.rs` as `a/b.rs` and `a/c.rs`.
fn expand(path: &str) -> Vec<String> {
    match (path.find('{'), path.find('}')) {
        (Some(open), Some(close)) if open < close => path[open + 1..close]
            .split(',')
            .flat_map(|choice| {
                expand(&format!(
                    "{}{}{}",
                    &path[..open],
                    choice.trim(),
                    &path[close + 1..]
                ))
            })
            .collect(),
        _ => vec![path.to_owned()],
    }
}

/// The repository paths a line of text names: a run of path characters (and `{a,b}` groups)
/// starting at one of [`ROOTS`], not inside a longer word or URL path.
fn paths_in(line: &str) -> Vec<String> {
    let mut found = Vec::new();
    let chars: Vec<(usize, char)> = line.char_indices().collect();
    for (i, &(start, _)) in chars.iter().enumerate() {
        let before = i.checked_sub(1).map(|j| chars[j].1);
        if before.is_some_and(|c| is_path_char(c) || c == ':') {
            continue;
        }
        let rest = &line[start..];
        if !ROOTS.iter().any(|root| rest.starts_with(root)) {
            continue;
        }
        let mut end = rest.len();
        let mut in_braces = false;
        for (offset, c) in rest.char_indices() {
            match c {
                '{' => in_braces = true,
                '}' => in_braces = false,
                ',' | ' ' if in_braces => {}
                c if is_path_char(c) => {}
                _ => {
                    end = offset;
                    break;
                }
            }
        }
        let path = rest[..end].trim_end_matches(['.', ',']);
        found.extend(expand(path));
    }
    found
}

/// The paths of the indented entries of a map of folders in a code block: under a top-level
/// `api/`, a line `  src/lib.rs   …` names `api/src/lib.rs`.
fn map_entries(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut in_block = false;
    let mut parent: Option<String> = None;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_block = !in_block;
            parent = None;
            continue;
        }
        if !in_block {
            continue;
        }
        let first = line.split_whitespace().next().unwrap_or("");
        if !line.starts_with(' ') {
            parent = ROOTS
                .iter()
                .find(|root| first == **root)
                .map(|root| (*root).to_owned());
        } else if let Some(parent) = &parent
            && first.contains('/')
            && first
                .chars()
                .all(|c| is_path_char(c) || c == '{' || c == '}' || c == ',')
        {
            found.extend(expand(&format!("{parent}{first}")));
        }
    }
    found
}

/// The targets of the Markdown links of a page that point into the repository, relative to it.
fn links(text: &str, page: &Path) -> Vec<String> {
    let folder = page.parent().expect("a page is in a folder");
    let root = repository();
    text.match_indices("](")
        .filter_map(|(at, _)| {
            let target = &text[at + 2..];
            let target = &target[..target.find(')')?];
            let target = target.split('#').next()?;
            if target.is_empty() || target.contains("://") || target.starts_with('<') {
                return None;
            }
            let full = folder.join(target);
            let relative = full.strip_prefix(&root).ok()?;
            Some(relative.to_string_lossy().into_owned())
        })
        .collect()
}

/// `a/b/../c` as `a/c`.
fn normalise(path: &str) -> PathBuf {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            ".." => {
                parts.pop();
            }
            "." | "" => {}
            part => parts.push(part),
        }
    }
    parts.iter().collect()
}

#[test]
fn every_path_the_documentation_names_exists() {
    let root = repository();
    let mut missing = Vec::new();
    let mut checked = 0;
    for page in documents() {
        let text = std::fs::read_to_string(&page).expect("a page is readable");
        let mut named: Vec<String> = text.lines().flat_map(paths_in).collect();
        named.extend(map_entries(&text));
        named.extend(links(&text, &page));
        for path in named {
            checked += 1;
            if !root.join(normalise(&path)).exists() {
                missing.push(format!(
                    "{}: {path}",
                    page.strip_prefix(&root).unwrap_or(&page).display()
                ));
            }
        }
    }
    assert!(checked > 50, "only {checked} paths were found to check");
    assert!(
        missing.is_empty(),
        "the documentation names paths that do not exist:\n{}",
        missing.join("\n")
    );
}

#[test]
fn paths_are_read_out_of_prose_code_maps_and_links() {
    assert_eq!(
        paths_in("see `api/src/db.rs`, and api/src/attendance/store/{postgres,sqlite}.rs."),
        vec![
            "api/src/db.rs",
            "api/src/attendance/store/postgres.rs",
            "api/src/attendance/store/sqlite.rs"
        ]
    );
    assert!(paths_in("GET /api/v1/openapi.json at http://host/docs/x").is_empty());
    assert_eq!(
        map_entries("```\napi/      server\n  src/lib.rs   the app\nentity/  x\n```\n"),
        vec!["api/src/lib.rs"]
    );
    let page = repository().join("docs/x.md");
    assert_eq!(
        links(
            "[a](domain.md#2) [b](../README.md) [c](https://x.org)",
            &page
        ),
        vec!["docs/domain.md", "docs/../README.md"]
    );
    assert_eq!(normalise("docs/../README.md"), PathBuf::from("README.md"));
}
