//! Reporting: medians over the pairs, Herald/Redis ratios, and the three outputs (a table on
//! stdout, JSON, markdown). Every report carries the machine, git revision, date and the exact
//! commands, because numbers from a shared, noisy machine mean nothing without them.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use crate::servers::{HeraldLaunch, Server};
use crate::workloads::{Outcome, Sample};
use crate::{Row, RunArgs};

/// Where and how a run was taken.
pub struct Meta {
    pub date: String,
    pub git_rev: String,
    pub nproc: usize,
    pub cpu_model: String,
    pub redis_version: String,
    pub harness_command: String,
    pub server_commands: Vec<(String, String)>,
    pub herald_launch: String,
    pub pairs: usize,
}

fn cmd_output(prog: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(prog).args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

impl Meta {
    pub fn collect(a: &RunArgs, servers: &[Server], launch: &HeraldLaunch) -> Meta {
        let mut git_rev =
            cmd_output("git", &["rev-parse", "HEAD"]).unwrap_or_else(|| "unknown".into());
        if cmd_output("git", &["status", "--porcelain", "--untracked-files=no"])
            .is_some_and(|s| !s.is_empty())
        {
            git_rev.push_str("-dirty");
        }
        let cpu_model = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|t| {
                t.lines()
                    .find_map(|l| l.strip_prefix("model name"))
                    .map(|v| v.trim_start_matches([' ', '\t', ':']).trim().to_string())
            })
            .unwrap_or_else(|| "unknown".into());
        Meta {
            date: cmd_output("date", &["-u", "+%Y-%m-%dT%H:%M:%SZ"]).unwrap_or_default(),
            git_rev,
            nproc: std::thread::available_parallelism().map_or(0, |n| n.get()),
            cpu_model,
            redis_version: cmd_output(&a.redis_server, &["--version"]).unwrap_or_default(),
            harness_command: std::env::args().collect::<Vec<_>>().join(" "),
            server_commands: servers
                .iter()
                .map(|s| (s.name.to_string(), s.command.join(" ")))
                .collect(),
            herald_launch: match launch {
                HeraldLaunch::Binary(_) => "binary".into(),
                HeraldLaunch::Embedded(_) => "embedded".into(),
            },
            pairs: a.pairs.max(1),
        }
    }
}

/// One-line description of an outcome, for progress output.
pub fn brief(o: &Outcome) -> String {
    match o {
        Outcome::Ok(s) if !s.extra.is_empty() => s
            .extra
            .iter()
            .map(|(k, v)| format!("{k}={v:.1}"))
            .collect::<Vec<_>>()
            .join(" "),
        Outcome::Ok(s) => format!(
            "{:.0} ops/s p99 {} cpu {}",
            s.ops_per_sec(),
            fmt_opt(s.p99_us, "us"),
            fmt_opt(s.cpu_per_mop(), "s/Mop")
        ),
        Outcome::Unsupported(e) => format!("unsupported ({e})"),
        Outcome::Failed(e) => format!("failed ({e})"),
    }
}

fn fmt_opt(v: Option<f64>, unit: &str) -> String {
    v.map_or("-".into(), |v| format!("{v:.1} {unit}"))
}

/// A server's summary of a row: medians over its successful runs, or why there are none.
#[derive(Debug, Clone)]
pub enum Summary {
    Values(Vec<(String, f64)>),
    Unsupported(String),
    Failed(String),
    Missing,
}

impl Summary {
    pub fn get(&self, k: &str) -> Option<f64> {
        match self {
            Summary::Values(v) => v.iter().find(|(n, _)| n == k).map(|(_, x)| *x),
            _ => None,
        }
    }
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    v.retain(|x| x.is_finite());
    if v.is_empty() {
        return None;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let m = v.len() / 2;
    Some(if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2.0
    })
}

/// The metrics of one sample, by name.
fn metrics(s: &Sample) -> Vec<(String, f64)> {
    let mut m = Vec::new();
    if s.secs > 0.0 {
        m.push(("ops_per_sec".to_string(), s.ops_per_sec()));
    }
    for (k, v) in [
        ("p50_us", s.p50_us),
        ("p99_us", s.p99_us),
        ("p999_us", s.p999_us),
        ("cpu_s_per_mop", s.cpu_per_mop()),
    ] {
        if let Some(v) = v {
            if s.secs > 0.0 {
                m.push((k.to_string(), v));
            }
        }
    }
    m.extend(s.extra.iter().cloned());
    m
}

