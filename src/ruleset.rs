//! A loaded rule set: rules, vocabulary, and the digest that identifies them.

use crate::error::{Diagnostic, Level, LoadError};
use crate::limits::Limits;
use crate::load::compile::{Source, compile, too_large};
use crate::node::Pos;
use crate::rule::Rule;
use crate::vocabulary::Vocabulary;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Checked rules with their vocabulary, identified by a digest.
#[derive(Debug, Clone)]
pub struct RuleSet {
    rules: Vec<Rule>,
    vocabulary: Option<Arc<Vocabulary>>,
    digest: crate::name::Name,
    warnings: Vec<Diagnostic>,
    files: Vec<String>,
}

impl RuleSet {
    /// Loads a rule file or a directory.
    ///
    /// A directory: every `*.yaml` file in it, in byte-wise name order, with `vocabulary.yaml` as
    /// the vocabulary (read first). A file: that file, plus `vocabulary.yaml` beside it when there
    /// is one.
    ///
    /// # Errors
    /// Every problem found in any file (not only the first), with file, line and column.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, LoadError> {
        Self::load_paths(&[path.as_ref()])
    }

    /// [`load`](Self::load) with other [`Limits`] than the defaults.
    ///
    /// # Errors
    /// As [`load`](Self::load), and whatever exceeds a limit.
    pub fn load_with_limits(path: impl AsRef<Path>, limits: &Limits) -> Result<Self, LoadError> {
        Self::load_paths_with_limits(&[path.as_ref()], limits)
    }

    /// Loads several files and directories as one rule set (see [`load`](Self::load)).
    ///
    /// # Errors
    /// As [`load`](Self::load); also when a path cannot be read.
    pub fn load_paths<P: AsRef<Path>>(paths: &[P]) -> Result<Self, LoadError> {
        Self::load_paths_with_limits(paths, &Limits::default())
    }

    /// [`load_paths`](Self::load_paths) with other [`Limits`] than the defaults.
    ///
    /// # Errors
    /// As [`load_paths`](Self::load_paths), and whatever exceeds a limit.
    pub fn load_paths_with_limits<P: AsRef<Path>>(
        paths: &[P],
        limits: &Limits,
    ) -> Result<Self, LoadError> {
        let mut files: Vec<PathBuf> = Vec::new();
        let mut diags = Vec::new();
        let mut vocab: Option<PathBuf> = None;
        for p in paths {
            let p = p.as_ref();
            if p.is_dir() {
                match std::fs::read_dir(p) {
                    Ok(entries) => {
                        let mut names: Vec<PathBuf> = entries
                            .filter_map(|e| e.ok().map(|e| e.path()))
                            .filter(|f| f.is_file() && f.extension().is_some_and(|x| x == "yaml"))
                            .collect();
                        names.sort_by(|a, b| {
                            a.file_name()
                                .map(|n| n.as_encoded_bytes())
                                .cmp(&b.file_name().map(|n| n.as_encoded_bytes()))
                        });
                        for f in names {
                            if f.file_name().is_some_and(|n| n == "vocabulary.yaml") {
                                vocab = Some(f);
                            } else {
                                files.push(f);
                            }
                        }
                    }
                    Err(e) => diags.push(Diagnostic::error(
                        &p.display().to_string(),
                        Pos::default(),
                        format!("cannot read directory: {e}"),
                    )),
                }
            } else if p.file_name().is_some_and(|n| n == "vocabulary.yaml") {
                vocab = Some(p.to_path_buf());
            } else {
                if vocab.is_none() {
                    let beside = p.parent().unwrap_or(Path::new("")).join("vocabulary.yaml");
                    if beside.is_file() {
                        vocab = Some(beside);
                    }
                }
                files.push(p.to_path_buf());
            }
        }
        let mut sources = Vec::new();
        for f in vocab.iter().chain(files.iter()) {
            let name = f.display().to_string();
            // Checked before reading, so that a huge file is not read into memory first.
            if let Ok(m) = std::fs::metadata(f)
                && m.len() > limits.max_rule_file_bytes as u64
            {
                diags.push(too_large(&name, m.len(), limits));
                continue;
            }
            match read_at_most(f, limits.max_rule_file_bytes).map(String::from_utf8) {
                Ok(Ok(text)) if text.len() > limits.max_rule_file_bytes => {
                    diags.push(too_large(&name, text.len() as u64, limits));
                }
                Ok(Err(e)) if e.as_bytes().len() > limits.max_rule_file_bytes => {
                    diags.push(too_large(&name, e.as_bytes().len() as u64, limits));
                }
                Ok(Ok(text)) => sources.push(Source { name, text }),
                Ok(Err(e)) => diags.push(not_utf8(&name, e.as_bytes(), e.utf8_error())),
                Err(e) => diags.push(
                    Diagnostic::error(&name, Pos::default(), format!("cannot read rule file: {e}"))
                        .with_help("check the path and the file's permissions"),
                ),
            }
        }
        if !diags.is_empty() {
            return Err(LoadError { diagnostics: diags });
        }
        if sources.is_empty() {
            return Err(LoadError {
                diagnostics: vec![
                    Diagnostic::error(
                        &paths
                            .iter()
                            .map(|p| p.as_ref().display().to_string())
                            .collect::<Vec<_>>()
                            .join(", "),
                        Pos::default(),
                        "no rule files found",
                    )
                    .with_help("give a `.yaml` rule file or a directory holding them"),
                ],
            });
        }
        Self::from_sources_inner(
            sources,
            |name| {
                Path::new(name)
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| name.to_owned())
            },
            limits,
        )
    }

    /// Loads one YAML text. `name` is used in messages and in the digest. The text may hold
    /// `vocabulary:` as well as `rules:`.
    ///
    /// # Errors
    /// Every problem found, with line and column.
    pub fn from_yaml_str(name: &str, yaml: &str) -> Result<Self, LoadError> {
        Self::from_sources([(name, yaml)])
    }

    /// Loads named YAML texts as one rule set, in the order given.
    ///
    /// # Errors
    /// Every problem found in any text.
    pub fn from_sources<'a>(
        sources: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, LoadError> {
        Self::from_sources_with_limits(sources, &Limits::default())
    }

    /// [`from_sources`](Self::from_sources) with other [`Limits`] than the defaults.
    ///
    /// # Errors
    /// Every problem found in any text, and whatever exceeds a limit.
    pub fn from_sources_with_limits<'a>(
        sources: impl IntoIterator<Item = (&'a str, &'a str)>,
        limits: &Limits,
    ) -> Result<Self, LoadError> {
        let sources = sources
            .into_iter()
            .map(|(n, t)| Source {
                name: n.to_owned(),
                text: t.to_owned(),
            })
            .collect();
        Self::from_sources_inner(sources, str::to_owned, limits)
    }

    fn from_sources_inner(
        sources: Vec<Source>,
        digest_name: impl Fn(&str) -> String,
        limits: &Limits,
    ) -> Result<Self, LoadError> {
        let compiled = compile(&sources, limits);
        if compiled.diagnostics.iter().any(|d| d.level == Level::Error) {
            return Err(LoadError {
                diagnostics: compiled.diagnostics,
            });
        }
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        for s in &sources {
            let name = digest_name(&s.name);
            h.update((name.len() as u64).to_le_bytes());
            h.update(name.as_bytes());
            h.update((s.text.len() as u64).to_le_bytes());
            h.update(s.text.as_bytes());
        }
        let digest: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
        Ok(RuleSet {
            rules: compiled.rules,
            vocabulary: compiled.vocabulary.map(Arc::new),
            digest: format!("sha256:{digest}").into(),
            warnings: compiled.diagnostics,
            files: sources.iter().map(|s| s.name.clone()).collect(),
        })
    }

    /// The default rule pack, compiled into the crate (the files under `rules/`).
    ///
    /// It is checked once per process and then cloned. The crate's own tests prove that it loads
    /// without problems; were it ever broken, the set would hold no rules and
    /// [`warnings`](Self::warnings) would hold the errors (which `early-signal check` prints).
    pub fn builtin() -> Self {
        static PACK: std::sync::OnceLock<RuleSet> = std::sync::OnceLock::new();
        PACK.get_or_init(|| {
            let sources = crate::builtin::FILES
                .iter()
                .map(|(n, t)| Source {
                    name: (*n).to_owned(),
                    text: (*t).to_owned(),
                })
                .collect();
            Self::from_sources_inner(sources, str::to_owned, &Limits::default()).unwrap_or_else(
                |e| RuleSet {
                    rules: Vec::new(),
                    vocabulary: None,
                    digest: "sha256:invalid-builtin".into(),
                    warnings: e.diagnostics,
                    files: Vec::new(),
                },
            )
        })
        .clone()
    }

    /// The rules, in load order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// One rule by id.
    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }

    /// The vocabulary, if the set has one.
    pub fn vocabulary(&self) -> Option<&Vocabulary> {
        self.vocabulary.as_deref()
    }

    /// The vocabulary, shared, e.g. for [`Timeline::with_vocabulary`](crate::Timeline::with_vocabulary).
    pub fn vocabulary_arc(&self) -> Option<&Arc<Vocabulary>> {
        self.vocabulary.as_ref()
    }

    /// `sha256:…` over the vocabulary and rule files, each preceded by its file name, in load order.
    pub fn digest(&self) -> &str {
        &self.digest
    }

    /// The digest as a shared string, for flags.
    pub(crate) fn digest_name(&self) -> &crate::name::Name {
        &self.digest
    }

    /// Warnings found while loading (e.g. a missing vocabulary).
    pub fn warnings(&self) -> &[Diagnostic] {
        &self.warnings
    }

    /// The files (or names) loaded, in order.
    pub fn files(&self) -> &[String] {
        &self.files
    }

    /// A new timeline that checks records against this set's vocabulary as they are read.
    pub fn new_timeline(&self) -> crate::Timeline {
        match &self.vocabulary {
            Some(v) => crate::Timeline::with_vocabulary(v.clone()),
            None => crate::Timeline::new(),
        }
    }
}

