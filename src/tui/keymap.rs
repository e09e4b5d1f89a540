//! The keymap: `assets/keymap.toml` embedded in the binary, with the user's
//! `keymap.toml` from the config dir merged over it key by key. Unknown sections, keys
//! or actions, duplicate keys and attempts to rebind the fixed keys are refused with the
//! file and line.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

use toml::Spanned;

use super::action::Action;
use super::commands::Scope;
use super::keys::{Code, KeyPress};

/// The default keymap, as shipped.
pub const DEFAULT: &str = include_str!("../../assets/keymap.toml");

/// Keys every user can rely on, in every view.
const FIXED: [(&str, Action); 5] = [
    ("?", Action::Help),
    ("/", Action::Filter),
    (":", Action::Palette),
    ("esc", Action::Close),
    ("q", Action::Quit),
];

/// A keymap file that cannot be used: where, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeymapError {
    /// The file.
    pub path: String,
    /// 1-based line.
    pub line: usize,
    /// What is wrong and what to do.
    pub message: String,
}

impl fmt::Display for KeymapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.path, self.line, self.message)
    }
}

impl std::error::Error for KeymapError {}

/// One binding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Binding {
    /// Where it applies.
    pub scope: Scope,
    /// The key.
    pub key: KeyPress,
    /// What it does.
    pub action: Action,
}

/// All bindings, looked up by scope and key.
#[derive(Clone, Debug)]
pub struct Keymap {
    map: HashMap<(Scope, KeyPress), Action>,
    order: Vec<(Scope, KeyPress)>,
}

type Sections = BTreeMap<Spanned<String>, BTreeMap<Spanned<String>, Spanned<String>>>;

impl Keymap {
    /// The built-in keymap.
    pub fn builtin() -> Result<Self, KeymapError> {
        let mut map = Self {
            map: HashMap::new(),
            order: Vec::new(),
        };
        map.merge("<built-in keymap.toml>", DEFAULT, false)?;
        Ok(map)
    }