pub fn summarize(row: &Row, server: &str) -> Summary {
    let runs: Vec<&Outcome> = row
        .runs
        .iter()
        .filter(|(s, _, _)| *s == server)
        .map(|(_, _, o)| o)
        .collect();
    if runs.is_empty() {
        return Summary::Missing;
    }
    let ok: Vec<&Sample> = runs
        .iter()
        .filter_map(|o| match o {
            Outcome::Ok(s) => Some(s),
            _ => None,
        })
        .collect();
    if ok.is_empty() {
        return match runs[0] {
            Outcome::Unsupported(e) => Summary::Unsupported(e.clone()),
            Outcome::Failed(e) => Summary::Failed(e.clone()),
            Outcome::Ok(_) => Summary::Missing,
        };
    }
    let mut names: Vec<String> = Vec::new();
    for s in &ok {
        for (k, _) in metrics(s) {
            if !names.contains(&k) {
                names.push(k);
            }
        }
    }
    let vals = names
        .into_iter()
        .filter_map(|k| {
            let xs: Vec<f64> = ok
                .iter()
                .filter_map(|s| {
                    metrics(s)
                        .into_iter()
                        .find(|(n, _)| *n == k)
                        .map(|(_, v)| v)
                })
                .collect();
            median(xs).map(|m| (k, m))
        })
        .collect();
    Summary::Values(vals)
}

fn ratio(h: Option<f64>, r: Option<f64>) -> Option<f64> {
    match (h, r) {
        (Some(h), Some(r)) if r != 0.0 => Some(h / r),
        _ => None,
    }
}

fn cell(s: &Summary, k: &str, digits: usize) -> String {
    match s {
        Summary::Values(_) => s.get(k).map_or("-".into(), |v| format!("{v:.digits$}")),
        Summary::Unsupported(_) => "unsupported".into(),
        Summary::Failed(_) => "failed".into(),
        Summary::Missing => "-".into(),
    }
}

fn ratio_cell(h: &Summary, r: &Summary, k: &str) -> String {
    ratio(h.get(k), r.get(k)).map_or("-".into(), |x| format!("{x:.2}"))
}

/// Column sets: (metric key, header, decimals).
const THROUGHPUT_COLS: &[(&str, &str, usize)] = &[
    ("ops_per_sec", "ops/s", 0),
    ("p99_us", "p99 µs", 0),
    ("cpu_s_per_mop", "CPU s/M ops", 2),
];
const MEMORY_COLS: &[(&str, &str, usize)] = &[
    ("rss_bytes_per_item", "RSS B/item", 1),
    ("used_memory_per_item", "used_memory B/item", 1),
];

fn table(rows: &[Row], cols: &[(&str, &str, usize)]) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut head = vec!["workload".to_string()];
    for (_, h, _) in cols {
        head.push(format!("Herald {h}"));
        head.push(format!("Redis {h}"));
        head.push("H/R".to_string());
    }
    out.push(head);
    for row in rows {
        let h = summarize(row, "herald");
        let r = summarize(row, "redis");
        let mut line = vec![format!("{}: {}", row.section, row.name)];
        for (k, _, d) in cols {
            line.push(cell(&h, k, *d));
            line.push(cell(&r, k, *d));
            line.push(ratio_cell(&h, &r, k));
        }
        out.push(line);
    }
    out
}

fn markdown(t: &[Vec<String>]) -> String {
    let mut s = String::new();
    for (i, line) in t.iter().enumerate() {
        let _ = writeln!(s, "| {} |", line.join(" | "));
        if i == 0 {
            let seps: Vec<&str> = line
                .iter()
                .enumerate()
                .map(|(j, _)| if j == 0 { "---" } else { "---:" })
                .collect();
            let _ = writeln!(s, "| {} |", seps.join(" | "));
        }
    }
    s
}

