"""A contact captured by a campaign form: the customer created or updated, consent recorded.

The customer is found by e-mail (a registered customer before a guest, as ingest links
orders) and otherwise created as a guest profile (`guest:<email>`, docs/data-rules.md), so
a later order or a platform sync of the same person merges with it. Consent is recorded
with when (email_consent_at), where (email_consent_source = "cible:campaign:<id>") and the
exact wording shown (attributes["email_consent_text"]; the server takes it from the
campaign, not from the browser). Without consent nothing about subscriptions changes: an
e-mail given without consent is kept for the profile, never for marketing; an existing
subscription is never lowered by a form.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from sync.campaigns.rules import local_time
from sync.store import Customer, Shop


def _phone_key(phone: str) -> str:
    return re.sub(r"[^0-9+]", "", phone)


def find_contact(session: Session, shop: Shop, email: str | None, phone: str | None):
    if email:
        found = session.scalars(
            select(Customer)
            .where(Customer.shop_id == shop.id, Customer.email == email)
            .order_by(Customer.is_guest, Customer.id)
            .limit(1)
        ).first()
        if found is not None:
            return found
    if phone and not email:
        return session.scalar(
            select(Customer).where(
                Customer.shop_id == shop.id,
                Customer.external_id == f"guest:tel:{_phone_key(phone)}",
            )
        )
    return None


def capture_contact(
    session: Session,
    shop: Shop,
    *,
    email: str | None,
    phone: str | None,
    consent: bool,
    consent_text: str | None,
    source: str,
    now: datetime,
) -> Customer:
    """The customer this submission is about, created or updated in the caller's
    transaction (the caller commits, then re-checks the customer's segments)."""
    email = email.strip().lower() if email else None
    phone = phone.strip() if phone else None
    customer = find_contact(session, shop, email, phone)
    if customer is None:
        external_id = f"guest:{email}" if email else f"guest:tel:{_phone_key(phone)}"
        customer = Customer(
            shop_id=shop.id,
            external_id=external_id[:255],
            is_guest=True,
            email=email,
            phone=phone,
            email_subscription_status="NOT_SUBSCRIBED",
            sms_subscription_status="NOT_SUBSCRIBED",
            tags=[],
            attributes={},
            created_at=now,
            created_date=local_time(now, shop.timezone).date(),
            updated_at=now,
            ingested_at=now,
        )
        session.add(customer)
    elif phone and not customer.phone:
        customer.phone = phone
    if consent:
        attributes = dict(customer.attributes or {})
        if email:
            customer.email_subscription_status = "SUBSCRIBED"
            customer.email_consent_at = now
            customer.email_consent_source = source[:255]
            attributes["email_consent_text"] = consent_text
        if phone:
            customer.sms_subscription_status = "SUBSCRIBED"
            customer.sms_consent_at = now
            attributes["sms_consent_source"] = source
            attributes["sms_consent_text"] = consent_text
        customer.attributes = attributes
    session.flush()
    return customer
