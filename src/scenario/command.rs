//! Parsing the `oc`/`kubectl` command lines a Scenario's timeline holds: the verb first,
//! from one table, then the flags, once, then what the verb needs of them.

pub(crate) use super::kubectl::events::{FieldSelector, SortBy};
pub(crate) use super::kubectl::{Columns, Kind, Output};
pub(crate) use super::logs::LogsRequest;
use crate::units::SimDuration;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    Names(Vec<String>),
    All,
    Labels(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Targets {
    pub kind: Kind,
    pub selection: Selection,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchType {
    Merge,
    Json,
    Strategic,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verb {
    Scale {
        targets: Targets,
        replicas: i32,
    },
    Annotate {
        targets: Targets,
        changes: KvChanges,
        overwrite: bool,
    },
    Label {
        targets: Targets,
        changes: KvChanges,
        overwrite: bool,
    },
    Patch {
        targets: Targets,
        patch: String,
        patch_type: PatchType,
    },
    RolloutRestart {
        targets: Targets,
    },
    Apply {
        file: String,
    },
    Delete {
        targets: Targets,
        grace_seconds: Option<u64>,
    },
    /// One kind or several (`deployments,pods`). Boxed: a command stays as small as the
    /// other verbs', however long its template.
    Get {
        kinds: Box<[Kind]>,
        names: Vec<String>,
        selector: Option<String>,
        output: Box<Output>,
        /// `--field-selector`, `--sort-by`, `-w`; boxed as `output` is.
        options: Box<GetOptions>,
    },
    /// `oc logs POD|TYPE/NAME [-c CONTAINER] [--tail N]`.
    Logs(Box<LogsRequest>),
    /// `oc wait --for=… TYPE/NAME|TYPE -l SEL [--timeout]`.
    Wait(Box<WaitRequest>),
    /// `oc rollout status deployment/NAME [--timeout]`.
    RolloutStatus {
        name: String,
        /// None: wait as long as it takes (kubectl's 0).
        timeout: Option<SimDuration>,
    },
    Describe {
        kind: Kind,
        names: Vec<String>,
        /// `-l`: the objects whose labels match, instead of names.
        selector: Option<String>,
    },
    Cordon {
        node: String,
    },
    Uncordon {
        node: String,
    },
    Drain {
        node: String,
    },
}

/// What `oc get` takes besides its kinds, names, selector and output.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GetOptions {
    /// `--field-selector` (events).
    pub(crate) fields: Option<FieldSelector>,
    /// `--sort-by` (events).
    pub(crate) sort_by: Option<SortBy>,
    /// `-w`: the table, then a line each time a listed object's row changes; `Some(Some(d))`
    /// with `--request-timeout=d`.
    pub watch: Option<Option<SimDuration>>,
}

/// What `oc wait` waits for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WaitFor {
    /// `--for=condition=NAME[=VALUE]`: a condition of the object's status (value `true`
    /// unless given; both compared without case).
    Condition { name: String, value: String },
    /// `--for=delete`: the object is gone.
    Delete,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitRequest {
    pub kind: Kind,
    pub selection: Selection,
    pub condition: WaitFor,
    /// `--timeout` (30 s by default; a negative one is a week); zero checks once.
    pub timeout: SimDuration,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    pub verb: Verb,
    pub namespace: Option<String>,
    pub all_namespaces: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CommandError {
    pub message: String,
    pub hint: String,
}

fn err(message: impl Into<String>, hint: impl Into<String>) -> CommandError {
    CommandError {
        message: message.into(),
        hint: hint.into(),
    }
}

/// Splits a command line like a POSIX shell would for simple cases: whitespace,
/// single and double quotes, backslash escapes.
pub(crate) fn tokenize(line: &str) -> Result<Vec<String>, CommandError> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_token = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_token = true;
                single_quoted(&mut chars, &mut cur)?;
            }
            '"' => {
                in_token = true;
                double_quoted(&mut chars, &mut cur)?;
            }
            '\\' => {
                in_token = true;
                if let Some(x) = chars.next() {
                    cur.push(x);
                }
            }
            c if c.is_whitespace() => {
                if in_token {
                    out.push(std::mem::take(&mut cur));
                    in_token = false;
                }
            }
            '|' | ';' | '&' | '>' | '<' | '`' | '$' => {
                return Err(err(
                    format!("shell syntax `{c}` is not supported in a timeline command"),
                    "write one plain oc/kubectl command per timeline entry",
                ))
            }
            c => {
                in_token = true;
                cur.push(c);
            }
        }
    }
    if in_token {
        out.push(cur);
    }
    Ok(out)
}

/// Up to the closing `'`: everything is literal.
fn single_quoted(chars: &mut std::str::Chars, cur: &mut String) -> Result<(), CommandError> {
    loop {
        match chars.next() {
            Some('\'') => return Ok(()),
            Some(x) => cur.push(x),
            None => return Err(err("unterminated single quote", "close the quote")),
        }
    }
}

/// Up to the closing `"`: a backslash takes the next character as it is.
fn double_quoted(chars: &mut std::str::Chars, cur: &mut String) -> Result<(), CommandError> {
    loop {
        match chars.next() {
            Some('"') => return Ok(()),
            Some('\\') => {
                if let Some(x) = chars.next() {
                    cur.push(x)
                }
            }
            Some(x) => cur.push(x),
            None => return Err(err("unterminated double quote", "close the quote")),
        }
    }
}

#[derive(Default)]
struct Flags {
    namespace: Option<String>,
    all_namespaces: bool,
    selector: Option<String>,
    all: bool,
    replicas: Option<String>,
    output: Option<String>,
    overwrite: bool,
    force: bool,
    grace: Option<String>,
    patch: Option<String>,
    patch_type: Option<String>,
    file: Option<String>,
    container: Option<String>,
    tail: Option<String>,
    field_selector: Option<String>,
    sort_by: Option<String>,
    timeout: Option<String>,
    request_timeout: Option<String>,
    wait_for: Option<String>,
    watch: bool,
    positional: Vec<String>,
}

/// A flag that takes a value (`-n NS`, `--namespace=NS`).
#[derive(Clone, Copy)]
enum ValueFlag {
    Namespace,
    Selector,
    Replicas,
    Output,
    Grace,
    Patch,
    PatchType,
    File,
    Container,
    Tail,
    FieldSelector,
    SortBy,
    Timeout,
    RequestTimeout,
    For,
}

