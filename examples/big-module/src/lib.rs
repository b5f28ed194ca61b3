//! A realistic, large (>= 1 MB) wasm32 module for benchmarking the
//! transform: a small "document processor" built from widely used crates
//! (`serde` + `serde_json`, `regex` with its Unicode tables, `toml`).
//!
//! Host input arrives through a suspending import, `env.read_input`, wrapped
//! in a [`std::io::Read`] implementation that `serde_json` streams from, so
//! the generic serde deserialisation code sits on the suspending path.
//! `env.yield_now` is called from inside regex replacement closures and
//! sort comparators, which puts `regex` and `core::slice::sort`
//! monomorphisations on that path too. `env.write_output` and `env.log` are
//! imports that never suspend: with a precise import list
//! (`env.read_input,env.yield_now`) they do not need instrumentation, with
//! the default (every import may suspend) they do.
//!
//! Exports: `run() -> i32` (0 on success, a negative error code otherwise)
//! and `memory`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Read, Write};

use regex::{Captures, Regex, RegexBuilder, RegexSet};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

#[link(wasm_import_module = "env")]
unsafe extern "C" {
    /// Fills up to `len` bytes at `buf` with input; returns how many were
    /// written, 0 at end of input. May suspend.
    fn read_input(buf: *mut u8, len: usize) -> usize;
    /// Gives the host a chance to run. May suspend.
    fn yield_now();
    /// Appends `len` bytes at `ptr` to the output. Never suspends.
    fn write_output(ptr: *const u8, len: usize);
    /// A log line. Never suspends.
    fn log(level: u32, ptr: *const u8, len: usize);
}

// ---------------------------------------------------------------------------
// Host I/O
// ---------------------------------------------------------------------------

/// The host input as a byte stream.
struct HostInput {
    bytes_read: u64,
}

impl Read for HostInput {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        // SAFETY: `buf` is a valid, writable slice of `buf.len()` bytes; the
        // host writes at most that many.
        let n = unsafe { read_input(buf.as_mut_ptr(), buf.len()) };
        if n > buf.len() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "host returned too many bytes",
            ));
        }
        self.bytes_read += n as u64;
        Ok(n)
    }
}

/// The host output as a byte sink.
struct HostOutput {
    bytes_written: u64,
}

impl Write for HostOutput {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        // SAFETY: `buf` is a valid slice; the host only reads from it.
        unsafe { write_output(buf.as_ptr(), buf.len()) };
        self.bytes_written += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[derive(Clone, Copy)]
enum Level {
    Debug = 0,
    Info = 1,
    Warn = 2,
}

fn log_line(level: Level, msg: &str) {
    // SAFETY: `msg` is a valid UTF-8 slice; the host only reads from it.
    unsafe { log(level as u32, msg.as_ptr(), msg.len()) };
}

/// Yields to the host every `every`-th call.
struct Pacer {
    count: u64,
    every: u64,
    yields: u64,
}

impl Pacer {
    fn new(every: u64) -> Self {
        Pacer {
            count: 0,
            every: every.max(1),
            yields: 0,
        }
    }

