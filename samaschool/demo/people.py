"""Who the demo learners are: countries in our learners' proportions, names common there, the
languages and time zones people there use, and a payout account of the kind they have."""

from __future__ import annotations

import random
from dataclasses import dataclass


def _names(text: str) -> tuple[str, ...]:
    return tuple(text.split())


@dataclass(frozen=True)
class Country:
    code: str
    weight: float
    women: tuple[str, ...]
    men: tuple[str, ...]
    surnames: tuple[str, ...]
    languages: tuple[tuple[str, float], ...]  # (preferred_language, weight)
    timezones: tuple[str, ...]
    phone_prefix: str  # a mobile-money number: this prefix and digits


COUNTRIES = (
    Country(
        "KE",
        0.45,
        women=_names(
            "Wanjiku Achieng Akinyi Njeri Wambui Atieno Chebet Nyambura Mumbua Moraa Faith Mercy Grace Esther "
            "Purity Joy Amina Halima Zawadi Neema"
        ),
        men=_names(
            "Otieno Kamau Mwangi Kiprop Omondi Kipchoge Njoroge Ochieng Brian Kevin Dennis Collins Evans "
            "Hassan Juma Baraka Kibet Mutua Wekesa Onyango"
        ),
        surnames=_names(
            "Otieno Kamau Mwangi Wanjiru Odhiambo Kiprono Mutua Njoroge Wekesa Chebet Omondi Kariuki Ndungu "
            "Achieng Mohamed Ali Kimani Owino Nyaga Koech"
        ),
        languages=(("en", 0.6), ("sw", 0.4)),
        timezones=("Africa/Nairobi",),
        phone_prefix="+2547",
    ),
    Country(
        "UG",
        0.20,
        women=_names(
            "Nakato Babirye Namukasa Apio Akello Nambi Auma Kisakye Nalwoga Atim Sarah Patience Prossy Brenda Doreen"
        ),
        men=_names(
            "Mukasa Ssemakula Okello Opio Kato Wasswa Tumusiime Byaruhanga Isaac Ronald Joseph Ivan Moses "
            "Denis Emmanuel"
        ),
        surnames=_names(
            "Mukasa Nsubuga Okello Namusoke Ssali Kiggundu Tumwine Byaruhanga Otim Akena Lubega Musoke Kato "
            "Mugisha Ochen"
        ),
        languages=(("en", 0.85), ("lg", 0.15)),
        timezones=("Africa/Kampala",),
        phone_prefix="+2567",
    ),
    Country(
        "IN",
        0.25,
        women=_names(
            "Priya Ananya Lakshmi Kavya Divya Pooja Sneha Meena Fatima Aishwarya Deepa Sunita Nisha Shreya Jyoti"
        ),
        men=_names("Rahul Arjun Vikram Suresh Ravi Amit Karthik Imran Sanjay Rohan Manoj Anil Deepak Vijay Arun"),
        surnames=_names("Sharma Patel Kumar Singh Reddy Iyer Nair Das Khan Gupta Rao Menon Joshi Pillai Verma"),
        languages=(("en", 0.7), ("hi", 0.3)),
        timezones=("Asia/Kolkata",),
        phone_prefix="+919",
    ),
    Country(
        "US",
        0.10,
        women=_names("Maria Jessica Ashley Aaliyah Emily Sofia Destiny Jasmine Brianna Keisha"),
        men=_names("James Michael Carlos Jamal David Tyler Luis Marcus Andre Kevin"),
        surnames=_names("Johnson Williams Garcia Smith Brown Martinez Davis Rodriguez Jackson Lopez Washington Harris"),
        languages=(("en", 0.9), ("es", 0.1)),
        timezones=("America/New_York", "America/Chicago", "America/Los_Angeles"),
        phone_prefix="+1555",
    ),
)
_COUNTRY_WEIGHTS = [country.weight for country in COUNTRIES]


@dataclass(frozen=True)
class Person:
    name: str
    email_name: str  # the part of the email before the learner's number
    country: str
    gender: str | None  # as shared: None for those who chose not to say
    birth_year: int | None  # as shared
    preferred_language: str
    timezone: str
    payout_account: str
    woman: bool
    young: bool  # under 25 at sign-up, whether shared or not


def _weighted(rng: random.Random, pairs) -> str:
    return rng.choices([value for value, _ in pairs], weights=[weight for _, weight in pairs])[0]


def person(rng: random.Random, signup_year: int) -> Person:
    """Someone who signs up in `signup_year`: more women than men (the programme's focus), most
    under 30; gender and year of birth shared by about two thirds, as they are optional."""
    country = rng.choices(COUNTRIES, weights=_COUNTRY_WEIGHTS)[0]
    draw = rng.random()
    identity = "woman" if draw < 0.56 else "man" if draw < 0.99 else "other"
    names = country.women if identity == "woman" else country.men if identity == "man" else country.women + country.men
    first, last = rng.choice(names), rng.choice(country.surnames)
    age = min(60, 17 + int(rng.gammavariate(2.2, 4.2)))
    digits = "".join(rng.choice("0123456789") for _ in range(8))
    return Person(
        name=f"{first} {last}",
        email_name=f"{first}.{last}".lower(),
        country=country.code,
        gender=identity if rng.random() < 0.72 else None,
        birth_year=signup_year - age if rng.random() < 0.66 else None,
        preferred_language=_weighted(rng, country.languages),
        timezone=rng.choice(country.timezones),
        payout_account=country.phone_prefix + digits,
        woman=identity == "woman",
        young=age < 25,
    )
