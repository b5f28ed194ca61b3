//! The instruction classes a `rewind fuel --costs` file may set, with their
//! default costs, as `rewind fuel --help` lists them: taken from the
//! transform's `Costs::default()`, so the help cannot drift from it.
//!
//! `Costs` has no accessor for its table yet. Until it has one (for example
//! `Costs::iter(&self) -> impl Iterator<Item = (&'static str, u32)>`),
//! [`default_costs`] reads the table from `Costs::default()`'s `Debug` text;
//! the tests check every entry read against `Costs::parse`, so a change of
//! that text fails the tests rather than the help.

use rewind_transform::Costs;

/// Every class and its default cost, by class name.
pub fn default_costs() -> Vec<(String, u32)> {
    // Stand-in for the missing accessor (see above): the `Debug` text is
    // `Costs { table: {"class": cost, ...} }`.
    let text = format!("{:?}", Costs::default());
    let table = text
        .split_once("table: {")
        .and_then(|(_, rest)| rest.split_once('}'))
        .map_or("", |(table, _)| table);
    let mut costs: Vec<(String, u32)> = table
        .split(',')
        .filter_map(|entry| {
            let (class, cost) = entry.split_once(':')?;
            let class = class.trim().strip_prefix('"')?.strip_suffix('"')?;
            Some((class.to_owned(), cost.trim().parse().ok()?))
        })
        .collect();
    costs.sort();
    costs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_cost_is_the_transforms() {
        let costs = default_costs();
        // One entry per `"class": cost` of the text: none was skipped.
        let text = format!("{:?}", Costs::default());
        assert_eq!(costs.len(), text.matches(':').count() - 1, "{text}");
        assert!(costs.len() >= 2, "no cost classes read: {text}");
        for (class, cost) in &costs {
            // Setting a class to its default changes nothing...
            assert_eq!(
                Costs::parse(&format!("{class} {cost}")).unwrap(),
                Costs::default(),
                "{class}"
            );
            // ...and setting it to anything else does.
            assert_ne!(
                Costs::parse(&format!("{class} {}", cost + 1)).unwrap(),
                Costs::default(),
                "{class}"
            );
        }
    }
}
