//! The Mermaid ER diagram of the blog schema: snapshot, order independence,
//! and every line checked against the token rules of Mermaid's `erDiagram`
//! grammar (erDiagram.jison), which the snapshot alone would not catch.

use schema_examples::blog::BlogSchema;
use strata::migrate::erd::mermaid;
use strata::ModelSet;

#[test]
fn blog_schema_diagram() {
    let text = mermaid(&BlogSchema::schemas());
    insta::assert_snapshot!(text);
    assert_mermaid_er(&text);
}

#[test]
fn the_diagram_does_not_depend_on_model_order() {
    let mut models = BlogSchema::schemas();
    let forward = mermaid(&models);
    models.reverse();
    assert_eq!(mermaid(&models), forward);
}

#[test]
fn each_relation_kind_has_its_cardinality() {
    let text = mermaid(&BlogSchema::schemas());
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    for expected in [
        // belongs_to (required) + has_many
        "users ||--o{ posts : \"author\"",
        // belongs_to + has_one: the foreign key is unique
        "users ||--o| profiles : \"user\"",
        // optional belongs_to: the foreign key may be NULL
        "categories |o--o{ posts : \"category\"",
        "users |o--o{ users : \"manager\"",
        // many_to_many through a model, one line from each side
        "posts ||--o{ post_tags : \"post\"",
        "tags ||--o{ post_tags : \"tag\"",
        // many_to_many of a model with itself, through the generated table
        "users ||--o{ \"_follows\" : \"followers\"",
        "users ||--o{ \"_follows\" : \"following\"",
    ] {
        assert!(lines.contains(&expected), "{expected} missing from\n{text}");
    }
}

/// Checks `text` line by line against the lexer rules of Mermaid's ER
/// grammar: a bare entity name is `[A-Za-z][A-Za-z0-9_-]*`, a quoted one
/// holds no `"`, `%` or `\`; an attribute is a type and a name of
/// `[A-Za-z_][A-Za-z0-9_()\[\]-]*`, then optional `PK`/`FK`/`UK` markers
/// separated by commas, then an optional quoted comment.
fn assert_mermaid_er(text: &str) {
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("erDiagram"));
    let mut in_entity = false;
    for line in lines {
        let line = line.trim();
        if in_entity {
            if line == "}" {
                in_entity = false;
            } else {
                assert_attribute(line);
            }
        } else if let Some(name) = line.strip_suffix(" {") {
            assert_entity_name(name, line);
            in_entity = true;
        } else {
            assert_relationship(line);
        }
    }
    assert!(!in_entity, "an entity block is not closed");
}

fn assert_entity_name(name: &str, line: &str) {
    let bare = name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    let quoted = name.len() > 2
        && name.starts_with('"')
        && name.ends_with('"')
        && !name[1..name.len() - 1].contains(['"', '%', '\\', '\n', '\r']);
    assert!(bare || quoted, "entity name {name:?} in {line:?}");
}

fn is_attribute_word(word: &str) -> bool {
    word.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-()[]".contains(c))
}

fn assert_attribute(line: &str) {
    let (words, comment) = match line.find('"') {
        Some(i) => (&line[..i], Some(&line[i..])),
        None => (line, None),
    };
    if let Some(comment) = comment {
        assert!(
            comment.len() >= 2 && comment.ends_with('"') && comment.matches('"').count() == 2,
            "comment in {line:?}"
        );
    }
    let mut parts = words.trim().splitn(3, ' ');
    let (ty, name) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    assert!(is_attribute_word(ty), "attribute type {ty:?} in {line:?}");
    assert!(
        is_attribute_word(name),
        "attribute name {name:?} in {line:?}"
    );
    if let Some(keys) = parts.next() {
        for key in keys.split(", ") {
            assert!(["PK", "FK", "UK"].contains(&key), "key {key:?} in {line:?}");
        }
    }
}

fn assert_relationship(line: &str) {
    let (sides, label) = line
        .split_once(" : ")
        .unwrap_or_else(|| panic!("relationship without a label: {line:?}"));
    assert!(
        label.len() > 2 && label.starts_with('"') && label.ends_with('"'),
        "label {label:?} in {line:?}"
    );
    let parts: Vec<&str> = sides.split(' ').collect();
    let [left, cardinality, right] = parts[..] else {
        // A quoted entity name holds no space in this schema.
        panic!("relationship {line:?}");
    };
    assert_entity_name(left, line);
    assert_entity_name(right, line);
    let (left_end, right_end) = cardinality
        .split_once("--")
        .unwrap_or_else(|| panic!("cardinality {cardinality:?} in {line:?}"));
    assert!(["|o", "||", "}o", "}|"].contains(&left_end), "{line:?}");
    assert!(["o|", "||", "o{", "|{"].contains(&right_end), "{line:?}");
}
