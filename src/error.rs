//! Diagnostics for rule files: where, what, and how to fix it.

use crate::node::Pos;
use serde::Serialize;
use std::fmt;

/// Whether a diagnostic stops the rule set from loading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// The rule set cannot be used until this is fixed.
    Error,
    /// Worth fixing; the rule set still loads.
    Warning,
}

/// One problem found in a rule file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// Error or warning.
    pub level: Level,
    /// File name as given (or the name passed to [`RuleSet::from_yaml_str`](crate::RuleSet::from_yaml_str)).
    pub file: String,
    /// 1-based line; 0 when the problem concerns the whole file.
    pub line: u32,
    /// 1-based column; 0 when unknown.
    pub column: u32,
    /// What is wrong, in lower case, with the offending input in backticks.
    pub message: String,
    /// How to fix it, when there is something to say.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// The source line, for a caret display.
    #[serde(skip)]
    pub source_line: Option<String>,
}

impl Diagnostic {
    pub(crate) fn error(file: &str, pos: Pos, message: impl Into<String>) -> Self {
        Diagnostic {
            level: Level::Error,
            file: file.to_owned(),
            line: pos.line,
            column: pos.column,
            message: message.into(),
            help: None,
            source_line: None,
        }
    }

    pub(crate) fn warning(file: &str, pos: Pos, message: impl Into<String>) -> Self {
        Diagnostic {
            level: Level::Warning,
            ..Diagnostic::error(file, pos, message)
        }
    }

    pub(crate) fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help(help);
        self
    }

    pub(crate) fn help(&mut self, help: impl Into<String>) -> &mut Self {
        let h = help.into();
        if !h.is_empty() {
            self.help = Some(h);
        }
        self
    }

    /// Renders the diagnostic with the source line and a caret:
    ///
    /// ```text
    /// error: unknown kind `contact.nwe`
    ///   --> rules/contact.yaml:12:19
    ///    |
    /// 12 |       - { kind: contact.nwe }
    ///    |                 ^
    ///    = help: did you mean `contact.new`?
    /// ```
    pub fn render(&self) -> String {
        /// Characters of a source line shown at most.
        const SHOWN: usize = 160;
        let mut out = String::new();
        let level = match self.level {
            Level::Error => "error",
            Level::Warning => "warning",
        };
        out.push_str(&format!("{level}: {}\n", self.message));
        if self.line == 0 {
            out.push_str(&format!("  --> {}\n", self.file));
        } else {
            out.push_str(&format!(
                "  --> {}:{}:{}\n",
                self.file, self.line, self.column
            ));
        }
        let gutter = " ".repeat(self.line.to_string().len());
        if let Some(src) = &self.source_line {
            // Columns count characters; a long line is shown as a window around the column.
            let chars: Vec<char> = src
                .trim_start_matches('\u{feff}')
                .chars()
                .map(|c| if c == '\t' { ' ' } else { c })
                .collect();
            let col = (self.column.saturating_sub(1) as usize).min(chars.len());
            let start = col
                .saturating_sub(SHOWN / 2)
                .min(chars.len().saturating_sub(SHOWN));
            let end = (start + SHOWN).min(chars.len());
            let mut shown: String = chars.get(start..end).unwrap_or_default().iter().collect();
            let mut caret_at = col - start;
            if start > 0 {
                shown.insert(0, '…');
                caret_at += 1;
            }
            if end < chars.len() {
                shown.push('…');
            }
            out.push_str(&format!(
                "{gutter} |\n{} | {shown}\n{gutter} | {}^\n",
                self.line,
                " ".repeat(caret_at)
            ));
        }
        if let Some(h) = &self.help {
            out.push_str(&format!("{gutter} = help: {h}\n"));
        }
        out
    }
}

impl fmt::Display for Diagnostic {
    /// One line: `file:line:column: level: message (help: …)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.level {
            Level::Error => "error",
            Level::Warning => "warning",
        };
        write!(
            f,
            "{}:{}:{}: {level}: {}",
            self.file, self.line, self.column, self.message
        )?;
        if let Some(h) = &self.help {
            write!(f, " (help: {h})")?;
        }
        Ok(())
    }
}

/// Loading a rule set failed. Holds every problem found, not only the first.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct LoadError {
    /// Every error and warning, in file order.
    pub diagnostics: Vec<Diagnostic>,
}

impl LoadError {
    /// The errors only.
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| d.level == Level::Error)
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.errors().count();
        write!(
            f,
            "the rule set has {n} error{}",
            if n == 1 { "" } else { "s" }
        )?;
        for d in self.errors() {
            write!(f, "\n{d}")?;
        }
        Ok(())
    }
}
