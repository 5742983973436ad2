//! redis.conf parsing and the `redis-server`-style command line.
//!
//! Like Redis's `loadServerConfig`, the config file, then standard input (`-`), then the
//! command-line options (each `--name value...` becomes a line `name "value" ...`) are joined
//! into one text and parsed line by line: `#` comments, sdssplitargs quoting, one directive per
//! line (repeated ones override, except `save`, whose lines accumulate), `include` files parsed
//! recursively (relative paths resolved against the working directory, which an earlier `dir`
//! line changes). The first error stops the load with Redis's `*** FATAL CONFIG FILE ERROR ***`
//! block, and the process exits with status 1.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use super::registry::{self, MULTI_ARG};
use super::Settings;

/// The version of Redis whose behaviour Herald reproduces.
pub const REDIS_VERSION: &str = "7.0.15";

/// Why the configuration could not be loaded. `Display` is the exact text redis-server prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadError {
    /// A bad line (`line` is its 1-based number within the text being parsed and the trimmed
    /// line), or a check after parsing (no line).
    Fatal {
        line: Option<(usize, String)>,
        msg: String,
    },
    /// A config file that cannot be opened.
    Open { path: String, err: String },
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Fatal { line, msg } => {
                writeln!(
                    f,
                    "\n*** FATAL CONFIG FILE ERROR (Redis {REDIS_VERSION}) ***"
                )?;
                if let Some((n, text)) = line {
                    writeln!(f, "Reading the configuration file, at line {n}")?;
                    writeln!(f, ">>> '{text}'")?;
                }
                writeln!(f, "{msg}")
            }
            LoadError::Open { path, err } => {
                writeln!(f, "Fatal error, can't open config file '{path}': {err}")
            }
        }
    }
}

impl std::error::Error for LoadError {}

/// Include files nested deeper than this are refused (Redis would recurse until it crashes).
const MAX_INCLUDE_DEPTH: usize = 32;

/// Parsing state: the settings being built and what the parse has seen.
pub struct Loader {
    pub settings: Settings,
    /// Where relative `include` and `dir` paths resolve (the working directory Redis would have).
    cwd: PathBuf,
    /// The first `save` line replaces the defaults; later ones append (Redis's `save_loaded`).
    save_loaded: bool,
    /// Canonical names of the directives set, in order, without repeats.
    pub seen: Vec<&'static str>,
    depth: usize,
}

impl Loader {
    pub fn new(settings: Settings) -> Loader {
        let cwd = PathBuf::from(&settings.dir);
        Loader {
            settings,
            cwd,
            save_loaded: false,
            seen: Vec::new(),
            depth: 0,
        }
    }

    /// Loads a config file (or, if the path has glob characters, every file matching it), then
    /// stdin's text and the command-line options, as one text (Redis's `loadServerConfig`).
    pub fn load_main(
        &mut self,
        file: Option<&str>,
        stdin: Option<&str>,
        options: Option<&str>,
    ) -> Result<(), LoadError> {
        let mut text = match file {
            Some(f) => self.read_config(f)?,
            None => String::new(),
        };
        if let Some(s) = stdin {
            text.push_str(s);
        }
        if let Some(o) = options {
            text.push('\n');
            text.push_str(o);
        }
        self.load_string(&text)
    }

    /// Parses one config file (an `include`).
    pub fn load_file(&mut self, path: &str) -> Result<(), LoadError> {
        let text = self.read_config(path)?;
        self.load_string(&text)
    }

    fn read_config(&self, path: &str) -> Result<String, LoadError> {
        let full = self.cwd.join(path);
        if path.contains(['*', '?', '[']) {
            let mut text = String::new();
            for p in glob_files(&full) {
                text.push_str(&read_lossy(&p)?);
            }
            return Ok(text);
        }
        read_lossy(&full).map_err(|e| match e {
            LoadError::Open { err, .. } => LoadError::Open {
                path: path.to_string(),
                err,
            },
            other => other,
        })
    }

