//! Ecosystem tests: real frameworks (redis-py 8.x over RESP3, arq, Huey, Celery, RQ, Dramatiq,
//! BullMQ, Sidekiq) against an in-process Herald. Each scenario of `tests/ecosystem/` is its own
//! test here, so a failure names the scenario; the scenario's whole output is in the failure
//! message.
//!
//! The scenarios run through `tests/ecosystem/run.sh PORT SCENARIO` with virtualenvs and Node
//! packages cached under `<target>/ecosystem` (reused while the pinned requirements are
//! unchanged; `cargo clean` resets them). If an interpreter (python3, node, ruby with sidekiq)
//! or the package index is unavailable the tests are skipped loudly, except with `CI=true`, where
//! that fails them. The same script runs against a real redis-server (see
//! tests/ecosystem/README.md), which is how the scenarios are proven right.
//!
//! The scenarios of frameworks built on Lua scripts (redis-py's Lock, Celery, RQ, Dramatiq,
//! BullMQ, Sidekiq) prove scripting (#9) the same way.

mod common;

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

/// One scenario at a time: the machine is small and the WATCH scenario wants real contention.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[derive(Debug)]
enum Setup {
    /// An interpreter or the package index is missing (run.sh exit 77): skip, or fail under CI.
    Unavailable(String),
    /// Anything else went wrong: always a failure.
    Failed(String),
}

/// Exit status run.sh uses for "an interpreter or the package index is unavailable".
const UNAVAILABLE: i32 = 77;
/// Upper bound for one scenario, including the runner's own per-scenario timeout (180 s).
const SCENARIO_DEADLINE: Duration = Duration::from_secs(300);
/// Upper bound for creating a scenario's virtualenv or Node packages from scratch.
const SETUP_DEADLINE: Duration = Duration::from_secs(900);

fn run_sh() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/ecosystem/run.sh")
}

/// `<target>/ecosystem`, the same place run.sh uses by default.
fn venv_dir() -> PathBuf {
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    tmp.parent().unwrap_or(&tmp).join("ecosystem")
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// Runs run.sh with `args`; returns its exit code (None if killed) and stdout+stderr.
fn run_script(args: &[String], deadline: Duration) -> (Option<i32>, String) {
    let mut child = match Command::new("bash")
        .arg(run_sh())
        .args(args)
        .env("ECO_VENV_DIR", venv_dir())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => return (Some(UNAVAILABLE), format!("cannot run bash: {e}")),
    };
    let drain = |r: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut s = String::new();
            if let Some(mut r) = r {
                let mut b = Vec::new();
                let _ = r.read_to_end(&mut b);
                s = String::from_utf8_lossy(&b).into_owned();
            }
            s
        })
    };
    let out = drain(
        child
            .stdout
            .take()
            .map(|r| Box::new(r) as Box<dyn Read + Send>),
    );
    let err = drain(
        child
            .stderr
            .take()
            .map(|r| Box::new(r) as Box<dyn Read + Send>),
    );
    let start = Instant::now();
    let code = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status.code(),
            Ok(None) if start.elapsed() < deadline => {
                std::thread::sleep(Duration::from_millis(50));
            }
            _ => {
                // Past the deadline: stop the runner by its PID.
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
        }
    };
    let mut text = out.join().unwrap_or_default();
    text.push_str(&err.join().unwrap_or_default());
    if code.is_none() {
        text.push_str(&format!("\n(runner stopped after {deadline:?})"));
    }
    (code, text)
}

/// Prepares what `name` needs (`run.sh --setup NAME`: a virtualenv or the Node packages, reused
/// while their pins are unchanged, or a check that Ruby and Sidekiq are installed).
fn setup(name: &str) -> Result<(), Setup> {
    let (code, out) = run_script(&["--setup".into(), name.into()], SETUP_DEADLINE);
    match code {
        Some(0) => Ok(()),
        Some(UNAVAILABLE) => Err(Setup::Unavailable(out)),
        _ => Err(Setup::Failed(out)),
    }
}

