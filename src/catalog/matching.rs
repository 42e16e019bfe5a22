//! Which model card a storage URI resolves to, and why: the pattern it matched, and
//! whether it matched only in part.
//!
//! A card claims URIs by substrings (`match:`), the longest matching one winning. That
//! finds the model family reliably, but a checkpoint the catalog has no card for falls
//! to the nearest card: an FP8 path to the BF16 card, a fine-tune to its base model. The
//! run then prices its download, memory and speed as that card's. "In part" names those
//! cases concretely:
//!
//! - **precision**: the URI's model name (the path segment the pattern matched in) holds
//!   a precision or quantization token (`fp8`, `w4a16`, `int4`, `awq`, `gptq`, `w8a8`,
//!   `int8`, `mxfp4`, `bf16`, …) and none of those tokens is the card's precision;
//! - **name**: after the pattern, the model name goes on with words that are neither the
//!   card's own (its name or display name), a version number, a tag, nor `instruct`,
//!   `chat`, `hf` or `dynamic` — the pattern matched a family prefix of another model.

use super::{Catalog, ModelCard};
use crate::api::kserve::{InferenceService, ModelSource};

/// The card a model resolves to, how, and whether only in part.
#[derive(Debug, Clone)]
pub(crate) struct ModelMatch<'c> {
    pub card: &'c ModelCard,
    /// How it was chosen, in words: the annotation, or the URI and the pattern it matched.
    pub reason: String,
    /// Why the URI matched the card only in part, when it did.
    pub partial: Option<String>,
}

/// The annotation that names a model's card outright.
pub(crate) const MODEL_ANNOTATION: &str = "gpuaas-sim.io/model";

/// Precision and quantization tokens of model names, and the card precision each means
/// (AWQ and GPTQ are 4-bit weight-only schemes, as the catalog's w4a16 cards note).
const PRECISION_TOKENS: &[(&str, &str)] = &[
    ("bf16", "bf16"),
    ("fp16", "bf16"),
    ("fp8", "fp8"),
    ("w8a8", "w8a8"),
    ("int8", "w8a8"),
    ("w8a16", "w8a16"),
    ("w4a16", "w4a16"),
    ("int4", "w4a16"),
    ("awq", "w4a16"),
    ("gptq", "w4a16"),
    ("mxfp4", "mxfp4"),
    ("nvfp4", "nvfp4"),
    ("fp4", "nvfp4"),
];

/// Words a model name carries after its family's pattern without naming another model.
const NEUTRAL_WORDS: &[&str] = &["instruct", "chat", "hf", "dynamic"];

/// The card precision a token of a model name means, if it names one.
fn precision_of(token: &str) -> Option<&'static str> {
    PRECISION_TOKENS.iter().find(|(t, _)| *t == token).map(|(_, p)| *p)
}

/// A card's precision as the tokens mean it (fp16 and bf16 are one class: two bytes).
fn card_class(precision: &str) -> &str {
    match precision {
        "fp16" => "bf16",
        p => p,
    }
}

fn tokens(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|t| !t.is_empty())
}