const VALUE_FLAGS: &[(&str, ValueFlag)] = &[
    ("-n", ValueFlag::Namespace),
    ("--namespace", ValueFlag::Namespace),
    ("-l", ValueFlag::Selector),
    ("--selector", ValueFlag::Selector),
    ("--replicas", ValueFlag::Replicas),
    ("-o", ValueFlag::Output),
    ("--output", ValueFlag::Output),
    ("--grace-period", ValueFlag::Grace),
    ("-p", ValueFlag::Patch),
    ("--patch", ValueFlag::Patch),
    ("--type", ValueFlag::PatchType),
    ("-f", ValueFlag::File),
    ("--filename", ValueFlag::File),
    ("-c", ValueFlag::Container),
    ("--container", ValueFlag::Container),
    ("--tail", ValueFlag::Tail),
    ("--field-selector", ValueFlag::FieldSelector),
    ("--sort-by", ValueFlag::SortBy),
    ("--timeout", ValueFlag::Timeout),
    ("--request-timeout", ValueFlag::RequestTimeout),
    ("--for", ValueFlag::For),
];

impl Flags {
    fn set(&mut self, flag: ValueFlag, value: String) {
        let field = match flag {
            ValueFlag::Namespace => &mut self.namespace,
            ValueFlag::Selector => &mut self.selector,
            ValueFlag::Replicas => &mut self.replicas,
            ValueFlag::Output => &mut self.output,
            ValueFlag::Grace => &mut self.grace,
            ValueFlag::Patch => &mut self.patch,
            ValueFlag::PatchType => &mut self.patch_type,
            ValueFlag::File => &mut self.file,
            ValueFlag::Container => &mut self.container,
            ValueFlag::Tail => &mut self.tail,
            ValueFlag::FieldSelector => &mut self.field_selector,
            ValueFlag::SortBy => &mut self.sort_by,
            ValueFlag::Timeout => &mut self.timeout,
            ValueFlag::RequestTimeout => &mut self.request_timeout,
            ValueFlag::For => &mut self.wait_for,
        };
        *field = Some(value);
    }

    /// A flag that takes no value, matched by its name (`--overwrite=true` is
    /// `--overwrite`), or a positional argument.
    fn switch(&mut self, arg: &str) -> Result<(), CommandError> {
        match arg {
            "-A" | "--all-namespaces" => self.all_namespaces = true,
            "--all" => self.all = true,
            "--overwrite" => self.overwrite = true,
            "--force" => self.force = true,
            "-w" | "--watch" => self.watch = true,
            "--dry-run" => return Err(err("--dry-run is not supported in a timeline", "remove it; every timeline command is applied")),
            n if n.starts_with('-') => {
                return Err(err(format!("unknown flag: {n}"), "supported: -n, -A, -l, --all, --replicas, -o wide|yaml|json|name|jsonpath=…, -w, --overwrite, --force, --grace-period, -p, --type, -f, -c, --tail, --field-selector, --sort-by, --timeout, --request-timeout, --for"))
            }
            _ => self.positional.push(arg.to_string()),
        }
        Ok(())
    }
}

fn parse_flags(args: &[String]) -> Result<Flags, CommandError> {
    let mut f = Flags::default();
    let mut args = args.iter();
    while let Some(a) = args.next() {
        let (name, inline) = match a.split_once('=') {
            Some((n, v)) if a.starts_with('-') => (n, Some(v.to_string())),
            _ => (a.as_str(), None),
        };
        let Some((_, flag)) = VALUE_FLAGS.iter().find(|(n, _)| *n == name) else {
            f.switch(name)?;
            continue;
        };
        let value = match inline {
            Some(v) => v,
            None => args.next().cloned().ok_or_else(|| {
                err(
                    format!("flag needs an argument: {name}"),
                    format!("give {name} a value"),
                )
            })?,
        };
        f.set(*flag, value);
    }
    Ok(f)
}

fn kind_of(s: &str) -> Result<Kind, CommandError> {
    Kind::parse(s).ok_or_else(|| {
        err(
            format!("error: the server doesn't have a resource type \"{s}\""),
            format!("simulated kinds: {}", kind_list(|_| true, ", ")),
        )
    })
}

/// The plural names of the kinds `pick` keeps, in `Kind::ALL`'s order, the last two
/// joined by `last`.
fn kind_list(pick: impl Fn(Kind) -> bool, last: &str) -> String {
    let names: Vec<&str> = Kind::ALL
        .into_iter()
        .filter(|k| pick(*k))
        .filter_map(|k| k.kubectl().names().get(1).copied())
        .collect();
    match names.split_last() {
        Some((tail, rest)) if !rest.is_empty() => format!("{}{last}{tail}", rest.join(", ")),
        _ => names.join(", "),
    }
}

/// `TYPE NAME...`, `TYPE/NAME...`, with `--all` or `-l` instead of names.
fn targets(f: &Flags, verb: &str) -> Result<Targets, CommandError> {
    let Some((first, rest)) = f.positional.split_first() else {
        return Err(err(
            format!("error: you must specify the type of resource to {verb}"),
            "e.g. deployment NAME",
        ));
    };
    let (kind, names) = if let Some((k, n)) = first.split_once('/') {
        let kind = kind_of(k)?;
        let mut names = vec![n.to_string()];
        for p in rest {
            let (k2, n2) = p.split_once('/').ok_or_else(|| err("error: there is no need to specify a resource type as a separate argument when passing arguments in resource/name form", "use TYPE/NAME for every argument"))?;
            if kind_of(k2)? != kind {
                return Err(err(
                    "mixed resource types are not supported in one timeline command",
                    "split the command",
                ));
            }
            names.push(n2.to_string());
        }
        (kind, names)
    } else {
        (kind_of(first)?, rest.to_vec())
    };
    let selection = if f.all {
        Selection::All
    } else if let Some(l) = &f.selector {
        crate::api::meta::LabelSelector::parse_cli(l).map_err(|e| err(e, "selectors look like key=value,key2!=v"))?;
        Selection::Labels(l.clone())
    } else if names.is_empty() {
        return Err(err(
            "error: resource(s) were provided, but no name was specified",
            "give a name, --all or -l",
        ));
    } else {
        Selection::Names(names)
    };
    Ok(Targets { kind, selection })
}

/// `key=value` sets, `key-` removes.
pub(crate) type KvChanges = Vec<(String, Option<String>)>;