    fn tick(&mut self) {
        self.count += 1;
        if self.count.is_multiple_of(self.every) {
            self.yields += 1;
            // SAFETY: a plain host call without arguments.
            unsafe { yield_now() };
        }
    }
}

// ---------------------------------------------------------------------------
// Documents
// ---------------------------------------------------------------------------

/// One JSON document of the input stream.
#[derive(Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Document {
    /// A TOML configuration, embedded as a string.
    Config { toml: String },
    /// Records to filter, sort and aggregate.
    Records {
        records: Vec<Record>,
        #[serde(default)]
        filters: Vec<Filter>,
        #[serde(default)]
        sort_by: Option<SortKey>,
    },
    /// Arbitrary JSON to analyse and re-emit.
    Raw { value: Value },
    /// Regex search-and-replace over a text.
    Rewrite {
        pattern: String,
        replacement: String,
        text: String,
        #[serde(default)]
        case_insensitive: bool,
    },
    /// Classify lines of text by a set of patterns.
    Classify {
        patterns: Vec<String>,
        lines: Vec<String>,
    },
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
struct Record {
    id: u64,
    name: String,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    score: f64,
    #[serde(default)]
    attributes: BTreeMap<String, Value>,
    #[serde(default)]
    location: Option<Location>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
struct Location {
    lat: f64,
    lon: f64,
    #[serde(default)]
    city: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Field {
    Name,
    Email,
    Tag,
    City,
}

#[derive(Debug, Clone, Deserialize)]
struct Filter {
    field: Field,
    pattern: String,
    #[serde(default)]
    negate: bool,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
enum SortKey {
    Id,
    Name,
    Score,
    Distance,
}

#[derive(Debug, Deserialize, Serialize)]
struct Config {
    #[serde(default)]
    title: String,
    #[serde(default)]
    owner: Option<Owner>,
    #[serde(default)]
    limits: Limits,
    #[serde(default)]
    servers: BTreeMap<String, Server>,
    #[serde(default)]
    rules: Vec<Rule>,
}

#[derive(Debug, Deserialize, Serialize)]
struct Owner {
    name: String,
    #[serde(default)]
    email: Option<String>,
}

#[derive(Debug, Deserialize, Serialize)]
struct Limits {
    #[serde(default = "default_max_records")]
    max_records: u32,
    #[serde(default = "default_yield_every")]
    yield_every: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_records: default_max_records(),
            yield_every: default_yield_every(),
        }
    }
}

fn default_max_records() -> u32 {
    10_000
}

fn default_yield_every() -> u32 {
    16
}

#[derive(Debug, Deserialize, Serialize)]
struct Server {
    ip: String,
    #[serde(default)]
    port: u16,
    #[serde(default)]
    roles: Vec<String>,
}

#[derive(Debug, Deserialize, Serialize)]
struct Rule {
    name: String,
    pattern: String,
    #[serde(default)]
    replacement: Option<String>,
}

#[derive(Debug, Serialize)]
struct RecordsSummary<'a> {
    kind: &'static str,
    total: usize,
    kept: usize,
    mean_score: f64,
    tags: BTreeMap<&'a str, usize>,
    domains: BTreeMap<String, usize>,
    top: Vec<&'a Record>,
}

#[derive(Debug, Default, Serialize)]
struct ValueStats {
    nulls: u64,
    bools: u64,
    numbers: u64,
    strings: u64,
    arrays: u64,
    objects: u64,
    max_depth: u32,
    string_bytes: u64,
    keys: BTreeMap<String, u64>,
}

// ---------------------------------------------------------------------------
// Processing
// ---------------------------------------------------------------------------

/// Errors of one run, as the negative code `run` returns.
#[derive(Debug)]
enum RunError {
    Json(serde_json::Error),
    Toml(String),
    Regex(regex::Error),
    Io(io::Error),
}

impl RunError {
    fn code(&self) -> i32 {
        match self {
            RunError::Json(_) => -1,
            RunError::Toml(_) => -2,
            RunError::Regex(_) => -3,
            RunError::Io(_) => -4,
        }
    }
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunError::Json(e) => write!(f, "json: {e}"),
            RunError::Toml(e) => write!(f, "toml: {e}"),
            RunError::Regex(e) => write!(f, "regex: {e}"),
            RunError::Io(e) => write!(f, "io: {e}"),
        }
    }
}

impl From<serde_json::Error> for RunError {
    fn from(e: serde_json::Error) -> Self {
        RunError::Json(e)
    }
}

impl From<regex::Error> for RunError {
    fn from(e: regex::Error) -> Self {
        RunError::Regex(e)
    }
}

impl From<io::Error> for RunError {
    fn from(e: io::Error) -> Self {
        RunError::Io(e)
    }
}

