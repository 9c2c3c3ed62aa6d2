//! Rule 10.2 (required): use character-typed expressions in addition and subtraction only appropriately.
//!
//! ## What it checks
//! A `+`, `-`, `+=` or `-=` with an essentially character operand (a plain `char` object, member or element, a character constant, or a typedef of `char`) is accepted only in the forms that step through characters: character plus a signed or unsigned integer (either order), character minus a signed or unsigned integer, and character minus character. Anything else is reported: two characters added, an integer minus a character, a character with a Boolean, enumeration or floating operand.
//!
//! ## Why
//! Character values are codes of the execution character set; only offsets into it and distances between codes have a meaning that does not depend on the set.
//!
//! ## Known limits
//! Operands the essential type model cannot type are not judged (see rule 10.1). Whether the result of `'0' + d` is then used as a character is not checked here (rule 10.3 sees the assignment).
//!
//! ## Example
//! ```c
//! char c = '0' + d;        /* fine: character plus an unsigned offset */
//! int32_t k = s - c;       /* flagged: integer minus a character */
//! ```

use crate::check::finding::Category;
use crate::check::rules::essential::{self, Cat, Typer};
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "10.2"
    }
    fn category(&self) -> Category {
        Category::Required
    }
    fn summary(&self) -> &'static str {
        "Use character-typed expressions in addition and subtraction only appropriately."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        for u in &program.units {
            let t = Typer::new(program, u);
            let mut found = Vec::new();
            for (e, op, l, r) in
                essential::operations(u, |op| matches!(op, "+" | "-" | "+=" | "-="))
            {
                let (Some(a), Some(b)) = (t.ess(l), t.ess(r)) else {
                    continue;
                };
                let int = |c: &Cat| c.is_integer();
                let bad = match op {
                    "+" | "+=" => match (&a.cat, &b.cat) {
                        (Cat::Char, Cat::Char) => true,
                        (Cat::Char, o) | (o, Cat::Char) => !int(o),
                        _ => false,
                    },
                    _ => match (&a.cat, &b.cat) {
                        (Cat::Char, o) => !(int(o) || *o == Cat::Char),
                        (_, Cat::Char) => true,
                        _ => false,
                    },
                };
                if bad {
                    let msg = format!(
                        "`{op}` of a {} and a {} operand",
                        a.describe(),
                        b.describe()
                    );
                    found.push((e, msg));
                }
            }
            found.sort_by_key(|(n, _)| n.start_byte());
            for (n, msg) in found {
                out.at(u, n, &msg, "add or subtract only integer offsets to characters, or take the difference of two characters");
            }
        }
    }
}
