"""`cible segment ...`: counts, members, explain, errors with exit status 2, stored segments."""

from __future__ import annotations

import json

DOMAIN = "chocolats.example.fr"
NOW = "2026-11-22T12:00:00Z"


def test_count_prints_the_number_last(cli_runner, people):
    result = cli_runner("segment", "count", "--shop", DOMAIN, "--now", NOW, "number_of_orders >= 1")
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1] == "3"
    # --now fixes today: the birthday segment depends on it.
    query = "anniversary(date: 'birth_date') BETWEEN today AND +7d"
    soon = cli_runner("segment", "count", "--shop", DOMAIN, "--now", NOW, query)
    later = cli_runner(
        "segment", "count", "--shop", DOMAIN, "--now", "2026-12-01T12:00:00+01:00", query
    )
    assert soon.output.strip().splitlines()[-1] == "1"
    assert later.output.strip().splitlines()[-1] == "0"


def test_members_prints_external_ids(cli_runner, people):
    result = cli_runner(
        "segment", "members", "--shop", DOMAIN, "--now", NOW, "customer_email_domain = 'gmail.com'"
    )
    assert result.exit_code == 0, result.output
    assert result.output.split() == ["ana", "dan"]


def test_a_bad_query_exits_2_with_where_and_why(cli_runner, people):
    result = cli_runner("segment", "count", "--shop", DOMAIN, "number_of_order > 2")
    assert result.exit_code == 2
    assert "line 1, column 1: unknown attribute number_of_order" in result.output
    assert "number_of_order > 2\n^" in result.output
    assert "did you mean number_of_orders?" in result.output
    for command in ("members", "explain"):
        other = cli_runner("segment", command, "--shop", DOMAIN, "city = Nantes")
        assert other.exit_code == 2 and "column 8" in other.output


def test_unknown_shop_and_bad_now(cli_runner, people):
    result = cli_runner("segment", "count", "--shop", "nope.example", "city = 'x'")
    assert result.exit_code == 1 and "no shop with domain nope.example" in result.output
    result = cli_runner("segment", "count", "--shop", DOMAIN, "--now", "yesterday", "city = 'x'")
    assert result.exit_code == 2 and "not an ISO 8601" in result.output


def test_explain_shows_sql_parameters_and_ast(cli_runner, people, backend):
    result = cli_runner(
        "segment",
        "explain",
        "--shop",
        DOMAIN,
        "--now",
        NOW,
        "city = 'Nantes'; DROP TABLE customers' AND last_order_date < -90d",
    )
    assert result.exit_code == 2  # a quote inside text must be doubled: refused, not run
    result = cli_runner(
        "segment",
        "explain",
        "--shop",
        DOMAIN,
        "--now",
        NOW,
        "city = 'Nantes''; DROP TABLE customers' AND last_order_date < -90d",
    )
    assert result.exit_code == 0, result.output
    assert f"-- dialect: {backend}" in result.output
    assert "-- today in Europe/Paris: 2026-11-22" in result.output
    sql = result.output.split("-- parameters:")[0]
    assert "SELECT customers.id" in sql and "DROP TABLE" not in sql
    assert "Nantes'; DROP TABLE customers" in result.output.split("-- parameters:")[1]
    ast = json.loads(result.output.split("-- AST:\n")[1])
    assert ast["and"][1] == {
        "attribute": "last_order_date",
        "operator": "<",
        "values": [{"relative": "-90d"}],
    }


def test_create_list_evaluate(cli_runner, people):
    result = cli_runner(
        "segment",
        "create",
        "--shop",
        DOMAIN,
        "--name",
        "Buyers",
        "--now",
        NOW,
        "number_of_orders >= 1",
    )
    assert result.exit_code == 0, result.output
    assert "created segment 'Buyers': 3 members" in result.output
    result = cli_runner("segment", "create", "--shop", DOMAIN, "--template", "vip", "--now", NOW)
    assert result.exit_code == 0 and "1 members" in result.output
    bad = cli_runner("segment", "create", "--shop", DOMAIN, "--name", "X", "amount_spen > 1")
    assert bad.exit_code == 2 and "did you mean amount_spent?" in bad.output
    taken = cli_runner("segment", "create", "--shop", DOMAIN, "--name", "Buyers", "city = 'x'")
    assert taken.exit_code == 1 and "already has a segment named 'Buyers'" in taken.output
    listed = cli_runner("segment", "list", "--shop", DOMAIN)
    lines = listed.output.strip().splitlines()
    assert lines[0].startswith("Buyers\t3\t2026-11-22T12:00:00\ton change\t")
    assert lines[1].startswith("VIP customers\t1\t")
    one = cli_runner("segment", "evaluate", "--shop", DOMAIN, "Buyers", "--now", NOW)
    assert one.exit_code == 0 and one.output.strip() == "Buyers\t3 members\t+0\t-0"
    every = cli_runner("segment", "evaluate", "--shop", DOMAIN, "--all", "--now", NOW)
    assert len(every.output.strip().splitlines()) == 2
    missing = cli_runner("segment", "evaluate", "--shop", DOMAIN, "Nope")
    assert missing.exit_code == 1 and "no segment named 'Nope'" in missing.output
    neither = cli_runner("segment", "evaluate", "--shop", DOMAIN)
    assert neither.exit_code == 2


def test_templates_are_listed_in_both_languages(cli_runner):
    english = cli_runner("segment", "templates")
    french = cli_runner("segment", "templates", "--language", "fr")
    assert "vip\tVIP customers\tcustomer_tags CONTAINS 'vip'" in english.output
    assert "birthday_7_days\tAnniversaire dans les 7 jours\t" in french.output
    assert len(english.output.strip().splitlines()) == 11
