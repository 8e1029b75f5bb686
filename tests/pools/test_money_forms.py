"""Money typed into and shown by forms: exact (no floats), in the currency's own decimals,
bounded, and refused with a message on the field when it cannot be taken as typed."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from samaschool.extensions import db
from samaschool.permissions import Role
from samaschool.pools import money
from samaschool.pools.models import EarningEntry, Pool
from tests.pools.conftest import logged_in, new_pool_form


class FormValues(HTMLParser):
    """The values a browser would send for the first form with fields on a page, as shown."""

    def __init__(self, html: str):
        super().__init__()
        self.values: dict[str, list[str]] = {}
        self._textarea = self._select = None
        self._options: list[tuple[str, bool]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("checkbox", "radio", "submit"):
            self.values.setdefault(name, []).append(a.get("value", ""))
        elif tag == "textarea" and name:
            self._textarea = name
            self.values.setdefault(name, []).append("")
        elif tag == "select" and name:
            self._select, self._options = (name, "multiple" in a), []
        elif tag == "option" and self._select:
            self._options.append((a.get("value", ""), "selected" in a))

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea][-1] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "select" and self._select:
            name, multiple = self._select
            chosen = [value for value, selected in self._options if selected]
            if not multiple and not chosen and self._options:
                chosen = [self._options[0][0]]  # a single select sends its first option by default
            self.values[name] = chosen
            self._select = None

    def form(self) -> dict[str, list[str]]:
        return {name: values for name, values in self.values.items() if name != "csrf_token"}


@pytest.fixture
def manager(app, make):
    admin = make.user(Role.ADMIN)
    return logged_in(app, admin)


def _reward(app, pool_id):
    with app.app_context():
        pool = db.session.get(Pool, pool_id)
        return pool.reward_minor, pool.currency


@pytest.mark.parametrize(
    ("reward_minor", "currency", "shown"), [(1_234_567, "KES", "12345.67"), (1_000_000, "UGX", "1000000")]
)
def test_the_pool_form_shows_and_saves_back_the_reward_unchanged(app, make, manager, reward_minor, currency, shown):
    pool = make.pool(reward_minor=reward_minor, currency=currency, countries=["KE"], daily_cap=40)
    url = f"/manage/pools/{pool.id}/edit"
    values = FormValues(manager.get(url).get_data(as_text=True)).form()
    assert values["reward"] == [shown]
    saved = manager.submit(url, values)
    assert saved.status_code == 302, saved.get_data(as_text=True)
    assert _reward(app, pool.id) == (reward_minor, currency)
    assert FormValues(manager.get(url).get_data(as_text=True)).form()["reward"] == [shown]


@pytest.mark.parametrize(
    ("reward", "currency", "message"),
    [
        ("5.555", "KES", "KES amounts have at most 2 decimal places."),
        ("1500.5", "UGX", "UGX amounts have no decimals: give a whole number."),
        ("99999999999", "KES", "Give at most KES10,000,000.00."),
        ("99,999,999,999", "UGX", "Give at most UGX1,000,000,000."),
        ("1e6", "UGX", "Give an amount like 5."),
        ("NaN", "KES", "Give an amount like 5.50."),
        ("-5", "KES", "Give an amount like 5.50."),
    ],
)
def test_rewards_the_currency_cannot_hold_are_refused_on_the_field(app, manager, reward, currency, message):
    response = manager.submit("/manage/pools/new", new_pool_form(reward=reward, currency=currency))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(r'id="reward-error">([^<]*)<', page).group(1) == message
    values = FormValues(page).form()  # everything typed comes back
    assert values["reward"] == [reward] and values["name"] == ["Receipts"] and values["currency"] == [currency]
    with app.app_context():
        assert db.session.scalar(select(Pool)) is None


def test_a_large_reward_within_the_bound_is_kept_exactly(app, manager):
    assert manager.submit("/manage/pools/new", new_pool_form(reward="10,000,000.00")).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Pool.reward_minor)) == 1_000_000_000


def test_an_unknown_currency_is_refused_on_its_field(manager):
    page = manager.submit("/manage/pools/new", new_pool_form(currency="XYZ")).get_data(as_text=True)
    assert re.search(r'id="currency-error">([^<]*)<', page).group(1) == "Unknown currency code."


def test_bonus_and_payout_amounts_follow_the_currency(app, make, manager):
    worker = make.user()
    bonus = {"bonus-email": worker.email, "bonus-currency": "UGX", "bonus-reason": "great week"}
    bad = manager.submit("/manage/bonuses", {**bonus, "bonus-amount": "1000.5"}, page="/manage/payouts")
    assert bad.status_code == 422
    assert "UGX amounts have no decimals: give a whole number." in bad.get_data(as_text=True)
    huge = manager.submit("/manage/bonuses", {**bonus, "bonus-amount": "5000000000"}, page="/manage/payouts")
    assert huge.status_code == 422 and "Give at most UGX1,000,000,000." in huge.get_data(as_text=True)
    ok = manager.submit("/manage/bonuses", {**bonus, "bonus-amount": "1,000,000"}, page="/manage/payouts")
    assert ok.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(EarningEntry.amount_minor)) == 1_000_000
    threshold = manager.submit("/manage/payouts", {"currency": "UGX", "threshold": "0.5"})
    assert threshold.status_code == 422 and "UGX amounts have no decimals" in threshold.get_data(as_text=True)
    made = manager.submit("/manage/payouts", {"currency": "UGX", "threshold": "1000000"})
    assert made.status_code == 302
    assert "UGX1,000,000" in manager.get(made.headers["Location"]).get_data(as_text=True)


def test_amounts_are_read_and_written_exactly_in_the_readers_language():
    assert money.to_minor("12,5", "KES", "de") == 1250  # a comma is the decimal sign in German
    assert money.to_minor("1.234.567", "UGX", "de") == 1_234_567
    assert money.amount_for_input(1_234_567, "KES", "de") == "12345,67"
    assert money.to_minor("12.340", "KES") == 1234  # trailing zeros are not extra decimals
    with pytest.raises(money.AmountError):
        money.to_minor("5.0000000000000000000000000000001", "KES")
    assert money.money(123_456_789_012_345_678, "KES") == "KES1,234,567,890,123,456.78"  # no float rounding
