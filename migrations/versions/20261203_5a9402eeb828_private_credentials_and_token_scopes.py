"""private credentials and token scopes

Revision ID: 5a9402eeb828
Revises: a30c0589810b
Create Date: 2026-12-03 11:00:00

- users.public_id: the random id the API names users by (backfilled for every user).
- certificates.credential_id: the credential's id; new credentials get a random URN, existing
  ones keep the id they were signed with (read back from their JWT's `jti`).
- api_tokens.pool_ids, api_tokens.user_fields: what a token may read. Existing tokens get
  nothing until an admin grants it: nobody chose what they could read (every token could read
  everything), and a token that stops with a clear 403 is safer than one that keeps reading
  names and countries nobody meant to share.
- pool_skill_snapshots: the accuracy workers are shown, taken every few answers, backfilled
  from the gold answers already given so nobody loses access to a skill-gated pool.
"""

import base64
import json
import secrets
import uuid
from datetime import UTC, datetime

from alembic import op
import sqlalchemy as sa

from samaschool.migration_safety import refuse_data_loss


# revision identifiers, used by Alembic.
revision = "5a9402eeb828"
down_revision = "a30c0589810b"
branch_labels = None
depends_on = None

PUBLIC_ID_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
ROLLING_WINDOW = 50  # samaschool/pools/quality.py at the time of writing


def _public_id() -> str:
    return "usr_" + "".join(secrets.choice(PUBLIC_ID_ALPHABET) for _ in range(16))


