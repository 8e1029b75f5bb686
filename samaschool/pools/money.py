"""The earnings ledger and payouts. Amounts are integers of minor units with a currency.

Entries are only ever added; a balance is a SUM. A payout batch takes each entry exactly once:
the conditional UPDATE … WHERE payout_line_id IS NULL is the lock, so two batches created at
the same moment cannot both include an entry."""

from __future__ import annotations

import csv
import io
import secrets
from dataclasses import dataclass
from decimal import Decimal

from babel import Locale
from babel.numbers import (
    NumberFormatError,
    format_currency,
    format_decimal,
    get_currency_precision,
    is_currency,
    parse_decimal,
)
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy import case, func, select, update

from samaschool import audit
from samaschool.auth.models import User
from samaschool.errors import DomainError
from samaschool.extensions import db
from samaschool.formatting import format_locale
from samaschool.pools.models import EarningEntry, PayoutBatch, PayoutLine
from samaschool.spreadsheets import csv_safe as _csv_safe


class PayoutError(DomainError):
    pass


# The most any amount typed into a form may be, in minor units: far above any real reward,
# bonus or threshold, and within every amount column (a reward is a 32-bit integer).
MAX_AMOUNT_MINOR = 1_000_000_000


class AmountError(ValueError):
    """An amount that cannot be taken as typed; the message says why, for the form field."""


def _locale(locale: str | Locale | None) -> str | Locale:
    return locale or get_locale() or "en"


def _major(amount_minor: int, currency: str) -> Decimal:
    """12345 KES -> Decimal('123.45'): exact, in the currency's own number of decimals."""
    return Decimal(amount_minor).scaleb(-get_currency_precision(currency))


def money(amount_minor: int, currency: str, locale: str | Locale | None = None) -> str:
    """12345 KES -> 'Ksh 123.45' as written in the reader's language and country (sw_KE; en_KE gives
    'Ksh123.45', en_US 'KES123.45'; English outside a request). See samaschool/formatting.py."""
    return format_currency(_major(amount_minor, currency), currency, locale=locale or format_locale())


def amount_for_input(amount_minor: int, currency: str, locale: str | Locale | None = None) -> str:
    """What an amount field shows: 1234567 KES -> '12345.67', 1000000 UGX -> '1000000'. Exact,
    with the currency's decimals and the language's decimal sign, so that `to_minor` reads it back."""
    digits = get_currency_precision(currency)
    pattern = "0." + "0" * digits if digits else "0"
    return format_decimal(_major(amount_minor, currency), format=pattern, locale=_locale(locale))


def is_known_currency(code: str) -> bool:
    """An ISO 4217 code Babel knows (and so knows the number of decimals of)."""
    return is_currency(code)


def to_minor(text: str, currency: str, locale: str | Locale | None = None, *, maximum: int = MAX_AMOUNT_MINOR) -> int:
    """An amount as a person typed it ('1,234.50' in English) -> exact minor units (123450 KES),
    never through a float. Raises AmountError for what is not an amount of zero or more, for
    more decimals than the currency has (UGX has none, KES two) and for more than `maximum`."""
    locale = _locale(locale)
    digits = get_currency_precision(currency)
    example = amount_for_input(5 * 10**digits + (5 * 10 ** (digits - 1) if digits else 0), currency, locale)
    try:
        value = parse_decimal(text.strip(), locale=locale, strict=True)
    except NumberFormatError:
        value = None
    # Decimal also reads 'NaN', 'Infinity' and '1e5': amounts are written in digits only.
    if value is None or not value.is_finite() or value < 0 or any(ch.isalpha() for ch in text):
        raise AmountError(_("Give an amount like %(example)s.", example=example))
    if value > _major(maximum, currency):
        raise AmountError(_("Give at most %(amount)s.", amount=money(maximum, currency, locale)))
    _sign, figures, exponent = value.as_tuple()
    while exponent < 0 and figures[-1:] == (0,):  # '12.340' has two decimals, not three
        figures, exponent = figures[:-1], exponent + 1
    if -exponent > digits:
        if not digits:
            raise AmountError(_("%(currency)s amounts have no decimals: give a whole number.", currency=currency))
        raise AmountError(
            ngettext(
                "%(currency)s amounts have at most %(num)d decimal place.",
                "%(currency)s amounts have at most %(num)d decimal places.",
                digits,
                currency=currency,
            )
        )
    return int(value.scaleb(digits))


def credit(
    worker_id: int,
    amount_minor: int,
    currency: str,
    kind: str,
    *,
    pool_id=None,
    assignment_id=None,
    reason: str = "",
    actor=None,
) -> EarningEntry:
    entry = EarningEntry(
        worker_id=worker_id,
        pool_id=pool_id,
        assignment_id=assignment_id,
        kind=kind,
        amount_minor=amount_minor,
        currency=currency,
        reason=reason,
        created_by_id=actor.id if actor is not None else None,
    )
    db.session.add(entry)
    return entry


def add_bonus(actor, worker: User, amount_minor: int, currency: str, reason: str) -> EarningEntry:
    if amount_minor <= 0:
        raise PayoutError(_("A bonus must be more than zero."))
    entry = credit(worker.id, amount_minor, currency, "bonus", reason=reason, actor=actor)
    db.session.flush()
    audit.record(
        actor, "earnings.bonus", entry, after={"amount_minor": amount_minor, "currency": currency}, reason=reason
    )
    return entry


