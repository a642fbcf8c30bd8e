//! A deterministic synthetic workload: ordinary youths with a background mix of observations, and
//! recruitment scenarios whose timing follows the domain brief.
//!
//! Everything is synthetic and reproducible from the seed: the same [`WorkloadConfig`] gives the
//! same subjects and observations, byte for byte, on every machine. Ids are pseudonymous
//! (`y-…`, `o-…`, `c-…`, `vh-…`); there are no names, places or protected attributes.
//!
//! Scenario timing (CKM 2021, via the domain brief): the time from first contact to exploitation is
//! drawn from a log-normal distribution with a median of 7 days and 75% under 30 days; the first
//! contact is online for 80% of scenarios; about half use coercion (threats, blackmail, image
//! requests) rather than a relationship; youths living in an institution are exploited during leave
//! in half of their scenarios.
//!
//! This is a load and demonstration generator, not a model of real caseloads: the background mix
//! is a plausible spread of kinds, channels and sources, not a measured one.

use crate::name::Name;
use crate::time::{Timestamp, format_timestamp};
use crate::timeline::{Bound, Fact, Observation, Subject, Value};
use chrono::TimeDelta;
use std::io::{self, Write};

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkloadConfig {
    /// The seed: the same seed gives the same workload.
    pub seed: u64,
    /// Number of youths.
    pub subjects: usize,
    /// Observations per youth (background and scenario together, on average).
    pub observations_per_subject: usize,
    /// Start of the period.
    pub start: Timestamp,
    /// Length of the period in days.
    pub days: u32,
    /// Share of youths with a recruitment scenario, between 0 and 1.
    pub recruitment_share: f64,
}

impl Default for WorkloadConfig {
    /// 1,000 youths × 100 observations over a year from 2026-01-01, 2% with a scenario, seed 1.
    fn default() -> Self {
        WorkloadConfig {
            seed: 1,
            subjects: 1_000,
            observations_per_subject: 100,
            start: chrono::DateTime::parse_from_rfc3339("2026-01-01T00:00:00+01:00")
                .unwrap_or_default(),
            days: 365,
            recruitment_share: 0.02,
        }
    }
}

/// How a scenario's recruitment goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// Threats, blackmail or image requests, often almost at once.
    Coercion,
    /// Gifts, money and a second phone: the "relationship" route.
    Relationship,
}

/// The ground truth of one generated recruitment scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// The youth.
    pub subject: String,
    /// The recruiter's pseudonymous id.
    pub counterpart: String,
    /// When the first contact happened.
    pub first_contact: Timestamp,
    /// When exploitation began (the first meeting, pickup or stay after recruitment).
    pub exploitation: Timestamp,
    /// Whether the first contact was online.
    pub online: bool,
    /// Coercion or relationship.
    pub route: Route,
    /// Whether the youth went missing during leave from an institution.
    pub during_leave: bool,
}

/// A generated workload.
#[derive(Debug, Clone, Default)]
pub struct Workload {
    /// The youths' profiles.
    pub subjects: Vec<Subject>,
    /// Observations with their subject, in the order they were recorded (a realistic stream).
    pub observations: Vec<(String, Observation)>,
    /// The recruitment scenarios inside the observations.
    pub scenarios: Vec<Scenario>,
}

/// SplitMix64: small, fast and identical everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items
            .get(self.below(items.len()))
            .copied()
            .unwrap_or_default()
    }
    /// A standard normal variate (Box–Muller).
    fn normal(&mut self) -> f64 {
        let u = self.unit().max(f64::MIN_POSITIVE);
        let v = self.unit();
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
    fn minutes(&mut self, lo: i64, hi: i64) -> TimeDelta {
        let span = (hi - lo).max(1) as u64;
        TimeDelta::minutes(lo + (self.next() % span) as i64)
    }
}

/// The background mix of an ordinary youth: kind and relative weight (per mille). Mostly routine
/// records (meetings, safety checks, contacts with peers); signs are rarer, as in a care file.
const BACKGROUND: &[(&str, u32)] = &[
    ("meeting.in_person", 200),
    ("safety.check", 150),
    ("contact.new", 120),
    ("truancy", 80),
    ("return.late", 80),
    ("vehicle.pickup", 40),
    ("rhythm.disturbed", 30),
    ("substance.episode", 30),
    ("injury", 20),
    ("missing.episode", 15),
    ("sexual_health.event", 10),
    ("waiting.at_location", 10),
    ("secrecy", 7),
    ("item.unexplained", 3),
    ("money.unexplained", 3),
    ("image.exchange", 3),
    ("phone.additional", 1),
];

