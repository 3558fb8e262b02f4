"""Frequency caps hold across reloads, tabs and new sessions (the loader's own storage)."""

from __future__ import annotations

from sqlalchemy import delete, select

from sync.campaigns.models import CampaignExposure
from tests.browser.conftest import popup, popups, wait_until

HOME = "/demo/store/"


def visit(front, page, path: str = HOME, settle: int = 400) -> int:
    page.page.goto(front.url(path))
    page.page.wait_for_function("window.Cible && window.Cible.version")
    page.page.wait_for_timeout(settle)
    return popups(page.page)


def close_popup(page) -> None:
    page.page.get_by_role("button", name="Fermer").click()
    assert popups(page.page) == 0


def test_once_per_session_holds_across_reloads_and_returns_next_session(front, page):
    front.only(popup(frequency={"per_session": 1}))
    assert visit(front, page) == 1
    close_popup(page)
    page.page.reload()
    page.page.wait_for_timeout(500)
    assert popups(page.page) == 0
    assert visit(front, page, "/demo/store/cart") == 0
    # A new tab is a new session (sessionStorage): no per-days cap here, so it shows again.
    other = page.page.context.new_page()
    other.goto(front.url(HOME))
    other.wait_for_selector("cible-root", state="attached", timeout=2000)


def test_every_n_days_holds_in_a_new_session_of_the_same_browser(front, page):
    front.only(popup(frequency={"every_days": 7}))
    assert visit(front, page) == 1
    other = page.page.context.new_page()  # new session, same localStorage
    other.goto(front.url(HOME))
    other.wait_for_function("window.Cible && window.Cible.version")
    other.wait_for_timeout(500)
    assert other.evaluate("document.querySelectorAll('cible-root').length") == 0


def test_max_times_counts_every_showing(front, page):
    front.only(popup(frequency={"max_times": 2}))
    assert visit(front, page) == 1
    assert visit(front, page) == 1
    assert visit(front, page) == 0
    assert visit(front, page) == 0


def test_stop_after_closes(front, page):
    front.only(popup(frequency={"stop_after_closes": 1}))
    assert visit(front, page) == 1
    page.page.reload()
    page.page.wait_for_selector("cible-root", state="attached", timeout=2000)
    close_popup(page)  # closed once: never again
    assert visit(front, page) == 0
    assert visit(front, page, "/demo/store/cart") == 0


def test_the_call_to_action_is_not_counted_as_a_close(front, page):
    front.only(popup(frequency={"stop_after_closes": 1}))
    assert visit(front, page) == 1
    page.page.get_by_role("button", name="Continuer").click()
    assert popups(page.page) == 0
    assert visit(front, page) == 1


def slot_title(page) -> str | None:
    """The title the home page's slot shows (None: the theme's own content)."""
    return page.page.locator("[data-cible-slot=home-hero]").evaluate(
        "s => s.shadowRoot && s.shadowRoot.querySelector('h2').textContent"
    )


def test_decide_reads_the_browsers_record_and_gives_the_slot_to_the_next_campaign(front, page):
    """A browser that never signed in sends its own record of what it was shown (`seen`):
    with the server's record of the impression gone (events not stored yet, say), decide
    still knows the first campaign hit its cap, and fills the slot with the next one
    instead of leaving it to the theme."""

    def inline(name: str, priority: int, **fields) -> dict:
        return {
            "name": name,
            "kind": "inline",
            "slot": "home-hero",
            "priority": priority,
            "variants": [{"key": "a", "content": {"title": name}}],
            **fields,
        }

    first, _second = front.only(
        inline("Premier bloc", 20, frequency={"max_times": 1}), inline("Second bloc", 10)
    )
    visit(front, page)
    page.page.wait_for_function("document.querySelector('[data-cible-slot]').shadowRoot")
    assert slot_title(page) == "Premier bloc"
    page.page.goto("about:blank")  # the impression leaves in a beacon
    exposures = select(CampaignExposure).where(CampaignExposure.campaign_id == first.id)
    assert wait_until(lambda: front.db.rollback() or front.db.scalars(exposures).first())
    front.db.execute(delete(CampaignExposure).where(CampaignExposure.campaign_id == first.id))
    front.db.commit()
    visit(front, page)
    page.page.wait_for_function(
        "document.querySelector('[data-cible-slot]').shadowRoot"
        " && document.querySelector('[data-cible-slot]').shadowRoot.textContent"
        ".includes('Second bloc')"
    )
    first_ask, second_ask = front.received.of("decide")[-2:]
    assert first_ask["seen"] == {}
    record = second_ask["seen"][first.public_id]
    assert (record["v"], record["n"]) == ("a", 1)
