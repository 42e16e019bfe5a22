//! Located input errors: every problem with user input names the file, line and
//! column it comes from, what is wrong, and how to fix it.

use std::fmt;
use std::sync::Arc;

#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Loc {
    pub file: Arc<str>,
    pub line: u32,
    pub col: u32,
}

impl Loc {
    pub fn new(file: Arc<str>, line: u32, col: u32) -> Self {
        Loc { file, line, col }
    }
    /// A whole file, when no position inside it applies (unreadable, empty).
    pub fn file(file: &str) -> Self {
        Loc {
            file: Arc::from(file),
            line: 1,
            col: 1,
        }
    }
}

impl fmt::Display for Loc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.col)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct InputError {
    pub loc: Loc,
    pub message: String,
    pub hint: Option<String>,
}

impl InputError {
    pub fn at(loc: Loc, message: impl Into<String>) -> Self {
        InputError {
            loc,
            message: message.into(),
            hint: None,
        }
    }
    pub(crate) fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.loc, self.message)?;
        if let Some(h) = &self.hint {
            write!(f, "; {h}")?;
        }
        Ok(())
    }
}

/// Several input errors found in one pass; reported together so a user fixes them all
/// at once rather than one per run.
#[derive(Debug, Clone, Default)]
pub struct InputErrors(pub Vec<InputError>);

impl fmt::Display for InputErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for InputErrors {}

impl From<InputError> for InputErrors {
    fn from(e: InputError) -> Self {
        InputErrors(vec![e])
    }
}

/// The closest names to `wanted` among `known` (edit distance), for "did you mean" hints.
pub(crate) fn closest<'a>(wanted: &str, known: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let mut scored: Vec<(usize, &str)> = known.into_iter().map(|k| (edit_distance(wanted, k), k)).collect();
    scored.sort();
    let limit = (wanted.len() / 2).max(3);
    scored
        .into_iter()
        .filter(|(d, _)| *d <= limit)
        .take(3)
        .map(|(_, k)| k)
        .collect()
}

pub(crate) fn did_you_mean<'a>(wanted: &str, known: impl IntoIterator<Item = &'a str>) -> String {
    let near = closest(wanted, known);
    if near.is_empty() {
        String::new()
    } else {
        format!(
            " (did you mean {}?)",
            near.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
        )
    }
}

pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb)).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closest_names_rank_by_edit_distance() {
        let known = ["nvidia-l4-1gpu", "nvidia-l4-4gpu", "amd-mi300x"];
        assert_eq!(
            closest("nvidia-l4-2gpu", known)[..2],
            ["nvidia-l4-1gpu", "nvidia-l4-4gpu"]
        );
        assert!(closest("zzzzzzzzzzzzzzzzzzzzzz", known).is_empty());
    }

    #[test]
    fn display_has_location_message_and_hint() {
        let e = InputError::at(Loc::new(Arc::from("a.yaml"), 3, 7), "bad").hint("fix it");
        assert_eq!(e.to_string(), "a.yaml:3:7: bad; fix it");
    }
}
