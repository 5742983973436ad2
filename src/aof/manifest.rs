//! The multi-part AOF manifest, in Redis 7.0's syntax: one line per file,
//! `file <name> seq <n> type <b|h|i>`, base first, then history, then increments in order.
//! Written to a temporary file, fsynced, and renamed over the old one, then the directory is
//! fsynced, so a crash leaves either the old or the new manifest, never a mix.

use std::fs;
use std::io::{self, Write};
use std::path::Path;

/// What a file listed in the manifest is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Base,
    History,
    Incr,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileInfo {
    pub name: String,
    pub seq: u64,
    pub kind: Kind,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Manifest {
    pub base: Option<FileInfo>,
    pub incrs: Vec<FileInfo>,
    pub history: Vec<FileInfo>,
}

impl Manifest {
    /// Parses manifest text; the error says which line is wrong and why.
    pub fn parse(text: &str) -> Result<Manifest, String> {
        let mut m = Manifest::default();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let words = split_words(line)
                .ok_or_else(|| format!("Invalid AOF manifest file format at line {}", n + 1))?;
            let mut name = None;
            let mut seq = None;
            let mut kind = None;
            let mut it = words.chunks(2);
            for pair in &mut it {
                let [k, v] = pair else {
                    return Err(format!(
                        "Invalid AOF manifest file format at line {}",
                        n + 1
                    ));
                };
                match k.as_str() {
                    "file" => name = Some(v.clone()),
                    "seq" => seq = v.parse::<u64>().ok(),
                    "type" => {
                        kind = match v.as_str() {
                            "b" => Some(Kind::Base),
                            "h" => Some(Kind::History),
                            "i" => Some(Kind::Incr),
                            _ => None,
                        }
                    }
                    // Unknown keys are ignored, as Redis does, for forward compatibility.
                    _ => {}
                }
            }
            let (Some(name), Some(seq), Some(kind)) = (name, seq, kind) else {
                return Err(format!(
                    "Invalid AOF manifest file format at line {}",
                    n + 1
                ));
            };
            if name.contains('/') {
                return Err(format!(
                    "Invalid AOF file name '{name}' in the manifest at line {}",
                    n + 1
                ));
            }
            let info = FileInfo { name, seq, kind };
            match kind {
                Kind::Base => {
                    if m.base.is_some() {
                        return Err("Found duplicate base file information".into());
                    }
                    m.base = Some(info);
                }
                Kind::History => m.history.push(info),
                Kind::Incr => {
                    if m.incrs.last().is_some_and(|l| l.seq >= info.seq) {
                        return Err("Found a non-monotonic sequence number".into());
                    }
                    m.incrs.push(info)
                }
            }
        }
        if m.base.is_none() && m.incrs.is_empty() {
            return Err("Found an empty AOF manifest".into());
        }
        Ok(m)
    }

    /// The manifest text.
    pub fn format(&self) -> String {
        let mut s = String::new();
        let line = |s: &mut String, f: &FileInfo, t: &str| {
            s.push_str(&format!(
                "file {} seq {} type {}\n",
                quote(&f.name),
                f.seq,
                t
            ));
        };
        if let Some(b) = &self.base {
            line(&mut s, b, "b");
        }
        for h in &self.history {
            line(&mut s, h, "h");
        }
        for i in &self.incrs {
            line(&mut s, i, "i");
        }
        s
    }

    pub fn last_incr_seq(&self) -> u64 {
        self.incrs.last().map_or(0, |f| f.seq)
    }

    pub fn base_seq(&self) -> u64 {
        self.base.as_ref().map_or(0, |f| f.seq)
    }

    /// Writes the manifest atomically as `dir/name`.
    pub fn persist(&self, dir: &Path, name: &str) -> io::Result<()> {
        let tmp = dir.join(format!("temp-{name}"));
        {
            let mut f = fs::File::create(&tmp)?;
            f.write_all(self.format().as_bytes())?;
            f.sync_all()?;
        }
        fs::rename(&tmp, dir.join(name))?;
        sync_dir(dir)
    }
}

/// fsyncs a directory, so a rename or a new file in it is durable.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    fs::File::open(dir)?.sync_all()
}

/// Splits a manifest line into words, honouring double quotes (Redis writes names with spaces
/// quoted, as `sdssplitargs` reads them).
fn split_words(line: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let Some(&c) = chars.peek() else {
            return Some(words);
        };
        let mut w = String::new();
        if c == '"' {
            chars.next();
            loop {
                match chars.next()? {
                    '"' => break,
                    '\\' => w.push(chars.next()?),
                    c => w.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                w.push(c);
                chars.next();
            }
        }
        words.push(w);
    }
}

fn quote(name: &str) -> String {
    if name.contains(|c: char| c.is_whitespace() || c == '"' || c == '\\') {
        let mut s = String::from("\"");
        for c in name.chars() {
            if c == '"' || c == '\\' {
                s.push('\\');
            }
            s.push(c);
        }
        s.push('"');
        s
    } else {
        name.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_errors() {
        let text = "file appendonly.aof.2.base.aof seq 2 type b\n\
                    file appendonly.aof.1.incr.aof seq 1 type h\n\
                    file appendonly.aof.2.incr.aof seq 2 type i\n\
                    file appendonly.aof.3.incr.aof seq 3 type i\n";
        let m = Manifest::parse(text).unwrap();
        assert_eq!(m.base.as_ref().unwrap().seq, 2);
        assert_eq!(m.incrs.len(), 2);
        assert_eq!(m.history.len(), 1);
        assert_eq!(m.format(), text);
        assert_eq!(m.last_incr_seq(), 3);
        let spaced = Manifest {
            base: Some(FileInfo {
                name: "my file.aof".into(),
                seq: 1,
                kind: Kind::Base,
            }),
            ..Default::default()
        };
        assert_eq!(Manifest::parse(&spaced.format()).unwrap(), spaced);
        assert!(Manifest::parse("").is_err());
        assert!(Manifest::parse("file x seq 1\n").is_err());
        assert!(Manifest::parse("file x seq 2 type i\nfile y seq 1 type i\n").is_err());
        assert!(Manifest::parse("file a/b seq 1 type b\n").is_err());
    }
}
