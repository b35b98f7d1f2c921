//! Printing to stdout for a reader that may go away: `baladiya guide search … | head` closes the
//! pipe after ten lines, and the next write fails with a broken pipe. `println!` panics on that;
//! [`say!`] ends the program quietly instead (exit 0: the reader has what it asked for). Any
//! other failure to write is reported once on stderr.

use std::io::Write;

/// `println!` that exits quietly when stdout is a closed pipe.
macro_rules! say {
    () => {
        $crate::out::line(format_args!(""))
    };
    ($($arg:tt)*) => {
        $crate::out::line(format_args!($($arg)*))
    };
}

pub fn line(args: std::fmt::Arguments<'_>) {
    let mut out = std::io::stdout().lock();
    let written = out.write_fmt(args).and_then(|()| out.write_all(b"\n"));
    if let Err(e) = written {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error: cannot write to stdout: {e}");
        std::process::exit(1);
    }
}
