"""payout accounts and outbox

Revision ID: a30c0589810b
Revises: 1466e5ec928b
Create Date: 2026-12-03 11:00:00

- mail_outbox: outgoing email, written by requests and delivered by the sender (samaschool/mail.py).
- payout_account_changes: every payout-account change; those held after a reset through a link
  someone else made wait there for confirmation.
- password_reset_tokens.reset_at: when a link set a new password (used_at also marks retired links).
- payout_lines.payee_name, payout_lines.payout_account: who is paid and where, as they were when
  the batch was made. Lines made before this migration take the profile as it is now: the best
  record there is of where they were meant to go.
"""

from alembic import op
import sqlalchemy as sa

from samaschool.migration_safety import refuse_data_loss


# revision identifiers, used by Alembic.
revision = "a30c0589810b"
down_revision = "1466e5ec928b"
branch_labels = None
depends_on = None


# New NOT NULL columns need a server_default (or a backfill): databases already hold rows.
def upgrade():
    op.create_table(
        "mail_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("to_address", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("about_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), server_default="", nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_mail_outbox_attempts_not_negative")),
        sa.CheckConstraint(
            "kind IN ('message', 'password_reset', 'payout_account_held')", name=op.f("ck_mail_outbox_kind_valid")
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'sent', 'dropped', 'failed')", name=op.f("ck_mail_outbox_status_valid")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_outbox")),
    )
    with op.batch_alter_table("mail_outbox", schema=None) as batch_op:
        batch_op.create_index("ix_mail_outbox_status_next_attempt_at", ["status", "next_attempt_at"], unique=False)

    with op.batch_alter_table("password_reset_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reset_at", sa.DateTime(timezone=True), nullable=True))

    op.create_table(
        "payout_account_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("old_account", sa.String(length=100), nullable=True),
        sa.Column("new_account", sa.String(length=100), nullable=True),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reset_token_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "state IN ('applied', 'held', 'confirmed', 'rejected', 'superseded')",
            name=op.f("ck_payout_account_changes_state_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["users.id"], name=op.f("fk_payout_account_changes_decided_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["reset_token_id"],
            ["password_reset_tokens.id"],
            name=op.f("fk_payout_account_changes_reset_token_id_password_reset_tokens"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_payout_account_changes_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payout_account_changes")),
    )
    with op.batch_alter_table("payout_account_changes", schema=None) as batch_op:
        batch_op.create_index("ix_payout_account_changes_state", ["state"], unique=False)
        batch_op.create_index("ix_payout_account_changes_user_id_created_at", ["user_id", "created_at"], unique=False)

    with op.batch_alter_table("payout_lines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("payee_name", sa.String(length=120), server_default="", nullable=False))
        batch_op.add_column(sa.Column("payout_account", sa.String(length=100), nullable=True))
    # Backfill: existing lines keep the name and account their worker has now.
    lines = sa.table(
        "payout_lines",
        sa.column("worker_id", sa.Integer),
        sa.column("payee_name", sa.String),
        sa.column("payout_account", sa.String),
    )
    users = sa.table(
        "users", sa.column("id", sa.Integer), sa.column("name", sa.String), sa.column("payout_account", sa.String)
    )
    op.execute(
        lines.update().values(
            payee_name=sa.select(users.c.name).where(users.c.id == lines.c.worker_id).scalar_subquery(),
            payout_account=sa.select(users.c.payout_account).where(users.c.id == lines.c.worker_id).scalar_subquery(),
        )
    )


def downgrade():
    # Name every table and column this drops; it refuses while they hold data (tests check this).
    refuse_data_loss(
        tables=["mail_outbox", "payout_account_changes"],
        columns={"password_reset_tokens": ["reset_at"], "payout_lines": ["payee_name", "payout_account"]},
    )
    with op.batch_alter_table("payout_lines", schema=None) as batch_op:
        batch_op.drop_column("payout_account")
        batch_op.drop_column("payee_name")

    with op.batch_alter_table("payout_account_changes", schema=None) as batch_op:
        batch_op.drop_index("ix_payout_account_changes_user_id_created_at")
        batch_op.drop_index("ix_payout_account_changes_state")
    op.drop_table("payout_account_changes")

    with op.batch_alter_table("password_reset_tokens", schema=None) as batch_op:
        batch_op.drop_column("reset_at")

    with op.batch_alter_table("mail_outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_mail_outbox_status_next_attempt_at")
    op.drop_table("mail_outbox")