struct Processor {
    out: HostOutput,
    pacer: Pacer,
    config: Option<Config>,
    rules: Vec<(Regex, Option<String>)>,
    email_re: Regex,
    documents: u64,
}

impl Processor {
    fn new() -> Result<Self, RunError> {
        Ok(Processor {
            out: HostOutput { bytes_written: 0 },
            pacer: Pacer::new(u64::from(default_yield_every())),
            config: None,
            rules: Vec::new(),
            email_re: Regex::new(r"(?i)^[\p{L}\p{N}._%+-]+@([\p{L}\p{N}.-]+\.\p{L}{2,})$")?,
            documents: 0,
        })
    }

    fn process(&mut self, doc: Document) -> Result<(), RunError> {
        self.documents += 1;
        match doc {
            Document::Config { toml } => self.config(&toml),
            Document::Records {
                records,
                filters,
                sort_by,
            } => self.records(records, &filters, sort_by),
            Document::Raw { value } => self.raw(&value),
            Document::Rewrite {
                pattern,
                replacement,
                text,
                case_insensitive,
            } => self.rewrite(&pattern, &replacement, &text, case_insensitive),
            Document::Classify { patterns, lines } => self.classify(&patterns, &lines),
        }
    }

    fn config(&mut self, text: &str) -> Result<(), RunError> {
        let config: Config = toml::from_str(text).map_err(|e| RunError::Toml(e.to_string()))?;
        // Also look at it untyped, as a tool that accepts unknown keys would.
        let table: toml::Table = toml::from_str(text).map_err(|e| RunError::Toml(e.to_string()))?;
        let mut msg = String::new();
        let _ = write!(
            msg,
            "config `{}` with {} top-level keys:",
            config.title,
            table.len()
        );
        for (key, value) in &table {
            let _ = write!(msg, " {key}={}", value.type_str());
        }
        log_line(Level::Info, &msg);

        self.rules.clear();
        for rule in &config.rules {
            self.pacer.tick();
            let re = RegexBuilder::new(&rule.pattern)
                .size_limit(1 << 22)
                .build()?;
            self.rules.push((re, rule.replacement.clone()));
        }
        self.pacer = Pacer::new(u64::from(config.limits.yield_every));
        let echo = toml::to_string(&config).map_err(|e| RunError::Toml(e.to_string()))?;
        self.emit_line(&serde_json::json!({
            "kind": "config",
            "title": config.title,
            "servers": config.servers.len(),
            "rules": config.rules.len(),
            "echo_bytes": echo.len(),
        }))?;
        self.config = Some(config);
        Ok(())
    }

