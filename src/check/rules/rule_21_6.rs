//! Rule 21.6 (required): do not use the standard input/output functions.
//!
//! ## What it checks
//! Includes of stdio.h or wchar.h, and every use of a stdio function.
//!
//! ## Why
//! Stream I/O has much unspecified and undefined behaviour and pulls large library code into a target.
//!
//! ## Known limits
//! Uses hidden behind macros from unchecked headers are not seen; an object of your own with one of these names is flagged too.
//!
//! ## Example
//! ```c
//! #include <stdio.h>          /* flagged */
//! (void)printf("%d", x);      /* flagged */
//! ```

use crate::check::source;
use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "21.6"
    }
    fn category(&self) -> Category {
        Category::Required
    }
    fn summary(&self) -> &'static str {
        "Do not use the standard input/output functions."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        source::ban(program, out, &["stdio.h", "wchar.h"], &["printf", "fprintf", "sprintf", "snprintf", "vprintf", "vfprintf", "vsprintf", "vsnprintf", "scanf", "fscanf", "sscanf", "vscanf", "vfscanf", "vsscanf", "puts", "fputs", "fgets", "gets", "putchar", "getchar", "fputc", "fgetc", "putc", "getc", "ungetc", "fopen", "freopen", "fclose", "fflush", "fread", "fwrite", "fseek", "ftell", "rewind", "fgetpos", "fsetpos", "clearerr", "feof", "ferror", "perror", "remove", "rename", "tmpfile", "tmpnam", "setbuf", "setvbuf"], "report through return codes; leave I/O to the integrating application");
    }
}
