//! The rehearsal's terminal: what the timeline's commands print, as they run, scrolling
//! above a live panel (the clock, the countdown to the next entry and the `--watch`
//! commands' output) redrawn in place like `watch`, and under it the prompt's line when
//! the rehearsal is interactive. When stdout is not a terminal the panel is printed after
//! each command instead, so a log reads top to bottom.

use crossterm::{cursor, terminal, QueueableCommand};
use std::io::{IsTerminal, Write};

pub(crate) struct Screen {
    out: std::io::Stdout,
    tty: bool,
    /// The terminal is in raw mode (the prompt's): a line ends with `\r\n`.
    raw: bool,
    /// The line being typed, drawn under the panel.
    prompt: Option<super::prompt::Line>,
    /// Rows of the panel above the cursor's row, erased before anything else is printed.
    panel_rows: u16,
}

impl Screen {
    pub(crate) fn stdout() -> Screen {
        let out = std::io::stdout();
        Screen {
            tty: out.is_terminal(),
            out,
            raw: false,
            prompt: None,
            panel_rows: 0,
        }
    }

    pub(crate) fn is_tty(&self) -> bool {
        self.tty
    }

    /// From now on the terminal is raw and `line` is drawn as the prompt; `None` when the
    /// terminal is back to normal.
    pub(crate) fn set_prompt(&mut self, line: Option<super::prompt::Line>) {
        self.erase_panel();
        self.raw = line.is_some();
        self.prompt = line;
    }

    /// Prints `text` above the panel (the panel comes back at the next draw).
    pub(crate) fn say(&mut self, text: &str) {
        self.erase_panel();
        self.write_lines(text);
        let _ = self.out.flush();
    }

    /// Redraws the panel in place, then the prompt; on a terminal only, cut to its size.
    pub(crate) fn panel(&mut self, lines: &[String]) {
        if !self.tty {
            return;
        }
        self.erase_panel();
        let (cols, rows) = terminal::size().unwrap_or((100, 40));
        let width = usize::from(cols.saturating_sub(1));
        let room = usize::from(rows.saturating_sub(3)).max(3);
        let cut = |line: &str| -> String { line.chars().take(width).collect() };
        let mut shown: u16 = 0;
        let mut text = String::new();
        for line in lines.iter().take(room) {
            text += &cut(line);
            text.push('\n');
            shown += 1;
        }
        if lines.len() > room {
            text += &format!("… {} more lines\n", lines.len() - room);
            shown += 1;
        }
        self.write_lines(text.trim_end_matches('\n'));
        self.panel_rows = shown;
        if let Some(line) = &self.prompt {
            let typed = line.lock().map(|l| l.clone()).unwrap_or_default();
            // The end of a long line, as a shell scrolls it.
            let skip = typed.chars().count().saturating_sub(width.saturating_sub(2));
            let tail: String = typed.chars().skip(skip).collect();
            let _ = write!(self.out, "> {tail}");
        }
        let _ = self.out.flush();
    }

    /// The panel as a block of text in a log (stdout not a terminal).
    pub(crate) fn panel_in_log(&mut self, lines: &[String]) {
        if !self.tty {
            let _ = writeln!(self.out, "{}", lines.join("\n"));
            let _ = self.out.flush();
        }
    }

    /// `text` and a line end, each line ended as the terminal's mode wants.
    fn write_lines(&mut self, text: &str) {
        if self.raw {
            let _ = write!(self.out, "{}\r\n", text.replace('\n', "\r\n"));
        } else {
            let _ = writeln!(self.out, "{text}");
        }
    }

    fn erase_panel(&mut self) {
        if self.panel_rows > 0 || self.prompt.is_some() {
            let _ = self.out.queue(cursor::MoveToColumn(0));
            if self.panel_rows > 0 {
                let _ = self.out.queue(cursor::MoveUp(self.panel_rows));
            }
            let _ = self.out.queue(terminal::Clear(terminal::ClearType::FromCursorDown));
            self.panel_rows = 0;
        }
    }
}