/// Reads at most `max + 1` bytes of `path` (a file that grew, or a device, cannot make it read
/// more); the size check then refuses it.
fn read_at_most(path: &Path, max: usize) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1))
        .read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// The error for a rule file that is not UTF-8: where the first bad byte is, and what to do.
fn not_utf8(name: &str, bytes: &[u8], e: std::str::Utf8Error) -> Diagnostic {
    let good = bytes.get(..e.valid_up_to()).unwrap_or_default();
    let line = good.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = good.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let column = String::from_utf8_lossy(good.get(line_start..).unwrap_or_default())
        .chars()
        .count()
        + 1;
    let byte = bytes.get(e.valid_up_to()).copied().unwrap_or(0);
    let mut d = Diagnostic::error(
        name,
        Pos {
            line: u32::try_from(line).unwrap_or(u32::MAX),
            column: u32::try_from(column).unwrap_or(u32::MAX),
        },
        format!("byte 0x{byte:02X} is not UTF-8 text; the rule file is not read"),
    )
    .with_help("save the file as UTF-8 (editors call it \"UTF-8\" or \"Unicode\"); Latin-1 or Windows-1252 letters such as `é` are the usual cause");
    let text = String::from_utf8_lossy(bytes);
    d.source_line = text.lines().nth(line - 1).map(str::to_owned);
    d
}
