//! Parsing the `oc`/`kubectl` command lines a Scenario's timeline holds.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Pod,
    Deployment,
    ReplicaSet,
    InferenceService,
    Workload,
    ClusterQueue,
    LocalQueue,
    Node,
    ServingRuntime,
    ResourceFlavor,
    Job,
}

impl Kind {
    pub fn parse(s: &str) -> Option<Kind> {
        let base = s.split('.').next().unwrap_or(s).to_lowercase();
        Some(match base.as_str() {
            "pod" | "pods" | "po" => Kind::Pod,
            "deployment" | "deployments" | "deploy" => Kind::Deployment,
            "replicaset" | "replicasets" | "rs" => Kind::ReplicaSet,
            "inferenceservice" | "inferenceservices" | "isvc" => Kind::InferenceService,
            "workload" | "workloads" | "wl" => Kind::Workload,
            "clusterqueue" | "clusterqueues" | "cq" => Kind::ClusterQueue,
            "localqueue" | "localqueues" | "lq" | "queue" | "queues" => Kind::LocalQueue,
            "node" | "nodes" | "no" => Kind::Node,
            "servingruntime" | "servingruntimes" => Kind::ServingRuntime,
            "resourceflavor" | "resourceflavors" | "rf" => Kind::ResourceFlavor,
            "job" | "jobs" => Kind::Job,
            _ => return None,
        })
    }
    /// The resource name kubectl prints in messages (`deployment.apps/x scaled`).
    pub fn resource(self) -> &'static str {
        match self {
            Kind::Pod => "pod",
            Kind::Deployment => "deployment.apps",
            Kind::ReplicaSet => "replicaset.apps",
            Kind::InferenceService => "inferenceservice.serving.kserve.io",
            Kind::Workload => "workload.kueue.x-k8s.io",
            Kind::ClusterQueue => "clusterqueue.kueue.x-k8s.io",
            Kind::LocalQueue => "localqueue.kueue.x-k8s.io",
            Kind::Node => "node",
            Kind::ServingRuntime => "servingruntime.serving.kserve.io",
            Kind::ResourceFlavor => "resourceflavor.kueue.x-k8s.io",
            Kind::Job => "job.batch",
        }
    }
    pub(crate) fn cluster_scoped(self) -> bool {
        matches!(self, Kind::ClusterQueue | Kind::Node | Kind::ResourceFlavor)
    }
}

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
        changes: Vec<(String, Option<String>)>,
        overwrite: bool,
    },
    Label {
        targets: Targets,
        changes: Vec<(String, Option<String>)>,
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
    Get {
        kind: Kind,
        names: Vec<String>,
        selector: Option<String>,
        wide: bool,
    },
    Describe {
        kind: Kind,
        names: Vec<String>,
    },
    Cordon {
        node: String,
        uncordon: bool,
    },
    Drain {
        node: String,
    },
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
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_token = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(x) => cur.push(x),
                        None => return Err(err("unterminated single quote", "close the quote")),
                    }
                }
            }
            '"' => {
                in_token = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
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
    positional: Vec<String>,
}

const VALUE_FLAGS: &[(&str, &str)] = &[
    ("-n", "namespace"),
    ("--namespace", "namespace"),
    ("-l", "selector"),
    ("--selector", "selector"),
    ("--replicas", "replicas"),
    ("-o", "output"),
    ("--output", "output"),
    ("--grace-period", "grace"),
    ("-p", "patch"),
    ("--patch", "patch"),
    ("--type", "type"),
    ("-f", "file"),
    ("--filename", "file"),
];

