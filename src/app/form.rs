//! Checking a record's values before saving, field by field, so a form can show each
//! problem beside the field it is about. Saving itself goes through `create` / `edit`.

use serde_json::Value;

use super::App;
use super::input::build;
use super::ops::Values;
use super::spec::Ty;
use crate::model::records::fields;
use crate::model::{EntityKind, Id};

/// A problem with one field of a form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldIssue {
    /// The field's JSON name (as in the field registry).
    pub field: String,
    /// What is wrong and what to do.
    pub message: String,
}

impl App {
    /// Checks `values` for a new record of `kind` (`id` is `None`) or an edit of `id`.
    /// Returns every field that cannot be read, or else the first rule the whole record
    /// breaks; empty means saving will pass validation.
    #[must_use]
    pub fn check_form(&self, kind: EntityKind, id: Option<Id>, values: &Values) -> Vec<FieldIssue> {
        let mut issues = Vec::new();
        let tz = values.iter().find(|(s, _)| s.json == "tz").cloned();
        for (spec, texts) in values {
            let empty = texts.iter().all(|t| t.trim().is_empty());
            if spec.required && empty {
                issues.push(FieldIssue {
                    field: spec.json.to_string(),
                    message: "required".into(),
                });
                continue;
            }
            let mut one: Values = vec![(*spec, texts.clone())];
            if let Some(tz) = tz.clone().filter(|_| spec.ty == Ty::DateTime) {
                one.push(tz);
            }
            let mut resolve = |k: EntityKind, r: &str| self.resolve(k, r).map_err(|e| first_line(&e.to_string()));
            if let Err(e) = build(&one, self.clock().now(), &self.config.locale, &mut resolve) {
                issues.push(FieldIssue {
                    field: spec.json.to_string(),
                    message: e.message,
                });
            } else if spec.json == fields::shared::OWNER
                && !empty
                && let Err(e) = self.resolve_owner(&texts.join(" "), fields::shared::OWNER)
            {
                issues.push(FieldIssue {
                    field: spec.json.to_string(),
                    message: first_line(&e.to_string()),
                });
            }
        }
        if !issues.is_empty() {
            return issues;
        }
        let Ok(mut fields) = self.fields_from(values) else {
            return issues;
        };
        let old = match id {
            Some(id) => match self.store.get(kind, id) {
                Ok(Some(s)) => Some(s.fields),
                _ => None,
            },
            None => {
                if let Err(e) = self.complete_new(kind, &mut fields) {
                    return vec![whole(e.to_string())];
                }
                None
            }
        };
        let mut merged = old.clone().unwrap_or_default();
        merged.extend(fields);
        if kind == EntityKind::Quote
            && merged
                .get(fields::quote::NUMBER)
                .and_then(Value::as_str)
                .is_none_or(str::is_empty)
        {
            merged.insert(fields::quote::NUMBER.into(), Value::String("(new)".into()));
        }
        if let Err(e) = kind.validate(&merged, old.as_ref(), self.store.context()) {
            issues.push(FieldIssue {
                field: e.field,
                message: e.message,
            });
        }
        issues
    }
}

fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or(text).to_string()
}

fn whole(message: String) -> FieldIssue {
    let (field, message) = match message.strip_prefix("--").and_then(|m| m.split_once(": ")) {
        Some((f, m)) => (f.to_string(), m.to_string()),
        None => ("record".to_string(), message),
    };
    FieldIssue { field, message }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::ops::spec_of;

    #[test]
    fn reports_each_unreadable_field_and_required_ones() {
        let dir = tempfile::tempdir().expect("tempdir");
        let app = App::open(dir.path()).expect("open");
        let values: Values = vec![
            (spec_of(EntityKind::Opportunity, "name"), vec![String::new()]),
            (spec_of(EntityKind::Opportunity, "amount"), vec!["lots".into()]),
            (
                spec_of(EntityKind::Opportunity, "close_date"),
                vec!["2026-13-01".into()],
            ),
        ];
        let issues = app.check_form(EntityKind::Opportunity, None, &values);
        let fields: Vec<&str> = issues.iter().map(|i| i.field.as_str()).collect();
        assert_eq!(fields, ["name", "amount", "close_date"]);
        assert_eq!(issues[0].message, "required");
    }

    #[test]
    fn form_amounts_are_read_per_locale() {
        let amount = |text: &str| -> Values { vec![(spec_of(EntityKind::Opportunity, "amount"), vec![text.into()])] };
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("config.toml"), "locale = \"de-DE\"\n").expect("config");
        let app = App::open(dir.path()).expect("open");
        let issues = app.check_form(EntityKind::Opportunity, None, &amount("1.234,5"));
        assert!(issues.iter().all(|i| i.field != "amount"), "{issues:?}");
        let issues = app.check_form(EntityKind::Opportunity, None, &amount("1,234.5"));
        assert!(issues.iter().any(|i| i.field == "amount"), "{issues:?}");

        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("config.toml"), "locale = \"C\"\n").expect("config");
        let app = App::open(dir.path()).expect("open");
        let issues = app.check_form(EntityKind::Opportunity, None, &amount("1,5"));
        let message = &issues.iter().find(|i| i.field == "amount").expect("refused").message;
        assert!(message.contains("is it 1.5 or 15?"), "{message}");
    }

    #[test]
    fn record_rules_point_at_their_field() {
        let dir = tempfile::tempdir().expect("tempdir");
        let app = App::open(dir.path()).expect("open");
        let values: Values = vec![
            (spec_of(EntityKind::Account, "name"), vec!["Acme".into()]),
            (spec_of(EntityKind::Account, "email"), vec!["not-an-address".into()]),
        ];
        let issues = app.check_form(EntityKind::Account, None, &values);
        assert_eq!(issues.len(), 1);
        assert_eq!(issues[0].field, "email");
        let ok: Values = vec![(spec_of(EntityKind::Account, "name"), vec!["Acme".into()])];
        assert!(app.check_form(EntityKind::Account, None, &ok).is_empty());
    }
}