/// Splits `oc label`'s and `oc annotate`'s arguments into the changes and the rest.
fn kv_changes(args: &[String]) -> Result<(Vec<String>, KvChanges), CommandError> {
    let mut rest = Vec::new();
    let mut changes = Vec::new();
    let mut flag_value_next = false;
    for a in args {
        // The value of `-l k=v` or `-n ns` is not a label change.
        if flag_value_next || a.starts_with('-') {
            flag_value_next = !a.contains('=') && VALUE_FLAGS.iter().any(|(n, _)| n == a);
            rest.push(a.clone());
            continue;
        }
        if let Some((k, v)) = a.split_once('=') {
            changes.push((k.to_string(), Some(v.to_string())));
        } else if let Some(k) = a.strip_suffix('-').filter(|_| a.len() > 1 && !rest.is_empty()) {
            changes.push((k.to_string(), None));
        } else {
            rest.push(a.clone());
        }
    }
    if changes.is_empty() {
        return Err(err(
            "error: at least one annotation/label update is required",
            "e.g. key=value or key-",
        ));
    }
    Ok((rest, changes))
}

/// The verbs a timeline runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum VerbName {
    Scale,
    Annotate,
    Label,
    Patch,
    RolloutRestart,
    Apply,
    Delete,
    Get,
    Describe,
    Cordon,
    Uncordon,
    Drain,
    Logs,
    Wait,
    RolloutStatus,
}

/// Each verb as written after `oc`, subcommand included.
const VERBS: &[(&str, VerbName)] = &[
    ("scale", VerbName::Scale),
    ("annotate", VerbName::Annotate),
    ("label", VerbName::Label),
    ("patch", VerbName::Patch),
    ("rollout restart", VerbName::RolloutRestart),
    ("rollout status", VerbName::RolloutStatus),
    ("logs", VerbName::Logs),
    ("wait", VerbName::Wait),
    ("apply", VerbName::Apply),
    ("delete", VerbName::Delete),
    ("get", VerbName::Get),
    ("describe", VerbName::Describe),
    ("cordon", VerbName::Cordon),
    ("uncordon", VerbName::Uncordon),
    ("drain", VerbName::Drain),
];

/// The verb of `oc VERB ARGS...` and its arguments; `rollout` and `adm` take the next
/// word as their subcommand.
fn verb_of(tokens: &[String]) -> Result<(VerbName, &[String]), CommandError> {
    let (verb, rest) = match tokens {
        [] => return Err(err("empty command", "write an oc or kubectl command")),
        [prog, ..] if prog != "oc" && prog != "kubectl" => {
            return Err(err(
                format!("`{prog}` is not oc or kubectl"),
                "timeline entries run oc or kubectl commands",
            ))
        }
        [_] => return Err(err("missing verb", "e.g. oc get pods")),
        [_, verb, rest @ ..] => (verb.as_str(), rest),
    };
    let (name, args) = match (verb, rest.split_first()) {
        ("rollout", Some((sub, args))) if sub == "restart" => ("rollout restart", args),
        ("rollout", Some((sub, args))) if sub == "status" => ("rollout status", args),
        ("rollout", Some((other, _))) => {
            return Err(err(
                format!("`rollout {other}` is not supported"),
                "supported: rollout restart, rollout status",
            ))
        }
        ("rollout", None) => {
            return Err(err(
                "missing rollout subcommand",
                "e.g. oc rollout restart deployment/NAME",
            ))
        }
        ("adm", Some((sub, args))) if matches!(sub.as_str(), "cordon" | "uncordon" | "drain") => (sub.as_str(), args),
        ("adm", _) => {
            return Err(err(
                "unsupported `adm` subcommand",
                "supported: oc adm cordon|uncordon|drain NODE",
            ))
        }
        (v, _) => (v, rest),
    };
    let (_, verb) = VERBS.iter().find(|(n, _)| *n == name).ok_or_else(|| {
        err(
            format!("`{name}` is not a supported command"),
            "supported: scale, annotate, label, patch, rollout restart, rollout status, apply -f, delete, get, describe, logs, wait, adm cordon/uncordon/drain",
        )
    })?;
    Ok((*verb, args))
}

pub(crate) fn parse_command(line: &str) -> Result<Command, CommandError> {
    let tokens = tokenize(line)?;
    let (verb, args) = verb_of(&tokens)?;
    // Label and annotation changes look like positional arguments: they are taken out
    // before the flags are read.
    let (args, changes) = match verb {
        VerbName::Annotate | VerbName::Label => kv_changes(args)?,
        _ => (args.to_vec(), KvChanges::new()),
    };
    // `logs` has its own -f (follow) and -p (previous), switches where other verbs take
    // a file or a patch.
    let (args, follow) = match verb {
        VerbName::Logs => logs_switches(args)?,
        _ => (args, false),
    };
    let f = parse_flags(&args)?;
    let verb = match verb {
        VerbName::Scale => parse_scale(&f)?,
        VerbName::Annotate => Verb::Annotate {
            targets: targets(&f, "annotate")?,
            changes,
            overwrite: f.overwrite,
        },
        VerbName::Label => Verb::Label {
            targets: targets(&f, "label")?,
            changes,
            overwrite: f.overwrite,
        },
        VerbName::Patch => parse_patch(&f)?,
        VerbName::RolloutRestart => parse_rollout_restart(&f)?,
        VerbName::Apply => parse_apply(&f)?,
        VerbName::Delete => parse_delete(&f)?,
        VerbName::Get => parse_get(&f)?,
        VerbName::Describe => parse_describe(&f)?,
        VerbName::Cordon => Verb::Cordon {
            node: node_name(&f, "oc adm cordon NODE")?,
        },
        VerbName::Uncordon => Verb::Uncordon {
            node: node_name(&f, "oc adm cordon NODE")?,
        },
        VerbName::Drain => Verb::Drain {
            node: node_name(&f, "oc adm drain NODE")?,
        },
        VerbName::Logs => parse_logs(&f, follow)?,
        VerbName::Wait => parse_wait(&f)?,
        VerbName::RolloutStatus => parse_rollout_status(&f)?,
    };
    Ok(Command {
        verb,
        namespace: f.namespace,
        all_namespaces: f.all_namespaces,
    })
}

fn parse_scale(f: &Flags) -> Result<Verb, CommandError> {
    let replicas = f
        .replicas
        .as_ref()
        .ok_or_else(|| err("error: required flag(s) \"replicas\" not set", "add --replicas=N"))?;
    let n: i32 = replicas.parse().ok().filter(|n| *n >= 0).ok_or_else(|| {
        err(
            format!("invalid --replicas value `{replicas}`"),
            "use a whole number, 0 or more",
        )
    })?;
    Ok(Verb::Scale {
        targets: targets(f, "scale")?,
        replicas: n,
    })
}

