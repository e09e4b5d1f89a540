//! Pipeline stages: configuration, with a default set.

use serde::{Deserialize, Serialize};

/// Whether a stage is still being worked, or closed one way or the other.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StageState {
    /// The deal is still being worked.
    Open,
    /// The deal was won.
    Won,
    /// The deal was lost.
    Lost,
}

/// One pipeline stage.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stage {
    /// Display name, also the value stored on the opportunity.
    pub name: String,
    /// Probability (percent) given to a deal entering this stage.
    pub probability: u8,
    /// Open, won or lost.
    pub state: StageState,
}

/// The ordered list of stages a pipeline moves through.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pipeline {
    /// Stages in order.
    pub stages: Vec<Stage>,
}

impl Default for Pipeline {
    fn default() -> Self {
        let s = |name: &str, probability, state| Stage {
            name: name.to_string(),
            probability,
            state,
        };
        Self {
            stages: vec![
                s("Prospecting", 10, StageState::Open),
                s("Qualification", 20, StageState::Open),
                s("Needs Analysis", 40, StageState::Open),
                s("Proposal", 60, StageState::Open),
                s("Negotiation", 80, StageState::Open),
                s("Closed Won", 100, StageState::Won),
                s("Closed Lost", 0, StageState::Lost),
            ],
        }
    }
}

impl Pipeline {
    /// Finds a stage by name, ignoring case, spaces, dashes and underscores
    /// ("needs-analysis", "closed_won").
    #[must_use]
    pub fn find(&self, name: &str) -> Option<&Stage> {
        let key = |s: &str| {
            s.chars()
                .filter(|c| c.is_alphanumeric())
                .flat_map(char::to_lowercase)
                .collect::<String>()
        };
        let wanted = key(name);
        self.stages.iter().find(|s| key(&s.name) == wanted)
    }

    /// The stage's position, for ordering and the board.
    #[must_use]
    pub fn position(&self, name: &str) -> Option<usize> {
        self.stages.iter().position(|s| s.name == name)
    }

    /// The first stage, used for new deals.
    #[must_use]
    pub fn first(&self) -> &Stage {
        &self.stages[0]
    }

    /// "Unknown stage X; stages are: ..." for error messages.
    #[must_use]
    pub fn unknown(&self, name: &str) -> String {
        let names: Vec<&str> = self.stages.iter().map(|s| s.name.as_str()).collect();
        format!("unknown stage '{name}'; stages are: {}", names.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_stages_loosely() {
        let p = Pipeline::default();
        assert_eq!(p.find("needs-analysis").map(|s| s.probability), Some(40));
        assert_eq!(p.find("CLOSED_WON").map(|s| s.state), Some(StageState::Won));
        assert!(p.find("Nope").is_none());
    }
}