fn plain(t: &[Vec<String>]) -> String {
    let ncol = t.iter().map(|l| l.len()).max().unwrap_or(0);
    let widths: Vec<usize> = (0..ncol)
        .map(|j| {
            t.iter()
                .filter_map(|l| l.get(j))
                .map(|c| c.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut s = String::new();
    for line in t {
        for (j, c) in line.iter().enumerate() {
            let w = widths.get(j).copied().unwrap_or(0);
            if j == 0 {
                let _ = write!(s, "{c:<w$}");
            } else {
                let _ = write!(s, "  {c:>w$}");
            }
        }
        s.push('\n');
    }
    s
}

fn meta_markdown(m: &Meta, rows: &[Row], mem_rows: &[Row]) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "- date: {}", m.date);
    let _ = writeln!(s, "- git revision: `{}`", m.git_rev);
    let _ = writeln!(s, "- machine: {} CPUs, {}", m.nproc, m.cpu_model);
    let _ = writeln!(s, "- redis: {}", m.redis_version);
    let _ = writeln!(
        s,
        "- harness: `{}` (Herald launched: {}; {} pair(s) per row, medians)",
        m.harness_command, m.herald_launch, m.pairs
    );
    for (name, cmd) in &m.server_commands {
        let _ = writeln!(s, "- {name}: `{cmd}`");
    }
    let _ = writeln!(s, "\n<details><summary>exact workload commands</summary>\n");
    for row in rows.iter().chain(mem_rows) {
        for c in &row.commands {
            let _ = writeln!(s, "- {}: {}: `{}`", row.section, row.name, c);
        }
    }
    let _ = writeln!(s, "\n</details>");
    s
}

fn unsupported_notes(rows: &[Row]) -> String {
    let mut s = String::new();
    for row in rows {
        for server in ["herald", "redis"] {
            match summarize(row, server) {
                Summary::Unsupported(e) => {
                    let _ = writeln!(
                        s,
                        "- {server} {}: {}: unsupported: `{}`",
                        row.section, row.name, e
                    );
                }
                Summary::Failed(e) => {
                    let _ = writeln!(
                        s,
                        "- {server} {}: {}: failed: `{}`",
                        row.section, row.name, e
                    );
                }
                _ => {}
            }
        }
    }
    s
}

/// The markdown block (meta, throughput table, memory table, notes).
pub fn markdown_block(m: &Meta, rows: &[Row], mem_rows: &[Row]) -> String {
    let mut s = String::new();
    s.push_str(&meta_markdown(m, rows, mem_rows));
    if !rows.is_empty() {
        s.push_str("\nThroughput = requests/s (redis-benchmark) or delivered messages/s (own workloads); p99 = request latency (redis-benchmark) or message age at consumption; CPU = server utime+stime per million operations. H/R = Herald/Redis.\n\n");
        s.push_str(&markdown(&table(rows, THROUGHPUT_COLS)));
    }
    if !mem_rows.is_empty() {
        s.push_str(
            "\nMemory per item (growth while loading the dataset, divided by the item count).\n\n",
        );
        s.push_str(&markdown(&table(mem_rows, MEMORY_COLS)));
    }
    let notes = unsupported_notes(
        &rows
            .iter()
            .chain(mem_rows)
            .map(|r| Row {
                section: r.section,
                name: r.name.clone(),
                commands: Vec::new(),
                runs: r.runs.clone(),
            })
            .collect::<Vec<_>>(),
    );
    if !notes.is_empty() {
        s.push_str("\nNot measured:\n\n");
        s.push_str(&notes);
    }
    s
}

// ---------------------------------------------------------------------------------------------
// JSON (written by hand: a few flat shapes do not justify a serde dependency)

fn js(s: &str) -> String {
    let mut o = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            '\r' => o.push_str("\\r"),
            '\t' => o.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(o, "\\u{:04x}", c as u32);
            }
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

fn jn(v: f64) -> String {
    if v.is_finite() {
        format!("{v}")
    } else {
        "null".into()
    }
}

fn json_summary(s: &Summary) -> String {
    match s {
        Summary::Values(v) => format!(
            "{{\"status\":\"ok\",{}}}",
            v.iter()
                .map(|(k, x)| format!("{}:{}", js(k), jn(*x)))
                .collect::<Vec<_>>()
                .join(",")
        ),
        Summary::Unsupported(e) => format!("{{\"status\":\"unsupported\",\"error\":{}}}", js(e)),
        Summary::Failed(e) => format!("{{\"status\":\"failed\",\"error\":{}}}", js(e)),
        Summary::Missing => "null".into(),
    }
}

fn json_outcome(o: &Outcome) -> String {
    match o {
        Outcome::Ok(s) => {
            let mut f = vec![
                "\"status\":\"ok\"".to_string(),
                format!("\"ops\":{}", s.ops),
                format!("\"secs\":{}", jn(s.secs)),
                format!("\"cpu_s\":{}", jn(s.cpu_s)),
            ];
            f.extend(
                metrics(s)
                    .iter()
                    .map(|(k, v)| format!("{}:{}", js(k), jn(*v))),
            );
            format!("{{{}}}", f.join(","))
        }
        Outcome::Unsupported(e) => format!("{{\"status\":\"unsupported\",\"error\":{}}}", js(e)),
        Outcome::Failed(e) => format!("{{\"status\":\"failed\",\"error\":{}}}", js(e)),
    }
}

pub fn json(m: &Meta, rows: &[Row], mem_rows: &[Row]) -> String {
    let mut s = String::from("{\n");
    let _ = writeln!(
        s,
        "\"meta\":{{\"date\":{},\"git_rev\":{},\"nproc\":{},\"cpu_model\":{},\"redis_version\":{},\"harness_command\":{},\"herald_launch\":{},\"pairs\":{},\"servers\":{{{}}}}},",
        js(&m.date),
        js(&m.git_rev),
        m.nproc,
        js(&m.cpu_model),
        js(&m.redis_version),
        js(&m.harness_command),
        js(&m.herald_launch),
        m.pairs,
        m.server_commands.iter().map(|(n, c)| format!("{}:{}", js(n), js(c))).collect::<Vec<_>>().join(",")
    );
    s.push_str("\"rows\":[\n");
    let all: Vec<&Row> = rows.iter().chain(mem_rows).collect();
    for (i, row) in all.iter().enumerate() {
        let h = summarize(row, "herald");
        let r = summarize(row, "redis");
        let ratios: Vec<String> = [
            "ops_per_sec",
            "p99_us",
            "cpu_s_per_mop",
            "rss_bytes_per_item",
            "used_memory_per_item",
        ]
        .iter()
        .filter_map(|k| ratio(h.get(k), r.get(k)).map(|x| format!("{}:{}", js(k), jn(x))))
        .collect();
        let _ = write!(
            s,
            "{{\"section\":{},\"name\":{},\"commands\":[{}],\"runs\":[{}],\"herald\":{},\"redis\":{},\"ratio_herald_over_redis\":{{{}}}}}",
            js(row.section),
            js(&row.name),
            row.commands.iter().map(|c| js(c)).collect::<Vec<_>>().join(","),
            row.runs
                .iter()
                .map(|(srv, pair, o)| format!("{{\"server\":{},\"pair\":{},\"result\":{}}}", js(srv), pair, json_outcome(o)))
                .collect::<Vec<_>>()
                .join(","),
            json_summary(&h),
            json_summary(&r),
            ratios.join(",")
        );
        s.push_str(if i + 1 < all.len() { ",\n" } else { "\n" });
    }
    s.push_str("]\n}\n");
    s
}

/// Prints the tables and writes `results.json`, `results.md` (and a dated copy of each) to the
/// output directory; splices the markdown into `--update-doc` if given.
pub fn write_all(a: &RunArgs, m: &Meta, rows: &[Row], mem_rows: &[Row]) -> Result<(), String> {
    if !rows.is_empty() {
        println!("{}", plain(&table(rows, THROUGHPUT_COLS)));
    }
    if !mem_rows.is_empty() {
        println!("{}", plain(&table(mem_rows, MEMORY_COLS)));
    }
    let md = markdown_block(m, rows, mem_rows);
    let js = json(m, rows, mem_rows);
    let stamp: String = m
        .date
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    let write = |name: &str, text: &str| -> Result<(), String> {
        let p = a.out_dir.join(name);
        std::fs::write(&p, text).map_err(|e| format!("{}: {e}", p.display()))?;
        eprintln!("wrote {}", p.display());
        Ok(())
    };
    write("results.json", &js)?;
    write("results.md", &md)?;
    write(&format!("results-{stamp}.json"), &js)?;
    if let Some(doc) = &a.update_doc {
        splice(doc, &a.doc_marker, &md)?;
        eprintln!("updated {}", doc.display());
    }
    Ok(())
}

/// Replaces the text between the `<!-- marker:begin -->` / `<!-- marker:end -->` lines of `doc`
/// with `block`.
fn splice(doc: &Path, marker: &str, block: &str) -> Result<(), String> {
    let (begin, end) = (
        format!("<!-- {marker}:begin -->"),
        format!("<!-- {marker}:end -->"),
    );
    let text = std::fs::read_to_string(doc).map_err(|e| format!("{}: {e}", doc.display()))?;
    let (Some(b), Some(e)) = (text.find(&begin), text.find(&end)) else {
        return Err(format!(
            "{} has no {begin} ... {end} markers",
            doc.display()
        ));
    };
    if e < b {
        return Err(format!("{}: markers out of order", doc.display()));
    }
    let new = format!("{}{begin}\n{block}{}", &text[..b], &text[e..]);
    std::fs::write(doc, new).map_err(|e| format!("{}: {e}", doc.display()))
}