/// A version (`2507`, `1`, `v2`): the same model, released again.
fn is_version(token: &str) -> bool {
    let digits = token.strip_prefix('v').unwrap_or(token);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

impl Catalog {
    /// The model card whose longest `match` substring occurs in the storage URI/path.
    pub(crate) fn match_model(&self, storage: &str) -> Option<&ModelCard> {
        self.best_match(storage).map(|(card, _)| card)
    }

    /// The card and the pattern of the longest match; on a tie the card listed last (a
    /// user's card, which overlays append, over a bundled one).
    fn best_match(&self, storage: &str) -> Option<(&ModelCard, &str)> {
        let s = storage.to_lowercase();
        self.models
            .iter()
            .filter_map(|m| {
                m.matches
                    .iter()
                    .filter(|p| s.contains(p.as_str()))
                    .max_by_key(|p| p.len())
                    .map(|p| (m, p.as_str()))
            })
            .max_by_key(|(_, p)| p.len())
    }

    /// The card a model resolves to: the one the annotation names, else the one its
    /// storage URI matches; `uri` is shown as written, `matched` is the text the kubelet
    /// matches (a ModelCar's image, else the URI).
    pub(crate) fn choose_model(
        &self,
        annotation: Option<&str>,
        uri: Option<(&str, &str)>,
        field: &str,
    ) -> Option<ModelMatch<'_>> {
        if let Some(name) = annotation {
            return self.model(name).map(|card| ModelMatch {
                card,
                reason: format!("annotation `{MODEL_ANNOTATION}: {name}`"),
                partial: None,
            });
        }
        let (shown, matched) = uri?;
        let (card, pattern) = self.best_match(matched)?;
        Some(ModelMatch {
            card,
            reason: format!("{field} `{shown}` matched `{pattern}`"),
            partial: partial_match(&matched.to_lowercase(), pattern, card),
        })
    }

    /// The card an InferenceService's pods will run as, chosen as the kubelet chooses it
    /// for them (`cluster::kubelet::model_of`): the predictor's annotation, else the
    /// InferenceService's, else its storage URI (a ModelCar by its image).
    pub(crate) fn inference_service_model(&self, isvc: &InferenceService) -> Option<ModelMatch<'_>> {
        let p = &isvc.predictor;
        let annotation = p
            .annotations
            .get(MODEL_ANNOTATION)
            .or_else(|| isvc.meta.annotations.get(MODEL_ANNOTATION));
        let uri = p.source.as_ref().map(ModelSource::uri);
        let matched = match &p.source {
            Some(ModelSource::Oci(image)) => Some(image.as_str()),
            _ => uri.as_deref(),
        };
        // Named as written: a data connection's path without the scheme KServe adds.
        let shown = match &p.source {
            Some(src) if p.source_key == "storage.path" => Some(src.path()),
            _ => uri.as_deref(),
        };
        self.choose_model(annotation.map(String::as_str), shown.zip(matched), p.source_key)
    }
}