fn parse_flags(args: &[String]) -> Result<Flags, CommandError> {
    let mut f = Flags::default();
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        let (name, inline) = match a.split_once('=') {
            Some((n, v)) if a.starts_with('-') => (n.to_string(), Some(v.to_string())),
            _ => (a.clone(), None),
        };
        if let Some((_, field)) = VALUE_FLAGS.iter().find(|(n, _)| *n == name) {
            let value = match inline {
                Some(v) => v,
                None => {
                    i += 1;
                    args.get(i).cloned().ok_or_else(|| {
                        err(
                            format!("flag needs an argument: {name}"),
                            format!("give {name} a value"),
                        )
                    })?
                }
            };
            match *field {
                "namespace" => f.namespace = Some(value),
                "selector" => f.selector = Some(value),
                "replicas" => f.replicas = Some(value),
                "output" => f.output = Some(value),
                "grace" => f.grace = Some(value),
                "patch" => f.patch = Some(value),
                "type" => f.patch_type = Some(value),
                "file" => f.file = Some(value),
                _ => unreachable!(),
            }
        } else {
            match name.as_str() {
                "-A" | "--all-namespaces" => f.all_namespaces = true,
                "--all" => f.all = true,
                "--overwrite" => f.overwrite = true,
                "--force" => f.force = true,
                "-w" | "--watch" => return Err(err("--watch is not supported in a timeline", "add a `get` at each time you want to look")),
                "--dry-run" => return Err(err("--dry-run is not supported in a timeline", "remove it; every timeline command is applied")),
                n if n.starts_with('-') => {
                    return Err(err(format!("unknown flag: {n}"), "supported: -n, -A, -l, --all, --replicas, -o wide, --overwrite, --force, --grace-period, -p, --type, -f"))
                }
                _ => f.positional.push(a.clone()),
            }
        }
        i += 1;
    }
    Ok(f)
}

fn kind_of(s: &str) -> Result<Kind, CommandError> {
    Kind::parse(s).ok_or_else(|| {
        err(
            format!("error: the server doesn't have a resource type \"{s}\""),
            "simulated kinds: pods, deployments, replicasets, inferenceservices, workloads, clusterqueues, localqueues, nodes, servingruntimes, resourceflavors",
        )
    })
}

