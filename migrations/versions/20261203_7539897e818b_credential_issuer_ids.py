"""credential issuer ids: each certificate remembers the issuer id it was signed under

Revision ID: 7539897e818b
Revises: c64ade33d3e0
Create Date: 2026-12-03 10:30:00

"""

import base64
import json

from alembic import op
import sqlalchemy as sa

from samaschool.migration_safety import refuse_data_loss


# revision identifiers, used by Alembic.
revision = "7539897e818b"
down_revision = "c64ade33d3e0"
branch_labels = None
depends_on = None


def _issuer_in(token: str) -> str:
    """The 'iss' claim of a compact JWS we signed ourselves (no need to check the signature here)."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return ""
    issuer = claims.get("iss") if isinstance(claims, dict) else None
    return issuer[:300] if isinstance(issuer, str) else ""


def upgrade():
    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.add_column(sa.Column("issuer_id", sa.String(length=300), server_default="", nullable=False))
    # Backfill: credentials already issued keep verifying after the public address changes.
    certificates = sa.table(
        "certificates",
        sa.column("id", sa.Integer),
        sa.column("credential_jwt", sa.Text),
        sa.column("issuer_id", sa.String),
    )
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(certificates.c.id, certificates.c.credential_jwt).where(certificates.c.credential_jwt != "")
    ).all()
    for row_id, token in rows:
        issuer = _issuer_in(token)
        if issuer:
            bind.execute(certificates.update().where(certificates.c.id == row_id).values(issuer_id=issuer))


def downgrade():
    refuse_data_loss(derived={"certificates": ["issuer_id"]})  # the upgrade reads it back from each JWT
    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.drop_column("issuer_id")
