//! The rule documentation, `docs/rules.md`, compiled in for `badreq explain`.

const RULES_MD: &str = include_str!("../../docs/rules.md");

/// The `### <id>` section of docs/rules.md, heading included.
pub fn section(id: &str) -> Option<&'static str> {
    let heading = format!("### {id}\n");
    let start = RULES_MD.find(&heading)?;
    let rest = &RULES_MD[start + heading.len()..];
    let end = [rest.find("\n### "), rest.find("\n## ")]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(rest.len());
    Some(RULES_MD[start..start + heading.len() + end].trim_end())
}

/// Every rule ID documented in docs/rules.md.
pub fn documented_ids() -> Vec<&'static str> {
    RULES_MD
        .lines()
        .filter_map(|l| l.strip_prefix("### "))
        .map(str::trim)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnose::RULES;

    #[test]
    fn every_rule_is_documented_and_every_section_is_a_rule() {
        let documented = documented_ids();
        for rule in RULES {
            let text = section(rule.id)
                .unwrap_or_else(|| panic!("docs/rules.md has no section for {}", rule.id));
            for part in ["**Detects:**", "**Holds for:**", "**Fix:**"] {
                assert!(text.contains(part), "{}: section lacks {part}", rule.id);
            }
        }
        for id in documented {
            assert!(
                RULES.iter().any(|r| r.id == id),
                "docs/rules.md documents unknown rule {id}"
            );
        }
    }
}
