//! Themes: semantic roles (accent, warning, muted...) read from `assets/theme-*.toml`,
//! with the user's `theme.toml` merged over them. `NO_COLOR` drops every colour and keeps
//! only bold and reverse, so selections stay visible.

use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;

/// The shipped dark theme.
pub const DARK: &str = include_str!("../../assets/theme-dark.toml");
/// The shipped light theme.
pub const LIGHT: &str = include_str!("../../assets/theme-light.toml");

/// One role as written in a theme file.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleSpec {
    fg: Option<String>,
    bg: Option<String>,
    #[serde(default)]
    bold: bool,
    #[serde(default)]
    italic: bool,
    #[serde(default)]
    underline: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    base: Option<String>,
    #[serde(default)]
    roles: BTreeMap<String, RoleSpec>,
}

/// Styles by role.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Theme {
    /// "dark" or "light".
    pub name: String,
    /// Ordinary text.
    pub text: Style,
    /// Secondary text.
    pub muted: Style,
    /// What to look at.
    pub accent: Style,
    /// Panel titles.
    pub title: Style,
    /// Section and column headings.
    pub heading: Style,
    /// Panel borders.
    pub border: Style,
    /// The focused panel's border.
    pub focus: Style,
    /// The selected row or card.
    pub selection: Style,
    /// Good news (won, saved).
    pub success: Style,
    /// Needs attention (overdue).
    pub warning: Style,
    /// Something failed.
    pub error: Style,
    /// Amounts.
    pub money: Style,
    /// Chart bars.
    pub chart: Style,
    /// Weighted chart bars.
    pub chart_weighted: Style,
    /// The status bar.
    pub status: Style,
    /// The view name in the status bar.
    pub status_view: Style,
    /// Keys in hints and help.
    pub key: Style,
}

const ROLES: [&str; 17] = [
    "text",
    "muted",
    "accent",
    "title",
    "heading",
    "border",
    "focus",
    "selection",
    "success",
    "warning",
    "error",
    "money",
    "chart",
    "chart_weighted",
    "status",
    "status_view",
    "key",
];

impl Theme {
    /// The dark or light theme (`name`), with `user` (a theme.toml text) merged over it.
    pub fn load(name: &str, user: Option<(&Path, &str)>, no_color: bool) -> Result<Self, String> {
        let user_file: Option<File> = match user {
            Some((path, text)) => {
                Some(toml::from_str(text).map_err(|e| format!("{}: {}", path.display(), e.to_string().trim()))?)
            }
            None => None,
        };
        let base = user_file
            .as_ref()
            .and_then(|f| f.base.clone())
            .unwrap_or_else(|| name.to_string());
        let base_text = match base.as_str() {
            "light" => LIGHT,
            "dark" => DARK,
            other => {
                return Err(format!("theme '{other}' does not exist; use \"dark\" or \"light\""));
            }
        };
        let mut roles = toml::from_str::<File>(base_text)
            .map_err(|e| format!("built-in theme: {e}"))?
            .roles;
        if let Some(f) = user_file {
            for (k, v) in f.roles {
                if !ROLES.contains(&k.as_str()) {
                    return Err(format!(
                        "theme.toml: unknown role '{k}'; roles are: {}",
                        ROLES.join(", ")
                    ));
                }
                roles.insert(k, v);
            }
        }
        let mut styles = Vec::with_capacity(ROLES.len());
        for role in ROLES {
            let spec = roles.get(role).cloned().unwrap_or_default();
            styles.push(style(role, &spec, no_color)?);
        }
        let s = |i: usize| styles[i];
        Ok(Self {
            name: base,
            text: s(0),
            muted: s(1),
            accent: s(2),
            title: s(3),
            heading: s(4),
            border: s(5),
            focus: s(6),
            selection: s(7),
            success: s(8),
            warning: s(9),
            error: s(10),
            money: s(11),
            chart: s(12),
            chart_weighted: s(13),
            status: s(14),
            status_view: s(15),
            key: s(16),
        })
    }

    /// A built-in theme without user overrides.
    #[must_use]
    pub fn builtin(name: &str, no_color: bool) -> Self {
        Self::load(name, None, no_color).unwrap_or_else(|_| Self::plain())
    }

    /// No colours at all.
    #[must_use]
    pub fn plain() -> Self {
        let d = Style::default();
        let b = d.add_modifier(Modifier::BOLD);
        let r = d.add_modifier(Modifier::REVERSED);
        Self {
            name: "plain".into(),
            text: d,
            muted: d,
            accent: b,
            title: b,
            heading: b,
            border: d,
            focus: b,
            selection: r,
            success: d,
            warning: b,
            error: b,
            money: d,
            chart: d,
            chart_weighted: d,
            status: r,
            status_view: b,
            key: b,
        }
    }
}

fn color(role: &str, text: &str) -> Result<Color, String> {
    Color::from_str(text)
        .map_err(|_| format!("theme role '{role}': '{text}' is not a colour (a name like cyan, #rrggbb or 0-255)"))
}

fn style(role: &str, spec: &RoleSpec, no_color: bool) -> Result<Style, String> {
    let mut s = Style::default();
    if no_color {
        if role == "selection" || role == "status" {
            s = s.add_modifier(Modifier::REVERSED);
        }
    } else {
        if let Some(fg) = &spec.fg {
            s = s.fg(color(role, fg)?);
        }
        if let Some(bg) = &spec.bg {
            s = s.bg(color(role, bg)?);
        }
    }
    if spec.bold {
        s = s.add_modifier(Modifier::BOLD);
    }
    if spec.italic {
        s = s.add_modifier(Modifier::ITALIC);
    }
    if spec.underline {
        s = s.add_modifier(Modifier::UNDERLINED);
    }
    Ok(s)
}

/// Whether `NO_COLOR` is set to something (https://no-color.org).
#[must_use]
pub fn no_color_env() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_themes_load_and_no_color_drops_colours() {
        let dark = Theme::builtin("dark", false);
        assert_eq!(dark.name, "dark");
        assert!(dark.selection.bg.is_some());
        let light = Theme::load("light", None, false).expect("light");
        assert_ne!(light.text, dark.text);
        let plain = Theme::load("dark", None, true).expect("no color");
        assert!(plain.selection.fg.is_none() && plain.selection.bg.is_none());
        assert!(plain.selection.add_modifier.contains(Modifier::REVERSED));
    }

    #[test]
    fn user_roles_override_and_bad_ones_are_refused() {
        let p = Path::new("theme.toml");
        let t = Theme::load(
            "dark",
            Some((p, "base = \"light\"\n[roles]\naccent = { fg = \"#ff8800\" }\n")),
            false,
        )
        .expect("load");
        assert_eq!(t.name, "light");
        assert_eq!(t.accent.fg, Some(Color::Rgb(0xff, 0x88, 0)));
        assert!(Theme::load("dark", Some((p, "[roles]\nshiny = { fg = \"red\" }\n")), false).is_err());
        assert!(Theme::load("dark", Some((p, "[roles]\naccent = { fg = \"nocolour\" }\n")), false).is_err());
    }
}