/// Who plausibly records each background kind.
fn source_for(rng: &mut Rng, kind: &str, in_institution: bool) -> &'static str {
    let home = if in_institution {
        "institution"
    } else {
        "family_guardian"
    };
    match kind {
        "truancy" => "school",
        "return.late" | "rhythm.disturbed" | "missing.episode" => home,
        "injury" | "sexual_health.event" => "health",
        "substance.episode" => rng.pick(&[home, "youth_worker"]),
        "safety.check" => rng.pick(&["mentor", "youth_worker"]),
        "contact.new" | "meeting.in_person" => rng.pick(&["mentor", home, "youth"]),
        "vehicle.pickup" | "waiting.at_location" => rng.pick(&["school", home]),
        "image.exchange" => rng.pick(&["youth", "mentor"]),
        _ => rng.pick(&["mentor", home, "youth_worker"]),
    }
}

const ONLINE: &[&str] = &[
    "online.social_media",
    "online.messaging",
    "online.gaming",
    "online.dating_app",
];

/// Generates the workload `config` describes.
pub fn generate(config: &WorkloadConfig) -> Workload {
    let mut rng = Rng(config.seed);
    let mut w = Workload::default();
    let total_weight: u32 = BACKGROUND.iter().map(|(_, n)| n).sum();
    let span_minutes = i64::from(config.days.max(1)) * 24 * 60;
    let mut stream: Vec<(Timestamp, String, Observation)> = Vec::new();
    for s in 0..config.subjects {
        let id = format!("y-{s:06}");
        let residence = match rng.below(100) {
            0..20 => "institution.open",
            20..25 => "institution.closed",
            25..35 => "foster_care",
            _ => "home",
        };
        let in_institution = residence.starts_with("institution");
        let age_days = 12 * 365 + rng.below(6 * 365) as i64;
        let born = (config.start - TimeDelta::days(age_days)).date_naive();
        let mut facts = vec![Fact {
            name: "residence".into(),
            value: Value::String(residence.into()),
            from: None,
            until: None,
        }];
        let mut obs: Vec<Observation> = Vec::with_capacity(config.observations_per_subject + 8);
        let mut n = 0usize;
        let next_id = |n: &mut usize| {
            *n += 1;
            Name::from(format!("o-{n}"))
        };
        let peers: Vec<String> = (0..8).map(|k| format!("c-{s}-{k}")).collect();
        // A recruitment scenario, for some.
        if rng.chance(config.recruitment_share) {
            let sc = scenario(&mut rng, config, &id, s, in_institution, span_minutes);
            for mut o in scenario_observations(&mut rng, &sc) {
                o.id = next_id(&mut n);
                obs.push(o);
            }
            if sc.during_leave {
                let leave_from = sc.exploitation - TimeDelta::hours(10);
                facts.push(Fact {
                    name: "leave".into(),
                    value: Value::String("day".into()),
                    from: Some(Bound::Instant(leave_from)),
                    until: Some(Bound::Instant(sc.exploitation + TimeDelta::hours(2))),
                });
            }
            w.scenarios.push(sc);
        }
        while obs.len() < config.observations_per_subject {
            let at = config.start + rng.minutes(0, span_minutes);
            let mut pick = rng.below(total_weight as usize) as u32;
            let kind = BACKGROUND
                .iter()
                .find(|(_, weight)| {
                    if pick < *weight {
                        true
                    } else {
                        pick -= weight;
                        false
                    }
                })
                .map_or("safety.check", |(k, _)| k);
            let mut o = Observation::new(next_id(&mut n), at, kind);
            o.source = Some(source_for(&mut rng, kind, in_institution).into());
            background_details(&mut rng, &mut o, &peers, s);
            if kind == "missing.episode" {
                // An ordinary episode: back within hours, usually a return interview.
                let end_at = at + rng.minutes(60, 20 * 60);
                let mut end = Observation::new(next_id(&mut n), end_at, "missing.episode.end");
                end.source = Some("police".into());
                if rng.chance(0.9) {
                    let talk = end_at + rng.minutes(60, 60 * 60);
                    let mut interview = Observation::new(next_id(&mut n), talk, "return.interview");
                    interview.source = Some("mentor".into());
                    obs.push(interview);
                }
                obs.push(end);
            }
            obs.push(o);
        }
        for mut o in obs {
            // Most are recorded at once; some hours later; a few days late.
            let lag = match rng.below(100) {
                0..70 => None,
                70..95 => Some(rng.minutes(30, 24 * 60)),
                _ => Some(rng.minutes(24 * 60, 5 * 24 * 60)),
            };
            o.recorded_at = lag.map(|d| o.at + d);
            stream.push((o.recorded(), id.clone(), o));
        }
        w.subjects.push(Subject {
            id: id.into(),
            born: Some(born),
            facts,
        });
    }
    stream.sort_by(|a, b| {
        a.0.cmp(&b.0)
            .then_with(|| a.1.cmp(&b.1))
            .then_with(|| a.2.id.cmp(&b.2.id))
    });
    w.observations = stream.into_iter().map(|(_, s, o)| (s, o)).collect();
    w
}

