"""Frequency caps hold across reloads, tabs and new sessions (the loader's own storage)."""

from __future__ import annotations

from tests.browser.conftest import popup, popups

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