fn parse_patch(f: &Flags) -> Result<Verb, CommandError> {
    let patch = f
        .patch
        .clone()
        .ok_or_else(|| err("error: must specify -p to patch", "add -p '{\"spec\":{...}}'"))?;
    serde_json::from_str::<serde_json::Value>(&patch).map_err(|e| {
        err(
            format!("patch is not valid JSON: {e}"),
            "quote the patch in single quotes",
        )
    })?;
    let patch_type = match f.patch_type.as_deref() {
        None | Some("strategic") => PatchType::Strategic,
        Some("merge") => PatchType::Merge,
        Some("json") => PatchType::Json,
        Some(o) => {
            return Err(err(
                format!("unknown patch type `{o}`"),
                "expected strategic, merge or json",
            ))
        }
    };
    Ok(Verb::Patch {
        targets: targets(f, "patch")?,
        patch,
        patch_type,
    })
}

fn parse_rollout_restart(f: &Flags) -> Result<Verb, CommandError> {
    let targets = targets(f, "restart")?;
    if targets.kind != Kind::Deployment {
        return Err(err(
            format!("rollout restart of {} is not supported", targets.kind.resource()),
            "restart a deployment",
        ));
    }
    Ok(Verb::RolloutRestart { targets })
}

fn parse_apply(f: &Flags) -> Result<Verb, CommandError> {
    let file = f.file.clone().ok_or_else(|| {
        err(
            "error: must specify -f",
            "oc apply -f FILE (relative to the Scenario file)",
        )
    })?;
    Ok(Verb::Apply { file })
}

/// `--force` alone deletes at once; a negative grace period means the object's own.
fn parse_delete(f: &Flags) -> Result<Verb, CommandError> {
    let grace = f
        .grace
        .as_ref()
        .map(|g| {
            g.parse::<i64>()
                .map_err(|_| err(format!("invalid --grace-period `{g}`"), "use seconds"))
        })
        .transpose()?;
    let grace_seconds = match grace {
        Some(g) => u64::try_from(g).ok(),
        None => f.force.then_some(0),
    };
    Ok(Verb::Delete {
        targets: targets(f, "delete")?,
        grace_seconds,
    })
}

fn parse_get(f: &Flags) -> Result<Verb, CommandError> {
    let (kinds, names) = kinds_and_names(f)?;
    let output = match f.output.as_deref() {
        None => Output::Table(Columns::Default),
        Some(o) => Output::parse(o).map_err(|e| {
            err(
                format!("error: {e}"),
                "use -o wide, yaml, json, name or jsonpath='{.items[*].metadata.name}'",
            )
        })?,
    };
    let events = kinds == [Kind::Event];
    let options = GetOptions {
        fields: events_only(
            events,
            "--field-selector",
            f.field_selector.as_deref(),
            FieldSelector::parse,
        )?,
        sort_by: events_only(events, "--sort-by", f.sort_by.as_deref(), SortBy::parse)?,
        watch: match (f.watch, &f.request_timeout) {
            (false, None) => None,
            (false, Some(_)) => {
                return Err(err(
                    "--request-timeout limits a watch in a timeline",
                    "add -w, or leave --request-timeout out",
                ))
            }
            (true, None) => Some(None),
            (true, Some(t)) => Some(Some(duration_flag("--request-timeout", t)?).filter(|d| *d != SimDuration::ZERO)),
        },
    };
    if options.watch.is_some() {
        if options.sort_by.is_some() {
            return Err(err(
                "--sort-by is ignored by a watch (kubectl warns: --watch requested, --sort-by will be ignored for watch events received)",
                "leave --sort-by out of the watch",
            ));
        }
        if kinds.len() > 1 {
            return Err(err(
                format!("error: watch is only supported on individual resources and resource collections, but {} resources were found", kinds.len()),
                "watch one kind at a time",
            ));
        }
        if !matches!(output, Output::Table(_)) {
            return Err(err(
                "-w prints tables in this version",
                "watch with the default columns or -o wide",
            ));
        }
    }
    Ok(Verb::Get {
        kinds: kinds.into(),
        names,
        selector: f.selector.clone(),
        output: Box::new(output),
        options: Box::new(options),
    })
}