/// Starts Herald, runs one scenario against it, and fails with the scenario's output.
async fn scenario(name: &str) {
    let _serial = SERIAL.lock().await;
    let owned = name.to_string();
    match tokio::task::spawn_blocking(move || setup(&owned))
        .await
        .expect("setup thread")
    {
        Ok(()) => {}
        Err(Setup::Unavailable(why)) if !in_ci() => {
            // Written to stderr directly (not eprintln!) so the test harness doesn't capture it.
            let _ = writeln!(
                std::io::stderr(),
                "\n*** SKIPPED ecosystem scenario {name}: an interpreter or the package index \
                 is unavailable (CI=true makes this a failure) ***\n{why}"
            );
            return;
        }
        Err(Setup::Unavailable(why)) => {
            panic!("CI=true and the ecosystem environment is unavailable:\n{why}")
        }
        Err(Setup::Failed(why)) => panic!("preparing ecosystem scenario {name} failed:\n{why}"),
    }
    let server = TestServer::start().await;
    let args = vec![server.addr.port().to_string(), name.to_string()];
    let (code, output) = tokio::task::spawn_blocking(move || run_script(&args, SCENARIO_DEADLINE))
        .await
        .expect("runner thread");
    server.stop().await;
    assert_eq!(
        code,
        Some(0),
        "ecosystem scenario {name} failed against Herald:\n{output}"
    );
    assert!(
        output.contains(&format!("PASS {name}")) && output.contains("1 passed, 0 failed"),
        "runner did not report {name} as passed:\n{output}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_py_pipelines() {
    scenario("redis_py_pipelines").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_py_watch() {
    scenario("redis_py_watch").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_py_pubsub() {
    scenario("redis_py_pubsub").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_py_blocking() {
    scenario("redis_py_blocking").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_py_streams() {
    scenario("redis_py_streams").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arq_jobs() {
    scenario("arq_jobs").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn huey_tasks() {
    scenario("huey_tasks").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_py_lock() {
    scenario("redis_py_lock").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn celery_tasks() {
    scenario("celery_tasks").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rq_jobs() {
    scenario("rq_jobs").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dramatiq_tasks() {
    scenario("dramatiq_tasks").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bullmq_jobs() {
    scenario("bullmq_jobs").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sidekiq_jobs() {
    scenario("sidekiq_jobs").await;
}

/// Every scenario the runner knows has a test above, so none is silently left out.
#[test]
fn every_scenario_has_a_test() {
    let (code, out) = run_script(&["--list".into()], Duration::from_secs(30));
    assert_eq!(code, Some(0), "run.sh --list failed:\n{out}");
    let listed: Vec<&str> = out
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(
        listed,
        [
            "redis_py_pipelines",
            "redis_py_watch",
            "redis_py_pubsub",
            "redis_py_blocking",
            "redis_py_streams",
            "arq_jobs",
            "huey_tasks",
            "redis_py_lock",
            "celery_tasks",
            "rq_jobs",
            "dramatiq_tasks",
            "bullmq_jobs",
            "sidekiq_jobs"
        ]
    );
    // ...and every scenario file is listed (the others are the support modules below).
    const SUPPORT: &[&str] = &[
        "common.py",
        "huey_app.py",
        "celery_app.py",
        "rq_funcs.py",
        "dramatiq_app.py",
        "sidekiq_app.rb",
    ];
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/ecosystem/scenarios");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .expect("scenarios directory")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|f| !SUPPORT.contains(&f.as_str()))
        .filter_map(|f| {
            [".py", ".js", ".rb"]
                .iter()
                .find_map(|ext| f.strip_suffix(ext))
                .map(str::to_string)
        })
        .collect();
    files.sort();
    let mut sorted = listed.clone();
    sorted.sort();
    assert_eq!(files, sorted, "scenario files vs run.sh's list");
}