/// `TYPE NAME...`, `TYPE/NAME...`, with `--all` or `-l` instead of names.
fn targets(f: &Flags, verb: &str) -> Result<Targets, CommandError> {
    let pos = &f.positional;
    let first = pos.first().ok_or_else(|| {
        err(
            format!("error: you must specify the type of resource to {verb}"),
            "e.g. deployment NAME",
        )
    })?;
    let (kind, names) = if let Some((k, n)) = first.split_once('/') {
        let kind = kind_of(k)?;
        let mut names = vec![n.to_string()];
        for p in &pos[1..] {
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
        (kind_of(first)?, pos[1..].to_vec())
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

pub(crate) fn parse_command(line: &str) -> Result<Command, CommandError> {
    let tokens = tokenize(line)?;
    let Some(prog) = tokens.first() else {
        return Err(err("empty command", "write an oc or kubectl command"));
    };
    if prog != "oc" && prog != "kubectl" {
        return Err(err(
            format!("`{prog}` is not oc or kubectl"),
            "timeline entries run oc or kubectl commands",
        ));
    }
    let Some(verb) = tokens.get(1) else {
        return Err(err("missing verb", "e.g. oc get pods"));
    };
    let rest = &tokens[2..];
    let (verb_name, args): (&str, Vec<String>) = match verb.as_str() {
        "rollout" => match rest.first().map(String::as_str) {
            Some("restart") => ("rollout restart", rest[1..].to_vec()),
            Some(other) => {
                return Err(err(
                    format!("`rollout {other}` is not supported"),
                    "supported: rollout restart",
                ))
            }
            None => {
                return Err(err(
                    "missing rollout subcommand",
                    "e.g. oc rollout restart deployment/NAME",
                ))
            }
        },
        "adm" => match rest.first().map(String::as_str) {
            Some(s @ ("cordon" | "uncordon" | "drain")) => (s, rest[1..].to_vec()),
            _ => {
                return Err(err(
                    "unsupported `adm` subcommand",
                    "supported: oc adm cordon|uncordon|drain NODE",
                ))
            }
        },
        v @ ("cordon" | "uncordon" | "drain") => (v, rest.to_vec()),
        v => (v, rest.to_vec()),
    };
    const VERBS: &[&str] = &[
        "scale",
        "annotate",
        "label",
        "patch",
        "rollout restart",
        "apply",
        "delete",
        "get",
        "describe",
        "cordon",
        "uncordon",
        "drain",
    ];
    if !VERBS.contains(&verb_name) {
        return Err(err(
            format!("`{verb_name}` is not a supported command"),
            "supported: scale, annotate, label, patch, rollout restart, apply -f, delete, get, describe, adm cordon/uncordon/drain",
        ));
    }
    let (args, changes) = if matches!(verb_name, "annotate" | "label") {
        let (r, c) = kv_changes(&args)?;
        (r, Some(c))
    } else {
        (args, None)
    };
    let f = parse_flags(&args)?;
    let verb = match verb_name {
        "scale" => {
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
            Verb::Scale {
                targets: targets(&f, "scale")?,
                replicas: n,
            }
        }
        "annotate" => Verb::Annotate {
            targets: targets(&f, "annotate")?,
            changes: changes.unwrap(),
            overwrite: f.overwrite,
        },
        "label" => Verb::Label {
            targets: targets(&f, "label")?,
            changes: changes.unwrap(),
            overwrite: f.overwrite,
        },
        "patch" => {
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
            Verb::Patch {
                targets: targets(&f, "patch")?,
                patch,
                patch_type,
            }
        }
        "rollout restart" => {
            let t = targets(&f, "restart")?;
            if t.kind != Kind::Deployment {
                return Err(err(
                    format!("rollout restart of {} is not supported", t.kind.resource()),
                    "restart a deployment",
                ));
            }
            Verb::RolloutRestart { targets: t }
        }
        "apply" => Verb::Apply {
            file: f.file.clone().ok_or_else(|| {
                err(
                    "error: must specify -f",
                    "oc apply -f FILE (relative to the Scenario file)",
                )
            })?,
        },
        "delete" => {
            let grace = match &f.grace {
                Some(g) => Some(
                    g.parse::<i64>()
                        .map_err(|_| err(format!("invalid --grace-period `{g}`"), "use seconds"))?,
                ),
                None => None,
            };
            let grace_seconds = match (f.force, grace) {
                (true, Some(0)) | (true, None) => Some(0),
                (_, Some(g)) if g >= 0 => Some(g as u64),
                (_, Some(_)) => None,
                (false, None) => None,
            };
            Verb::Delete {
                targets: targets(&f, "delete")?,
                grace_seconds,
            }
        }
        "get" | "describe" => {
            let first = f.positional.first().ok_or_else(|| {
                err(
                    format!("error: you must specify the type of resource to {verb_name}"),
                    "e.g. oc get pods",
                )
            })?;
            let (kind, names) = match first.split_once('/') {
                Some((k, n)) => (kind_of(k)?, vec![n.to_string()]),
                None => (kind_of(first)?, f.positional[1..].to_vec()),
            };
            if verb_name == "get" {
                let wide = match f.output.as_deref() {
                    None => false,
                    Some("wide") => true,
                    Some(o) => {
                        return Err(err(
                            format!("output format `{o}` is not supported"),
                            "use the default or -o wide",
                        ))
                    }
                };
                Verb::Get {
                    kind,
                    names,
                    selector: f.selector.clone(),
                    wide,
                }
            } else {
                if !matches!(
                    kind,
                    Kind::Workload | Kind::ClusterQueue | Kind::Pod | Kind::LocalQueue | Kind::Node
                ) {
                    return Err(err(
                        format!("describe {} is not supported", kind.resource()),
                        "describe workload, clusterqueue, localqueue, pod or node",
                    ));
                }
                Verb::Describe { kind, names }
            }
        }
        "cordon" | "uncordon" => Verb::Cordon {
            node: f
                .positional
                .first()
                .cloned()
                .ok_or_else(|| err("missing node name", "oc adm cordon NODE"))?,
            uncordon: verb_name == "uncordon",
        },
        "drain" => Verb::Drain {
            node: f
                .positional
                .first()
                .cloned()
                .ok_or_else(|| err("missing node name", "oc adm drain NODE"))?,
        },
        other => unreachable!("verb `{other}` was checked above"),
    };
    Ok(Command {
        verb,
        namespace: f.namespace,
        all_namespaces: f.all_namespaces,
    })
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
                kind: Kind::Pod,
                names: vec![],
                selector: Some("serving.kserve.io/inferenceservice".into()),
                wide: false
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
                node: "gpu-node-1".into(),
                uncordon: false
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
            ("oc get pods -o json", "output format"),
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
}
