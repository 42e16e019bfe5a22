//! The prompt at a terminal: the terminal in raw mode, keys read on a thread of their own,
//! the line being typed kept here and drawn by the screen under the live panel (so a
//! redraw never eats what is being typed). Enter submits the line, Up/Down walk back
//! through the lines submitted, Ctrl-U clears the line, Ctrl-C stops the rehearsal and
//! Ctrl-D on an empty line ends the input.

use crossterm::event::{self, Event, KeyCode, KeyEventKind, KeyModifiers};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};

/// The line being typed, shared with the screen that draws it.
pub(crate) type Line = Arc<Mutex<String>>;

/// Raw mode while it lives.
pub(crate) struct RawMode;

impl Drop for RawMode {
    fn drop(&mut self) {
        let _ = crossterm::terminal::disable_raw_mode();
    }
}

/// Starts reading keys: submitted lines (then `None` at the end) go to `lines`, each key
/// wakes the rehearsal to redraw.
pub(crate) fn start(
    lines: mpsc::Sender<Option<String>>,
    wake: Arc<tokio::sync::Notify>,
    interrupted: Arc<AtomicBool>,
) -> std::io::Result<(Line, RawMode)> {
    crossterm::terminal::enable_raw_mode()?;
    let line: Line = Arc::default();
    let editing = line.clone();
    std::thread::spawn(move || {
        let mut editor = Editor::default();
        loop {
            let key = match event::read() {
                Ok(Event::Key(k)) if k.kind != KeyEventKind::Release => k,
                Ok(_) => {
                    wake.notify_one();
                    continue;
                }
                Err(_) => {
                    let _ = lines.send(None);
                    wake.notify_one();
                    return;
                }
            };
            let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
            let done = match (key.code, ctrl) {
                (KeyCode::Char('c'), true) => {
                    interrupted.store(true, Ordering::SeqCst);
                    None
                }
                (KeyCode::Char('d'), true) if editor.line.is_empty() => Some(None),
                (code, ctrl) => editor.key(code, ctrl).map(Some),
            };
            if let Ok(mut shown) = editing.lock() {
                shown.clone_from(&editor.line);
            }
            if let Some(submitted) = done {
                let end = submitted.is_none();
                if lines.send(submitted).is_err() || end {
                    wake.notify_one();
                    return;
                }
            }
            wake.notify_one();
        }
    });
    Ok((line, RawMode))
}

/// A line editor: the line, and the lines submitted for Up/Down.
#[derive(Debug, Default)]
struct Editor {
    line: String,
    history: Vec<String>,
    /// Where Up/Down stand in the history; `history.len()` is the new line.
    at: usize,
}

impl Editor {
    /// Applies a key; a submitted line comes back.
    fn key(&mut self, code: KeyCode, ctrl: bool) -> Option<String> {
        match (code, ctrl) {
            (KeyCode::Enter, _) => {
                let line = std::mem::take(&mut self.line);
                if !line.trim().is_empty() && self.history.last() != Some(&line) {
                    self.history.push(line.clone());
                }
                self.at = self.history.len();
                return Some(line);
            }
            (KeyCode::Char('u'), true) => self.line.clear(),
            (KeyCode::Char(c), false) => self.line.push(c),
            (KeyCode::Backspace, _) => {
                self.line.pop();
            }
            (KeyCode::Up, _) if self.at > 0 => {
                self.at -= 1;
                self.line = self.history.get(self.at).cloned().unwrap_or_default();
            }
            (KeyCode::Down, _) if self.at < self.history.len() => {
                self.at += 1;
                self.line = self.history.get(self.at).cloned().unwrap_or_default();
            }
            _ => {}
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(e: &mut Editor, text: &str) {
        for c in text.chars() {
            e.key(KeyCode::Char(c), false);
        }
    }

    #[test]
    fn keys_edit_the_line_and_enter_submits_it() {
        let mut e = Editor::default();
        typed(&mut e, "oc get podz");
        e.key(KeyCode::Backspace, false);
        typed(&mut e, "s");
        assert_eq!(e.key(KeyCode::Enter, false).as_deref(), Some("oc get pods"));
        assert_eq!(e.line, "");
        typed(&mut e, "garbage");
        e.key(KeyCode::Char('u'), true);
        assert_eq!(e.line, "");
    }

    #[test]
    fn up_and_down_walk_the_lines_submitted() {
        let mut e = Editor::default();
        for l in ["pause", "oc get pods", "oc get pods"] {
            typed(&mut e, l);
            e.key(KeyCode::Enter, false);
        }
        e.key(KeyCode::Up, false);
        assert_eq!(e.line, "oc get pods", "a repeated line is kept once");
        e.key(KeyCode::Up, false);
        assert_eq!(e.line, "pause");
        e.key(KeyCode::Up, false);
        assert_eq!(e.line, "pause", "no further back than the first");
        e.key(KeyCode::Down, false);
        e.key(KeyCode::Down, false);
        assert_eq!(e.line, "", "back to a new line");
    }
}
