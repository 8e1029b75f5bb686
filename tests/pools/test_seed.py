import csv
import json
from pathlib import Path

from sqlalchemy import func, select

from samaschool.certification.models import Certification
from samaschool.content.course_folder import read_content
from samaschool.content.importer import import_certifications, import_courses
from samaschool.extensions import db
from samaschool.media.models import MediaFile
from samaschool.pools import tasks
from samaschool.pools.models import Pool, Task
from tests.pools.conftest import logged_in

COURSES = Path(__file__).resolve().parents[2] / "courses"
SEED = Path(__file__).resolve().parents[2] / "seed"

# slug: (task type, tasks, gold, the payload field holding a media key and its kind)
DEMO_POOLS = {
    "product-classification": ("classification", 200, 20, None),
    "product-photos": ("image_classification", 50, 5, ("image", "image")),
    "product-photo-boxes": ("bounding_boxes", 20, 2, ("image", "image")),
    "voice-notes": ("audio_transcription", 50, 5, ("audio", "audio")),
    "compare-ai-answers": ("ai_comparison", 10, 2, None),
}


def _import_courses(app):
    with app.app_context():
        content = read_content(COURSES)
        import_courses(content.courses)
        import_certifications(content.certifications)
        db.session.commit()


def _counts() -> dict:
    rows = db.session.execute(
        select(Pool.slug, func.count(Task.id), func.coalesce(func.sum(func.cast(Task.is_gold, db.Integer)), 0))
        .join(Task, Task.pool_id == Pool.id)
        .group_by(Pool.slug)
    )
    return {slug: (total, gold) for slug, total, gold in rows}


def test_demo_pool_is_seeded_once_from_the_shipped_file(app):
    _import_courses(app)
    runner = app.test_cli_runner()
    first = runner.invoke(args=["pools", "seed-demo"])
    assert first.exit_code == 0 and "200 tasks (20 gold)" in first.output
    assert runner.invoke(args=["pools", "seed-demo"]).output == ""  # a second run changes nothing
    with app.app_context():
        pool = db.session.scalar(select(Pool).where(Pool.slug == "product-classification"))
        assert pool.required_certifications == ["data-annotation"] and pool.status == "open"
        assert len(pool.labels) == 39 and "Electronics > Mobile phones" in pool.labels
        assert db.session.scalar(select(func.count()).select_from(Task).where(Task.pool_id == pool.id)) == 200
        gold = db.session.scalars(select(Task.gold_answer).where(Task.is_gold.is_(True), Task.pool_id == pool.id))
        gold = gold.all()
        assert len(gold) == 20 and all(label in pool.labels for label in gold)


def test_media_demo_pools_are_seeded_once_with_their_media(app):
    _import_courses(app)
    runner = app.test_cli_runner()
    first = runner.invoke(args=["pools", "seed-demo"])
    assert first.exit_code == 0, first.output
    assert "Demo pool 'Product photos' created with 50 tasks (5 gold)." in first.output
    assert "Demo pool 'Voice notes' created with 50 tasks (5 gold)." in first.output
    with app.app_context():
        counts = _counts()
        assert counts == {slug: (total, gold) for slug, (_type, total, gold, _media) in DEMO_POOLS.items()}
        pools = {pool.slug: pool for pool in db.session.scalars(select(Pool))}
        media = {m.key: m for m in db.session.scalars(select(MediaFile))}
        used = set()
        for slug, (task_type, total, gold, media_field) in DEMO_POOLS.items():
            pool = pools[slug]
            assert pool.task_type == task_type and pool.status == "open" and pool.currency == "KES"
            assert pool.required_certifications == ["data-annotation"] and pool.review_mode == "auto_days"
            assert gold * 10 >= total  # at least 10% gold
            if media_field is None:
                continue
            field, kind = media_field
            for task in db.session.scalars(select(Task).where(Task.pool_id == pool.id)):
                stored = media[task.payload[field]]  # the payload holds the stored file's key
                assert stored.kind == kind and stored.variants
                used.add(stored.key)
        # Every shipped photo and clip was stored, each for its own task.
        assert len(used) == 120
        # The speech is computer-made, and the pool says so where workers read.
        voice = pools["voice-notes"]
        assert "synthesised" in voice.description and "computer-synthesised" in voice.instructions_html
        assert "Swahili" in voice.instructions_html
        assert "Shoes" in pools["product-photos"].labels and pools["product-photo-boxes"].labels == (
            pools["product-photos"].labels
        )
        # The gold boxes are exact: inside the image, one per product, labelled from the pool.
        boxes_pool = pools["product-photo-boxes"]
        gold_boxes = db.session.execute(
            select(Task.payload, Task.gold_answer).where(Task.pool_id == boxes_pool.id, Task.is_gold.is_(True))
        ).all()
        assert len(gold_boxes) == 2
        for payload, answer in gold_boxes:
            image = media[payload["image"]]
            assert (image.width, image.height) == (720, 540)
            for box in answer:
                assert box["label"] in boxes_pool.labels and box["w"] > 0 and box["h"] > 0
                assert box["x"] + box["w"] <= image.width and box["y"] + box["h"] <= image.height
        ai_gold = db.session.scalars(
            select(Task.gold_answer).where(Task.pool_id == pools["compare-ai-answers"].id, Task.is_gold.is_(True))
        ).all()
        assert sorted(g["choice"] for g in ai_gold) == ["b", "both_bad"]
        before = (counts, db.session.scalar(select(func.count()).select_from(MediaFile)))

    second = runner.invoke(args=["pools", "seed-demo"])
    assert second.exit_code == 0 and second.output == ""  # a second run changes nothing
    with app.app_context():
        assert (_counts(), db.session.scalar(select(func.count()).select_from(MediaFile))) == before


