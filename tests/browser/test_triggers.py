"""Each trigger fires when it should, and not before; the first of several wins."""

from __future__ import annotations

from tests.browser.conftest import popup, popups

PRODUCT = "/demo/store/product/P0001"  # 6.90 EUR, a long page


def open_product(front, page):
    page.page.goto(front.url(PRODUCT))
    page.page.wait_for_function("window.Cible && window.Cible.version")


def test_delay_fires_after_its_seconds_not_before(front, page):
    front.only(popup(triggers=[{"type": "delay", "seconds": 2}]))
    open_product(front, page)
    page.page.wait_for_timeout(1200)
    assert popups(page.page) == 0
    page.page.wait_for_selector("cible-root", state="attached", timeout=3000)
    assert page.page.get_by_role("dialog", name="Offre test").is_visible()


def test_scroll_fires_at_its_depth_not_before(front, page):
    front.only(popup(triggers=[{"type": "scroll", "percent": 50}]))
    open_product(front, page)
    half = "document.documentElement.scrollHeight - innerHeight"
    page.page.evaluate(f"scrollTo(0, ({half}) * 0.3)")
    page.page.wait_for_timeout(400)
    assert popups(page.page) == 0
    page.page.evaluate(f"scrollTo(0, ({half}) * 0.6)")
    page.page.wait_for_selector("cible-root", state="attached", timeout=2000)


def test_exit_intent_fires_when_leaving_through_the_top_only(front, page):
    front.only(popup(triggers=[{"type": "exit_intent"}]))
    open_product(front, page)
    mouse = page.page.mouse
    mouse.move(640, 400)
    page.page.wait_for_timeout(300)  # decide answered, triggers armed
    mouse.move(1300, 400)  # out through the right-hand side: not an exit intent
    mouse.move(640, 400)
    page.page.wait_for_timeout(300)
    assert popups(page.page) == 0
    mouse.move(640, 5)
    mouse.move(640, -20)  # out through the top
    page.page.wait_for_selector("cible-root", state="attached", timeout=2000)


def test_exit_intent_never_fires_on_mobile(front, new_page):
    front.only(popup(triggers=[{"type": "exit_intent"}]))
    phone = new_page(viewport={"width": 390, "height": 800}, is_mobile=True, has_touch=True)
    open_product(front, phone)
    phone.page.wait_for_timeout(300)
    phone.page.mouse.move(200, 300)
    phone.page.mouse.move(200, -20)
    phone.page.wait_for_timeout(400)
    assert popups(phone.page) == 0


def test_page_views_fires_on_the_nth_page_of_the_session(front, page):
    front.only(popup(triggers=[{"type": "page_views", "count": 3}]))
    for _ in range(2):
        open_product(front, page)
        page.page.wait_for_timeout(400)
        assert popups(page.page) == 0
    open_product(front, page)
    page.page.wait_for_selector("cible-root", state="attached", timeout=2000)


def test_cart_value_fires_once_the_cart_goes_over_the_threshold(front, page):
    front.only(popup(triggers=[{"type": "cart_value", "above": 15}]))
    open_product(front, page)
    add = page.page.locator("#add-to-cart")
    for expected in ("6.90", "13.80"):
        add.click()
        page.page.wait_for_function(
            f"document.getElementById('cart-value').textContent == '{expected}'"
        )
        page.page.wait_for_timeout(200)
        assert popups(page.page) == 0
    add.click()  # 20.70: over 15
    page.page.wait_for_selector("cible-root", state="attached", timeout=2000)


def test_cart_value_from_the_page_settings_fires_at_load(front, page):
    front.only(popup(triggers=[{"type": "cart_items", "above": 1}]))
    open_product(front, page)
    # One add at a time, as a shopper does: the demo store keeps its cart in the session
    # cookie, and two adds in flight at once both start from the same cart (one is lost).
    for items in ("1", "2"):
        page.page.locator("#add-to-cart").click()
        page.page.wait_for_function(
            f"document.getElementById('cart-items').textContent == '{items}'"
        )
    # Generous waits: a loaded CI machine answers decide late, never wrongly.
    page.page.wait_for_selector("cible-root", state="attached", timeout=5000)
    # The next page reads the cart from window.cibleSettings.cart: fires at once.
    page.page.goto(front.url("/demo/store/cart"))
    page.page.wait_for_selector("cible-root", state="attached", timeout=5000)


def test_the_first_trigger_that_fires_wins_and_the_popup_shows_once(front, page):
    front.only(
        popup(triggers=[{"type": "delay", "seconds": 30}, {"type": "scroll", "percent": 20}])
    )
    open_product(front, page)
    page.page.evaluate("scrollTo(0, document.documentElement.scrollHeight)")
    page.page.wait_for_selector("cible-root", state="attached", timeout=2000)
    page.page.evaluate("scrollTo(0, 0)")
    page.page.evaluate("scrollTo(0, document.documentElement.scrollHeight)")
    page.page.wait_for_timeout(300)
    assert popups(page.page) == 1


def test_one_popup_at_a_time_highest_priority_first(front, page):
    low = popup(name="Low", priority=1)
    high = popup(name="High", priority=50)
    high["variants"][0]["content"]["title"] = "Prioritaire"
    front.only(low, high)
    open_product(front, page)
    page.page.wait_for_selector("cible-root", state="attached", timeout=2000)
    page.page.wait_for_timeout(300)
    assert popups(page.page) == 1
    assert page.page.get_by_role("dialog", name="Prioritaire").is_visible()
