"""What reaches the server: the form's submission on the customer record, the events of a
visit, a control variant's impression, Do-Not-Track, and the signed demo log-in."""

from __future__ import annotations

import json

from sqlalchemy import select

from sync.store import Customer, StorefrontEvent
from tests.browser.conftest import popup, popups, wait_until

PRODUCT = "/demo/store/product/P0001"
CONSENT = "J'accepte de recevoir la lettre de la boutique par e-mail."


def signup(**overrides) -> dict:
    overrides.setdefault("frequency", {"stop_after_conversion": True})
    document = popup(name="Signup", goal="submission", **overrides)
    document["variants"][0]["content"] = {
        "title": "Inscrivez-vous",
        "form": {
            "fields": ["email"],
            "consent_text": CONSENT,
            "submit_label": "Je m'inscris",
            "success_text": "Merci, à très vite !",
        },
    }
    return document


def kinds(front) -> list[str]:
    front.db.rollback()  # see what the server committed since
    return list(
        front.db.scalars(
            select(StorefrontEvent.kind)
            .where(StorefrontEvent.shop_id == front.shop.id)
            .order_by(StorefrontEvent.id)
        )
    )


def test_the_form_submission_reaches_the_customer_record(front, page):
    (campaign,) = front.only(signup())
    page.page.goto(front.url(PRODUCT))
    dialog = page.page.get_by_role("dialog", name="Inscrivez-vous")
    dialog.wait_for()
    assert dialog.get_by_text(CONSENT).is_visible()
    submit = page.page.get_by_role("button", name="Je m'inscris")

    # Client-side validation first: nothing leaves the page.
    page.page.get_by_role("textbox", name="E-mail").fill("pas-une-adresse")
    submit.click()
    assert page.page.get_by_role("alert").inner_text() == "E-mail invalide"
    page.page.get_by_role("textbox", name="E-mail").fill("nouvelle.cliente@example.fr")
    submit.click()
    assert page.page.get_by_role("alert").inner_text() == "Cochez la case"
    sent = [e["type"] for batch in front.received.of("events") for e in batch["events"]]
    assert "submit" not in sent

    page.page.get_by_role("checkbox").check()
    submit.click()
    assert page.page.get_by_role("status").inner_text() == "Merci, à très vite !"

    def stored():
        front.db.rollback()
        return front.db.scalar(
            select(Customer).where(
                Customer.shop_id == front.shop.id, Customer.email == "nouvelle.cliente@example.fr"
            )
        )

    customer = wait_until(stored)
    assert customer is not None, "the submission did not reach the customer record"
    assert customer.email_subscription_status == "SUBSCRIBED"
    assert customer.email_consent_source == f"cible:campaign:{campaign.public_id}"
    assert customer.email_consent_at is not None
    assert CONSENT in json.dumps(customer.attributes, ensure_ascii=False)
    # A converted signup is not offered again.
    page.page.reload()
    page.page.wait_for_timeout(600)
    assert popups(page.page) == 0


def test_a_visit_reports_its_events_in_batches(front, page):
    stored_before = len(kinds(front))
    front.only(popup(frequency={"per_session": 1}))
    page.page.goto(front.url(PRODUCT))
    page.page.get_by_role("dialog", name="Offre test").wait_for()
    page.page.get_by_role("button", name="Fermer").click()
    page.page.locator("#add-to-cart").click()
    page.page.wait_for_function("document.getElementById('cart-items').textContent == '1'")
    # Leaving the page sends what is left with navigator.sendBeacon.
    page.page.goto(front.url("/demo/store/cart"))
    assert wait_until(
        lambda: {"page_view", "impression", "close", "cart"} <= set(kinds(front)[stored_before:])
    )
    batches = front.received.of("events")
    assert len(batches) < len(kinds(front)[stored_before:])  # several events per request
    visitor = batches[0]["visitor"]
    assert all(batch["visitor"] == visitor for batch in batches)
    assert page.page.evaluate("JSON.parse(localStorage.getItem('cible.v')).id") == visitor


def test_a_control_variant_reports_an_impression_and_shows_nothing(front, page):
    stored_before = len(kinds(front))
    document = popup()
    document["variants"] = [
        {**document["variants"][0], "weight": 0},
        {"key": "control", "weight": 1, "control": True},
    ]
    front.only(document)
    page.page.goto(front.url(PRODUCT))
    assert wait_until(lambda: "impression" in kinds(front)[stored_before:])
    assert popups(page.page) == 0


def test_do_not_track_stores_no_visitor_id_and_sends_no_events(front, page):
    front.only(popup())
    stored_before = len(kinds(front))
    page.page.add_init_script(
        "Object.defineProperty(Navigator.prototype, 'doNotTrack', {get: () => '1'})"
    )
    page.page.goto(front.url(PRODUCT))
    # decide is still asked, anonymously: the popup shows.
    page.page.get_by_role("dialog", name="Offre test").wait_for()
    page.page.get_by_role("button", name="Fermer").click()
    page.page.goto(front.url("/demo/store/cart"))
    page.page.wait_for_timeout(1800)  # past the batching delay
    assert front.received.of("events") == []
    decide = front.received.of("decide")[0]
    assert decide.get("visitor") is None
    assert all("seen" not in ask for ask in front.received.of("decide"))  # stays local
    assert page.page.evaluate("localStorage.getItem('cible.v')") is None
    assert len(kinds(front)) == stored_before


def test_logged_in_customers_see_their_personalised_demo_campaigns(front, page):
    """The demo's own campaigns: the VIP block replaces the home hero for the best
    customer, and the birthday offer greets the customer whose birthday is this week."""
    front.db.rollback()
    page.page.goto(front.url("/demo/store/"))
    options = page.page.locator("#demo-customer option")
    labels = options.all_inner_texts()
    vip = next(i for i, label in enumerate(labels) if "meilleur client" in label)
    page.page.select_option("#demo-customer", index=vip)
    page.page.click("#demo-login")
    slot = page.page.locator("[data-cible-slot=home-hero]")
    heading = slot.get_by_role("heading", name="merci de votre fidélité")
    heading.wait_for()
    first_name = labels[vip].split()[0]
    assert heading.inner_text().startswith(f"Bonjour {first_name}")

    birthday = [i for i, label in enumerate(labels) if "anniversaire" in label]
    if birthday:  # a demo shop of a few hundred customers has one most weeks
        page.page.select_option("#demo-customer", index=birthday[0])
        page.page.click("#demo-login")
        page.page.get_by_role("dialog", name="Joyeux anniversaire").wait_for(timeout=5000)
        assert page.page.get_by_text("ANNIV15").is_visible()
        page.page.keyboard.press("Escape")

    # Back to anonymous: the theme's default hero again.
    page.page.select_option("#demo-customer", index=0)
    page.page.click("#demo-login")
    page.page.wait_for_timeout(600)
    assert slot.evaluate("s => s.shadowRoot") is None
    # A browser that has signed in never sends its own record again: its exposures are
    # linked to a customer now, and decide reads them (with that customer's orders).
    asks = front.received.of("decide")
    assert asks[0]["seen"] == {} and asks[0]["identity"] is None
    assert all("seen" not in ask for ask in asks[1:])
    assert asks[-1]["identity"] is None