fn scenario(
    rng: &mut Rng,
    config: &WorkloadConfig,
    subject: &str,
    s: usize,
    in_institution: bool,
    span_minutes: i64,
) -> Scenario {
    // Log-normal: median 7 days, P(< 30 days) = 0.75, so sigma = ln(30/7) / 0.6745.
    let sigma = (30.0f64 / 7.0).ln() / 0.6745;
    let days = (7.0f64.ln() + sigma * rng.normal())
        .exp()
        .clamp(1.0 / 24.0, 90.0);
    let first_contact = config.start + rng.minutes(0, (span_minutes * 3 / 4).max(1));
    let exploitation = first_contact + TimeDelta::minutes((days * 24.0 * 60.0) as i64);
    Scenario {
        subject: subject.to_owned(),
        counterpart: format!("c-{s}-r"),
        first_contact,
        exploitation,
        online: rng.chance(0.8),
        route: if rng.chance(0.51) {
            Route::Coercion
        } else {
            Route::Relationship
        },
        during_leave: in_institution && rng.chance(0.5),
    }
}

fn scenario_observations(rng: &mut Rng, sc: &Scenario) -> Vec<Observation> {
    let mut out = Vec::new();
    // Each record its own copy of the id, as the readers give it.
    let c = || Some(Name::from(sc.counterpart.as_str()));
    let src = |rng: &mut Rng| {
        Some(
            rng.pick(&["mentor", "institution", "school", "youth_worker"])
                .into(),
        )
    };
    let mut first = Observation::new("", sc.first_contact, "contact.new");
    first.channel = Some(if sc.online {
        rng.pick(ONLINE).into()
    } else {
        "in_person".into()
    });
    first.counterpart = c();
    first.source = src(rng);
    let relation = if rng.chance(0.4) {
        "peer"
    } else {
        "unknown_adult"
    };
    first.attributes.insert("relation".into(), relation.into());
    let gap = 3 + rng.below(12);
    first
        .attributes
        .insert("age_gap_years".into(), Value::Number(gap as f64));
    out.push(first);
    let span = (sc.exploitation - sc.first_contact).num_minutes().max(2);
    let between = |rng: &mut Rng| {
        sc.first_contact + TimeDelta::minutes(1 + rng.below(span as usize - 1) as i64)
    };
    match sc.route {
        Route::Coercion => {
            let mut ask = Observation::new("", between(rng), "image.exchange");
            ask.counterpart = c();
            ask.channel = Some(rng.pick(ONLINE).into());
            ask.attributes
                .insert("direction".into(), "requested".into());
            ask.source = src(rng);
            out.push(ask);
            if rng.chance(0.5) {
                let mut threat = Observation::new("", between(rng), "threat.blackmail");
                threat.counterpart = c();
                threat.source = src(rng);
                out.push(threat);
            }
        }
        Route::Relationship => {
            for kind in ["item.unexplained", "money.unexplained", "phone.additional"] {
                if rng.chance(0.6) {
                    let mut o = Observation::new("", between(rng), kind);
                    o.source = src(rng);
                    out.push(o);
                }
            }
            if rng.chance(0.3) {
                let mut o = Observation::new("", between(rng), "secrecy");
                o.attributes.insert("concerning".into(), "phone".into());
                o.source = src(rng);
                out.push(o);
            }
        }
    }
    if sc.during_leave {
        let mut gone = Observation::new("", sc.exploitation, "missing.episode");
        gone.attributes
            .insert("during_leave".into(), Value::Bool(true));
        gone.attributes
            .insert("overnight".into(), Value::Bool(true));
        gone.source = Some("institution".into());
        out.push(gone);
    }
    let kind = rng.pick(&[
        "meeting.in_person",
        "vehicle.pickup",
        "stay.hotel",
        "stay.unknown_address",
    ]);
    let mut met = Observation::new("", sc.exploitation + TimeDelta::minutes(30), kind);
    met.counterpart = c();
    met.source = src(rng);
    if kind == "vehicle.pickup" {
        met.attributes
            .insert("vehicle".into(), format!("vh-{}", sc.counterpart).into());
    }
    out.push(met);
    if rng.chance(0.3) {
        let mut ad = Observation::new(
            "",
            sc.exploitation + rng.minutes(24 * 60, 14 * 24 * 60),
            "advertisement.found",
        );
        ad.channel = Some("online.sex_site".into());
        ad.source = Some("police".into());
        out.push(ad);
    }
    out
}

