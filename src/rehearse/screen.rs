//! The rehearsal's terminal: what the timeline's commands print, as they run, scrolling
//! above a live panel (the clock, the countdown to the next entry and the `--watch`
//! commands' output) redrawn in place like `watch`. When stdout is not a terminal the
//! panel is printed after each command instead, so a log reads top to bottom.

use crossterm::{cursor, terminal, QueueableCommand};
use std::io::{IsTerminal, Write};

pub(crate) struct Screen {
    out: std::io::Stdout,
    tty: bool,
    /// Lines of the panel on the terminal now, erased before anything else is printed.
    panel_lines: u16,
}

impl Screen {
    pub(crate) fn stdout() -> Screen {
        let out = std::io::stdout();
        Screen {
            tty: out.is_terminal(),
            out,
            panel_lines: 0,
        }
    }

    pub(crate) fn is_tty(&self) -> bool {
        self.tty
    }

    /// Prints `text` above the panel (the panel comes back at the next draw).
    pub(crate) fn say(&mut self, text: &str) {
        self.erase_panel();
        let _ = writeln!(self.out, "{text}");
        let _ = self.out.flush();
    }

    /// Redraws the panel in place; on a terminal only, cut to its size.
    pub(crate) fn panel(&mut self, lines: &[String]) {
        if !self.tty {
            return;
        }
        self.erase_panel();
        let (cols, rows) = terminal::size().unwrap_or((100, 40));
        let room = usize::from(rows.saturating_sub(2)).max(3);
        let mut shown: u16 = 0;
        for line in lines.iter().take(room) {
            let cut: String = line.chars().take(usize::from(cols.saturating_sub(1))).collect();
            let _ = writeln!(self.out, "{cut}");
            shown += 1;
        }
        if lines.len() > room {
            let _ = write!(self.out, "… {} more lines", lines.len() - room);
            let _ = writeln!(self.out);
            shown += 1;
        }
        self.panel_lines = shown;
        let _ = self.out.flush();
    }

    /// The panel as a block of text in a log (stdout not a terminal).
    pub(crate) fn panel_in_log(&mut self, lines: &[String]) {
        if !self.tty {
            let _ = writeln!(self.out, "{}", lines.join("\n"));
            let _ = self.out.flush();
        }
    }

    fn erase_panel(&mut self) {
        if self.panel_lines > 0 {
            let _ = self.out.queue(cursor::MoveToPreviousLine(self.panel_lines));
            let _ = self.out.queue(terminal::Clear(terminal::ClearType::FromCursorDown));
            self.panel_lines = 0;
        }
    }
}
