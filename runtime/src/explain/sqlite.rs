//! SQLite's `EXPLAIN QUERY PLAN` rows (id, parent, notused, detail) read into
//! a [`PlanNode`] tree. SQLite reports no row counts or costs, only what each
//! step does: `SCAN items`, `SEARCH items USING INDEX items_k (k=?)`,
//! `USE TEMP B-TREE FOR ORDER BY`, `CORRELATED SCALAR SUBQUERY 1`..

use super::node::{NodeKind, PlanNode};

/// One row of `EXPLAIN QUERY PLAN`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryPlanRow {
    pub id: i64,
    /// The `id` of the row this one is nested under; 0 at the top.
    pub parent: i64,
    pub detail: String,
}

/// The rows as a tree under a root labelled "QUERY PLAN", as the sqlite3
/// shell prints them. Tables named by an alias (`SCAN t1`) get their table's
/// name from `sql` where it reads `"table" AS "alias"`.
pub(crate) fn tree(rows: &[QueryPlanRow], sql: &str) -> PlanNode {
    let mut root = PlanNode::new(NodeKind::Other, "QUERY PLAN");
    root.children = children_of(0, rows, sql, 0);
    root
}

fn children_of(parent: i64, rows: &[QueryPlanRow], sql: &str, depth: usize) -> Vec<PlanNode> {
    // SQLite's ids grow down the plan, so a row's parent comes before it; the
    // depth bound only guards against a malformed cycle.
    if depth > 64 {
        return Vec::new();
    }
    rows.iter()
        .filter(|row| row.parent == parent && row.id != parent)
        .map(|row| {
            let mut node = node(&row.detail, sql);
            node.children = children_of(row.id, rows, sql, depth + 1);
            node
        })
        .collect()
}

fn node(detail: &str, sql: &str) -> PlanNode {
    let (kind, rest) = if let Some(rest) = detail.strip_prefix("SCAN ") {
        (NodeKind::FullScan, Some(rest))
    } else if let Some(rest) = detail.strip_prefix("SEARCH ") {
        (NodeKind::IndexScan, Some(rest))
    } else if detail.starts_with("USE TEMP B-TREE") {
        (NodeKind::Sort, None)
    } else if detail.starts_with("MATERIALIZE") {
        (NodeKind::Materialize, None)
    } else if detail.contains("SUBQUERY") || detail.starts_with("CO-ROUTINE") {
        (NodeKind::Subquery, None)
    } else {
        (NodeKind::Other, None)
    };
    let mut node = PlanNode::new(kind, detail);
    let Some(rest) = rest else {
        return node;
    };
    // Older SQLite writes `SCAN TABLE items`.
    let rest = rest.strip_prefix("TABLE ").unwrap_or(rest);
    let name = rest.split(' ').next().unwrap_or_default();
    // `SCAN CONSTANT ROW`, `SCAN (subquery-1)`: no table.
    if name.is_empty() || name.starts_with('(') || rest.starts_with("CONSTANT ROW") {
        node.kind = NodeKind::Other;
        return node;
    }
    node.relation = Some(
        super::table_of_alias(name, sql, '"')
            .unwrap_or(name)
            .to_owned(),
    );
    let after_name = &rest[name.len()..];
    if let Some(index) = after(after_name, "USING COVERING INDEX ") {
        node.index = Some(index.to_owned());
        node.kind = match node.kind {
            NodeKind::FullScan => NodeKind::FullIndexScan,
            _ => NodeKind::IndexOnlyScan,
        };
    } else if let Some(index) = after(after_name, "USING INDEX ") {
        node.index = Some(index.to_owned());
        if node.kind == NodeKind::FullScan {
            node.kind = NodeKind::FullIndexScan;
        }
    } else if after_name.contains("USING INTEGER PRIMARY KEY")
        || after_name.contains("USING PRIMARY KEY")
    {
        node.index = Some("PRIMARY KEY".to_owned());
    }
    if let (Some(open), Some(close)) = (after_name.find('('), after_name.rfind(')')) {
        if open < close {
            node.condition = Some(after_name[open + 1..close].to_owned());
        }
    }
    node
}

/// The word after `marker` in `text`.
fn after<'t>(text: &'t str, marker: &str) -> Option<&'t str> {
    let start = text.find(marker)? + marker.len();
    text[start..].split(' ').next().filter(|w| !w.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: i64, parent: i64, detail: &str) -> QueryPlanRow {
        QueryPlanRow {
            id,
            parent,
            detail: detail.to_owned(),
        }
    }

    #[test]
    fn reads_scans_searches_and_nesting() {
        let sql = r#"SELECT 1 FROM "users" WHERE EXISTS (SELECT 1 FROM "posts" AS "t1" WHERE "t1"."k" = ?)"#;
        let rows = [
            row(2, 0, "SCAN users"),
            row(4, 0, "CORRELATED SCALAR SUBQUERY 1"),
            row(7, 4, "SEARCH t1 USING INDEX posts_k (k=?)"),
            row(9, 0, "USE TEMP B-TREE FOR ORDER BY"),
        ];
        let root = tree(&rows, sql);
        assert_eq!(root.children.len(), 3);
        let scan = &root.children[0];
        assert_eq!(
            (
                scan.kind.clone(),
                scan.relation.as_deref(),
                scan.index.as_deref()
            ),
            (NodeKind::FullScan, Some("users"), None)
        );
        let search = &root.children[1].children[0];
        assert_eq!(search.kind, NodeKind::IndexScan);
        assert_eq!(search.relation.as_deref(), Some("posts"));
        assert_eq!(search.index.as_deref(), Some("posts_k"));
        assert_eq!(search.condition.as_deref(), Some("k=?"));
        assert_eq!(root.children[2].kind, NodeKind::Sort);
    }

    #[test]
    fn covering_and_primary_key_access() {
        let covering = node("SCAN items USING COVERING INDEX items_k", "");
        assert_eq!(covering.kind, NodeKind::FullIndexScan);
        assert_eq!(covering.index.as_deref(), Some("items_k"));
        let by_key = node("SEARCH items USING INTEGER PRIMARY KEY (rowid=?)", "");
        assert_eq!(by_key.kind, NodeKind::IndexScan);
        assert_eq!(by_key.index.as_deref(), Some("PRIMARY KEY"));
        assert_eq!(node("SCAN (subquery-1)", "").relation, None);
        assert_eq!(
            node("SCAN TABLE items", "").relation.as_deref(),
            Some("items")
        );
    }
}
