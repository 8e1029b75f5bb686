"""Where a learner's earnings go, and who may change it.

- Changing the payout account needs the account's current password. Every change is audited
  (before and after), recorded as a PayoutAccountChange (the learner's dashboard shows it) and
  emailed to the learner through the outbox.
- A change made within HOLD_AFTER_RESET of a password reset through a link someone else made
  (a trainer's link, for learners who cannot read their email) is held: the account stays as it
  was until an admin confirms the change, or the learner does through the signed, single-use,
  expiring link emailed to her own address. Whoever made the reset link cannot confirm it, nor
  can anyone confirm a change to their own account. Until then payout batches keep paying the
  account as it was.

No request or session access here: the acting user is passed in.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import or_, select, update
from sqlalchemy.orm import joinedload

from samaschool import audit, mail
from samaschool.auth.models import PasswordResetToken, PayoutAccountChange, User
from samaschool.auth.passwords import verify_password
from samaschool.db_types import utcnow
from samaschool.errors import InvalidCredentials, InvalidToken, NotAllowed
from samaschool.extensions import db
from samaschool.permissions import Role

HOLD_AFTER_RESET = timedelta(hours=72)
CONFIRM_LINK_LIFETIME = timedelta(days=7)
NOTICE_DAYS = 14  # how long the learner's dashboard shows a change
_SALT = "payout-account-change"


def mask(account: str | None) -> str:
    """What emails and notices show of an account: its last four characters ('…0001')."""
    if not account:
        return _("none")
    compact = "".join(account.split())
    return "…" + compact[-4:] if len(compact) > 4 else "…"


def _lock(user: User) -> None:
    """One change or decision at a time per account (SQLite's BEGIN IMMEDIATE does the same)."""
    db.session.execute(select(User.id).where(User.id == user.id).with_for_update(key_share=True))


def reset_behind_hold(user: User, *, now: datetime | None = None) -> PasswordResetToken | None:
    """The reset through a link someone else made, within HOLD_AFTER_RESET, if there was one."""
    now = now or utcnow()
    return db.session.scalar(
        select(PasswordResetToken)
        .where(
            PasswordResetToken.user_id == user.id,
            PasswordResetToken.created_by_id.is_not(None),
            PasswordResetToken.reset_at > now - HOLD_AFTER_RESET,
        )
        .order_by(PasswordResetToken.reset_at.desc(), PasswordResetToken.id.desc())
        .limit(1)
    )


def held_change(user: User) -> PayoutAccountChange | None:
    return db.session.scalar(
        select(PayoutAccountChange)
        .where(PayoutAccountChange.user_id == user.id, PayoutAccountChange.state == "held")
        .order_by(PayoutAccountChange.id.desc())
        .limit(1)
    )


def change_payout_account(
    user: User, current_password: str, new_account: str | None, *, now: datetime | None = None
) -> PayoutAccountChange | None:
    """The account's owner changes where her earnings go. Raises InvalidCredentials for a wrong
    password. Returns the change (state `applied` or `held`), or None when nothing changed: the
    same account again, or the same held change again (a replayed form)."""
    if not verify_password(user.password_hash, current_password):
        raise InvalidCredentials(_("Your current password is not right."))
    now = now or utcnow()
    new_account = (new_account or "").strip() or None
    _lock(user)
    pending = held_change(user)
    if pending is not None and pending.new_account == new_account:
        return None
    if pending is not None:  # a newer wish replaces the waiting one
        db.session.execute(
            update(PayoutAccountChange)
            .where(PayoutAccountChange.id == pending.id, PayoutAccountChange.state == "held")
            .values(state="superseded", decided_at=now, decided_by_id=user.id)
            .execution_options(synchronize_session=False)
        )
    if new_account == user.payout_account:
        if pending is not None:  # back to the account she has: the waiting change is withdrawn
            audit.record(
                user,
                "user.payout_account_withdrawn",
                user,
                before={"payout_account": user.payout_account, "requested": pending.new_account},
                after={"payout_account": user.payout_account, "change_id": pending.id},
            )
        return None
    reset = reset_behind_hold(user, now=now)
    change = PayoutAccountChange(
        user_id=user.id,
        old_account=user.payout_account,
        new_account=new_account,
        state="held" if reset is not None else "applied",
        created_at=now,
        reset_token_id=reset.id if reset is not None else None,
    )
    db.session.add(change)
    db.session.flush()
    before = {"payout_account": user.payout_account}
    after = {"payout_account": new_account, "change_id": change.id}
    if pending is not None:
        after["supersedes_change_id"] = pending.id
    if reset is None:
        user.payout_account = new_account
        audit.record(user, "user.payout_account_changed", user, before=before, after=after)
        _email_applied(change, now)
    else:
        after |= {"reset_link_id": reset.id, "link_made_by_id": reset.created_by_id}
        audit.record(user, "user.payout_account_held", user, before=before, after=after)
        mail.queue("payout_account_held", user.email, about_id=change.id)
    return change


def decide(actor: User, change: PayoutAccountChange, confirm: bool, reason: str = "") -> bool:
    """An admin confirms (the account changes) or refuses a held change. False when it was
    already decided (a replayed form). Raises NotAllowed for anyone but another admin."""
    if actor.role != Role.ADMIN:
        raise NotAllowed(_("Only an admin can confirm or refuse this change."))
    if actor.id == change.user_id:
        raise NotAllowed(_("Another admin must decide on a change to your own payout account."))
    if change.reset_token is not None and change.reset_token.created_by_id == actor.id:
        raise NotAllowed(_("You made the reset link behind this change: another admin must decide."))
    return _decide(actor, change, confirm, reason)


def _decide(actor: User, change: PayoutAccountChange, confirm: bool, reason: str = "", *, by_email=False) -> bool:
    user = change.user
    _lock(user)
    now = utcnow()
    state = "confirmed" if confirm else "rejected"
    decided = db.session.execute(
        update(PayoutAccountChange)
        .where(PayoutAccountChange.id == change.id, PayoutAccountChange.state == "held")
        .values(state=state, decided_at=now, decided_by_id=actor.id)
        .execution_options(synchronize_session=False)
    )
    if decided.rowcount != 1:
        return False
    db.session.refresh(change)
    before = {"payout_account": user.payout_account}
    after = {"change_id": change.id, "through_emailed_link": by_email}
    if confirm:
        user.payout_account = change.new_account
        after |= {"payout_account": change.new_account}
        audit.record(actor, "user.payout_account_confirmed", user, before=before, after=after, reason=reason)
        _email_applied(change, now)
    else:
        after |= {"payout_account": user.payout_account, "refused": change.new_account}
        audit.record(actor, "user.payout_account_rejected", user, before=before, after=after, reason=reason)
    return True


def held_changes():
    """Every change waiting for a decision, oldest first, with its user and reset link's maker."""
    return (
        select(PayoutAccountChange)
        .where(PayoutAccountChange.state == "held")
        .options(
            joinedload(PayoutAccountChange.user),
            joinedload(PayoutAccountChange.reset_token).joinedload(PasswordResetToken.created_by),
        )
        .order_by(PayoutAccountChange.created_at, PayoutAccountChange.id)
    )


def notices_for(user: User, *, now: datetime | None = None) -> list[PayoutAccountChange]:
    """The changes the learner's dashboard tells her about: waiting ones, and recent decisions."""
    since = (now or utcnow()) - timedelta(days=NOTICE_DAYS)
    return list(
        db.session.scalars(
            select(PayoutAccountChange)
            .where(
                PayoutAccountChange.user_id == user.id,
                PayoutAccountChange.state != "superseded",
                or_(PayoutAccountChange.state == "held", PayoutAccountChange.created_at > since),
            )
            .order_by(PayoutAccountChange.created_at.desc(), PayoutAccountChange.id.desc())
        )
    )


# The learner's own email: a signed, single-use, expiring link ------------------------------


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=_SALT)


