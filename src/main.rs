//! The `herald` binary: command line -> settings -> logging -> server.
//!
//! The command line is redis-server's: `herald [/path/redis.conf] [--name value ...] [-]`,
//! `-v`/`--version`, `-h`/`--help`. A configuration error prints Redis's FATAL block on stderr
//! and exits with status 1. Logging goes through `tracing`, filtered by `loglevel` (changeable
//! with CONFIG SET) and written to `logfile` (empty = standard output).

use std::process::ExitCode;

use herald::config::load::{self, Cli};
use tracing::{info, warn};
use tracing_subscriber::fmt::writer::BoxMakeWriter;
use tracing_subscriber::prelude::*;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let prog = args.first().map_or("herald", String::as_str).to_string();
    let (config_file, stdin, options) = match load::parse_cli(args.get(1..).unwrap_or(&[])) {
        Cli::Version => {
            println!(
                "Herald server v={} redis_version={} bits={}",
                env!("CARGO_PKG_VERSION"),
                load::REDIS_VERSION,
                usize::BITS
            );
            return ExitCode::SUCCESS;
        }
        Cli::Help => {
            eprint!("{}", load::usage(&prog));
            return ExitCode::from(1);
        }
        Cli::Run {
            config_file,
            stdin,
            options,
        } => (config_file, stdin, options),
    };
    let loaded = match load::load_cli(config_file.as_deref(), stdin, options.as_deref()) {
        Ok(l) => l,
        Err(e) => {
            eprint!("{e}");
            return ExitCode::from(1);
        }
    };
    let settings = loaded.settings;
    if let Err(e) = install_logging(&settings.loglevel, &settings.logfile) {
        eprintln!("Can't open the log file: {e}");
        return ExitCode::from(1);
    }
    info!(
        "Herald {} (Redis {} compatible) starting, pid={}",
        env!("CARGO_PKG_VERSION"),
        load::REDIS_VERSION,
        std::process::id()
    );
    match &settings.config_file {
        Some(f) => info!("Configuration loaded from {f}"),
        None => warn!(
            "Warning: no config file specified, using the default config. In order to specify a config file use {prog} /path/to/redis.conf"
        ),
    }
    for name in &loaded.seen {
        let implemented = herald::config::registry::lookup(name)
            .is_some_and(|e| e.dir.has(herald::config::registry::HERALD));
        if !implemented {
            warn!("Directive '{name}' is accepted for compatibility but has no effect in Herald");
        }
    }
    if let Err(e) = std::env::set_current_dir(&settings.dir) {
        warn!("Can't chdir to '{}': {e}", settings.dir);
        return ExitCode::from(1);
    }
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(settings.io_threads)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    rt.block_on(async move {
        // The handlers are installed before the server listens or creates its files: a SIGTERM
        // from then on is a clean shutdown, not the default termination.
        let signals = shutdown_signals();
        let handle = match herald::server::start(settings).await {
            Ok(h) => h,
            Err(e) => {
                warn!("{e}");
                eprintln!("{e}");
                return ExitCode::FAILURE;
            }
        };
        let srv = handle.srv.clone();
        tokio::spawn(async move {
            wait_for_signal(signals).await;
            srv.shutdown();
        });
        let srv = handle.srv.clone();
        handle.wait().await;
        if let Some(e) = srv.fatal.lock().clone() {
            eprintln!("{e}");
            return ExitCode::from(1);
        }
        ExitCode::SUCCESS
    })
}

/// Installs the tracing subscriber: a reloadable level filter (so CONFIG SET loglevel takes
/// effect at once) and a writer to stdout or the log file (opened in append mode).
fn install_logging(loglevel: &str, logfile: &str) -> std::io::Result<()> {
    let (filter, handle) =
        tracing_subscriber::reload::Layer::new(herald::config::log_filter(loglevel));
    let writer = if logfile.is_empty() {
        BoxMakeWriter::new(std::io::stdout)
    } else {
        let f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(logfile)?;
        BoxMakeWriter::new(std::sync::Mutex::new(f))
    };
    tracing_subscriber::registry()
        .with(filter)
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(writer)
                .with_ansi(false),
        )
        .init();
    herald::config::set_log_hook(Box::new(move |level| {
        let _ = handle.modify(|f| *f = herald::config::log_filter(level));
    }));
    Ok(())
}

/// SIGTERM and SIGINT.
type ShutdownSignals = (tokio::signal::unix::Signal, tokio::signal::unix::Signal);

/// Registers SIGTERM and SIGINT now (`None` if they cannot be).
fn shutdown_signals() -> Option<ShutdownSignals> {
    use tokio::signal::unix::{signal, SignalKind};
    match (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) {
        (Ok(term), Ok(int)) => Some((term, int)),
        _ => None,
    }
}

async fn wait_for_signal(signals: Option<ShutdownSignals>) {
    let Some((mut term, mut int)) = signals else {
        return std::future::pending().await;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
}