@dataclass
class Balance:
    currency: str
    earned: int  # everything approved minus reversals, plus bonuses
    in_payout: int  # taken by a batch not yet paid
    paid: int

    @property
    def unpaid(self) -> int:
        return self.earned - self.in_payout - self.paid


def balances(worker_id: int) -> list[Balance]:
    paid = case((PayoutLine.state == "paid", EarningEntry.amount_minor), else_=0)
    pending = case((PayoutLine.state == "pending", EarningEntry.amount_minor), else_=0)
    rows = db.session.execute(
        select(EarningEntry.currency, func.sum(EarningEntry.amount_minor), func.sum(pending), func.sum(paid))
        .outerjoin(PayoutLine, PayoutLine.id == EarningEntry.payout_line_id)
        .where(EarningEntry.worker_id == worker_id)
        .group_by(EarningEntry.currency)
        .order_by(EarningEntry.currency)
    )
    return [
        Balance(currency, int(earned or 0), int(in_payout or 0), int(paid_sum or 0))
        for currency, earned, in_payout, paid_sum in rows
    ]


def create_batch(actor, currency: str, threshold_minor: int) -> PayoutBatch | None:
    """Pay everyone whose unpaid balance in `currency` reaches the threshold. None if nobody does."""
    due = db.session.execute(
        select(EarningEntry.worker_id, func.sum(EarningEntry.amount_minor))
        .where(EarningEntry.currency == currency, EarningEntry.payout_line_id.is_(None))
        .group_by(EarningEntry.worker_id)
        .having(func.sum(EarningEntry.amount_minor) >= max(1, threshold_minor))
    ).all()
    if not due:
        return None
    batch = PayoutBatch(created_by_id=actor.id, currency=currency, threshold_minor=threshold_minor)
    db.session.add(batch)
    db.session.flush()
    # Each line keeps the name and account as they are now: a later change does not redirect it.
    payees = {
        user_id: (name, account)
        for user_id, name, account in db.session.execute(
            select(User.id, User.name, User.payout_account).where(User.id.in_([worker_id for worker_id, _ in due]))
        )
    }
    for worker_id, _amount in due:
        name, account = payees[worker_id]
        line = PayoutLine(
            batch_id=batch.id,
            worker_id=worker_id,
            currency=currency,
            amount_minor=0,
            reference=f"SS-{batch.id}-{secrets.token_hex(4).upper()}",
            payee_name=name,
            payout_account=account,
        )
        db.session.add(line)
        db.session.flush()
        db.session.execute(
            update(EarningEntry)
            .where(
                EarningEntry.worker_id == worker_id,
                EarningEntry.currency == currency,
                EarningEntry.payout_line_id.is_(None),
            )
            .values(payout_line_id=line.id)
            .execution_options(synchronize_session=False)
        )
        line.amount_minor = int(
            db.session.scalar(
                select(func.coalesce(func.sum(EarningEntry.amount_minor), 0)).where(
                    EarningEntry.payout_line_id == line.id
                )
            )
        )
        if line.amount_minor <= 0:  # another batch took these entries a moment ago
            db.session.execute(
                update(EarningEntry).where(EarningEntry.payout_line_id == line.id).values(payout_line_id=None)
            )
            db.session.delete(line)
    db.session.flush()
    db.session.refresh(batch)
    if not batch.lines:
        db.session.delete(batch)
        return None
    audit.record(actor, "payout.batch_created", batch, after={"lines": len(batch.lines), "currency": currency})
    return batch


def mark_line(actor, line: PayoutLine, state: str, note: str = "") -> bool:
    """Mark a line paid or failed once. A failed line releases its entries for a later batch."""
    if state not in ("paid", "failed"):
        raise PayoutError(_("A line is marked paid or failed."))
    changed = db.session.execute(
        update(PayoutLine).where(PayoutLine.id == line.id, PayoutLine.state == "pending").values(state=state, note=note)
    )
    if changed.rowcount != 1:
        return False
    if state == "failed":
        db.session.execute(
            update(EarningEntry).where(EarningEntry.payout_line_id == line.id).values(payout_line_id=None)
        )
    db.session.refresh(line)
    audit.record(actor, f"payout.line_{state}", line, before={"state": "pending"}, after={"state": state}, reason=note)
    return True


def batch_csv(batch: PayoutBatch) -> str:
    """name, phone or account, currency, amount, reference: for a bulk mobile-money or bank upload.
    The name and account are the line's, as they were when the batch was made, never the live
    profile's: changing a payout account after the batch does not redirect its payments."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["name", "account", "currency", "amount", "reference"])
    digits = get_currency_precision(batch.currency)
    for line in batch.lines:
        if line.state == "failed":
            continue
        amount = f"{_major(line.amount_minor, batch.currency):.{digits}f}"  # exact, machine-readable
        writer.writerow(
            [_csv_safe(line.payee_name), _csv_safe(line.payout_account or ""), line.currency, amount, line.reference]
        )
    return out.getvalue()
