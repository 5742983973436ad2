//! Differential tests: every script in `tests/diff/*.redis` runs against Herald and a real
//! `redis-server` (7.0, started here on a free port), in RESP2 and again in RESP3, and every
//! reply must be byte-identical.
//!
//! Script format, one command per line in redis-cli's quoting (`"a b"`, `'x'`, `\xHH`):
//! - `# ...` and blank lines are ignored;
//! - `!cmd ...` runs the command on both servers without comparing replies (set-up, or replies
//!   that legitimately differ, like TIME);
//! - `@resp2` / `@resp3` lines restrict the rest of the script to that protocol version.
//!
//! Both servers get `FLUSHALL` (and `SELECT 0`) before each script and each protocol pass.
//! When redis-server is not installed the test prints a loud notice and passes, unless
//! `CI=true`, where a missing oracle fails the run.

mod common;

use std::path::{Path, PathBuf};

use common::oracle::{oracle_or_skip, parse_script};
use common::{RawClient, TestServer};

async fn run(c: &mut RawClient, args: &[Vec<u8>]) -> Vec<u8> {
    let a: Vec<&[u8]> = args.iter().map(|v| v.as_slice()).collect();
    c.send(&a).await;
    c.read_reply().await
}

async fn run_script(path: &Path, herald: &TestServer, redis_port: u16) -> Vec<String> {
    let text = std::fs::read_to_string(path).expect("read script");
    let lines = parse_script(&text);
    let name = path.file_name().unwrap().to_string_lossy().to_string();
    let mut failures = Vec::new();
    for proto in [2u8, 3u8] {
        let mut h = herald.client().await;
        let mut r = RawClient::connect(([127, 0, 0, 1], redis_port).into()).await;
        for c in [&mut h, &mut r] {
            c.cmd(&["FLUSHALL"]).await;
            c.cmd(&["SELECT", "0"]).await;
            if proto == 3 {
                c.cmd(&["HELLO", "3"]).await;
            }
        }
        for (only, line) in &lines {
            if only.is_some_and(|p| p != proto) {
                continue;
            }
            let hr = run(&mut h, &line.args).await;
            let rr = run(&mut r, &line.args).await;
            if line.compare && hr != rr {
                failures.push(format!(
                    "{name}:{} RESP{proto} `{}`\n   redis:  {:?}\n   herald: {:?}",
                    line.no,
                    line.args
                        .iter()
                        .map(|a| String::from_utf8_lossy(a))
                        .collect::<Vec<_>>()
                        .join(" "),
                    String::from_utf8_lossy(&rr),
                    String::from_utf8_lossy(&hr)
                ));
            }
        }
    }
    failures
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scripts_match_redis() {
    let Some(oracle) = oracle_or_skip() else {
        return;
    };
    let herald = TestServer::start().await;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/diff");
    let mut scripts: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/diff exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "redis"))
        .collect();
    scripts.sort();
    assert!(!scripts.is_empty(), "no differential scripts found");
    let filter = std::env::var("DIFF_FILTER").ok();
    let mut failures = Vec::new();
    let mut ran = 0;
    for s in &scripts {
        if filter
            .as_deref()
            .is_some_and(|f| !s.to_string_lossy().contains(f))
        {
            continue;
        }
        failures.extend(run_script(s, &herald, oracle.port).await);
        ran += 1;
    }
    eprintln!("differential: {ran} scripts, {} mismatches", failures.len());
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
    herald.stop().await;
}