fn background_details(rng: &mut Rng, o: &mut Observation, peers: &[String], s: usize) {
    // Each record its own copy of the id, as the readers give it.
    let peer = || peers.first().map(Name::from);
    let any_peer = |rng: &mut Rng| {
        peers
            .get(rng.below(peers.len()))
            .map(Name::from)
            .or_else(peer)
    };
    match o.kind.as_str() {
        "contact.new" => {
            o.channel = Some(if rng.chance(0.6) {
                "in_person".into()
            } else {
                rng.pick(&["online.social_media", "online.messaging", "online.gaming"])
                    .into()
            });
            o.counterpart = any_peer(rng);
            let relation = match rng.below(100) {
                0..90 => "peer",
                90..97 => "known_adult",
                _ => "family",
            };
            o.attributes.insert("relation".into(), relation.into());
            o.attributes
                .insert("age_gap_years".into(), Value::Number(rng.below(3) as f64));
        }
        "meeting.in_person" => {
            o.channel = Some("in_person".into());
            o.counterpart = any_peer(rng);
        }
        "truancy" => {
            o.attributes
                .insert("weekend_adjacent".into(), Value::Bool(rng.chance(0.25)));
        }
        "return.late" => {
            let hours = 0.25 * (1 + rng.below(8)) as f64;
            o.attributes
                .insert("hours_late".into(), Value::Number(hours));
        }
        "missing.episode" => {
            o.attributes
                .insert("overnight".into(), Value::Bool(rng.chance(0.2)));
        }
        "injury" => {
            o.attributes
                .insert("explained".into(), Value::Bool(rng.chance(0.9)));
        }
        "sexual_health.event" => {
            let event = if rng.chance(0.85) {
                "sti_test"
            } else {
                "other"
            };
            o.attributes.insert("event".into(), event.into());
        }
        "secrecy" => {
            let about = rng.pick(&["contacts", "phone", "whereabouts"]);
            o.attributes.insert("concerning".into(), about.into());
        }
        "vehicle.pickup" => {
            let relation = if rng.chance(0.7) {
                "family"
            } else {
                "known_adult"
            };
            o.attributes.insert("relation".into(), relation.into());
            o.attributes
                .insert("vehicle".into(), format!("vh-{s}-{}", rng.below(2)).into());
        }
        "waiting.at_location" => {
            o.attributes
                .insert("location".into(), rng.pick(&["school", "home"]).into());
            o.attributes.insert("relation".into(), "family".into());
        }
        "image.exchange" => {
            o.counterpart = any_peer(rng);
            o.channel = Some("online.messaging".into());
            let direction = rng.pick(&["sent", "received"]);
            o.attributes.insert("direction".into(), direction.into());
        }
        _ => {}
    }
}

impl Workload {
    /// Writes the subjects and the observations as JSON Lines, the formats `eval` and `watch` read.
    ///
    /// # Errors
    /// Any write error.
    pub fn write_jsonl(&self, subjects: impl Write, observations: impl Write) -> io::Result<()> {
        let mut subjects = io::BufWriter::new(subjects);
        for s in &self.subjects {
            serde_json::to_writer(&mut subjects, &s.to_json())?;
            writeln!(subjects)?;
        }
        subjects.flush()?;
        let mut observations = io::BufWriter::new(observations);
        for (s, o) in &self.observations {
            serde_json::to_writer(&mut observations, &o.to_json(s))?;
            writeln!(observations)?;
        }
        observations.flush()
    }

