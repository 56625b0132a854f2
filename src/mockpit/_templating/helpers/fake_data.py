"""Fake data from Faker: WireMock's faker extension names (Datafaker's) mapped to Faker's methods, and
the methods a template may never call.

Faker is slow to import: it is imported when a template that uses it is compiled, so no request pays
for it."""

from __future__ import annotations

import datetime as _dt
import functools
import re
from typing import Any

from mockpit._extras import require
from mockpit._templating.errors import HelperFailure
from mockpit._templating.values import (
    to_text,
)

#: WireMock's faker extension names (Datafaker's ``Category.method``) -> Python Faker methods
FAKER_NAMES: dict[str, str] = {
    "name.firstname": "first_name",
    "name.lastname": "last_name",
    "name.fullname": "name",
    "name.name": "name",
    "name.namewithmiddle": "name",
    "name.prefix": "prefix",
    "name.suffix": "suffix",
    "name.title": "job",
    "name.username": "user_name",
    "address.city": "city",
    "address.cityname": "city",
    "address.country": "country",
    "address.countrycode": "country_code",
    "address.fulladdress": "address",
    "address.streetaddress": "street_address",
    "address.streetname": "street_name",
    "address.buildingnumber": "building_number",
    "address.secondaryaddress": "secondary_address",
    "address.zipcode": "postcode",
    "address.postcode": "postcode",
    "address.state": "state",
    "address.stateabbr": "state_abbr",
    "address.latitude": "latitude",
    "address.longitude": "longitude",
    "address.timezone": "timezone",
    "internet.emailaddress": "email",
    "internet.safeemailaddress": "safe_email",
    "internet.domainname": "domain_name",
    "internet.url": "url",
    "internet.ipv4address": "ipv4",
    "internet.ipv6address": "ipv6",
    "internet.macaddress": "mac_address",
    "internet.password": "password",
    "internet.uuid": "uuid4",
    "internet.slug": "slug",
    "internet.useragent": "user_agent",
    "internet.username": "user_name",
    "phonenumber.phonenumber": "phone_number",
    "phonenumber.cellphone": "phone_number",
    "company.name": "company",
    "company.industry": "bs",
    "company.catchphrase": "catch_phrase",
    "company.bs": "bs",
    "company.suffix": "company_suffix",
    "company.url": "url",
    "lorem.word": "word",
    "lorem.sentence": "sentence",
    "lorem.paragraph": "paragraph",
    "lorem.characters": "pystr",
    "number.digit": "random_digit",
    "number.randomdigit": "random_digit",
    "number.randomnumber": "random_number",
    "color.name": "color_name",
    "color.hex": "hex_color",
    "commerce.color": "color_name",
    "finance.creditcard": "credit_card_number",
    "finance.iban": "iban",
    "finance.bic": "swift",
    "business.creditcardnumber": "credit_card_number",
    "job.title": "job",
    "job.field": "job",
    "date.birthday": "date_of_birth",
    "code.isbn10": "isbn10",
    "code.isbn13": "isbn13",
    "code.ean13": "ean13",
    "currency.code": "currency_code",
    "currency.name": "currency_name",
    "bool.bool": "pybool",
    "idnumber.ssnvalid": "ssn",
    "idnumber.valid": "ssn",
    "crypto.md5": "md5",
    "crypto.sha1": "sha1",
    "crypto.sha256": "sha256",
    "country.name": "country",
    "country.countrycode2": "country_code",
    "file.filename": "file_name",
    "file.mimetype": "mime_type",
}
#: Faker methods that return bulky or binary data, or change the generator: never from a template
_FAKER_REFUSED = frozenset(
    {
        "binary",
        "tar",
        "zip",
        "image",
        "xml",
        "csv",
        "tsv",
        "psv",
        "dsv",
        "json",
        "json_bytes",
        "fixed_width",
        "seed",
        "seed_instance",
        "seed_locale",
        "add_provider",
        "get_providers",
        "provider",
        "format",
        "parse",
        "set_formatter",
        "get_formatter",
        "set_arguments",
        "get_arguments",
        "del_arguments",
        "enum",
        "pyobject",
        "pystruct",
        "pyiterable",
        "pylist",
        "pyset",
        "pytuple",
        "pydict",
    }
)
_CAMEL = re.compile(r"(?<=[a-z0-9])([A-Z])")


@functools.cache
def _faker() -> Any:
    require("faker", "Fake data in templates (the random and fake helpers)")
    from faker import Faker

    return Faker()


@functools.cache
def _faker_methods() -> frozenset[str]:
    faker = _faker()
    names = set()
    for provider in faker.get_providers():
        for name in dir(provider):
            if not name.startswith("_") and name not in _FAKER_REFUSED and callable(getattr(provider, name, None)):
                names.add(name)
    return frozenset(names)


@functools.lru_cache(maxsize=512)
def faker_method(key: str) -> str:
    """The Faker method for ``key``: WireMock's ``'Name.firstName'`` or Faker's own ``'first_name'``.

    Raises ValueError with suggestions when nothing fits. Imports Faker (slow) on first call.
    """
    cleaned = key.strip()
    parts = cleaned.split(".")
    mapped = FAKER_NAMES.get(".".join(parts[:2]).lower().replace("_", "")) if len(parts) >= 2 else None
    candidates = [mapped] if mapped else []
    method = parts[1] if len(parts) >= 2 else parts[0]
    candidates.append(_CAMEL.sub(r"_\1", method).lower())
    available = _faker_methods()
    for candidate in candidates:
        if candidate in available:
            return candidate
    import difflib

    near = difflib.get_close_matches(candidates[-1], sorted(available), n=3)
    hint = f"; did you mean {', '.join(repr(n) for n in near)}?" if near else ""
    raise ValueError(
        f"the fake data key {key!r} is unknown: use a WireMock name such as 'Name.firstName' or "
        f"a Python Faker method such as 'first_name'{hint}"
    )


def fake(key: Any) -> str:
    """Fake data from the Faker library: ``fake('Name.firstName')`` or ``fake('first_name')``."""
    try:
        method = faker_method(to_text(key))
    except ValueError as exc:
        raise HelperFailure(str(exc)) from None
    value = getattr(_faker(), method)()
    if isinstance(value, _dt.date | _dt.datetime):
        return value.isoformat()
    return to_text(value) if isinstance(value, str | int | float | bool) else str(value)
