//! "Did you mean …?" for mistyped names: the closest known name by edit distance, if close.

/// Levenshtein distance between two short names.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// ` (did you mean `X`?)` for the closest of `known` within two edits (or a third of the
/// name's length), else nothing.
pub fn did_you_mean<'a>(text: &str, known: impl IntoIterator<Item = &'a str>) -> String {
    let limit = 2.max(text.len() / 3);
    known
        .into_iter()
        .map(|k| (distance(text, k), k))
        .filter(|(d, _)| *d <= limit)
        .min()
        .map_or(String::new(), |(_, k)| format!(" (did you mean `{k}`?)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_names_are_suggested_and_far_ones_not() {
        let known = ["none", "per-worker", "round-robin", "compact", "scatter"];
        assert_eq!(
            did_you_mean("perworker", known),
            " (did you mean `per-worker`?)"
        );
        assert_eq!(did_you_mean("compakt", known), " (did you mean `compact`?)");
        assert_eq!(did_you_mean("bogus", known), "");
        assert_eq!(distance("kitten", "sitting"), 3);
    }
}