/// Why `uri` (lowercase) matched `card` through `pattern` only in part, if it did (see
/// the module's documentation).
fn partial_match(uri: &str, pattern: &str, card: &ModelCard) -> Option<String> {
    // The occurrence nearest the end: the model's own name is the URI's last part.
    let at = uri.rfind(pattern)?;
    let end_of_match = at + pattern.len();
    let segment_start = uri[..at].rfind('/').map_or(0, |i| i + 1);
    let segment_end = uri[end_of_match..].find('/').map_or(uri.len(), |i| end_of_match + i);
    // A tag or digest (`:1.5`, `@sha256:…`) versions an image; it is not part of the name.
    let tag = |from: usize| {
        uri[from..segment_end]
            .find([':', '@'])
            .map_or(segment_end, |i| from + i)
    };
    // A pattern that ends the name itself (`…-instruct:`, `…-instruct/`) leaves no suffix.
    let name_end = if pattern.ends_with([':', '/']) {
        end_of_match
    } else {
        tag(end_of_match)
    };
    let name = &uri[segment_start.min(name_end)..name_end];
    let suffix = &uri[end_of_match.min(name_end)..name_end];
    let mut why = Vec::new();
    let said: Vec<&str> = tokens(name).filter(|t| precision_of(t).is_some()).collect();
    let class = card_class(&card.precision);
    if !said.is_empty() && !said.iter().any(|t| precision_of(t) == Some(class)) {
        why.push(format!(
            "the name says {} but card {} is {}, so the run uses that card's weights ({} GB), memory and speed",
            said.join(", "),
            card.name,
            card.precision,
            card.weights_gb
        ));
    }
    let own: Vec<String> = tokens(&card.name.to_lowercase())
        .chain(tokens(&card.display.to_lowercase()))
        .map(str::to_string)
        .collect();
    let extra: Vec<&str> = tokens(suffix)
        .filter(|t| {
            precision_of(t).is_none() && !NEUTRAL_WORDS.contains(t) && !is_version(t) && !own.iter().any(|o| o == t)
        })
        .collect();
    if !extra.is_empty() {
        why.push(format!(
            "the name goes on past `{pattern}` with `{}`, which card {} does not describe",
            extra.join("-"),
            card.name
        ));
    }
    (!why.is_empty()).then(|| why.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (storage URI, card it must resolve to, whether only in part, texts the reason
    /// holds, separated by `|`)
    const CASES: &[(&str, &str, bool, &str)] = &[
        (
            "oci://registry.redhat.io/rhelai1/modelcar-granite-3-1-8b-instruct:1.5",
            "granite-3.1-8b-instruct-bf16",
            false,
            "",
        ),
        (
            "s3://models/granite-3.1-8b-instruct-fp8/",
            "granite-3.1-8b-instruct-fp8-dynamic",
            false,
            "",
        ),
        (
            "s3://models/granite-3.1-8b-instruct-fp8-dynamic/",
            "granite-3.1-8b-instruct-fp8-dynamic",
            false,
            "",
        ),
        ("s3://models/mistral-small-24b/", "mistral-small-3.1-24b-instruct-bf16", false, ""),
        // The demo's Devstral folder: the pattern is the family, the rest the card's name.
        ("s3://models/devstral-small-2507/", "devstral-small-2507-bf16", false, ""),
        // AWQ is a 4-bit weight-only scheme: the W4A16 card's class.
        ("s3://models/mistral-small-24b-awq/", "mistral-small-3.1-24b-instruct-w4a16", false, ""),
        // A precision token outside the model's own name says nothing about it.
        ("s3://fp8-models/llama-3.1-8b-instruct/", "llama-3.1-8b-instruct-bf16", false, ""),
        (
            "oci://registry.redhat.io/rhelai1/modelcar-mistral-small-3-1-24b-instruct-2503-quantized-w4a16:1.5",
            "mistral-small-3.1-24b-instruct-w4a16",
            false,
            "",
        ),
        // An FP8 checkpoint without a card of its own falls to the BF16 card.
        (
            "hf://RedHatAI/Meta-Llama-3.1-8B-Instruct-FP8-dynamic",
            "llama-3.1-8b-instruct-bf16",
            true,
            "the name says fp8 but card llama-3.1-8b-instruct-bf16 is bf16",
        ),
        (
            "s3://models/gpt-oss-20b-bf16/",
            "gpt-oss-20b",
            true,
            "the name says bf16 but card gpt-oss-20b is mxfp4",
        ),
        // A fine-tune named after its base model.
        (
            "s3://models/llama-3.1-8b-instruct-abliterated-v2/",
            "llama-3.1-8b-instruct-bf16",
            true,
            "goes on past `llama-3.1-8b-instruct` with `abliterated`",
        ),
        (
            "oci://quay.io/acme/llama-3.1-8b-instruct-int4-lora:3",
            "llama-3.1-8b-instruct-bf16",
            true,
            "the name says int4 but card llama-3.1-8b-instruct-bf16 is bf16|goes on past `llama-3.1-8b-instruct` with `lora`",
        ),
    ];

    #[test]
    fn each_uri_resolves_to_its_card_and_says_when_only_in_part() {
        let c = Catalog::bundled();
        for (uri, card, partial, text) in CASES {
            let m = c
                .choose_model(None, Some((uri, uri)), "storageUri")
                .unwrap_or_else(|| panic!("{uri}: no card"));
            assert_eq!(m.card.name, *card, "{uri}");
            assert!(
                m.reason.starts_with(&format!("storageUri `{uri}` matched `")),
                "{}",
                m.reason
            );
            assert_eq!(m.partial.is_some(), *partial, "{uri}: {:?}", m.partial);
            for t in text.split('|') {
                assert!(m.partial.as_deref().unwrap_or("").contains(t), "{uri}: {:?}", m.partial);
            }
        }
    }

    #[test]
    fn an_annotation_names_the_card_outright() {
        let c = Catalog::bundled();
        let uri = "s3://models/gpt-oss-20b-bf16/";
        let m = c
            .choose_model(Some("llama-3.1-8b-instruct-bf16"), Some((uri, uri)), "storageUri")
            .expect("annotated card");
        assert_eq!(m.card.name, "llama-3.1-8b-instruct-bf16");
        assert_eq!(m.reason, "annotation `gpuaas-sim.io/model: llama-3.1-8b-instruct-bf16`");
        assert!(m.partial.is_none());
        assert!(c
            .choose_model(Some("no-such-card"), Some((uri, uri)), "storageUri")
            .is_none());
        assert!(c
            .choose_model(None, Some(("s3://x/y", "s3://x/y")), "storageUri")
            .is_none());
    }

    #[test]
    fn storage_uris_resolve_to_the_most_specific_card() {
        let c = Catalog::bundled();
        let int4 = c
            .match_model("registry.redhat.io/rhelai1/modelcar-mistral-small-3-1-24b-instruct-2503-quantized-w4a16:1.5")
            .expect("w4a16 card");
        assert_eq!(int4.precision, "w4a16");
        let g = c
            .match_model("registry.redhat.io/rhelai1/modelcar-granite-3-1-8b-instruct:1.5")
            .expect("granite");
        assert!(g.params_b > 7.0 && g.params_b < 9.0);
    }
}