    fn records(
        &mut self,
        mut records: Vec<Record>,
        filters: &[Filter],
        sort_by: Option<SortKey>,
    ) -> Result<(), RunError> {
        let total = records.len();
        let max = self
            .config
            .as_ref()
            .map_or(default_max_records(), |c| c.limits.max_records);
        records.truncate(max as usize);

        let compiled: Vec<(Field, Regex, bool)> = filters
            .iter()
            .map(|f| Ok((f.field.clone(), Regex::new(&f.pattern)?, f.negate)))
            .collect::<Result<_, regex::Error>>()?;
        let pacer = &mut self.pacer;
        records.retain(|r| {
            pacer.tick();
            compiled.iter().all(|(field, re, negate)| {
                let hit = match field {
                    Field::Name => re.is_match(&r.name),
                    Field::Email => r.email.as_deref().is_some_and(|e| re.is_match(e)),
                    Field::Tag => r.tags.iter().any(|t| re.is_match(t)),
                    Field::City => r
                        .location
                        .as_ref()
                        .and_then(|l| l.city.as_deref())
                        .is_some_and(|c| re.is_match(c)),
                };
                hit != *negate
            })
        });

        match sort_by.unwrap_or(SortKey::Id) {
            SortKey::Id => records.sort_by(|a, b| {
                pacer.tick();
                a.id.cmp(&b.id)
            }),
            SortKey::Name => records.sort_by(|a, b| {
                pacer.tick();
                a.name
                    .to_lowercase()
                    .cmp(&b.name.to_lowercase())
                    .then(a.id.cmp(&b.id))
            }),
            SortKey::Score => records.sort_by(|a, b| {
                pacer.tick();
                b.score.total_cmp(&a.score).then(a.id.cmp(&b.id))
            }),
            SortKey::Distance => records.sort_by(|a, b| {
                pacer.tick();
                distance(a).total_cmp(&distance(b)).then(a.id.cmp(&b.id))
            }),
        }

        let mut tags: BTreeMap<&str, usize> = BTreeMap::new();
        let mut domains: BTreeMap<String, usize> = BTreeMap::new();
        let mut score_sum = 0.0;
        for r in &records {
            score_sum += r.score;
            for t in &r.tags {
                *tags.entry(t.as_str()).or_default() += 1;
            }
            if let Some(caps) = r.email.as_deref().and_then(|e| self.email_re.captures(e)) {
                *domains.entry(caps[1].to_lowercase()).or_default() += 1;
            }
        }
        let kept = records.len();
        let summary = RecordsSummary {
            kind: "records",
            total,
            kept,
            mean_score: if kept == 0 {
                0.0
            } else {
                score_sum / kept as f64
            },
            tags,
            domains,
            top: records.iter().take(5).collect(),
        };
        serde_json::to_writer(&mut self.out, &summary)?;
        self.out.write_all(b"\n")?;
        Ok(())
    }

    fn raw(&mut self, value: &Value) -> Result<(), RunError> {
        let mut stats = ValueStats::default();
        walk(value, 0, &mut stats, &mut self.pacer);
        let normalised = normalise(value, &self.rules);
        let pretty = serde_json::to_string_pretty(&normalised)?;
        let roundtrip: Value = serde_json::from_str(&pretty)?;
        if roundtrip != normalised {
            log_line(Level::Warn, "pretty-printed value does not round-trip");
        }
        self.emit_line(&serde_json::json!({
            "kind": "raw",
            "stats": stats,
            "pretty_bytes": pretty.len(),
        }))
    }

    fn rewrite(
        &mut self,
        pattern: &str,
        replacement: &str,
        text: &str,
        case_insensitive: bool,
    ) -> Result<(), RunError> {
        let re = RegexBuilder::new(pattern)
            .case_insensitive(case_insensitive)
            .build()?;
        let pacer = &mut self.pacer;
        let mut replaced = 0usize;
        let result = re.replace_all(text, |caps: &Captures<'_>| {
            pacer.tick();
            replaced += 1;
            let mut dst = String::new();
            caps.expand(replacement, &mut dst);
            dst
        });
        let mut words: BTreeMap<String, usize> = BTreeMap::new();
        let word = Regex::new(r"\b\w+\b")?;
        for m in word.find_iter(&result) {
            *words.entry(m.as_str().to_lowercase()).or_default() += 1;
        }
        let mut common: Vec<(String, usize)> = words.into_iter().collect();
        common.sort_by(|a, b| {
            pacer.tick();
            b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0))
        });
        common.truncate(10);
        self.emit_line(&serde_json::json!({
            "kind": "rewrite",
            "replaced": replaced,
            "result": result,
            "common_words": common,
        }))
    }

    fn classify(&mut self, patterns: &[String], lines: &[String]) -> Result<(), RunError> {
        let set = RegexSet::new(patterns)?;
        let mut counts = vec![0usize; patterns.len()];
        let mut unmatched = Vec::new();
        for line in lines {
            self.pacer.tick();
            let matches = set.matches(line);
            if !matches.matched_any() {
                unmatched.push(line.as_str());
            }
            for i in matches.iter() {
                counts[i] += 1;
            }
        }
        let by_pattern: Map<String, Value> = patterns
            .iter()
            .cloned()
            .zip(counts.into_iter().map(Value::from))
            .collect();
        self.emit_line(&serde_json::json!({
            "kind": "classify",
            "by_pattern": by_pattern,
            "unmatched": unmatched,
        }))
    }

    fn emit_line(&mut self, value: &Value) -> Result<(), RunError> {
        serde_json::to_writer(&mut self.out, value)?;
        self.out.write_all(b"\n")?;
        Ok(())
    }
}

