//! The user's command: resolved on `PATH` and checked before anything runs (a command that is
//! not found or not executable is bad input, refused with one line), named for the results
//! (`cmd:<name>`), and quoted whole for runs.csv and the profile.

use std::ffi::{CString, OsString};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// The arguments as given, `argv[0]` included.
    pub argv: Vec<OsString>,
    /// The program `argv[0]` resolves to.
    pub path: PathBuf,
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    #[error("no command given: put it after `--`, as in `pinbench exec -- python3 pool.py`")]
    Empty,
    #[error("command `{0}` not found on PATH: give its path or install it")]
    NotFound(String),
    #[error("command `{0}` does not exist: check the path")]
    Missing(String),
    #[error("command `{0}` is a directory, not a program")]
    Directory(String),
    #[error("command `{0}` is not executable: `chmod +x {0}`, or run it through its interpreter")]
    NotExecutable(String),
}

fn executable(p: &Path) -> Result<(), CommandError> {
    let shown = p.display().to_string();
    let meta = std::fs::metadata(p).map_err(|_| CommandError::Missing(shown.clone()))?;
    if meta.is_dir() {
        return Err(CommandError::Directory(shown));
    }
    if meta.permissions().mode() & 0o111 == 0 {
        return Err(CommandError::NotExecutable(shown));
    }
    Ok(())
}

/// Programs that run a script named by their first argument that is not an option.
const INTERPRETERS: &[&str] = &[
    "python", "python3", "python2", "pypy", "pypy3", "sh", "bash", "dash", "zsh", "node", "ruby",
    "perl", "Rscript", "julia", "uv", "poetry",
];

impl Command {
    /// Resolves `argv[0]` as `execvp` would.
    pub fn resolve(argv: Vec<OsString>) -> Result<Self, CommandError> {
        let first = argv.first().ok_or(CommandError::Empty)?;
        if first.is_empty() {
            return Err(CommandError::Empty);
        }
        let shown = first.to_string_lossy().into_owned();
        let path = if first.as_bytes().contains(&b'/') {
            let p = PathBuf::from(first);
            executable(&p)?;
            p
        } else {
            let dirs = std::env::var_os("PATH").unwrap_or_else(|| "/usr/bin:/bin".into());
            let mut found = None;
            let mut refused = None;
            for d in std::env::split_paths(&dirs) {
                let p = d.join(first);
                if p.exists() {
                    match executable(&p) {
                        Ok(()) => {
                            found = Some(p);
                            break;
                        }
                        Err(e) => refused = refused.or(Some(e)),
                    }
                }
            }
            match (found, refused) {
                (Some(p), _) => p,
                (None, Some(e)) => return Err(e),
                (None, None) => return Err(CommandError::NotFound(shown)),
            }
        };
        Ok(Self { argv, path })
    }

    /// `argv[0]` as given.
    pub fn program(&self) -> String {
        self.argv
            .first()
            .map(|a| a.to_string_lossy().into_owned())
            .unwrap_or_default()
    }

    /// The arguments for execve.
    pub fn argv_c(&self) -> Vec<CString> {
        self.argv
            .iter()
            .filter_map(|a| CString::new(a.as_bytes()).ok())
            .collect()
    }

    /// The command line as a shell would take it back.
    pub fn line(&self) -> String {
        self.argv
            .iter()
            .map(|a| quote(&a.to_string_lossy()))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// A name for `cmd:<name>`: the script an interpreter runs (`python3 pool.py` -> `pool`),
    /// else the program's file name, kept to letters, digits, `.`, `_` and `-`.
    pub fn default_name(&self) -> String {
        let base = |a: &OsString| {
            Path::new(a)
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default()
        };
        let program = self.argv.first().map(base).unwrap_or_default();
        let interpreter = INTERPRETERS
            .iter()
            .any(|i| program == *i || program.strip_prefix(i).is_some_and(is_version));
        let args = &self.argv[1.min(self.argv.len())..];
        // `python3 -m pkg` names the module; `sh -c '...'` and `python3 -c '...'` name no file.
        let flag = args.iter().position(|a| a == "-m" || a == "-c");
        let chosen = if interpreter && let Some(i) = flag {
            match (self.argv[i + 1].to_str(), args.get(i + 1)) {
                (Some("-m"), Some(m)) => m.to_string_lossy().into_owned(),
                _ => program,
            }
        } else if interpreter {
            args.iter()
                .find(|a| !a.as_bytes().starts_with(b"-"))
                .map(|a| {
                    let b = base(a);
                    match b.rsplit_once('.') {
                        Some((stem, _)) if !stem.is_empty() => stem.to_string(),
                        _ => b,
                    }
                })
                .unwrap_or(program)
        } else {
            program
        };
        let clean: String = chosen
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                    c
                } else {
                    '-'
                }
            })
            .take(64)
            .collect();
        if clean.trim_matches('-').is_empty() {
            "program".into()
        } else {
            clean
        }
    }
}

/// `3.11`, `3`: a version suffix of an interpreter's name.
fn is_version(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_digit() || c == '.')
}

fn quote(a: &str) -> String {
    if !a.is_empty()
        && a.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,@%+".contains(c))
    {
        a.to_string()
    } else {
        format!("'{}'", a.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd(args: &[&str]) -> Result<Command, CommandError> {
        Command::resolve(args.iter().map(OsString::from).collect())
    }

    #[test]
    fn resolves_on_path_and_refuses_what_cannot_run() {
        let c = cmd(&["sh", "-c", "echo 'hi there'"]).unwrap();
        assert!(c.path.is_absolute());
        assert_eq!(c.line(), r"sh -c 'echo '\''hi there'\'''");
        assert_eq!(cmd(&[]), Err(CommandError::Empty));
        assert!(matches!(
            cmd(&["no-such-program-here"]),
            Err(CommandError::NotFound(_))
        ));
        assert!(matches!(
            cmd(&["/no/such/file"]),
            Err(CommandError::Missing(_))
        ));
        assert!(matches!(cmd(&["/tmp"]), Err(CommandError::Directory(_))));
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("script.sh");
        std::fs::write(&f, "#!/bin/sh\n").unwrap();
        assert!(matches!(
            cmd(&[f.to_str().unwrap()]),
            Err(CommandError::NotExecutable(_))
        ));
    }

    #[test]
    fn names_the_script_an_interpreter_runs() {
        let name = |args: &[&str]| {
            Command {
                argv: args.iter().map(OsString::from).collect(),
                path: PathBuf::from("/bin/true"),
            }
            .default_name()
        };
        assert_eq!(
            name(&["python3", "examples/python/pool.py", "-n", "4"]),
            "pool"
        );
        assert_eq!(name(&["python3.11", "-u", "my job.py"]), "my-job");
        assert_eq!(name(&["./build/solver", "--fast"]), "solver");
        assert_eq!(name(&["/usr/bin/env"]), "env");
        assert_eq!(name(&["sh", "-c", "echo a/b"]), "sh");
        assert_eq!(name(&["python3", "-m", "mypkg.bench", "-x"]), "mypkg.bench");
    }
}