def _signed_id(token: str) -> str:
    """The `jti` of a compact JWS we signed ourselves (the signature was checked when it was issued)."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return ""
    jti = claims.get("jti") if isinstance(claims, dict) else None
    return jti if isinstance(jti, str) and 0 < len(jti) <= 300 else ""


def _users(bind) -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("public_id", sa.String(length=20), nullable=True))
    users = sa.table("users", sa.column("id", sa.Integer), sa.column("public_id", sa.String))
    for (user_id,) in bind.execute(sa.select(users.c.id)).all():
        bind.execute(users.update().where(users.c.id == user_id).values(public_id=_public_id()))
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.alter_column("public_id", existing_type=sa.String(length=20), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_users_public_id"), ["public_id"])


def _certificates(bind) -> None:
    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.add_column(sa.Column("credential_id", sa.String(length=300), nullable=True))
    certificates = sa.table(
        "certificates",
        sa.column("id", sa.Integer),
        sa.column("credential_jwt", sa.Text),
        sa.column("credential_id", sa.String),
    )
    taken: set[str] = set()
    for row_id, token in bind.execute(sa.select(certificates.c.id, certificates.c.credential_jwt)).all():
        # The id it was signed with, so it keeps verifying; a random one if it was never signed.
        credential_id = _signed_id(token or "")
        if not credential_id or credential_id in taken:
            credential_id = f"urn:uuid:{uuid.uuid4()}"
        taken.add(credential_id)
        bind.execute(certificates.update().where(certificates.c.id == row_id).values(credential_id=credential_id))
    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.alter_column("credential_id", existing_type=sa.String(length=300), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_certificates_credential_id"), ["credential_id"])


def _tokens() -> None:
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pool_ids", sa.JSON(), server_default="[]", nullable=False))
        batch_op.add_column(sa.Column("user_fields", sa.JSON(), server_default="[]", nullable=False))


def _snapshots(bind) -> None:
    op.create_table(
        "pool_skill_snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pool_id", sa.Integer(), nullable=False),
        sa.Column("worker_id", sa.Integer(), nullable=False),
        sa.Column("answered", sa.Integer(), nullable=False),
        sa.Column("correct", sa.Integer(), nullable=False),
        sa.Column("answers_seen", sa.Integer(), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "correct >= 0 AND correct <= answered AND answers_seen >= 0",
            name=op.f("ck_pool_skill_snapshots_counts_range"),
        ),
        sa.ForeignKeyConstraint(
            ["pool_id"], ["pools.id"], name=op.f("fk_pool_skill_snapshots_pool_id_pools"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"], ["users.id"], name=op.f("fk_pool_skill_snapshots_worker_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pool_skill_snapshots")),
        sa.UniqueConstraint("pool_id", "worker_id", name=op.f("uq_pool_skill_snapshots_pool_id_worker_id")),
    )
    with op.batch_alter_table("pool_skill_snapshots", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pool_skill_snapshots_worker_id"), ["worker_id"], unique=False)

    # Backfill: what workers were shown until now (their live accuracy), as of their answers so far.
    a = sa.table(
        "assignments",
        sa.column("id", sa.Integer),
        sa.column("worker_id", sa.Integer),
        sa.column("pool_id", sa.Integer),
        sa.column("state", sa.String),
        sa.column("is_gold", sa.Boolean),
        sa.column("gold_correct", sa.Boolean),
        sa.column("submitted_at", sa.DateTime),
    )
    seen = bind.execute(
        sa.select(a.c.worker_id, a.c.pool_id, sa.func.count())
        .where(a.c.state == "submitted")
        .group_by(a.c.worker_id, a.c.pool_id)
    ).all()
    rank = sa.func.row_number().over(
        partition_by=(a.c.worker_id, a.c.pool_id), order_by=(a.c.submitted_at.desc(), a.c.id.desc())
    )
    latest = (
        sa.select(a.c.worker_id, a.c.pool_id, a.c.gold_correct, rank.label("rank"))
        .where(a.c.is_gold.is_(True), a.c.state == "submitted")
        .subquery()
    )
    gold = {
        (worker_id, pool_id): (answered, int(correct))
        for worker_id, pool_id, answered, correct in bind.execute(
            sa.select(
                latest.c.worker_id,
                latest.c.pool_id,
                sa.func.count(),
                sa.func.coalesce(sa.func.sum(sa.case((latest.c.gold_correct.is_(True), 1), else_=0)), 0),
            )
            .where(latest.c.rank <= ROLLING_WINDOW)
            .group_by(latest.c.worker_id, latest.c.pool_id)
        ).all()
    }
    now = datetime.now(UTC)
    if bind.dialect.name == "sqlite":
        now = now.replace(tzinfo=None)  # as the app's UTCDateTime stores it there
    snapshots = sa.table(
        "pool_skill_snapshots",
        sa.column("pool_id", sa.Integer),
        sa.column("worker_id", sa.Integer),
        sa.column("answered", sa.Integer),
        sa.column("correct", sa.Integer),
        sa.column("answers_seen", sa.Integer),
        sa.column("taken_at", sa.DateTime),
    )
    rows = [
        {
            "pool_id": pool_id,
            "worker_id": worker_id,
            "answered": gold.get((worker_id, pool_id), (0, 0))[0],
            "correct": gold.get((worker_id, pool_id), (0, 0))[1],
            "answers_seen": count,
            "taken_at": now,
        }
        for worker_id, pool_id, count in seen
    ]
    if rows:
        bind.execute(snapshots.insert(), rows)


def upgrade():
    bind = op.get_bind()
    _users(bind)
    _certificates(bind)
    _tokens()
    _snapshots(bind)


def downgrade():
    # Name every table and column this drops; it refuses while they hold data (tests check this).
    refuse_data_loss(
        tables=["pool_skill_snapshots"],
        columns={"users": ["public_id"], "certificates": ["credential_id"], "api_tokens": ["pool_ids", "user_fields"]},
    )
    with op.batch_alter_table("pool_skill_snapshots", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pool_skill_snapshots_worker_id"))
    op.drop_table("pool_skill_snapshots")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_column("user_fields")
        batch_op.drop_column("pool_ids")
    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_certificates_credential_id"), type_="unique")
        batch_op.drop_column("credential_id")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_users_public_id"), type_="unique")
        batch_op.drop_column("public_id")
