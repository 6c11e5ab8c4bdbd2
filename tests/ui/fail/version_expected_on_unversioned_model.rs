use strata::{Db, Model};

#[derive(Model)]
pub struct Note {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    pub body: String,
}

async fn edit(db: &Db, note: Note) {
    // Note has no `#[strata(version)]`: there is no version to expect.
    let _ = Note::update(Note::by_id(note.id))
        .expect_version(3)
        .body("x")
        .exec(db)
        .await;
    let _ = note.checked_update();
}

fn main() {}
