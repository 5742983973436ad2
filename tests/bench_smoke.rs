//! Smoke test of the performance harness: runs `herald-bench all` with every workload for a
//! fraction of a second against Herald (this build's `herald` binary, started by the harness on
//! a free loopback port) and a real redis-server, and checks that each row produced numbers (or, for
//! Herald, an `unsupported` verdict taken from an "unknown command" reply). It asserts no
//! timings: it only keeps the harness from rotting.

use std::process::Command;

use serde_json::Value;

fn run_harness(out_dir: &std::path::Path) -> Value {
    let status = Command::new(env!("CARGO_BIN_EXE_herald-bench"))
        .args([
            "all",
            "--pairs",
            "1",
            "--duration",
            "0.2",
            "--rb-requests",
            "500",
            "--rb-clients",
            "10",
            "--producers",
            "2",
            "--consumers",
            "2",
            "--fanout-subs",
            "3",
            "--fanout-sizes",
            "16,1024",
            "--spread-channels",
            "20",
            "--spread-publishers",
            "3",
            "--pattern-subs",
            "5",
            "--mem-list",
            "3000",
            "--mem-stream",
            "1000",
            "--mem-conns",
            "20",
            "--mem-settle",
            "0",
            "--herald-launch",
            "binary",
            "--herald-bin",
            env!("CARGO_BIN_EXE_herald"),
            "--out-dir",
        ])
        .arg(out_dir)
        .status()
        .expect("herald-bench runs");
    assert!(status.success(), "herald-bench exited with {status}");
    let text = std::fs::read_to_string(out_dir.join("results.json")).expect("results.json");
    serde_json::from_str(&text).expect("results.json is valid JSON")
}

fn row<'a>(v: &'a Value, name: &str) -> &'a Value {
    v["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("row {name:?} missing"))
}

#[test]
fn every_workload_produces_numbers_for_both_servers() {
    let dir = std::env::temp_dir().join(format!("herald-bench-smoke-{}", std::process::id()));
    let v = run_harness(&dir);

    let meta = &v["meta"];
    assert!(meta["nproc"].as_u64().unwrap_or(0) >= 1);
    assert!(meta["git_rev"].as_str().is_some_and(|s| !s.is_empty()));
    assert!(meta["date"].as_str().is_some_and(|s| s.starts_with("20")));
    assert!(meta["servers"]["redis"]
        .as_str()
        .is_some_and(|s| s.contains("--save")));

    // Commands Herald has today: real numbers from both servers, and a ratio.
    for name in [
        "PING_MBULK -P 1",
        "PING_MBULK -P 16",
        "SET -P 1",
        "GET -P 16",
    ] {
        let r = row(&v, name);
        for server in ["herald", "redis"] {
            assert_eq!(r[server]["status"], "ok", "{name} on {server}: {r}");
            assert!(
                r[server]["ops_per_sec"].as_f64().unwrap_or(0.0) > 0.0,
                "{name}: {r}"
            );
            assert!(r[server]["cpu_s_per_mop"].as_f64().is_some(), "{name}: {r}");
        }
        assert!(r["ratio_herald_over_redis"]["ops_per_sec"]
            .as_f64()
            .is_some());
        assert!(r["commands"][0]
            .as_str()
            .is_some_and(|c| c.contains("redis-benchmark")));
    }

    // Every row: both servers measured it.
    let rows = v["rows"].as_array().expect("rows");
    let sections: Vec<&str> = rows.iter().filter_map(|r| r["section"].as_str()).collect();
    for s in [
        "redis-benchmark",
        "queue",
        "transactions",
        "fan-out",
        "pub/sub spread",
        "stream group",
        "memory",
    ] {
        assert!(sections.contains(&s), "no {s} rows");
    }
    // 21 redis-benchmark tests (3 of them EVALSHA) at -P 1 and -P 16, queue, transactions, 2
    // fan-out sizes, 2 pub/sub spread rows, stream group, 8 memory rows.
    assert_eq!(rows.len(), 21 * 2 + 1 + 1 + 2 + 2 + 1 + 8, "row count");
    for r in rows {
        assert_eq!(r["redis"]["status"], "ok", "redis: {r}");
        // Herald runs every workload today.
        assert_eq!(r["herald"]["status"], "ok", "herald: {r}");
        let metric = if r["section"] == "memory" {
            "rss_bytes_per_item"
        } else {
            "ops_per_sec"
        };
        assert!(r["redis"][metric].as_f64().is_some(), "redis {metric}: {r}");
        if r["section"] != "memory" {
            assert!(
                r["redis"]["ops_per_sec"].as_f64().unwrap_or(0.0) > 0.0,
                "{r}"
            );
            assert!(r["redis"]["p99_us"].as_f64().is_some(), "{r}");
        }
    }
    // Idle connections work on Herald today: its RSS per connection is measured.
    let idle = row(&v, "idle connection");
    assert_eq!(idle["herald"]["status"], "ok", "{idle}");
    assert!(idle["herald"]["rss_bytes_per_item"].as_f64().is_some());
    assert!(idle["redis"]["used_memory_per_item"].as_f64().is_some());

    let md = std::fs::read_to_string(dir.join("results.md")).expect("results.md");
    assert!(md.contains("| redis-benchmark: SET -P 1 |"), "{md}");
    let _ = std::fs::remove_dir_all(&dir);
}
