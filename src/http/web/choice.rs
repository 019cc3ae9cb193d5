//! The options of a select box, as every form of the pages offers them.

/// One `<option>` of a select box.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// A vocabulary's values as options, `chosen` selected.
pub fn choices<T: Copy>(
    all: &[T],
    chosen: &str,
    value: impl Fn(T) -> &'static str,
    label: impl Fn(T) -> String,
) -> Vec<Choice> {
    all.iter()
        .map(|&item| Choice {
            value: value(item).to_string(),
            label: label(item),
            selected: value(item) == chosen,
        })
        .collect()
}