    /// Writes the scenarios' ground truth as JSON Lines.
    ///
    /// # Errors
    /// Any write error.
    pub fn write_scenarios(&self, out: impl Write) -> io::Result<()> {
        let mut out = io::BufWriter::new(out);
        for sc in &self.scenarios {
            let line = serde_json::json!({
                "subject": sc.subject,
                "counterpart": sc.counterpart,
                "first_contact": format_timestamp(&sc.first_contact),
                "exploitation": format_timestamp(&sc.exploitation),
                "online": sc.online,
                "route": match sc.route { Route::Coercion => "coercion", Route::Relationship => "relationship" },
                "during_leave": sc.during_leave,
            });
            serde_json::to_writer(&mut out, &line)?;
            writeln!(out)?;
        }
        out.flush()
    }

    /// The workload as a timeline checked against `rules`' vocabulary.
    ///
    /// # Errors
    /// The first record the vocabulary refuses (with the default pack, none is).
    pub fn timeline(&self, rules: &crate::RuleSet) -> Result<crate::Timeline, crate::InputError> {
        let mut tl = rules.new_timeline();
        for s in &self.subjects {
            tl.add_subject(s.clone())?;
        }
        for (s, o) in &self.observations {
            tl.add_observation(s, o.clone())?;
        }
        Ok(tl)
    }
}

/// The default vocabulary's kinds that the generated rules draw from.
const RULE_KINDS: &[&str] = &[
    "contact.new",
    "meeting.in_person",
    "peer.introduction",
    "waiting.at_location",
    "secrecy",
    "vehicle.pickup",
    "stay.hotel",
    "stay.unknown_address",
    "missing.episode",
    "missing.episode.end",
    "return.late",
    "return.interview",
    "rhythm.disturbed",
    "truancy",
    "item.unexplained",
    "money.unexplained",
    "phone.additional",
    "debt.sudden",
    "image.exchange",
    "threat.blackmail",
    "injury",
    "sexual_health.event",
    "substance.episode",
    "safety.check",
    "disclosure",
    "advertisement.found",
    "contact.renewed",
];

/// Kinds most records of an ordinary youth have (see `BACKGROUND`).
const ROUTINE: &[&str] = &[
    "meeting.in_person",
    "safety.check",
    "contact.new",
    "truancy",
    "return.late",
    "vehicle.pickup",
    "rhythm.disturbed",
    "substance.episode",
    "missing.episode.end",
    "return.interview",
];

/// `n` generated rules (a YAML rule file for the default vocabulary) of all five patterns, for
/// measuring how the cost grows with the number of rules. Deterministic from `seed`. They carry
/// no tests, so `check` warns about each; they are load, not policy.
pub fn rules_yaml(n: usize, seed: u64) -> String {
    let mut rng = Rng(seed);
    let mut out = String::from("rules:\n");
    for i in 0..n {
        // Rules look for signs, which are rarer than routine records; an absence expects anything.
        let signs: Vec<&str> = RULE_KINDS
            .iter()
            .copied()
            .filter(|k| !ROUTINE.contains(k))
            .collect();
        let k1 = rng.pick(&signs);
        let k2 = rng.pick(&signs);
        let k3 = rng.pick(&signs);
        let expect = rng.pick(RULE_KINDS);
        let days = 3 + rng.below(28);
        // Selective, as real rules are: most observations that reach a rule do not make it fire.
        let when = match i % 5 {
            0 => format!(
                "match: {{ kind: {k1}, source: {}, channel: {{ exists: true }} }}",
                rng.pick(&["police", "health", "school"])
            ),
            1 => format!(
                "count: {{ match: {{ kind: [{k1}, {k2}] }}, within: {days}d, at_least: {} }}",
                4 + rng.below(4)
            ),
            2 => format!(
                "sequence: {{ within: {days}d, by: counterpart, steps: [ {{ kind: {k1} }}, {{ kind: {k2} }} ] }}"
            ),
            3 => format!(
                "absence: {{ after: {{ kind: {k1} }}, expect: {{ kind: {expect} }}, within: {}h }}",
                24 + rng.below(72)
            ),
            _ => format!(
                "signals: {{ within: {days}d, at_least: 3, of: {{ a: {{ kind: {k1} }}, b: {{ kind: {k2} }}, c: {{ kind: {k3} }} }} }}"
            ),
        };
        out.push_str(&format!(
            "  - id: gen-{i:04}\n    version: 1\n    title: generated rule {i}\n    class: risk\n    severity: low\n    rationale: generated load for benchmarks\n    when: {{ {when} }}\n    cooldown: 30d\n"
        ));
    }
    out
}