    /// The built-in keymap with `dir/keymap.toml` merged over it when that file exists.
    pub fn load(dir: Option<&Path>) -> Result<Self, KeymapError> {
        let mut map = Self::builtin()?;
        if let Some(path) = dir.map(|d| d.join("keymap.toml")) {
            match std::fs::read_to_string(&path) {
                Ok(text) => map.merge(&path.display().to_string(), &text, true)?,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(KeymapError {
                        path: path.display().to_string(),
                        line: 0,
                        message: e.to_string(),
                    });
                }
            }
        }
        Ok(map)
    }

    /// Merges one file's bindings over the current ones. `user` files may not rebind the
    /// fixed keys.
    pub fn merge(&mut self, path: &str, text: &str, user: bool) -> Result<(), KeymapError> {
        let err = |span: std::ops::Range<usize>, message: String| KeymapError {
            path: path.to_string(),
            line: line_of(text, span.start),
            message,
        };
        let sections: Sections = toml::from_str(text).map_err(|e| {
            let line = e.span().map_or(0, |s| line_of(text, s.start));
            KeymapError {
                path: path.to_string(),
                line,
                message: e.message().trim().to_string(),
            }
        })?;
        let mut seen: HashMap<(Scope, KeyPress), usize> = HashMap::new();
        let mut fresh: Vec<(usize, Scope, KeyPress, Action)> = Vec::new();
        for (section, bindings) in &sections {
            let scope = Scope::from_name(section.get_ref()).ok_or_else(|| {
                let names: Vec<&str> = Scope::ALL.iter().map(|s| s.name()).collect();
                err(
                    section.span(),
                    format!(
                        "unknown section [{}]; sections are: {}",
                        section.get_ref(),
                        names.join(", ")
                    ),
                )
            })?;
            for (key_text, action_text) in bindings {
                let key = KeyPress::parse(key_text.get_ref()).map_err(|m| err(key_text.span(), m))?;
                let action = Action::from_name(action_text.get_ref()).ok_or_else(|| {
                    err(
                        action_text.span(),
                        format!(
                            "unknown action '{}' for key '{}'; the help overlay (press ?) and the built-in keymap list every action",
                            action_text.get_ref(),
                            key_text.get_ref()
                        ),
                    )
                })?;
                let line = line_of(text, key_text.span().start);
                if let Some(first) = seen.insert((scope, key), line) {
                    return Err(err(
                        key_text.span(),
                        format!(
                            "key '{key}' is bound twice in [{}] (first on line {first}); keep one",
                            scope.name()
                        ),
                    ));
                }
                if user
                    && let Some((_, fixed)) = FIXED.iter().find(|(k, _)| KeyPress::parse(k).is_ok_and(|f| f == key))
                    && action != *fixed
                {
                    return Err(err(
                        key_text.span(),
                        format!(
                            "key '{key}' is fixed to '{}' and cannot be rebound; choose another key",
                            fixed.name()
                        ),
                    ));
                }
                fresh.push((key_text.span().start, scope, key, action));
            }
        }
        fresh.sort_by_key(|(at, ..)| *at);
        for (_, scope, key, action) in fresh {
            if self.map.insert((scope, key), action).is_none() {
                self.order.push((scope, key));
            }
        }
        Ok(())
    }

    /// The action bound to `key` in `scope` (not falling back to global).
    #[must_use]
    pub fn get(&self, scope: Scope, key: KeyPress) -> Option<Action> {
        self.map.get(&(scope, key)).copied().filter(|a| *a != Action::Noop)
    }

    /// Keys bound to `action` in `scope`, in file order.
    #[must_use]
    pub fn keys_for(&self, scope: Scope, action: Action) -> Vec<KeyPress> {
        self.order
            .iter()
            .filter(|(s, k)| *s == scope && self.map.get(&(*s, *k)) == Some(&action))
            .map(|(_, k)| *k)
            .collect()
    }

    /// The first key for `action` in `scope`, else in global: for hints.
    #[must_use]
    pub fn key_text(&self, scope: Scope, action: Action) -> Option<String> {
        let mut keys = self.keys_for(scope, action);
        if keys.is_empty() && scope != Scope::Form {
            keys = self.keys_for(Scope::Global, action);
        }
        keys.sort_by_key(|k| matches!(k.code, Code::Up | Code::Down | Code::Left | Code::Right) || k.ctrl);
        keys.first().map(ToString::to_string)
    }

    /// Every binding, in file order (the help overlay).
    #[must_use]
    pub fn bindings(&self) -> Vec<Binding> {
        self.order
            .iter()
            .filter_map(|(s, k)| {
                self.map
                    .get(&(*s, *k))
                    .filter(|a| **a != Action::Noop)
                    .map(|a| Binding {
                        scope: *s,
                        key: *k,
                        action: *a,
                    })
            })
            .collect()
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset).map_or(0, |t| t.matches('\n').count()) + 1
}

/// Where the user's config files live: `$OUTPOST_CONFIG_DIR`, else the XDG config dir
/// (e.g. `~/.config/outpost`).
#[must_use]
pub fn config_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("OUTPOST_CONFIG_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d));
    }
    directories::ProjectDirs::from("", "", "outpost").map(|p| p.config_dir().to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_has_the_fixed_keys_everywhere() {
        let map = Keymap::builtin().expect("builtin");
        for (k, a) in FIXED {
            let key = KeyPress::parse(k).expect("key");
            assert_eq!(map.get(Scope::Global, key), Some(a), "{k}");
        }
        assert_eq!(map.get(Scope::Board, KeyPress::char('L')), Some(Action::StageNext));
    }

    #[test]
    fn user_bindings_replace_builtin_ones_key_by_key() {
        let mut map = Keymap::builtin().expect("builtin");
        map.merge(
            "user.toml",
            "[board]\n\"ctrl-n\" = \"stage_next\"\n\"L\" = \"noop\"\n",
            true,
        )
        .expect("merge");
        assert_eq!(map.get(Scope::Board, KeyPress::ctrl('n')), Some(Action::StageNext));
        assert_eq!(map.get(Scope::Board, KeyPress::char('L')), None);
        assert_eq!(map.get(Scope::Board, KeyPress::char('>')), Some(Action::StageNext));
    }
}