fn distance(r: &Record) -> f64 {
    // Great-circle distance from (0, 0), in km.
    r.location.as_ref().map_or(f64::INFINITY, |l| {
        let (lat, lon) = (l.lat.to_radians(), l.lon.to_radians());
        let a = (lat / 2.0).sin().powi(2) + lat.cos() * (lon / 2.0).sin().powi(2);
        6371.0 * 2.0 * a.sqrt().atan2((1.0 - a).sqrt())
    })
}

fn walk(value: &Value, depth: u32, stats: &mut ValueStats, pacer: &mut Pacer) {
    stats.max_depth = stats.max_depth.max(depth);
    match value {
        Value::Null => stats.nulls += 1,
        Value::Bool(_) => stats.bools += 1,
        Value::Number(_) => stats.numbers += 1,
        Value::String(s) => {
            stats.strings += 1;
            stats.string_bytes += s.len() as u64;
        }
        Value::Array(items) => {
            stats.arrays += 1;
            for item in items {
                walk(item, depth + 1, stats, pacer);
            }
        }
        Value::Object(map) => {
            stats.objects += 1;
            pacer.tick();
            for (k, v) in map {
                *stats.keys.entry(k.clone()).or_default() += 1;
                walk(v, depth + 1, stats, pacer);
            }
        }
    }
}

/// Applies the configured rewrite rules to every string in `value`.
fn normalise(value: &Value, rules: &[(Regex, Option<String>)]) -> Value {
    match value {
        Value::String(s) => {
            let mut s = s.clone();
            for (re, replacement) in rules {
                if let Some(rep) = replacement {
                    s = re.replace_all(&s, rep.as_str()).into_owned();
                }
            }
            Value::String(s)
        }
        Value::Array(items) => Value::Array(items.iter().map(|v| normalise(v, rules)).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), normalise(v, rules)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn run_inner() -> Result<u64, RunError> {
    let mut processor = Processor::new()?;
    let input = io::BufReader::with_capacity(4096, HostInput { bytes_read: 0 });
    let stream = serde_json::Deserializer::from_reader(input).into_iter::<Document>();
    for doc in stream {
        let doc = doc?;
        processor.process(doc)?;
        // SAFETY: a plain host call without arguments.
        unsafe { yield_now() };
    }
    let msg = format!(
        "processed {} documents, {} bytes out, {} yields",
        processor.documents, processor.out.bytes_written, processor.pacer.yields
    );
    log_line(Level::Debug, &msg);
    Ok(processor.documents)
}

/// Processes the whole host input; returns the number of documents, or a
/// negative error code.
#[unsafe(no_mangle)]
pub extern "C" fn run() -> i32 {
    match run_inner() {
        Ok(n) => i32::try_from(n).unwrap_or(i32::MAX),
        Err(e) => {
            log_line(Level::Warn, &e.to_string());
            e.code()
        }
    }
}

/// Parses one standalone JSON value from the input (the whole input) and
/// returns how many bytes its compact form has, exercising `Value`'s
/// deserializer directly on the suspending reader.
#[unsafe(no_mangle)]
pub extern "C" fn measure() -> i32 {
    let input = HostInput { bytes_read: 0 };
    match serde_json::from_reader::<_, Value>(input) {
        Ok(v) => serde_json::to_vec(&v).map_or(-1, |b| i32::try_from(b.len()).unwrap_or(i32::MAX)),
        Err(e) => {
            log_line(Level::Warn, &e.to_string());
            -1
        }
    }
}