def confirmation_token(change: PayoutAccountChange) -> str:
    return _serializer().dumps([change.id, change.user_id])


def change_for_token(token: str) -> PayoutAccountChange | None:
    """The held change a confirmation link is for, while the link is valid; else None. Single use:
    once decided (or superseded by a newer change) the change is no longer held."""
    try:
        change_id, user_id = _serializer().loads(token, max_age=int(CONFIRM_LINK_LIFETIME.total_seconds()))
    except (BadData, TypeError, ValueError):
        return None
    if not isinstance(change_id, int) or not isinstance(user_id, int):
        return None
    change = db.session.get(PayoutAccountChange, change_id)
    if change is None or change.user_id != user_id or change.state != "held" or not change.user.is_active:
        return None
    return change


def decide_by_email(token: str, confirm: bool) -> PayoutAccountChange:
    """The learner decides through the link emailed to her own address (it proves she reads it).
    Raises InvalidToken for a link that is expired, altered or already used."""
    change = change_for_token(token)
    if change is None or not _decide(change.user, change, confirm, by_email=True):
        raise InvalidToken(_("This link has expired or was already used."))
    return change


# Emails to the learner, in her language -------------------------------------------------------


def _when(user: User, moment: datetime) -> str:
    try:
        zone = ZoneInfo(user.timezone)
    except (ValueError, KeyError):
        zone = ZoneInfo("UTC")
    return format_datetime(moment, "medium", tzinfo=zone, locale=user.preferred_language or "en")


def _email_applied(change: PayoutAccountChange, now: datetime) -> None:
    user = change.user
    with force_locale(user.preferred_language):
        subject = _("Your Samaschool payout account was changed")
        body = _(
            "Hello %(name)s,\n\nOn %(date)s your payout account was changed: your earnings now go to "
            "%(new)s (before: %(old)s).\n\nIf you did not make this change, tell your trainer or a "
            "Samaschool admin at once.",
            name=user.name,
            date=_when(user, now),
            new=mask(change.new_account),
            old=mask(change.old_account),
        )
    mail.send_email(user.email, subject, body)


@mail.composer("payout_account_held")
def _compose_held_email(row: mail.OutgoingEmail) -> mail.Email | None:
    """Composed by the sender, so that the confirmation link is never stored."""
    from samaschool.web import public_url

    change = db.session.get(PayoutAccountChange, row.about_id) if row.about_id is not None else None
    if change is None or change.state != "held":
        return None  # decided or replaced before the email went out
    user = change.user
    link = public_url("auth.confirm_payout_account", token=confirmation_token(change))
    with force_locale(user.preferred_language):
        subject = _("Confirm the change of your Samaschool payout account")
        body = _(
            "Hello %(name)s,\n\nOn %(date)s someone asked, with your password, to send your earnings to "
            "%(new)s instead of %(old)s. Your password had been reset shortly before through a link that "
            "someone else made, so the change waits for confirmation.\n\nOpen this link to confirm the change, "
            "or to keep your earlier account:\n%(link)s\n\nIf you did not ask for this, keep your earlier "
            "account and tell a Samaschool admin at once.",
            name=user.name,
            date=_when(user, change.created_at),
            new=mask(change.new_account),
            old=mask(change.old_account),
            link=link,
        )
    return mail.Email(row.to_address, subject, body, stored_body=mail.redact(body, link))
