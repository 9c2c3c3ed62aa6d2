//! Safety profiles: what a standard and integrity level demand of a
//! certified model, as data (`rules/profiles/*.toml`, embedded in the
//! binary, or a custom TOML file).
//!
//! A profile fixes, per level: the QEMU targets the generated C must be
//! verified on, the structural coverage of the generated C, and a stack
//! budget; for every level: the MISRA guideline plan (which guidelines are
//! enforced, re-categorisations, which guidelines a deviation record may
//! cover), the numeric policy and the bundle contents. `certify` turns a
//! resolved [`Profile`] into its table of requirements.
//!
//! Unknown keys are errors: a misspelt requirement must never be silently
//! ignored.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use thiserror::Error;

use crate::check::catalogue::Guideline;
use crate::check::deviation::Recategorization;
use crate::check::finding::Category;

/// The built-in profiles: (name, TOML text). One line per profile.
pub const BUILTIN: &[(&str, &str)] = &[
    ("do178c", include_str!("../rules/profiles/do178c.toml")),
    ("iec61508", include_str!("../rules/profiles/iec61508.toml")),
    ("iec62304", include_str!("../rules/profiles/iec62304.toml")),
    ("iso26262", include_str!("../rules/profiles/iso26262.toml")),
    ("misra", include_str!("../rules/profiles/misra.toml")),
];

/// A profile that could not be loaded or resolved.
#[derive(Debug, Error)]
pub enum ProfileError {
    #[error(
        "unknown profile {name:?}; built-in profiles: {known} (or give a path to a .toml file)"
    )]
    Unknown { name: String, known: String },
    #[error("{origin}: cannot read: {source}")]
    Io {
        origin: String,
        source: std::io::Error,
    },
    #[error("{origin}: {message}")]
    Malformed { origin: String, message: String },
    #[error("profile {name}: unknown level {level:?}; its levels are {known}")]
    UnknownLevel {
        name: String,
        level: String,
        known: String,
    },
}

/// How advisory guidelines count under a level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AdvisoryPolicy {
    /// Reported; do not fail the check.
    Advisory,
    /// Re-categorised as required: a finding fails unless deviated.
    Required,
}

/// Minimum structural coverage of the generated C, in percent.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoverageRequirement {
    pub statement: Option<f64>,
    pub branch: Option<f64>,
    pub mcdc: Option<f64>,
}

impl CoverageRequirement {
    pub fn any(&self) -> bool {
        self.statement.is_some() || self.branch.is_some() || self.mcdc.is_some()
    }
}

/// The level-dependent part of a profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LevelRequirements {
    /// One line: what this level is, e.g. "highest integrity".
    pub summary: String,
    /// Targets the generated C must be bit-identical on (minimum set).
    pub targets: Vec<String>,
    #[serde(default)]
    pub coverage: CoverageRequirement,
    /// Stack per inference call, measured on every target that measures
    /// it; None = no budget.
    pub stack_budget_bytes: Option<u64>,
    /// How advisory guidelines count.
    pub advisory: AdvisoryPolicy,
    /// The framework oracle (`certify --oracle`): the model's own
    /// framework's predictions of the verification vectors must agree with
    /// the reference evaluator.
    #[serde(default)]
    pub oracle: bool,
    /// Execution time per inference call, per target (docs/timing.md):
    /// certify counts instructions and bounds them only when this is set.
    #[serde(default)]
    pub timing: Option<TimingBudget>,
}

/// A level's execution-time budget: per call of `timber_infer_single`, in
/// cycles, or in microseconds at a stated clock.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimingBudget {
    /// Cycles per call under each target's cycle model.
    #[serde(default)]
    pub budget_cycles: Option<u64>,
    /// Microseconds per call at `clock_mhz` (the pair is turned into cycles).
    #[serde(default)]
    pub budget_us: Option<f64>,
    #[serde(default)]
    pub clock_mhz: Option<f64>,
    /// Every target must have a static bound: a target without one
    /// (Linux user mode, the host, code the analysis refuses) fails the
    /// row. When false such a target's row is "measured only", labelled so,
    /// and passes.
    #[serde(default)]
    pub require_bound: bool,
}

