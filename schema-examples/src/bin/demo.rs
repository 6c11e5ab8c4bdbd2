//! The strata tour: runs on an embedded SQLite file by default, or on the
//! database in `DATABASE_URL` (`postgres://...`, `mysql://...`), and prints each
//! step with the SQL strata ran for it.
//!
//!     cargo run -p schema-examples --bin demo
//!     DATABASE_URL=postgres://postgres@127.0.0.1/postgres cargo run -p schema-examples --bin demo

use schema_examples::blog::{BlogSchema, Comment, Post, PostStatus, PostTag, Role, Tag, User};
use strata::{decrement, increment, Db, Error};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(std::env::var("RUST_LOG").unwrap_or_else(|_| "strata::query=debug".into()))
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .without_time()
        .compact()
        .init();

    let url = match std::env::var("DATABASE_URL") {
        Ok(url) => url,
        Err(_) => {
            let path = std::env::temp_dir().join("strata-demo.db");
            let _ = std::fs::remove_file(&path);
            format!("sqlite://{}", path.display())
        }
    };
    let db = Db::connect(&url).await?;
    step(&format!(
        "connected to {:?}; creating the blog schema",
        db.dialect()
    ));
    db.reset_schema::<BlogSchema>().await?;

    step("create two users (id is a cuid, role and credits come from defaults)");
    let ann = User::create()
        .email("ann@example.com")
        .name("Ann")
        .exec(&db)
        .await?;
    let bob = User::create().email("bob@example.com").exec(&db).await?;
    println!("  -> {ann:?}\n  -> {bob:?}");

    step("create_many tags in one INSERT");
    let inserted = User::create_many([
        User::create().email("cy@example.com"),
        User::create().email("di@example.com").name("Di"),
    ])
    .exec(&db)
    .await?;
    Tag::create_many(["rust", "sql", "orm"].map(|name| Tag::create().name(name)))
        .exec(&db)
        .await?;
    println!("  -> {inserted} more users, 3 tags");

    step("create posts (uuid ids, enum and boolean defaults)");
    for (title, status) in [
        ("Rust ORMs compared", PostStatus::Published),
        ("Draft: 50% off SQL", PostStatus::Draft),
    ] {
        let post = Post::create()
            .title(title)
            .author_id(&ann.id)
            .published(status == PostStatus::Published)
            .status(status)
            .exec(&db)
            .await?;
        println!("  -> {} {:?} status={:?}", post.id, post.title, post.status);
    }

    step("find_unique by a unique key");
    let found = User::find_by_email("ann@example.com").exec(&db).await?;
    println!("  -> {:?}", found.map(|u| u.name));

    step("find_many with a filter, ordering and a page size");
    let posts = Post::find_many()
        .filter(
            Post::published()
                .eq(true)
                .and(Post::title().contains("rust").insensitive()),
        )
        .order_by(Post::created_at().desc())
        .take(10)
        .exec(&db)
        .await?;
    println!("  -> {} published post(s) about rust", posts.len());

    step("wildcards in user input match literally");
    let literal = Post::count()
        .filter(Post::title().contains("50%"))
        .exec(&db)
        .await?;
    println!("  -> {literal} post(s) contain the text \"50%\"");

    step("atomic updates: publish a draft, count a view, spend credits");
    let draft = Post::find_first()
        .filter(Post::status().eq(PostStatus::Draft))
        .exec(&db)
        .await?
        .ok_or("the draft is missing")?;
    let published = Post::update(Post::by_id(draft.id))
        .published(true)
        .status(PostStatus::Published)
        .views(increment(1))
        .exec(&db)
        .await?;
    println!(
        "  -> views={} status={:?}",
        published.views, published.status
    );
    let ann = User::update(User::by_id(&ann.id))
        .credits(decrement(5))
        .role(Role::Admin)
        .exec(&db)
        .await?;
    println!("  -> ann credits={} role={:?}", ann.credits, ann.role);

    step("upsert: insert-or-update in one statement");
    let eve = User::upsert(
        User::by_email("eve@example.com"),
        User::create().email("eve@example.com").name("Eve"),
        User::changes().credits(increment(10)),
    )
    .exec(&db)
    .await?;
    let eve_again = User::upsert(
        User::by_email("eve@example.com"),
        User::create().email("eve@example.com").name("Eve"),
        User::changes().credits(increment(10)),
    )
    .exec(&db)
    .await?;
    println!("  -> credits {} then {}", eve.credits, eve_again.credits);

    step("a duplicate email is a typed error");
    match User::create().email("ann@example.com").exec(&db).await {
        Err(Error::UniqueViolation { model, fields, .. }) => {
            println!("  -> UniqueViolation on {model} fields {fields:?}")
        }
        other => println!("  -> unexpected: {other:?}"),
    }

    step("keyset pagination: two users per page, after a cursor");
    let first_page = User::find_many()
        .order_by(User::email().asc())
        .take(2)
        .exec(&db)
        .await?;
    let next = User::find_many()
        .order_by(User::email().asc())
        .cursor(User::by_email(&first_page[1].email))
        .skip(1)
        .take(2)
        .exec(&db)
        .await?;
    let emails = |users: &[User]| users.iter().map(|u| u.email.clone()).collect::<Vec<_>>();
    println!(
        "  -> page 1 {:?}, page 2 {:?}",
        emails(&first_page),
        emails(&next)
    );

    step("select a projection into a tuple");
    let pairs = User::find_many()
        .filter(User::name().is_not_null())
        .order_by(User::email().asc())
        .select((User::email(), User::name()))
        .exec(&db)
        .await?;
    println!("  -> {pairs:?}");

    step("include: users, their posts, each post's comments and tags (one statement per level)");
    let rust_post = Post::find_first()
        .filter(Post::published().eq(true))
        .exec(&db)
        .await?
        .ok_or("the published post is missing")?;
    Comment::create()
        .body("Great comparison!")
        .post_id(rust_post.id)
        .author_id(&bob.id)
        .exec(&db)
        .await?;
    let rust_tag = Tag::find_by_name("rust")
        .exec(&db)
        .await?
        .ok_or("no rust tag")?;
    PostTag::create()
        .post_id(rust_post.id)
        .tag_id(rust_tag.id)
        .exec(&db)
        .await?;
    let authors = User::find_many()
        .filter(User::posts().some(Post::published().eq(true)))
        .with_count(User::posts())
        .include(
            User::posts()
                .order_by(Post::created_at().desc())
                .take(5)
                .include(Post::comments().include(Comment::author()))
                .include(Post::tags()),
        )
        .exec(&db)
        .await?;
    for author in &authors {
        println!(
            "  -> {} wrote {} post(s):",
            author.email,
            author.posts.count().unwrap_or(0)
        );
        for post in author.posts.loaded()? {
            let tags: Vec<&str> = post
                .tags
                .loaded()?
                .iter()
                .map(|t| t.name.as_str())
                .collect();
            println!("     {:?} tags={tags:?}", post.title);
            for comment in post.comments.loaded()? {
                let by = comment.author.loaded()?;
                println!("       {} says {:?}", by.email, comment.body);
            }
        }
    }

    step("count, exists, delete_many");
    let users = User::count().exec(&db).await?;
    let has_admin = User::exists()
        .filter(User::role().eq(Role::Admin))
        .exec(&db)
        .await?;
    let removed = User::delete_many()
        .filter(User::credits().eq(0).and(User::name().is_null()))
        .exec(&db)
        .await?;
    println!("  -> {users} users, admin exists: {has_admin}, removed {removed} without a name or credits");

    db.close().await;
    step("done");
    Ok(())
}

fn step(text: &str) {
    println!("\n== {text}");
}
