"""${message}

Revision ID: ${up_revision}
Revises: ${down_revision | comma,n}
Create Date: ${create_date}

"""
from alembic import op
import sqlalchemy as sa
${imports if imports else ""}
from samaschool.migration_safety import refuse_data_loss

# revision identifiers, used by Alembic.
revision = ${repr(up_revision)}
down_revision = ${repr(down_revision)}
branch_labels = ${repr(branch_labels)}
depends_on = ${repr(depends_on)}


# New NOT NULL columns need a server_default (or a backfill): databases already hold rows.
def upgrade():
    ${upgrades if upgrades else "pass"}


def downgrade():
    # Name every table and column this drops; it refuses while they hold data (tests check this).
    refuse_data_loss(tables=[], columns={})
    ${downgrades if downgrades else "pass"}
