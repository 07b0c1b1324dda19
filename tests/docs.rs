//! The documentation cannot drift from the code: every example of
//! docs/formats.md is what `replay` writes for its input today, every
//! environment variable the code reads is in docs/configuration.md (and
//! every one named there is read), and every relative link of README.md
//! and docs/ resolves, anchors included. `DOCS_UPDATE=1 cargo test --test
//! docs` rewrites the examples' documents from what `replay` writes.

mod support;

use std::path::{Path, PathBuf};

use serde_json::Value;

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn markdown_files() -> Vec<PathBuf> {
    let root = support::root();
    let mut files = vec![root.join("README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root.join("docs"))
        .expect("docs/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    files.extend(docs);
    files
}

/// One example: how its input is replayed, the input, and where the
/// expected index and document stand in the page's lines.
struct Example {
    kind: String,
    name: String,
    input: String,
    index_line: usize,
    json: std::ops::Range<usize>,
}

/// The fenced block starting after line `from`: its lines' range.
fn block_after(lines: &[&str], from: usize) -> std::ops::Range<usize> {
    let open = (from..lines.len())
        .find(|&i| lines[i].starts_with("```"))
        .unwrap_or_else(|| panic!("no block after line {}", from + 1));
    let close = (open + 1..lines.len())
        .find(|&i| lines[i].starts_with("```"))
        .unwrap_or_else(|| panic!("unclosed block at line {}", open + 1));
    open + 1..close
}

fn examples(lines: &[&str]) -> Vec<Example> {
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(rest) = line
            .strip_prefix("<!-- example ")
            .and_then(|r| r.strip_suffix(" -->"))
        else {
            continue;
        };
        let (kind, name) = rest.split_once(' ').expect("<!-- example KIND NAME -->");
        let input = block_after(lines, i + 1);
        let index_line = input.end + 1;
        assert!(
            lines[index_line].starts_with("<!-- index"),
            "line {}: the input's block is followed by <!-- index ... -->",
            index_line + 1
        );
        out.push(Example {
            kind: kind.to_owned(),
            name: name.to_owned(),
            input: lines[input].join("\n") + "\n",
            index_line,
            json: block_after(lines, index_line + 1),
        });
    }
    out
}

/// What `replay` writes for an example: the index and the document.
fn replayed(example: &Example) -> (String, Value) {
    let dir = support::temp_dir("docs");
    let run = match example.kind.as_str() {
        "object" => {
            let path = dir.join(&example.name);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("dirs");
            std::fs::write(&path, &example.input).expect("input");
            support::replay_in(Some(&dir), &["--out", "-", &example.name], &[])
        }
        "cloudwatch" => {
            let lines: Vec<&str> = example.input.lines().collect();
            let event = support::cloudwatch_event(&dir, &example.name, &lines);
            support::replay(&["--out", "-", &support::path_str(&event)], &[])
        }
        other => panic!("unknown example kind {other}"),
    };
    assert!(
        run.success,
        "{}: {}\n{}",
        example.name, run.summary, run.stderr
    );
    let mut items = run
        .stdout
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice::<Value>(l).expect("NDJSON"));
    let action = items.next().expect("an action line");
    let document = items.next().expect("a document");
    assert!(items.next().is_none(), "{}: one document", example.name);
    let index = action["create"]["_index"]
        .as_str()
        .expect("_index")
        .to_owned();
    let _ = std::fs::remove_dir_all(&dir);
    (index, document)
}

#[test]
fn format_examples_are_what_replay_writes() {
    let path = support::root().join("docs/formats.md");
    let text = read(&path);
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let borrowed: Vec<&str> = lines.iter().map(String::as_str).collect();
    let examples = examples(&borrowed);
    assert!(examples.len() >= 7, "an example per format");
    let update = std::env::var_os("DOCS_UPDATE").is_some();
    // From the last, so that rewriting a block moves no later one.
    for example in examples.iter().rev() {
        let (index, document) = replayed(example);
        let written = format!("<!-- index {index} -->");
        let pretty = serde_json::to_string_pretty(&document).expect("JSON");
        if update {
            lines[example.index_line] = written;
            lines.splice(example.json.clone(), pretty.lines().map(str::to_owned));
            continue;
        }
        assert_eq!(lines[example.index_line], written, "{}", example.name);
        let shown: Value = serde_json::from_str(&lines[example.json.clone()].join("\n"))
            .unwrap_or_else(|e| panic!("{}: the document shown is not JSON: {e}", example.name));
        assert_eq!(
            shown, document,
            "{}: docs/formats.md shows another document than replay writes today:\n{pretty}",
            example.name
        );
    }
    if update {
        std::fs::write(&path, lines.join("\n") + "\n").expect("rewrite");
    }
}

/// Names of the environment variables the code reads: the first argument
/// of `var(`, `var_os(`, `number(&var,` and `boolean(var,` calls.
fn variables_read() -> std::collections::BTreeSet<String> {
    let mut names = std::collections::BTreeSet::new();
    let mut stack = vec![support::root().join("src")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("src") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let code: String = read(&path).split_whitespace().collect();
            for call in ["var(\"", "var_os(\"", "(&var,\"", "(var,\""] {
                for (at, _) in code.match_indices(call) {
                    let name: String = code[at + call.len()..]
                        .chars()
                        .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
                        .collect();
                    if name.len() > 2 && code[at + call.len() + name.len()..].starts_with('"') {
                        names.insert(name);
                    }
                }
            }
        }
    }
    names
}