impl TimingBudget {
    /// The budget in cycles (µs x MHz, rounded down).
    pub fn cycles(&self) -> u64 {
        match (self.budget_cycles, self.budget_us, self.clock_mhz) {
            (Some(c), _, _) => c,
            (None, Some(us), Some(mhz)) => (us * mhz).floor() as u64,
            _ => 0,
        }
    }

    /// e.g. `16800 cycles (100 us at 168 MHz)`.
    pub fn describe(&self) -> String {
        match (self.budget_us, self.clock_mhz) {
            (Some(us), Some(mhz)) if self.budget_cycles.is_none() => {
                format!("{} cycles ({us} us at {mhz} MHz)", self.cycles())
            }
            _ => format!("{} cycles", self.cycles()),
        }
    }

    fn check(&self, level: &str) -> Result<(), String> {
        let at = format!("levels.{level}.timing");
        match (self.budget_cycles, self.budget_us, self.clock_mhz) {
            (Some(_), None, None) => Ok(()),
            (None, Some(us), Some(mhz)) if us > 0.0 && mhz > 0.0 && (us * mhz).is_finite() => {
                Ok(())
            }
            (None, Some(_), Some(_)) => Err(format!(
                "{at}: budget_us and clock_mhz must be positive and finite"
            )),
            (None, Some(_), None) => Err(format!(
                "{at}: budget_us needs clock_mhz (the clock the microseconds are at)"
            )),
            (None, None, _) => Err(format!(
                "{at}: give budget_cycles, or budget_us and clock_mhz"
            )),
            _ => Err(format!(
                "{at}: give either budget_cycles or budget_us with clock_mhz, not both"
            )),
        }
    }
}

/// The MISRA guideline plan of a profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckPolicy {
    /// Guidelines re-categorised upward (rule id -> "required" | "mandatory").
    #[serde(default)]
    pub recategorize: BTreeMap<String, String>,
    /// Advisory guidelines not applied under this profile.
    #[serde(default)]
    pub disapply: Vec<String>,
    /// Guidelines a user's deviation record may cover; a deviation of any
    /// other guideline is refused. `["*"]` permits any non-mandatory one.
    #[serde(default)]
    pub deviations_permitted: Vec<String>,
}

/// How the generated code treats numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NumericPolicy {
    /// `missing` (NaN takes the model's missing-value direction) or
    /// `reject` (a NaN input returns TIMBER_ERR_NAN).
    pub nan_policy: String,
    /// Every output bit equal to the reference evaluator on every target.
    /// Only `true` is accepted: timber does not certify approximations.
    pub bit_identical: bool,
}

/// What a bundle must contain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundlePolicy {
    pub require: Vec<BundleItem>,
}

/// A piece of evidence a bundle can carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BundleItem {
    Ir,
    Sources,
    Check,
    Verification,
    Coverage,
    Resources,
    Toolchain,
    Traceability,
    Provenance,
    TestResult,
    Report,
}

impl BundleItem {
    pub const ALL: [BundleItem; 11] = [
        BundleItem::Ir,
        BundleItem::Sources,
        BundleItem::Check,
        BundleItem::Verification,
        BundleItem::Coverage,
        BundleItem::Resources,
        BundleItem::Toolchain,
        BundleItem::Traceability,
        BundleItem::Provenance,
        BundleItem::TestResult,
        BundleItem::Report,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            BundleItem::Ir => "ir",
            BundleItem::Sources => "sources",
            BundleItem::Check => "check",
            BundleItem::Verification => "verification",
            BundleItem::Coverage => "coverage",
            BundleItem::Resources => "resources",
            BundleItem::Toolchain => "toolchain",
            BundleItem::Traceability => "traceability",
            BundleItem::Provenance => "provenance",
            BundleItem::TestResult => "test-result",
            BundleItem::Report => "report",
        }
    }
}