def test_a_database_seeded_before_the_media_pools_gets_them_on_the_next_run(app):
    """The previous seed-demo made only "Product classification": the next run adds the new pools
    and leaves that one as it is, even when a manager has changed it since."""
    _import_courses(app)
    with app.app_context():
        pool = Pool(
            slug="product-classification",
            name="Our renamed pool",
            task_type="classification",
            labels=["A", "B"],
            reward_minor=700,
            currency="KES",
            status="paused",
        )
        db.session.add(pool)
        db.session.flush()
        report = tasks.import_tasks(pool, "external_id,title,gold_label\nx-1,Phone,A\n", "old.csv")
        assert not report.errors
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["pools", "seed-demo"])
    assert result.exit_code == 0, result.output
    assert "Product classification" not in result.output
    for name in ("Product photos", "Product photos: boxes", "Voice notes", "Compare AI answers"):
        assert f"Demo pool '{name}' created" in result.output
    with app.app_context():
        counts = _counts()
        assert counts["product-classification"] == (1, 1)
        assert {slug: counts[slug] for slug in DEMO_POOLS if slug != "product-classification"} == {
            slug: (total, gold)
            for slug, (_type, total, gold, _m) in DEMO_POOLS.items()
            if slug != "product-classification"
        }
        old = db.session.scalar(select(Pool).where(Pool.slug == "product-classification"))
        assert (old.name, old.status, old.reward_minor) == ("Our renamed pool", "paused", 700)


def test_the_seed_files_name_only_shipped_media():
    """Each media cell names a file in seed/, and every shipped file is named by one row."""
    named = []
    for line in (SEED / "product-photos-boxes.jsonl").read_text(encoding="utf-8").splitlines():
        named.append(json.loads(line)["image"])
    for name, column in (("product-photos.csv", "image"), ("voice-notes.csv", "audio")):
        with (SEED / name).open(encoding="utf-8") as handle:
            named.extend(row[column] for row in csv.DictReader(handle))
    shipped = sorted(p.relative_to(SEED).as_posix() for p in (SEED / "media").rglob("*") if p.is_file())
    assert sorted(named) == shipped and len(shipped) == 120


def test_a_certified_worker_gets_each_media_demo_task_with_its_media(app, make):
    _import_courses(app)
    assert app.test_cli_runner().invoke(args=["pools", "seed-demo"]).exit_code == 0
    with app.app_context():
        certification = db.session.scalar(select(Certification).where(Certification.slug == "data-annotation"))
        db.session.expunge(certification)
    worker = make.user()
    make.certificate(worker, certification)
    client = logged_in(app, worker)
    expected = {
        "product-photos": "/webp360.webp",
        "product-photo-boxes": "/jpeg",
        "voice-notes": "/opus.ogg",
        "compare-ai-answers": None,  # one of the prompts
    }
    lines = (SEED / "ai-comparisons.jsonl").read_text(encoding="utf-8").splitlines()
    prompts = [json.loads(line)["prompt"][:20] for line in lines]
    for slug, shown in expected.items():
        claimed = client.submit(f"/pools/{slug}/claim", page=f"/pools/{slug}")
        assert claimed.status_code == 302 and "/work/" in claimed.headers["Location"], slug
        page = client.get(claimed.headers["Location"])
        html = page.get_data(as_text=True)
        assert page.status_code == 200 and any(text in html for text in ([shown] if shown else prompts)), slug