    /// Parses config text (Redis's `loadServerConfigFromString`).
    pub fn load_string(&mut self, text: &str) -> Result<(), LoadError> {
        for (i, raw) in text.split('\n').enumerate() {
            let line = raw.trim_matches([' ', '\t', '\r', '\n']);
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let fail = |msg: String| LoadError::Fatal {
                line: Some((i + 1, line.to_string())),
                msg,
            };
            let Some(args) = crate::protocol::decode::split_args(line.as_bytes()) else {
                return Err(fail("Unbalanced quotes in configuration line".into()));
            };
            let mut args: Vec<String> = args
                .iter()
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect();
            if args.is_empty() {
                continue;
            }
            args[0].make_ascii_lowercase();
            if let Some(entry) = registry::lookup(&args[0]) {
                let dir = entry.dir;
                if !dir.has(MULTI_ARG) && args.len() != 2 {
                    return Err(fail("wrong number of arguments".into()));
                }
                let current = self.settings.get(dir.name);
                let current = if dir.name == "dir" {
                    self.cwd.to_string_lossy().into_owned()
                } else {
                    current
                };
                let mut v = registry::normalize(dir, &args[1..], &current)
                    .map_err(|e| fail(e.into_owned()))?;
                if dir.name == "save" {
                    if self.save_loaded && !current.is_empty() && !v.is_empty() {
                        v = format!("{current} {v}");
                    } else if self.save_loaded && v.is_empty() {
                        v = current;
                    }
                    self.save_loaded = true;
                }
                if dir.name == "dir" {
                    self.cwd = PathBuf::from(&v);
                }
                self.settings.set_normalized(dir.name, &v);
                if !self.seen.contains(&dir.name) {
                    self.seen.push(dir.name);
                }
                continue;
            }
            let argc = args.len();
            match args[0].as_str() {
                // Deprecated directives Redis 7.0 still accepts and ignores.
                "list-max-ziplist-entries"
                | "list-max-ziplist-value"
                | "lua-replicate-commands"
                    if argc == 2 => {}
                "include" if argc == 2 => {
                    if self.depth >= MAX_INCLUDE_DEPTH {
                        return Err(fail("include nesting is too deep".into()));
                    }
                    self.depth += 1;
                    let r = self.load_file(&args[1]);
                    self.depth -= 1;
                    r?;
                }
                // Herald has one static command table, no ACL users and no modules: refusing
                // these beats silently running with, say, a command the admin meant to disable.
                "rename-command" if argc == 3 => {
                    return Err(fail("rename-command is not supported by Herald".into()))
                }
                // The line CONFIG REWRITE of a redis-server without ACL users writes: the
                // default user, unrestricted, which is what Herald always has.
                "user"
                    if args[1..]
                        == ["default", "on", "nopass", "~*", "&*", "+@all"].map(String::from) => {}
                "user" if argc >= 2 => {
                    return Err(fail("ACL users are not supported by Herald".into()))
                }
                "loadmodule" if argc >= 2 => {
                    return Err(fail("Herald cannot load Redis modules".into()))
                }
                a if a.contains('.') => {
                    return Err(fail(if argc != 2 {
                        "Module config specified without value".into()
                    } else {
                        "Module configs are not supported by Herald".into()
                    }))
                }
                "sentinel" => {
                    return Err(fail(if argc != 1 {
                        "sentinel directive while not in sentinel mode".into()
                    } else {
                        "Sentinel mode is not supported by Herald".into()
                    }))
                }
                _ => return Err(fail("Bad directive or wrong number of arguments".into())),
            }
        }
        if !self.settings.logfile.is_empty() {
            let path = self.cwd.join(&self.settings.logfile);
            if let Err(e) = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
            {
                return Err(LoadError::Fatal {
                    line: None,
                    msg: format!("Can't open the log file: {}", registry::strerror(&e)),
                });
            }
        }
        Ok(())
    }
}