/// `get`'s `TYPE[,TYPE...] [NAME...]`, or `TYPE/NAME...` of one kind.
fn kinds_and_names(f: &Flags) -> Result<(Vec<Kind>, Vec<String>), CommandError> {
    let Some((first, rest)) = f.positional.split_first() else {
        return Err(err(
            "error: you must specify the type of resource to get",
            "e.g. oc get pods",
        ));
    };
    if first.contains('/') {
        let (kind, names) = slash_names(first, rest)?;
        return Ok((vec![kind], names));
    }
    let mut kinds: Vec<Kind> = Vec::new();
    for k in first.split(',') {
        let kind = kind_of(k)?;
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    Ok((kinds, rest.to_vec()))
}

/// `TYPE/NAME` arguments, all of one kind.
fn slash_names(first: &str, rest: &[String]) -> Result<(Kind, Vec<String>), CommandError> {
    let (k, n) = first.split_once('/').unwrap_or((first, ""));
    let kind = kind_of(k)?;
    let mut names = vec![n.to_string()];
    for p in rest {
        let (k2, n2) = p.split_once('/').ok_or_else(|| err("error: there is no need to specify a resource type as a separate argument when passing arguments in resource/name form", "use TYPE/NAME for every argument"))?;
        if kind_of(k2)? != kind {
            return Err(err(
                "mixed resource types are not supported in one timeline command",
                "split the command",
            ));
        }
        names.push(n2.to_string());
    }
    Ok((kind, names))
}

/// A `get` flag this version reads for events only, parsed.
fn events_only<T>(
    events: bool,
    flag: &str,
    value: Option<&str>,
    parse: impl Fn(&str) -> Result<T, super::oc_error::OcError>,
) -> Result<Option<T>, CommandError> {
    let Some(v) = value else { return Ok(None) };
    if !events {
        return Err(err(
            format!("{flag} is available for events only in this version"),
            "use -l or names to pick objects",
        ));
    }
    parse(v)
        .map(Some)
        .map_err(|e| err(e.to_string(), format!("fix {flag}")))
}

/// A Go duration flag (`30s`, `10m`, `1h30m`; `0`; negative for `--timeout`).
fn duration_flag(flag: &str, value: &str) -> Result<SimDuration, CommandError> {
    SimDuration::parse(value).map_err(|_| {
        err(
            format!("invalid argument \"{value}\" for \"{flag}\" flag: time: invalid duration \"{value}\""),
            "write a duration with its unit, e.g. 30s or 10m",
        )
    })
}

/// `oc logs POD [CONTAINER]`, `oc logs TYPE/NAME`, `-c`, `--tail`.
/// `logs`' own switches taken out of its arguments: whether it follows (`-f`,
/// `--follow`); `-p` is refused.
fn logs_switches(args: Vec<String>) -> Result<(Vec<String>, bool), CommandError> {
    let mut follow = false;
    let mut rest = Vec::new();
    for a in args {
        match a.as_str() {
            "-f" | "--follow" | "--follow=true" => follow = true,
            "--follow=false" => follow = false,
            "-p" | "--previous" | "--previous=true" => {
                return Err(err(
                    "oc logs -p (the previous container's log) is not supported in this version",
                    "read the current container's log: its lines since it last started",
                ))
            }
            _ => rest.push(a),
        }
    }
    Ok((rest, follow))
}

fn parse_logs(f: &Flags, follow: bool) -> Result<Verb, CommandError> {
    let usage = || {
        err(
            "error: expected 'logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER]'.\nPOD or TYPE/NAME is a required argument for the logs command",
            "e.g. oc logs deployment/NAME -n NS",
        )
    };
    if f.selector.is_some() {
        return Err(err(
            "oc logs -l is not supported in this version",
            "name the pod or TYPE/NAME",
        ));
    }
    let (target, inline_container) = match f.positional.as_slice() {
        [t] => (t, None),
        [t, c] => (t, Some(c.clone())),
        _ => return Err(usage()),
    };
    if inline_container.is_some() && f.container.is_some() {
        return Err(err(
            "error: only one of -c or an inline [CONTAINER] arg is allowed",
            "drop one of them",
        ));
    }
    let (kind, name) = match target.split_once('/') {
        Some((k, n)) => (kind_of(k)?, n.to_string()),
        None => (Kind::Pod, target.clone()),
    };
    if !matches!(kind, Kind::Pod | Kind::Deployment | Kind::Job) {
        return Err(err(
            format!("oc logs of {} is not supported", kind.resource()),
            "read a pod's, a deployment's or a job's logs",
        ));
    }
    let tail = match &f.tail {
        None => None,
        Some(t) => Some(t.parse::<i64>().ok().filter(|n| *n >= -1).ok_or_else(|| {
            err(
                "error: --tail must be greater than or equal to -1",
                "give a number of lines, or -1 for all",
            )
        })?),
    };
    Ok(Verb::Logs(Box::new(LogsRequest {
        kind,
        name,
        container: inline_container.or_else(|| f.container.clone()),
        tail,
        follow,
    })))
}

/// `oc wait --for=condition=C|delete (TYPE/NAME... | TYPE -l SEL | TYPE --all) [--timeout]`.
fn parse_wait(f: &Flags) -> Result<Verb, CommandError> {
    let Some(cond) = f.wait_for.as_deref() else {
        return Err(err(
            "error: --for must be specified",
            "e.g. --for=condition=Ready, --for=delete",
        ));
    };
    let lower = cond.to_lowercase();
    let condition = if lower == "delete" {
        WaitFor::Delete
    } else if let Some(rest) = cond.strip_prefix("condition=") {
        let (name, value) = rest.split_once('=').unwrap_or((rest, "true"));
        WaitFor::Condition {
            name: name.to_string(),
            value: value.to_string(),
        }
    } else if cond.starts_with("jsonpath=") || lower == "create" {
        return Err(err(
            format!("--for={cond} is not supported in this version"),
            "wait for a condition (--for=condition=Ready) or for deletion (--for=delete)",
        ));
    } else {
        return Err(err(
            format!("error: unrecognized condition: \"{cond}\""),
            "e.g. --for=condition=Ready, --for=delete",
        ));
    };
    let targets = targets(f, "wait")?;
    if matches!(condition, WaitFor::Condition { .. }) && !super::follow::WAIT_KINDS.contains(&targets.kind) {
        return Err(err(
            format!(
                "waiting for a condition of {} is not supported",
                targets.kind.resource()
            ),
            "wait for pods, deployments, inferenceservices, workloads, jobs or nodes",
        ));
    }
    let timeout = match &f.timeout {
        None => SimDuration::from_secs(30),
        Some(t) if t.starts_with('-') => SimDuration::from_secs(168 * 3600),
        Some(t) => duration_flag("--timeout", t)?,
    };
    Ok(Verb::Wait(Box::new(WaitRequest {
        kind: targets.kind,
        selection: targets.selection,
        condition,
        timeout,
    })))
}

/// `oc rollout status deployment/NAME` (or `deployment NAME`) `[--timeout]`.
fn parse_rollout_status(f: &Flags) -> Result<Verb, CommandError> {
    let (kind, mut names) = kind_and_names(f, "rollout status")?;
    if f.positional.len() > 1 && f.positional.first().is_some_and(|p| p.contains('/')) {
        names.extend(f.positional.iter().skip(1).cloned());
    }
    if kind != Kind::Deployment {
        return Err(err(
            format!("rollout status of {} is not supported", kind.resource()),
            "follow a deployment's rollout",
        ));
    }
    let [name] = names.as_slice() else {
        return Err(err(
            "error: required resource not specified",
            "oc rollout status deployment/NAME",
        ));
    };
    let timeout = f
        .timeout
        .as_deref()
        .map(|t| duration_flag("--timeout", t))
        .transpose()?
        .filter(|d| *d != SimDuration::ZERO);
    Ok(Verb::RolloutStatus {
        name: name.clone(),
        timeout,
    })
}

fn parse_describe(f: &Flags) -> Result<Verb, CommandError> {
    let (kind, names) = kind_and_names(f, "describe")?;
    if !kind.kubectl().describes() {
        return Err(err(
            format!("describe {} is not supported", kind.resource()),
            format!("describe {}", kind_list(|k| k.kubectl().describes(), " or ")),
        ));
    }
    if !names.is_empty() && f.selector.is_some() {
        return Err(err(
            "error: name cannot be provided when a selector is specified",
            "describe by names, or by -l key=value",
        ));
    }
    Ok(Verb::Describe {
        kind,
        names,
        selector: f.selector.clone(),
    })
}

/// `get`'s and `describe`'s `TYPE [NAME...]` or `TYPE/NAME`.
fn kind_and_names(f: &Flags, verb: &str) -> Result<(Kind, Vec<String>), CommandError> {
    let Some((first, rest)) = f.positional.split_first() else {
        return Err(err(
            format!("error: you must specify the type of resource to {verb}"),
            "e.g. oc get pods",
        ));
    };
    Ok(match first.split_once('/') {
        Some((k, n)) => (kind_of(k)?, vec![n.to_string()]),
        None => (kind_of(first)?, rest.to_vec()),
    })
}

fn node_name(f: &Flags, usage: &str) -> Result<String, CommandError> {
    f.positional
        .first()
        .cloned()
        .ok_or_else(|| err("missing node name", usage))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(line: &str) -> Command {
        parse_command(line).unwrap_or_else(|e| panic!("{line}: {e:?}"))
    }

    #[test]
    fn parses_the_seed_demo_commands() {
        let c = ok("oc scale deployment devstral-2-predictor -n private-ai --replicas=1");
        assert_eq!(c.namespace.as_deref(), Some("private-ai"));
        assert_eq!(
            c.verb,
            Verb::Scale {
                targets: Targets {
                    kind: Kind::Deployment,
                    selection: Selection::Names(vec!["devstral-2-predictor".into()])
                },
                replicas: 1
            }
        );
        let c = ok("oc scale rs/stale-rs -n private-ai --replicas=0");
        assert!(matches!(
            c.verb,
            Verb::Scale {
                targets: Targets {
                    kind: Kind::ReplicaSet,
                    ..
                },
                replicas: 0
            }
        ));
        let c = ok("oc get pods -n private-ai -l serving.kserve.io/inferenceservice");
        assert_eq!(
            c.verb,
            Verb::Get {
                kinds: [Kind::Pod].into(),
                names: vec![],
                selector: Some("serving.kserve.io/inferenceservice".into()),
                output: Box::new(Output::Table(Columns::Default)),
                options: Box::default(),
            }
        );
        let c = ok("oc delete pod x-abc -n private-ai --force --grace-period=0");
        assert!(matches!(
            c.verb,
            Verb::Delete {
                grace_seconds: Some(0),
                ..
            }
        ));
        let c = ok("oc scale inferenceservice --all -n private-ai --replicas=0");
        assert!(matches!(
            c.verb,
            Verb::Scale {
                targets: Targets {
                    kind: Kind::InferenceService,
                    selection: Selection::All
                },
                ..
            }
        ));
        let c = ok("kubectl annotate inferenceservice mistral-3-int4 -n private-ai argocd.argoproj.io/tracking-id=abc --overwrite");
        assert!(matches!(c.verb, Verb::Annotate { overwrite: true, .. }));
        let c = ok(
            r#"oc patch clusterqueue rhoai-main-queue --type merge -p '{"spec":{"queueingStrategy":"StrictFIFO"}}'"#,
        );
        assert!(matches!(
            c.verb,
            Verb::Patch {
                patch_type: PatchType::Merge,
                ..
            }
        ));
        let c = ok("oc get workloads -A");
        assert!(c.all_namespaces);
        let c = ok("oc rollout restart deployment/mistral-3-int4-predictor -n private-ai");
        assert!(matches!(c.verb, Verb::RolloutRestart { .. }));
        let c = ok("oc adm cordon gpu-node-1");
        assert_eq!(
            c.verb,
            Verb::Cordon {
                node: "gpu-node-1".into()
            }
        );
        let c = ok("oc label node n1 gpu=true");
        assert!(matches!(c.verb, Verb::Label { .. }));
    }

    #[test]
    fn rejects_what_the_cli_rejects() {
        let cases = [
            ("oc scale deployment x", "replicas"),
            ("oc get frobs", "doesn't have a resource type"),
            ("oc frob pods", "not a supported command"),
            ("helm install x", "not oc or kubectl"),
            ("oc get pods | grep x", "shell syntax"),
            ("oc get pods -o csv", "unable to match a printer"),
            ("oc get pods --field-selector status.phase=Running", "events only"),
            (
                "oc get events --field-selector status.phase=Running",
                "field label not supported",
            ),
            ("oc get events --sort-by=.frob", "couldn't find any field"),
            ("oc logs", "POD or TYPE/NAME is a required argument"),
            ("oc wait pod/x", "--for must be specified"),
            ("oc wait --for=ready pod/x", "unrecognized condition"),
            ("oc get pods -o jsonpath='{.items[}'", "unterminated array"),
            ("oc scale deployment --replicas=1", "no name was specified"),
            ("oc patch deployment x -p '{bad'", "not valid JSON"),
            ("oc get pods --frob", "unknown flag"),
            ("oc annotate deployment x", "at least one"),
        ];
        for (line, want) in cases {
            let e = parse_command(line).expect_err(line);
            assert!(e.message.contains(want), "{line}: {}", e.message);
        }
    }

    fn names(kind: Kind, names: &[&str]) -> Targets {
        Targets {
            kind,
            selection: Selection::Names(names.iter().map(|n| n.to_string()).collect()),
        }
    }

    #[test]
    fn every_verb_is_read_from_its_words() {
        let node = || "n1".to_string();
        let cases = [
            (
                "oc scale deploy/x --replicas=2",
                Verb::Scale {
                    targets: names(Kind::Deployment, &["x"]),
                    replicas: 2,
                },
            ),
            (
                "kubectl annotate pod x a=1 b-",
                Verb::Annotate {
                    targets: names(Kind::Pod, &["x"]),
                    changes: vec![("a".into(), Some("1".into())), ("b".into(), None)],
                    overwrite: false,
                },
            ),
            (
                "oc label node n1 -l x=y gpu=true --overwrite",
                Verb::Label {
                    targets: Targets {
                        kind: Kind::Node,
                        selection: Selection::Labels("x=y".into()),
                    },
                    changes: vec![("gpu".into(), Some("true".into()))],
                    overwrite: true,
                },
            ),
            (
                "oc patch isvc x -p '[]' --type=json",
                Verb::Patch {
                    targets: names(Kind::InferenceService, &["x"]),
                    patch: "[]".into(),
                    patch_type: PatchType::Json,
                },
            ),
            (
                "oc rollout restart deployment --all",
                Verb::RolloutRestart {
                    targets: Targets {
                        kind: Kind::Deployment,
                        selection: Selection::All,
                    },
                },
            ),
            ("oc apply -f x.yaml", Verb::Apply { file: "x.yaml".into() }),
            (
                "oc delete rs a b",
                Verb::Delete {
                    targets: names(Kind::ReplicaSet, &["a", "b"]),
                    grace_seconds: None,
                },
            ),
            (
                "oc get cq/main -o wide",
                Verb::Get {
                    kinds: [Kind::ClusterQueue].into(),
                    names: vec!["main".into()],
                    selector: None,
                    output: Box::new(Output::Table(Columns::Wide)),
                    options: Box::default(),
                },
            ),
            (
                "oc get deployments,pods,deploy -o name",
                Verb::Get {
                    kinds: [Kind::Deployment, Kind::Pod].into(),
                    names: vec![],
                    selector: None,
                    output: Box::new(Output::Name),
                    options: Box::default(),
                },
            ),
            (
                "oc get pods -o jsonpath='{range .items[*]}{.metadata.name}{\"\\n\"}{end}'",
                Verb::Get {
                    kinds: [Kind::Pod].into(),
                    names: vec![],
                    selector: None,
                    output: Box::new(Output::JsonPath(
                        "{range .items[*]}{.metadata.name}{\"\\n\"}{end}".into(),
                    )),
                    options: Box::default(),
                },
            ),
            (
                "oc get isvc granite -o yaml",
                Verb::Get {
                    kinds: [Kind::InferenceService].into(),
                    names: vec!["granite".into()],
                    selector: None,
                    output: Box::new(Output::Yaml),
                    options: Box::default(),
                },
            ),
            (
                "oc describe wl",
                Verb::Describe {
                    kind: Kind::Workload,
                    names: vec![],
                    selector: None,
                },
            ),
            (
                "oc get hpa -o wide",
                Verb::Get {
                    kinds: [Kind::HorizontalPodAutoscaler].into(),
                    names: vec![],
                    selector: None,
                    output: Box::new(Output::Table(Columns::Wide)),
                    options: Box::default(),
                },
            ),
            (
                "oc describe so/worker",
                Verb::Describe {
                    kind: Kind::ScaledObject,
                    names: vec!["worker".into()],
                    selector: None,
                },
            ),
            (
                "oc describe pods -l app=chat",
                Verb::Describe {
                    kind: Kind::Pod,
                    names: vec![],
                    selector: Some("app=chat".into()),
                },
            ),
            (
                "oc delete scaledobject.keda.sh worker",
                Verb::Delete {
                    targets: names(Kind::ScaledObject, &["worker"]),
                    grace_seconds: None,
                },
            ),
            (
                "oc get events -A --field-selector involvedObject.name=x --sort-by=.lastTimestamp",
                Verb::Get {
                    kinds: [Kind::Event].into(),
                    names: vec![],
                    selector: None,
                    output: Box::new(Output::Table(Columns::Default)),
                    options: Box::new(GetOptions {
                        fields: FieldSelector::parse("involvedObject.name=x").ok(),
                        sort_by: Some(SortBy::LastTimestamp),
                        watch: None,
                    }),
                },
            ),
            (
                "oc get pods -w --request-timeout=5m",
                Verb::Get {
                    kinds: [Kind::Pod].into(),
                    names: vec![],
                    selector: None,
                    output: Box::new(Output::Table(Columns::Default)),
                    options: Box::new(GetOptions {
                        watch: Some(Some(SimDuration::from_secs(300))),
                        ..Default::default()
                    }),
                },
            ),
            (
                "oc logs deployment/x -c kserve-container --tail=20",
                Verb::Logs(Box::new(LogsRequest {
                    kind: Kind::Deployment,
                    name: "x".into(),
                    container: Some("kserve-container".into()),
                    tail: Some(20),
                    follow: false,
                })),
            ),
            (
                "kubectl logs p storage-initializer",
                Verb::Logs(Box::new(LogsRequest {
                    kind: Kind::Pod,
                    name: "p".into(),
                    container: Some("storage-initializer".into()),
                    tail: None,
                    follow: false,
                })),
            ),
            (
                "oc logs -f deployment/x -n ns",
                Verb::Logs(Box::new(LogsRequest {
                    kind: Kind::Deployment,
                    name: "x".into(),
                    container: None,
                    tail: None,
                    follow: true,
                })),
            ),
            (
                "oc wait --for=condition=Ready pods -l app=x --timeout=10m",
                Verb::Wait(Box::new(WaitRequest {
                    kind: Kind::Pod,
                    selection: Selection::Labels("app=x".into()),
                    condition: WaitFor::Condition {
                        name: "Ready".into(),
                        value: "true".into(),
                    },
                    timeout: SimDuration::from_secs(600),
                })),
            ),
            (
                "oc wait --for=delete pod/a pod/b",
                Verb::Wait(Box::new(WaitRequest {
                    kind: Kind::Pod,
                    selection: Selection::Names(vec!["a".into(), "b".into()]),
                    condition: WaitFor::Delete,
                    timeout: SimDuration::from_secs(30),
                })),
            ),
            (
                "oc wait --for=condition=Available=False deploy/x --timeout=-1s",
                Verb::Wait(Box::new(WaitRequest {
                    kind: Kind::Deployment,
                    selection: Selection::Names(vec!["x".into()]),
                    condition: WaitFor::Condition {
                        name: "Available".into(),
                        value: "False".into(),
                    },
                    timeout: SimDuration::from_secs(168 * 3600),
                })),
            ),
            (
                "oc rollout status deployment/x --timeout=2m",
                Verb::RolloutStatus {
                    name: "x".into(),
                    timeout: Some(SimDuration::from_secs(120)),
                },
            ),
            (
                "oc rollout status deploy x",
                Verb::RolloutStatus {
                    name: "x".into(),
                    timeout: None,
                },
            ),
            ("oc adm cordon n1", Verb::Cordon { node: node() }),
            ("oc cordon n1", Verb::Cordon { node: node() }),
            ("oc adm uncordon n1", Verb::Uncordon { node: node() }),
            ("oc adm drain n1", Verb::Drain { node: node() }),
        ];
        for (line, want) in cases {
            assert_eq!(ok(line).verb, want, "{line}");
        }
    }

    #[test]
    fn refusals_say_what_to_write_instead() {
        let cases = [
            ("", "empty command", "write an oc or kubectl command"),
            ("oc", "missing verb", "e.g. oc get pods"),
            ("oc rollout", "missing rollout subcommand", "e.g. oc rollout restart deployment/NAME"),
            ("oc rollout history deploy/x", "`rollout history` is not supported", "supported: rollout restart, rollout status"),
            ("oc adm top", "unsupported `adm` subcommand", "supported: oc adm cordon|uncordon|drain NODE"),
            ("oc restart deploy/x", "`restart` is not a supported command", "supported: scale, annotate, label, patch, rollout restart, rollout status, apply -f, delete, get, describe, logs, wait, adm cordon/uncordon/drain"),
            ("oc rollout restart rs/x", "rollout restart of replicaset.apps is not supported", "restart a deployment"),
            ("oc describe rs x", "describe replicaset.apps is not supported", "describe pods, inferenceservices, workloads, clusterqueues, cohorts, localqueues, nodes, horizontalpodautoscalers or scaledobjects"),
            ("oc get pods -o jsonpath=", "error: template format specified but no template given", "use -o wide, yaml, json, name or jsonpath='{.items[*].metadata.name}'"),
            ("oc get pods,frobs", "error: the server doesn't have a resource type \"frobs\"", "simulated kinds: pods, deployments, replicasets, inferenceservices, workloads, clusterqueues, cohorts, localqueues, nodes, servingruntimes, resourceflavors, jobs, horizontalpodautoscalers, scaledobjects, jobsets, pytorchjobs, trainjobs, rayjobs, rayclusters, events"),
            ("oc describe", "error: you must specify the type of resource to describe", "e.g. oc get pods"),
            ("oc get frobs", "error: the server doesn't have a resource type \"frobs\"", "simulated kinds: pods, deployments, replicasets, inferenceservices, workloads, clusterqueues, cohorts, localqueues, nodes, servingruntimes, resourceflavors, jobs, horizontalpodautoscalers, scaledobjects, jobsets, pytorchjobs, trainjobs, rayjobs, rayclusters, events"),
            ("oc delete", "error: you must specify the type of resource to delete", "e.g. deployment NAME"),
            ("oc uncordon", "missing node name", "oc adm cordon NODE"),
            ("oc drain", "missing node name", "oc adm drain NODE"),
            ("oc apply", "error: must specify -f", "oc apply -f FILE (relative to the Scenario file)"),
            ("oc get pods -n", "flag needs an argument: -n", "give -n a value"),
            ("oc get 'pods", "unterminated single quote", "close the quote"),
            ("oc get \"pods", "unterminated double quote", "close the quote"),
            ("oc get pods --request-timeout=30s", "--request-timeout limits a watch in a timeline", "add -w, or leave --request-timeout out"),
            ("oc get events -w --sort-by=.lastTimestamp", "--sort-by is ignored by a watch (kubectl warns: --watch requested, --sort-by will be ignored for watch events received)", "leave --sort-by out of the watch"),
            ("oc wait --for=condition=Ready rs/x", "waiting for a condition of replicaset.apps is not supported", "wait for pods, deployments, inferenceservices, workloads, jobs or nodes"),
            ("oc wait --for=jsonpath={.status.phase}=Running pod/x", "--for=jsonpath={.status.phase}=Running is not supported in this version", "wait for a condition (--for=condition=Ready) or for deletion (--for=delete)"),
            ("oc wait --for=condition=Ready pod/x --timeout=10", "invalid argument \"10\" for \"--timeout\" flag: time: invalid duration \"10\"", "write a duration with its unit, e.g. 30s or 10m"),
            ("oc logs x a b", "error: expected 'logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER]'.\nPOD or TYPE/NAME is a required argument for the logs command", "e.g. oc logs deployment/NAME -n NS"),
            ("oc logs x a -c b", "error: only one of -c or an inline [CONTAINER] arg is allowed", "drop one of them"),
            ("oc logs x --tail=-2", "error: --tail must be greater than or equal to -1", "give a number of lines, or -1 for all"),
            ("oc logs svc/x", "error: the server doesn't have a resource type \"svc\"", "simulated kinds: pods, deployments, replicasets, inferenceservices, workloads, clusterqueues, cohorts, localqueues, nodes, servingruntimes, resourceflavors, jobs, horizontalpodautoscalers, scaledobjects, jobsets, pytorchjobs, trainjobs, rayjobs, rayclusters, events"),
            ("oc logs rs/x", "oc logs of replicaset.apps is not supported", "read a pod's, a deployment's or a job's logs"),
            ("oc rollout status deploy/x deploy/y", "error: required resource not specified", "oc rollout status deployment/NAME"),
            ("oc rollout status job/x", "rollout status of job.batch is not supported", "follow a deployment's rollout"),
            ("oc get pods,jobs -w", "error: watch is only supported on individual resources and resource collections, but 2 resources were found", "watch one kind at a time"),
            ("oc scale deploy x --replicas=-1", "invalid --replicas value `-1`", "use a whole number, 0 or more"),
            ("oc patch deploy x -p '{}' --type frob", "unknown patch type `frob`", "expected strategic, merge or json"),
            ("oc delete pod x --grace-period=soon", "invalid --grace-period `soon`", "use seconds"),
            ("oc scale deploy/x rs/y --replicas=1", "mixed resource types are not supported in one timeline command", "split the command"),
        ];
        for (line, message, hint) in cases {
            let e = parse_command(line).expect_err(line);
            assert_eq!((e.message.as_str(), e.hint.as_str()), (message, hint), "{line}");
        }
    }

    #[test]
    fn the_grace_period_follows_force_and_the_flag() {
        let cases = [
            ("", None),
            ("--force", Some(0)),
            ("--force --grace-period=0", Some(0)),
            ("--grace-period=0", Some(0)),
            ("--grace-period=5", Some(5)),
            ("--force --grace-period=5", Some(5)),
            // A negative period means the object's own, with or without --force.
            ("--grace-period=-1", None),
            ("--force --grace-period=-1", None),
        ];
        for (flags, want) in cases {
            let line = format!("oc delete pod x {flags}");
            let Verb::Delete { grace_seconds, .. } = ok(&line).verb else {
                panic!("{line}: not a delete");
            };
            assert_eq!(grace_seconds, want, "{line}");
        }
    }

    #[test]
    fn a_switch_given_a_value_is_still_the_switch() {
        // kubectl's boolean flags take `=true`; the value itself is not read.
        let c = ok("oc annotate deploy x a=b --overwrite=true");
        assert!(matches!(c.verb, Verb::Annotate { overwrite: true, .. }));
        let c = ok("oc get pods -A=yes");
        assert!(c.all_namespaces);
    }
}
