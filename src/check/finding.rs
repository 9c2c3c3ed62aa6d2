//! What a rule reports: one `Finding` per violation, with the guideline's
//! category so the report can decide what fails the check.

use serde::Serialize;

/// MISRA guideline category (MISRA Compliance:2020 vocabulary).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    Mandatory,
    Required,
    Advisory,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Mandatory => "mandatory",
            Category::Required => "required",
            Category::Advisory => "advisory",
        }
    }

    /// Parse the catalogue spelling.
    pub fn parse(s: &str) -> Option<Category> {
        match s {
            "mandatory" => Some(Category::Mandatory),
            "required" => Some(Category::Required),
            "advisory" => Some(Category::Advisory),
            _ => None,
        }
    }

    /// Mandatory and required findings fail the check unless deviated.
    pub fn fails(self) -> bool {
        !matches!(self, Category::Advisory)
    }
}

/// One violation of one guideline at one place.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Path as shown to the user (relative to the current directory when under it).
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column (in bytes).
    pub col: usize,
    /// Guideline id: "15.5" for a rule, "D4.12" for a directive.
    pub rule: String,
    pub category: Category,
    pub message: String,
    pub hint: String,
    /// Name of the enclosing function, if any (used by deviations).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub function: Option<String>,
    /// Id of the deviation record that covers this finding, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deviation: Option<String>,
}

impl Finding {
    /// Sort key: file, line, column, rule, message.
    pub fn key(&self) -> (&str, usize, usize, &str, &str) {
        (&self.file, self.line, self.col, &self.rule, &self.message)
    }
}