fn read_lossy(p: &Path) -> Result<String, LoadError> {
    let mut buf = Vec::new();
    std::fs::File::open(p)
        .and_then(|mut f| f.read_to_end(&mut buf))
        .map_err(|e| LoadError::Open {
            path: p.to_string_lossy().into_owned(),
            err: registry::strerror(&e),
        })?;
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

/// The files matching a glob in its last path component, sorted (as glob(3) returns them).
fn glob_files(pattern: &Path) -> Vec<PathBuf> {
    let (Some(dir), Some(name)) = (pattern.parent(), pattern.file_name()) else {
        return Vec::new();
    };
    let name = name.to_string_lossy();
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .filter(|e| {
                    let n = e.file_name();
                    let n = n.to_string_lossy();
                    !n.starts_with('.') && super::glob_match(name.as_bytes(), n.as_bytes(), false)
                })
                .map(|e| e.path())
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// Redis's `sdscatrepr`: a double-quoted, escaped form of `s`.
pub fn repr(s: &[u8]) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for &c in s {
        match c {
            b'\\' => out.push_str("\\\\"),
            b'"' => out.push_str("\\\""),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            7 => out.push_str("\\a"),
            8 => out.push_str("\\b"),
            c if c.is_ascii_graphic() || c == b' ' => out.push(c as char),
            c => out.push_str(&format!("\\x{c:02x}")),
        }
    }
    out.push('"');
    out
}

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cli {
    Version,
    Help,
    Run {
        /// The config file, as given.
        config_file: Option<String>,
        /// `-` as the first or last argument: append standard input to the file.
        stdin: bool,
        /// The options as config text (`None` when there were no arguments at all).
        options: Option<String>,
    },
}

/// Parses `herald [/path/redis.conf] [--name value ...] [-]` exactly as redis-server's `main`.
pub fn parse_cli(args: &[String]) -> Cli {
    let Some(first) = args.first() else {
        return Cli::Run {
            config_file: None,
            stdin: false,
            options: None,
        };
    };
    match first.as_str() {
        "-v" | "--version" => return Cli::Version,
        "-h" | "--help" => return Cli::Help,
        _ => {}
    }
    let mut j = 0;
    let mut config_file = None;
    if !first.starts_with('-') {
        config_file = Some(first.clone());
        j = 1;
    }
    let mut options = String::new();
    let mut stdin = false;
    let mut handled_last = true;
    let n = args.len();
    while j < n {
        let a = &args[j];
        let is_opt = |s: &str| s.starts_with("--");
        if a == "-" && (j == 0 || j == n - 1) {
            stdin = true;
        } else if handled_last && is_opt(a) {
            if !options.is_empty() {
                options.push('\n');
            }
            options.push_str(&a[2..]);
            options.push(' ');
            let parts = crate::protocol::decode::split_args(a.as_bytes()).map_or(0, |v| v.len());
            if parts == 1 {
                handled_last = false;
                let next_is_opt = j + 1 < n && is_opt(&args[j + 1]);
                if next_is_opt && a.eq_ignore_ascii_case("--save") {
                    // `--save --port 1` means `--save ""` (pre-7.0 compatibility).
                    options.push_str("\"\"");
                    handled_last = true;
                } else if j == n - 1 && a.eq_ignore_ascii_case("--save") {
                    options.push_str("\"\"");
                }
            } else {
                handled_last = true;
            }
        } else {
            options.push_str(&repr(a.as_bytes()));
            options.push(' ');
            handled_last = true;
        }
        j += 1;
    }
    Cli::Run {
        config_file,
        stdin,
        options: Some(options),
    }
}

/// The settings a `Cli::Run` describes, and the directives it set.
pub struct Loaded {
    pub settings: Settings,
    pub seen: Vec<&'static str>,
}

/// Builds the settings for a command line: defaults, then the file, stdin and options.
pub fn load_cli(
    config_file: Option<&str>,
    stdin: bool,
    options: Option<&str>,
) -> Result<Loaded, LoadError> {
    let mut loader = Loader::new(Settings::default());
    if let Some(f) = config_file {
        let abs = loader.cwd.join(f);
        loader.settings.config_file = Some(abs.to_string_lossy().into_owned());
    }
    if options.is_some() {
        let input = if stdin {
            let mut s = String::new();
            let _ = std::io::stdin().read_to_string(&mut s);
            Some(s)
        } else {
            None
        };
        loader.load_main(config_file, input.as_deref(), options)?;
    }
    Ok(Loaded {
        settings: loader.settings,
        seen: loader.seen,
    })
}

/// Usage text, as redis-server's.
pub fn usage(prog: &str) -> String {
    format!(
        "Usage: {prog} [/path/to/redis.conf] [options] [-]
       {prog} - (read config from stdin)
       {prog} -v or --version
       {prog} -h or --help

Examples:
       {prog} (run the server with default conf)
       echo 'maxmemory 128mb' | {prog} -
       {prog} /etc/redis/6379.conf
       {prog} --port 7777
       {prog} --port 7777 --bind 127.0.0.1 ::1
       {prog} /etc/myredis.conf --loglevel verbose -
       {prog} /etc/myredis.conf --loglevel verbose
"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strs(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn cli_options_become_config_lines() {
        assert_eq!(
            parse_cli(&strs(&["--port", "7777", "--bind", "127.0.0.1", "::1"])),
            Cli::Run {
                config_file: None,
                stdin: false,
                options: Some("port \"7777\" \nbind \"127.0.0.1\" \"::1\" ".into()),
            }
        );
        assert_eq!(
            parse_cli(&strs(&["/etc/r.conf", "--save", "--port", "1", "-"])),
            Cli::Run {
                config_file: Some("/etc/r.conf".into()),
                stdin: true,
                options: Some("save \"\"\nport \"1\" ".into()),
            }
        );
        assert_eq!(
            parse_cli(&strs(&["--save", ""])),
            Cli::Run {
                config_file: None,
                stdin: false,
                options: Some("save \"\" ".into()),
            }
        );
        assert_eq!(parse_cli(&strs(&["-v"])), Cli::Version);
        assert_eq!(parse_cli(&strs(&["--help", "x"])), Cli::Help);
    }

    #[test]
    fn options_parse_like_a_file() {
        let Cli::Run { options, .. } = parse_cli(&strs(&[
            "--port 7000",
            "--bind",
            "127.0.0.1",
            "::1",
            "--save",
            "",
        ])) else {
            panic!("run expected")
        };
        let mut l = Loader::new(Settings::default());
        l.load_main(None, None, options.as_deref()).unwrap();
        assert_eq!(l.settings.port, 7000);
        assert_eq!(l.settings.bind, vec!["127.0.0.1", "::1"]);
        assert_eq!(l.settings.get("save"), "");
    }

    #[test]
    fn fatal_error_text() {
        let mut l = Loader::new(Settings::default());
        let e = l
            .load_main(None, None, Some("port \"0\" \nfoo \"1\" "))
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 3\n>>> 'foo \"1\"'\nBad directive or wrong number of arguments\n"
        );
    }

    #[test]
    fn save_lines_accumulate_in_files() {
        let mut l = Loader::new(Settings::default());
        l.load_string("save 900 1\nsave 300 10\n").unwrap();
        assert_eq!(l.settings.get("save"), "900 1 300 10");
        let mut l = Loader::new(Settings::default());
        l.load_string("save \"\"\nsave 60 5\n").unwrap();
        assert_eq!(l.settings.get("save"), "60 5");
    }

    #[test]
    fn repr_escapes() {
        assert_eq!(repr(b"a \"b\"\n\x01"), "\"a \\\"b\\\"\\n\\x01\"");
    }
}