/// A profile file as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfileFile {
    name: String,
    title: String,
    standard: String,
    description: String,
    /// e.g. "ASIL"; absent for profiles without levels.
    level_kind: Option<String>,
    default_level: Option<String>,
    check: CheckPolicy,
    numeric: NumericPolicy,
    bundle: BundlePolicy,
    /// Level name -> requirements; a profile without levels has one
    /// level named "default".
    levels: BTreeMap<String, LevelRequirements>,
}

/// A profile resolved to one level: everything certify needs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Profile {
    pub name: String,
    pub title: String,
    pub standard: String,
    pub description: String,
    /// e.g. "ASIL-D"; None for profiles without levels.
    pub level: Option<String>,
    /// sha256 of the TOML text.
    pub sha256: String,
    /// `builtin` or the custom file's name.
    pub origin: String,
    /// The TOML text as loaded (a bundle certified under a custom profile
    /// carries it, so `audit verify` can re-derive the requirement rows).
    #[serde(skip)]
    pub text: String,
    pub requirements: LevelRequirements,
    pub check: CheckPolicy,
    pub numeric: NumericPolicy,
    pub bundle: BundlePolicy,
}

/// A profile before a level is chosen (for `timber profiles`).
#[derive(Debug, Clone)]
pub struct ProfileDef {
    file: ProfileFile,
    sha256: String,
    origin: String,
    text: String,
}

impl ProfileDef {
    pub fn name(&self) -> &str {
        &self.file.name
    }
    pub fn title(&self) -> &str {
        &self.file.title
    }
    pub fn standard(&self) -> &str {
        &self.file.standard
    }
    pub fn description(&self) -> &str {
        &self.file.description
    }
    pub fn level_kind(&self) -> Option<&str> {
        self.file.level_kind.as_deref()
    }
    pub fn default_level(&self) -> Option<&str> {
        self.file.default_level.as_deref()
    }
    pub fn levels(&self) -> &BTreeMap<String, LevelRequirements> {
        &self.file.levels
    }
    pub fn check(&self) -> &CheckPolicy {
        &self.file.check
    }
    pub fn numeric(&self) -> &NumericPolicy {
        &self.file.numeric
    }
    pub fn bundle(&self) -> &BundlePolicy {
        &self.file.bundle
    }

