//! How a plan prints: one line per node, indented under its parent, with
//! the numbers the database gave, then the warnings.

use super::node::PlanNode;
use super::Plan;
use std::fmt::{self, Write as _};

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_node(f, &self.root, 0)?;
        if let Some(ms) = self.planning_ms {
            writeln!(f, "planning: {ms:.3} ms")?;
        }
        if let Some(ms) = self.execution_ms {
            writeln!(f, "execution: {ms:.3} ms")?;
        }
        if self.warnings.is_empty() {
            return writeln!(f, "no warnings");
        }
        writeln!(f, "warnings:")?;
        for warning in &self.warnings {
            writeln!(f, "- {warning}")?;
        }
        Ok(())
    }
}

impl fmt::Display for PlanNode {
    /// The node's own line, without its children.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label)?;
        // SQLite's labels already name the index and condition, and the
        // table unless it has an alias (`SEARCH t1 USING INDEX ..`).
        let named = |name: &str| self.label.split(' ').any(|word| word == name);
        if let Some(table) = self.relation.as_deref().filter(|t| !named(t)) {
            write!(f, " on {table}")?;
        }
        if let Some(index) = self.index.as_deref().filter(|i| !named(i)) {
            write!(f, " using {index}")?;
        }
        if let Some(condition) = self
            .condition
            .as_deref()
            .filter(|c| !self.label.contains(c))
        {
            write!(f, " [{condition}]")?;
        }
        let numbers = self.numbers();
        if !numbers.is_empty() {
            write!(f, " ({numbers})")?;
        }
        Ok(())
    }
}

impl PlanNode {
    fn numbers(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        if let Some(rows) = self.estimated_rows {
            parts.push(format!("est. {rows:.0} rows"));
        }
        if let Some(rows) = self.actual_rows {
            let mut actual = format!("actual {rows:.0} rows");
            if let Some(loops) = self.loops.filter(|&l| l != 1.0) {
                let _ = write!(actual, " x {loops:.0} loops");
            }
            parts.push(actual);
        }
        if let Some(removed) = self.rows_removed_by_filter.filter(|&r| r > 0.0) {
            parts.push(format!("{removed:.0} removed by filter"));
        }
        if let Some(cost) = self.total_cost {
            parts.push(format!("cost {cost:.2}"));
        }
        if let Some(ms) = self.actual_time_ms {
            parts.push(format!("{ms:.3} ms"));
        }
        if let Some(method) = &self.sort_method {
            parts.push(method.clone());
        }
        if let Some(batches) = self.hash_batches.filter(|&b| b > 1) {
            parts.push(format!("{batches} batches"));
        }
        if let Some(kb) = self.disk_kb {
            parts.push(format!("{kb:.0} kB on disk"));
        }
        parts.join(", ")
    }
}

fn write_node(f: &mut fmt::Formatter<'_>, node: &PlanNode, depth: usize) -> fmt::Result {
    for _ in 0..depth {
        f.write_str("  ")?;
    }
    if depth > 0 {
        f.write_str("-> ")?;
    }
    writeln!(f, "{node}")?;
    for child in &node.children {
        write_node(f, child, depth + 1)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::node::NodeKind;
    use super::*;

    #[test]
    fn a_node_line_names_what_its_label_does_not() {
        let mut scan = PlanNode::new(NodeKind::FullScan, "Seq Scan");
        scan.relation = Some("events".into());
        scan.condition = Some("(bucket = 7)".into());
        scan.estimated_rows = Some(100.0);
        scan.actual_rows = Some(100.0);
        scan.loops = Some(1.0);
        scan.rows_removed_by_filter = Some(99_900.0);
        assert_eq!(
            scan.to_string(),
            "Seq Scan on events [(bucket = 7)] (est. 100 rows, actual 100 rows, 99900 removed by filter)"
        );
        let mut search = PlanNode::new(
            NodeKind::IndexScan,
            "SEARCH t1 USING INDEX posts_author_idx (author_id=?)",
        );
        search.relation = Some("posts".into());
        search.index = Some("posts_author_idx".into());
        search.condition = Some("author_id=?".into());
        assert_eq!(
            search.to_string(),
            "SEARCH t1 USING INDEX posts_author_idx (author_id=?) on posts"
        );
    }
}
