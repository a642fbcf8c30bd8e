#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
// Library code never panics on input: no unwrap, expect, panic or unchecked indexing (tests may).
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::unreachable,
        clippy::todo,
        clippy::unimplemented
    )
)]
#![deny(missing_docs)]

mod attributes;
pub mod backtest;
mod builtin;
mod error;
mod eval;
mod flag;
pub mod generate;
mod hash;
mod html;
mod input;
mod limits;
mod load;
pub mod monitor;
mod name;
mod node;
mod report;
mod rule;
mod ruleset;
mod ruletest;
mod scan;
#[cfg(feature = "schema")]
pub mod schema;
pub mod time;
mod timeline;
mod vocabulary;

pub use attributes::{Attributes, Iter as AttributesIter};
pub use error::{Diagnostic, Level, LoadError};
pub use eval::{Engine, ExplainError, Explanation, Hidden, JsonlBatch, NearMiss, Suggestion};
pub use flag::{
    Class, Evidence, EvidenceList, Flag, FlagId, FlagText, Key, ParseFlagIdError, Severity, Stage,
    Window,
};
pub use html::{Note, ReportOptions, case_report};
pub use limits::Limits;
pub use monitor::{Event, Monitor, MonitorConfig, MonitorError, SnapshotError};
pub use name::Name;
pub use node::Pos;
pub use report::{Pending, Rejection, Report, Stats, Warning};
pub use rule::{Rule, WindowOpens};
pub use ruleset::RuleSet;
pub use ruletest::TestOutcome;
pub use time::{Duration, Timestamp};
pub use timeline::{
    Bound, Fact, InputError, LineObservation, Observation, Origin, Subject, SubjectTimeline,
    Timeline, Value,
};
pub use vocabulary::{KindDecl, ValueType, Vocabulary};