#[test]
fn every_variable_read_is_documented_and_every_documented_one_read() {
    let page = read(&support::root().join("docs/configuration.md"));
    let read_by_code = variables_read();
    for required in [
        "ES_ENDPOINT",
        "DLQ_URI",
        "S3_BUCKETS",
        "ES_SECRET_ARN",
        "BULK_MAX_BYTES",
    ] {
        assert!(
            read_by_code.contains(required),
            "the scan misses {required}"
        );
    }
    // The first column of every table whose header is `variable`.
    let mut documented = std::collections::BTreeSet::new();
    let mut in_table = false;
    for line in page.lines() {
        if line.starts_with("| variable |") {
            in_table = true;
            continue;
        }
        if !line.starts_with('|') {
            in_table = false;
            continue;
        }
        if !in_table || line.starts_with("|---") {
            continue;
        }
        let first = line.split('|').nth(1).unwrap_or_default();
        for name in first.split('`').skip(1).step_by(2) {
            documented.insert(name.to_owned());
        }
    }
    let undocumented: Vec<_> = read_by_code.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "read but not in docs/configuration.md: {undocumented:?}"
    );
    let unread: Vec<_> = documented.difference(&read_by_code).collect();
    assert!(
        unread.is_empty(),
        "in docs/configuration.md but read nowhere: {unread:?}"
    );
}

/// GitHub's anchor of a heading: lowercase, punctuation but `-` and `_`
/// dropped, spaces as `-`.
fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

fn anchors(text: &str) -> Vec<String> {
    let mut in_code = false;
    let mut out = Vec::new();
    for line in text.lines() {
        if line.starts_with("```") {
            in_code = !in_code;
        }
        if !in_code && line.starts_with('#') {
            out.push(anchor(line.trim_start_matches('#')));
        }
    }
    out
}

#[test]
fn every_relative_link_resolves() {
    let mut checked = 0;
    for file in markdown_files() {
        let text = read(&file);
        let mut rest = text.as_str();
        while let Some(at) = rest.find("](") {
            rest = &rest[at + 2..];
            let end = rest.find(')').unwrap_or(rest.len());
            let target = &rest[..end];
            if target.contains("://") || target.starts_with("mailto:") || target.contains(' ') {
                continue;
            }
            let (path, fragment) = target.split_once('#').unwrap_or((target, ""));
            let linked = if path.is_empty() {
                file.clone()
            } else {
                file.parent().expect("dir").join(path)
            };
            assert!(
                linked.exists(),
                "{}: the link to {target} leads nowhere",
                file.display()
            );
            if !fragment.is_empty() && linked.extension().is_some_and(|e| e == "md") {
                assert!(
                    anchors(&read(&linked)).iter().any(|a| a == fragment),
                    "{}: {target}: no such heading in {}",
                    file.display(),
                    linked.display()
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 10, "only {checked} links: the scan is broken");
}

/// The README's table of common names is the templates' own.
#[test]
fn the_common_names_table_is_the_templates() {
    let readme = read(&support::root().join("README.md"));
    let header = "| common name | CloudTrail | VPC flow | S3 access | ELB | WAF | Network Firewall | DNS | CloudFront | findings | Config | EKS audit | API Gateway | RDS |";
    let families = [
        "cloudtrail",
        "vpc-flowlogs",
        "s3-access",
        "elb-access",
        "waf",
        "network-firewall",
        "dns",
        "cloudfront",
        "findings",
        "config",
        "eks-audit",
        "apigateway",
        "rds",
    ];
    let rows: Vec<&str> = readme
        .lines()
        .skip_while(|l| *l != header)
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .collect();
    let mut expected = 0;
    for (family, names) in logs_forwarder::templates::COMMON_NAMES {
        let column = 2 + families.iter().position(|f| f == family).expect("a column");
        for (alias, target) in names.iter() {
            let row = rows
                .iter()
                .find(|r| r.starts_with(&format!("| `{alias}` |")))
                .unwrap_or_else(|| panic!("README: no row for {alias}"));
            let cell = row.split('|').nth(column).unwrap_or_default().trim();
            assert_eq!(cell, format!("`{target}`"), "README: {alias} in {family}");
            expected += 1;
        }
    }
    let cells: usize = rows
        .iter()
        .map(|r| {
            r.split('|')
                .skip(2)
                .filter(|c| c.trim().starts_with('`'))
                .count()
        })
        .sum();
    assert_eq!(cells, expected, "no cell the templates do not have");
}

#[test]
fn every_page_says_what_it_is_for_and_the_readme_stays_short() {
    for file in markdown_files() {
        let text = read(&file);
        let mut lines = text.lines().filter(|l| !l.trim().is_empty());
        assert!(
            lines.next().is_some_and(|l| l.starts_with("# ")),
            "{}: a title first",
            file.display()
        );
        let opening = lines.next().unwrap_or_default();
        assert!(
            !opening.starts_with('#') && !opening.starts_with('|'),
            "{}: a line saying what the page is for, before anything else",
            file.display()
        );
    }
    let readme = read(&support::root().join("README.md"));
    assert!(
        readme.lines().count() <= 210,
        "README.md: {} lines",
        readme.lines().count()
    );
    let first_block: Vec<&str> = readme
        .lines()
        .skip_while(|l| !l.starts_with("```"))
        .skip(1)
        .take_while(|l| !l.starts_with("```"))
        .collect();
    assert!(
        first_block[0].starts_with("cargo run --release -- replay"),
        "{first_block:?}"
    );
    assert!(
        first_block[1].starts_with("scripts/test"),
        "{first_block:?}"
    );
    for page in [
        "formats",
        "configuration",
        "deploy",
        "operations",
        "delivery",
        "performance",
        "development",
    ] {
        assert!(
            support::root().join(format!("docs/{page}.md")).exists(),
            "docs/{page}.md"
        );
    }
}