    /// Parse and validate a profile's TOML text. `origin` names the file in
    /// errors; `catalogue` and `targets` are what ids may refer to.
    pub fn parse(
        text: &str,
        origin: &str,
        catalogue: &[Guideline],
        targets: &[String],
    ) -> Result<ProfileDef, ProfileError> {
        let bad = |message: String| ProfileError::Malformed {
            origin: origin.to_string(),
            message,
        };
        let file: ProfileFile = toml::from_str(text).map_err(|e| bad(e.to_string()))?;
        if file.levels.is_empty() {
            return Err(bad("the profile defines no [levels.*] table".into()));
        }
        match (&file.level_kind, &file.default_level) {
            (Some(_), Some(d)) if !file.levels.contains_key(d) => {
                return Err(bad(format!("default_level {d:?} is not one of the levels")))
            }
            (Some(_), None) => {
                return Err(bad("level_kind is set but default_level is missing".into()))
            }
            (None, _) if file.levels.len() != 1 || !file.levels.contains_key("default") => {
                return Err(bad(
                    "a profile without level_kind has exactly one level, [levels.default]".into(),
                ))
            }
            (None, Some(_)) => {
                return Err(bad("default_level needs level_kind".into()));
            }
            _ => {}
        }
        if !matches!(file.numeric.nan_policy.as_str(), "missing" | "reject") {
            return Err(bad(format!(
                "numeric.nan_policy {:?}: expected \"missing\" or \"reject\"",
                file.numeric.nan_policy
            )));
        }
        if !file.numeric.bit_identical {
            return Err(bad(
                "numeric.bit_identical = false: timber certifies only bit-identical code".into(),
            ));
        }
        let guideline = |id: &str, what: &str| -> Result<&Guideline, ProfileError> {
            catalogue
                .iter()
                .find(|g| g.id == id)
                .ok_or_else(|| bad(format!("{what}: unknown guideline {id:?}")))
        };
        for (id, to) in &file.check.recategorize {
            let g = guideline(id, "check.recategorize")?;
            let from = g.category();
            let ok = matches!(
                (from, to.as_str()),
                (Some(Category::Advisory), "required" | "mandatory")
                    | (Some(Category::Required), "mandatory")
            );
            if !ok {
                return Err(bad(format!(
                    "check.recategorize: {id} is {} and cannot become {to:?} (only upward)",
                    g.category
                )));
            }
        }
        for id in &file.check.disapply {
            let g = guideline(id, "check.disapply")?;
            if g.category() != Some(Category::Advisory) {
                return Err(bad(format!(
                    "check.disapply: {id} is {}; only advisory guidelines may be disapplied",
                    g.category
                )));
            }
        }
        for id in &file.check.deviations_permitted {
            if id == "*" {
                continue;
            }
            let g = guideline(id, "check.deviations_permitted")?;
            if g.category() == Some(Category::Mandatory) {
                return Err(bad(format!(
                    "check.deviations_permitted: {id} is mandatory and can never be deviated"
                )));
            }
        }
        for (name, level) in &file.levels {
            if level.targets.is_empty() {
                return Err(bad(format!("levels.{name}.targets is empty")));
            }
            for t in &level.targets {
                if !targets.contains(t) {
                    return Err(bad(format!(
                        "levels.{name}.targets: unknown target {t:?}; known: {}",
                        targets.join(", ")
                    )));
                }
            }
            if let Some(t) = &level.timing {
                t.check(name).map_err(bad)?;
            }
            for (what, v) in [
                ("statement", level.coverage.statement),
                ("branch", level.coverage.branch),
                ("mcdc", level.coverage.mcdc),
            ] {
                if let Some(p) = v {
                    if !(0.0..=100.0).contains(&p) {
                        return Err(bad(format!(
                            "levels.{name}.coverage.{what} = {p}: a percentage in 0..=100"
                        )));
                    }
                }
            }
        }
        let mut seen = std::collections::BTreeSet::new();
        for item in &file.bundle.require {
            if !seen.insert(*item) {
                return Err(bad(format!(
                    "bundle.require lists {:?} twice",
                    item.as_str()
                )));
            }
        }
        Ok(ProfileDef {
            file,
            sha256: crate::frontend::sha256_hex(text.as_bytes()),
            origin: origin.to_string(),
            text: text.to_string(),
        })
    }

    /// Resolve to one level (`None` = the default level). Accepts "D",
    /// "ASIL-D", "asil d" and the like.
    pub fn resolve(&self, level: Option<&str>) -> Result<Profile, ProfileError> {
        let key = match (level, &self.file.level_kind, &self.file.default_level) {
            (None, _, Some(d)) => d.clone(),
            (None, _, None) => "default".to_string(),
            (Some(l), kind, _) => {
                let mut l = l.trim().to_string();
                if let Some(k) = kind {
                    let upper = l.to_ascii_uppercase();
                    let ku = k.to_ascii_uppercase();
                    if let Some(rest) = upper.strip_prefix(&ku) {
                        l = rest.trim_start_matches(['-', ' ', '_']).to_string();
                    } else {
                        l = upper;
                    }
                }
                l.to_ascii_uppercase()
            }
        };
        let Some(req) = self.file.levels.get(&key) else {
            return Err(ProfileError::UnknownLevel {
                name: self.file.name.clone(),
                level: level.unwrap_or_default().to_string(),
                known: self.level_names().join(", "),
            });
        };
        let level_name = self.file.level_kind.as_ref().map(|k| format!("{k}-{key}"));
        Ok(Profile {
            name: self.file.name.clone(),
            title: self.file.title.clone(),
            standard: self.file.standard.clone(),
            description: self.file.description.clone(),
            level: level_name,
            sha256: self.sha256.clone(),
            origin: self.origin.clone(),
            text: self.text.clone(),
            requirements: req.clone(),
            check: self.file.check.clone(),
            numeric: self.file.numeric.clone(),
            bundle: self.file.bundle.clone(),
        })
    }

    /// Level names as users write them, e.g. ["ASIL-A", ..., "ASIL-D"].
    pub fn level_names(&self) -> Vec<String> {
        self.file
            .levels
            .keys()
            .map(|k| match &self.file.level_kind {
                Some(kind) => format!("{kind}-{k}"),
                None => k.clone(),
            })
            .collect()
    }
}

/// Every built-in profile, parsed.
pub fn builtin(
    catalogue: &[Guideline],
    targets: &[String],
) -> Result<Vec<ProfileDef>, ProfileError> {
    BUILTIN
        .iter()
        .map(|(name, text)| {
            ProfileDef::parse(
                text,
                &format!("rules/profiles/{name}.toml"),
                catalogue,
                targets,
            )
            .map(|mut d| {
                d.origin = "builtin".into();
                d
            })
        })
        .collect()
}

/// Load a profile by built-in name or from a `.toml` file path.
pub fn load(
    spec: &str,
    catalogue: &[Guideline],
    targets: &[String],
) -> Result<ProfileDef, ProfileError> {
    if let Some((_, text)) = BUILTIN.iter().find(|(n, _)| *n == spec) {
        return ProfileDef::parse(
            text,
            &format!("rules/profiles/{spec}.toml"),
            catalogue,
            targets,
        )
        .map(|mut d| {
            d.origin = "builtin".into();
            d
        });
    }
    let path = std::path::Path::new(spec);
    if spec.ends_with(".toml") || path.exists() {
        let text = std::fs::read_to_string(path).map_err(|source| ProfileError::Io {
            origin: spec.to_string(),
            source,
        })?;
        let mut def = ProfileDef::parse(&text, spec, catalogue, targets)?;
        def.origin = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| spec.to_string());
        return Ok(def);
    }
    Err(ProfileError::Unknown {
        name: spec.to_string(),
        known: BUILTIN
            .iter()
            .map(|(n, _)| *n)
            .collect::<Vec<_>>()
            .join(", "),
    })
}

impl Profile {
    /// The re-categorisation plan this profile imposes on the checker:
    /// its explicit entries, advisory -> required when the level says so,
    /// and its disapplied guidelines.
    pub fn recategorizations(&self, catalogue: &[Guideline]) -> Vec<Recategorization> {
        let mut out: BTreeMap<String, String> = BTreeMap::new();
        if self.requirements.advisory == AdvisoryPolicy::Required {
            for g in catalogue {
                if g.category() == Some(Category::Advisory) {
                    out.insert(g.id.clone(), "required".into());
                }
            }
        }
        for (id, to) in &self.check.recategorize {
            out.insert(id.clone(), to.clone());
        }
        for id in &self.check.disapply {
            out.insert(id.clone(), "disapplied".into());
        }
        out.into_iter()
            .map(|(rule, category)| Recategorization { rule, category })
            .collect()
    }

    /// May a deviation record cover this guideline under the profile?
    pub fn permits_deviation(&self, rule: &str) -> bool {
        self.check
            .deviations_permitted
            .iter()
            .any(|p| p == "*" || p == rule)
    }

    /// Human label, e.g. "iso26262 ASIL-D".
    pub fn label(&self) -> String {
        match &self.level {
            Some(l) => format!("{} {l}", self.name),
            None => self.name.clone(),
        }
    }
}

/// Strictness order of a re-categorisation target.
fn strictness(category: &str) -> u8 {
    match category {
        "disapplied" => 0,
        "advisory" => 1,
        "required" => 2,
        "mandatory" => 3,
        _ => 1,
    }
}

/// Combine the profile's plan with a user's: per guideline the stricter
/// category wins, so a user's plan can raise what a profile demands but
/// never lower it.
pub fn merge_recategorizations(
    profile: Vec<Recategorization>,
    user: Vec<Recategorization>,
) -> Vec<Recategorization> {
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    for r in profile.into_iter().chain(user) {
        match out.get(&r.rule) {
            Some(existing) if strictness(existing) >= strictness(&r.category) => {}
            _ => {
                out.insert(r.rule, r.category);
            }
        }
    }
    out.into_iter()
        .map(|(rule, category)| Recategorization { rule, category })
        .collect()
}
