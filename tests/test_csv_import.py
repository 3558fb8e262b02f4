"""CSV import: reading and validating files, `cible import-csv`, the import job, streaming."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tracemalloc
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from rq.job import Job
from sqlalchemy import select

from connectors import records
from connectors.csvfiles import CsvFile, CsvFileError, Refusal, local_to_utc
from sync.csv_import import import_csv, import_files
from sync.queue import enqueue, rq_queue
from sync.store import Customer, Order, OrderLine, Shop, SyncRun, session_factory

DATA = Path(__file__).parent / "data" / "csv"
PARIS = ZoneInfo("Europe/Paris")
DOMAIN = "chocolats.example.fr"


def write(path: Path, text: str, encoding: str = "utf-8") -> str:
    path.write_bytes(text.encode(encoding))
    return str(path)


def read_all(path, kind, **options) -> list:
    with CsvFile(path, kind, timezone="Europe/Paris", **options) as csv_file:
        return list(csv_file)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --- reading files (no database) ---------------------------------------------------------


def test_bare_dates_and_naive_times_are_local_to_the_shop():
    assert local_to_utc(datetime(2026, 3, 29), PARIS) == utc(2026, 3, 28, 23)
    assert local_to_utc(datetime(2026, 7, 1), PARIS) == utc(2026, 6, 30, 22)
    # 02:30 does not exist on 2026-03-29 in Paris, and exists twice on 2026-10-25: fold=0.
    assert local_to_utc(datetime(2026, 3, 29, 2, 30), PARIS) == utc(2026, 3, 29, 1, 30)
    assert local_to_utc(datetime(2026, 10, 25, 2, 30), PARIS) == utc(2026, 10, 25, 0, 30)
    # An explicit offset wins over the shop's zone.
    aware = datetime.fromisoformat("2026-03-29T10:00:00+05:00")
    assert local_to_utc(aware, PARIS) == utc(2026, 3, 29, 5)


def test_customers_file_becomes_records_with_attributes_tags_and_consent():
    rows = read_all(DATA / "customers.csv", "customers")
    assert all(isinstance(row, records.Customer) for row in rows)
    alice, bob, claire = rows
    assert alice.email == "alice@example.fr"
    assert alice.tags == ["vip", "newsletter"]
    assert alice.attributes == {"favorite_chocolate": "dark"}
    assert alice.birth_date == date(1985, 6, 14)
    assert alice.latitude == pytest.approx(47.2184)
    assert alice.loyalty_points == 1200
    assert alice.created_at == utc(2024, 1, 10, 9)
    assert alice.updated_at == utc(2026, 3, 28, 23)
    assert alice.email_subscription_status == "SUBSCRIBED"
    assert alice.email_consent_at == alice.updated_at
    assert alice.email_consent_source == "csv import"
    assert alice.sms_subscription_status == "NOT_SUBSCRIBED"
    assert bob.country == "FR"
    assert bob.company == "Durand SARL" and bob.industry == "bakery"
    assert bob.attributes == {"notes": 'likes pralines, and "gianduja"'}
    assert bob.sms_subscription_status == "SUBSCRIBED"
    assert bob.sms_consent_at == bob.created_at == utc(2025, 5, 1, 8)
    assert claire.email_subscription_status == "NOT_SUBSCRIBED"
    assert claire.email_consent_at is None
    assert claire.sms_subscription_status == "SUBSCRIBED"
    assert claire.created_at == utc(2026, 6, 30, 22)


def test_consent_without_any_date_is_dated_at_the_import(tmp_path):
    path = write(tmp_path / "consent.csv", "external_id,accepts_email_marketing\nK1,yes\n")
    imported_at = utc(2026, 5, 1, 12)
    (customer,) = read_all(path, "customers", imported_at=imported_at)
    assert customer.email_consent_at == imported_at


def test_header_names_in_any_order_and_case_orders_have_no_lines():
    with CsvFile(DATA / "orders.csv", "orders", default_currency="EUR") as csv_file:
        first, second, _, guest = list(csv_file)
    assert first == records.Order(
        external_id="O1",
        customer_external_id="C1",
        created_at=utc(2026, 3, 1, 9),
        status="paid",
        total=Decimal("45.50"),
        currency="EUR",
        channel="store",
        lines=None,
    )
    assert second.currency == "EUR" and second.discount_code == "NOEL10"
    assert guest.status == "paid" and guest.email == "guest@example.fr"


def test_line_key_falls_back_to_product_then_sku_then_title(tmp_path):
    path = write(
        tmp_path / "lines.csv",
        "order_external_id,line_id,product_external_id,sku,title,quantity,unit_price\n"
        "O1,L9,P1,S1,T1,2,1.5\n"
        "O1,,P1,S1,T1,,\n"
        "O1,,,S1,T1,1,1\n"
        "O1,,,,T1,1,1\n"
        "O1,,,,,1,1\n",
    )
    rows = read_all(path, "lines")
    assert [row.line_key for row in rows[:4]] == ["L9", "P1", "S1", "T1"]
    assert rows[1].quantity == 1 and rows[1].unit_price == Decimal("0")
    assert str(rows[4]) == (
        f"{path}:6: no line_id, product_external_id, sku or title to tell the line apart"
    )


def test_semicolon_files_with_bom_accept_decimal_commas():
    with CsvFile(DATA / "customers_semicolon.csv", "customers") as csv_file:
        assert csv_file.delimiter == ";"
        first, second = list(csv_file)
    assert first.external_id == "S1"  # the BOM is not part of the first column's name
    assert first.latitude == pytest.approx(47.2184)
    assert first.longitude == pytest.approx(-1.5536)
    assert first.email_subscription_status == "SUBSCRIBED"
    assert second.email_subscription_status == "NOT_SUBSCRIBED"
    rows = read_all(DATA / "orders_semicolon.csv", "orders")
    assert rows[0].total == Decimal("12.50")
    assert str(rows[1]) == f"{DATA / 'orders_semicolon.csv'}:3: total: not a number: '1 000,00'"
    assert rows[2].total == Decimal("7.50")


def test_a_comma_is_not_a_decimal_separator_in_comma_files(tmp_path):
    path = write(tmp_path / "o.csv", 'external_id,created_at,total\nA,2026-01-01,"12,5"\n')
    (row,) = read_all(path, "orders")
    assert str(row) == f"{path}:2: total: not a number: '12,5'"


BAD_ORDERS = (
    "external_id,customer_external_id,created_at,status,total,discount_code\n"
    "B1,C1,2026-03-02,paid,10,\n"
    'B2,C1,"2026-03-02",paid,10,"multi\n'
    "line\n"
    'code"\n'
    "B3,C1,2026-02-30,paid,10,\n"
    "B4,C1,2026-03-03,shipped,10,\n"
    "B5,C1,2026-03-03,paid,ten,\n"
    ",C1,2026-03-03,paid,10,\n"
    "\n"
    "B6,C1,2026-03-04,paid,10,\n"
    "B7,C1,2026-03-04,paid,10,,surplus\n"
)


def bad_order_messages(path: str) -> list[str]:
    return [
        f"{path}:6: created_at: not an ISO 8601 date or date-time: '2026-02-30'",
        f"{path}:7: status: 'shipped' is not one of paid, pending, cancelled, refunded",
        f"{path}:8: total: not a number: 'ten'",
        f"{path}:9: external_id: required, but empty",
        f"{path}:12: has 7 fields, the header has 6",
    ]


def test_bad_rows_are_refused_with_their_physical_line(tmp_path):
    path = write(tmp_path / "orders.csv", BAD_ORDERS)
    with CsvFile(path, "orders") as csv_file:
        rows = list(csv_file)
        assert (csv_file.rows_read, csv_file.rows_refused) == (8, 5)
    assert [str(row) for row in rows if isinstance(row, Refusal)] == bad_order_messages(path)
    kept = [row for row in rows if not isinstance(row, Refusal)]
    assert [row.external_id for row in kept] == ["B1", "B2", "B6"]
    assert kept[1].discount_code == "multi\nline\ncode"


def test_customer_rows_refused_for_bad_values(tmp_path):
    path = write(
        tmp_path / "c.csv",
        "external_id,email,latitude,accepts_sms_marketing,country,loyalty_points,birth_date\n"
        "X1,not-an-email,91,maybe,France,-3,14/06/1985\n"
        f"{'X' * 256},a@b.fr,,,,,\n",
    )
    first, second = read_all(path, "customers")
    assert str(first) == (
        f"{path}:2: email: not an email address: 'not-an-email'; latitude: must be between "
        "-90 and 90; accepts_sms_marketing: not a yes/no value: 'maybe' (use true/false, "
        "1/0, yes/no); country: expected a 2-letter ISO code such as FR, got 'FRANCE'; "
        "loyalty_points: must be 0 or more, got '-3'; birth_date: not an ISO 8601 date "
        "(YYYY-MM-DD): '14/06/1985'"
    )
    assert str(second) == f"{path}:3: external_id: longer than 255 characters"


def test_a_line_that_is_not_utf8_is_refused_alone(tmp_path):
    path = tmp_path / "c.csv"
    path.write_bytes(b"external_id,city\nU1,Nantes\nU2,Saint-\xc9tienne\nU3,Orl\xc3\xa9ans\n")
    rows = read_all(path, "customers")
    assert str(rows[1]) == f"{path}:3: not UTF-8 text: save the file as UTF-8"
    assert rows[2].city == "Orléans"


@pytest.mark.parametrize(
    ("kind", "header", "message"),
    [
        ("customers", "email,first_name", "missing required column external_id"),
        ("orders", "External_ID,total", "missing required column created_at"),
        ("orders", "total", "missing required columns external_id, created_at"),
        ("lines", "order_external_id,quantity", "a lines file needs one of the columns"),
        ("customers", "external_id,Email,email ", "column 'email' appears twice (columns 2 and 3)"),
    ],
)
def test_a_file_without_its_required_columns_is_refused_whole(tmp_path, kind, header, message):
    path = write(tmp_path / "f.csv", header + "\nA,B,C\n")
    with pytest.raises(CsvFileError) as error:
        CsvFile(path, kind)
    assert str(error.value).startswith(f"{path}:1: {message}")


def test_an_empty_file_has_no_header(tmp_path):
    path = write(tmp_path / "empty.csv", "")
    with pytest.raises(CsvFileError, match=r"empty.csv:1: no header line"):
        CsvFile(path, "customers")


# --- importing (both databases) ----------------------------------------------------------


def table_contents(db, shop_id: int) -> dict:
    """Every column of every imported row: what "nothing changed" is checked against."""
    db.expire_all()
    contents = {}
    for table in (Customer, Order, OrderLine):
        rows = db.scalars(select(table).where(table.shop_id == shop_id).order_by(table.id))
        contents[table.__tablename__] = [
            {column.key: getattr(row, column.key) for column in table.__table__.columns}
            for row in rows
        ]
    return contents


def good_files(tmp_path: Path) -> dict[str, str]:
    for name in ("customers.csv", "orders.csv", "lines.csv"):
        shutil.copy(DATA / name, tmp_path / name)
    return {kind: str(tmp_path / f"{kind}.csv") for kind in ("customers", "orders", "lines")}


def cli_args(files: dict[str, str]) -> list[str]:
    return [item for kind, path in files.items() for item in (f"--{kind}", path)]


def test_import_customers_orders_and_lines(cli_runner, db, shop, tmp_path):
    files = good_files(tmp_path)
    result = cli_runner("import-csv", "--shop", DOMAIN, *cli_args(files))
    assert result.exit_code == 0, result.output
    assert f"{files['customers']}: 3 read, 3 imported, 0 refused (3 new" in result.stdout
    assert f"{files['orders']}: 4 read, 4 imported, 0 refused (4 new" in result.stdout
    assert f"{files['lines']}: 6 read, 6 imported, 0 refused" in result.stdout
    assert f"{files['lines']}: 6 rows done in" in result.stderr

    customers = {
        c.external_id: c for c in db.scalars(select(Customer).where(Customer.shop_id == shop.id))
    }
    alice = customers["C1"]
    assert sorted(alice.tags) == ["newsletter", "vip"]
    assert alice.attributes == {"favorite_chocolate": "dark"}
    assert alice.created_date == date(2024, 1, 10)
    # Statistics: O1 (45.50, 2026-03-01 10:00 +01:00) and O2 (20, a bare local date).
    assert alice.orders_count == 2
    assert alice.total_spent == Decimal("65.50")
    assert alice.first_order_at == datetime(2026, 3, 1, 9)
    assert alice.last_order_at == datetime(2026, 3, 14, 23)
    assert alice.last_order_date == date(2026, 3, 15)
    # Bob's only order is cancelled: it does not count.
    assert customers["C2"].orders_count == 0
    assert customers["C3"].created_at == datetime(2026, 6, 30, 22)
    assert customers["C3"].created_date == date(2026, 7, 1)
    # The guest order made a guest profile for its email.
    assert customers["guest:guest@example.fr"].is_guest
    assert customers["guest:guest@example.fr"].orders_count == 1

    lines = db.scalars(
        select(OrderLine)
        .where(OrderLine.shop_id == shop.id)
        .order_by(OrderLine.order_external_id, OrderLine.line_key)
    ).all()
    # O2 had two rows for product P1 without line_id: one line, the later row winning.
    assert [(x.order_external_id, x.line_key, x.quantity, x.unit_price) for x in lines] == [
        ("O1", "P1", 2, Decimal("12.75")),
        ("O1", "P2", 1, Decimal("20.00")),
        ("O2", "P1", 2, Decimal("10.00")),
        ("O3", "Coffret découverte", 1, Decimal("99.90")),
        ("O4", "P3", 3, Decimal("10.00")),
    ]
    assert all(x.order_id is not None for x in lines)

    runs = db.scalars(select(SyncRun).where(SyncRun.shop_id == shop.id).order_by(SyncRun.id)).all()
    assert [(r.stream, r.status, r.records_done, r.errors_count) for r in runs] == [
        ("csv:customers", "succeeded", 3, 0),
        ("csv:orders", "succeeded", 4, 0),
        ("csv:lines", "succeeded", 6, 0),
    ]
    assert all(r.heartbeat_at and r.started_at and r.finished_at for r in runs)


def test_importing_the_same_files_twice_changes_nothing(cli_runner, db, shop, tmp_path):
    files = good_files(tmp_path)
    assert cli_runner("import-csv", "--shop", DOMAIN, *cli_args(files)).exit_code == 0
    before = table_contents(db, shop.id)
    assert len(before["customers"]) == 4 and len(before["order_lines"]) == 5
    again = cli_runner("import-csv", "--shop", DOMAIN, *cli_args(files))
    assert again.exit_code == 0, again.output
    assert f"{files['customers']}: 3 read, 3 imported, 0 refused (0 new, 0 updated, 3 unch" in (
        again.stdout
    )
    assert table_contents(db, shop.id) == before


def test_bad_lines_are_reported_and_the_rest_imported(cli_runner, db, shop, tmp_path):
    path = write(tmp_path / "orders.csv", BAD_ORDERS)
    result = cli_runner("import-csv", "--shop", DOMAIN, "--orders", path)
    assert result.exit_code == 1
    reported = [line for line in result.stderr.splitlines() if line.startswith(f"{path}:")]
    assert [line for line in reported if "rows done" not in line] == bad_order_messages(path)
    assert f"{path}: 8 read, 3 imported, 5 refused" in result.stdout
    stored = db.scalars(
        select(Order.external_id).where(Order.shop_id == shop.id).order_by(Order.external_id)
    ).all()
    assert stored == ["B1", "B2", "B6"]
    run = db.scalar(select(SyncRun).where(SyncRun.shop_id == shop.id))
    assert (run.status, run.records_done, run.errors_count) == ("succeeded", 3, 5)
    assert run.last_error == bad_order_messages(path)[-1]


def test_semicolon_files_with_bom_import(cli_runner, db, shop):
    result = cli_runner(
        "import-csv",
        "--shop",
        DOMAIN,
        "--customers",
        str(DATA / "customers_semicolon.csv"),
        "--orders",
        str(DATA / "orders_semicolon.csv"),
    )
    assert result.exit_code == 1  # SO2's "1 000,00" is refused
    customer = db.scalar(
        select(Customer).where(Customer.shop_id == shop.id, Customer.external_id == "S1")
    )
    assert customer.orders_count == 1 and customer.total_spent == Decimal("12.50")
    assert customer.latitude == pytest.approx(47.2184)


def test_unknown_order_columns_are_named_and_ignored(cli_runner, db, shop, tmp_path):
    path = write(tmp_path / "orders.csv", "external_id,created_at,Note\nN1,2026-01-05,x\n")
    result = cli_runner("import-csv", "--shop", DOMAIN, "--orders", path)
    assert result.exit_code == 0, result.output
    assert f"{path}: columns ignored (not part of the orders format): Note" in result.stderr
    order = db.scalar(select(Order).where(Order.shop_id == shop.id))
    assert (order.external_id, order.created_date, order.currency) == (
        "N1",
        date(2026, 1, 5),
        "EUR",
    )


def test_a_missing_required_column_imports_nothing(cli_runner, db, shop, tmp_path):
    customers = write(tmp_path / "customers.csv", "external_id,email\nA1,a@b.fr\n")
    orders = write(tmp_path / "orders.csv", "external_id,total\nO1,10\n")
    result = cli_runner(
        "import-csv", "--shop", DOMAIN, "--customers", customers, "--orders", orders
    )
    assert result.exit_code == 1
    assert f"{orders}:1: missing required column created_at" in result.stderr
    assert db.scalars(select(Customer).where(Customer.shop_id == shop.id)).all() == []
    runs = db.scalars(select(SyncRun).where(SyncRun.shop_id == shop.id)).all()
    assert {run.status for run in runs} == {"failed"}
    assert all("missing required column created_at" in run.last_error for run in runs)


def test_an_unknown_shop_needs_create(cli_runner, db, tmp_path):
    files = good_files(tmp_path)
    refused = cli_runner("import-csv", "--shop", "boutique.example", *cli_args(files))
    assert refused.exit_code == 1
    assert "no shop with domain boutique.example: add --create" in refused.stderr
    assert db.scalars(select(Customer)).all() == []

    created = cli_runner(
        "import-csv",
        "--shop",
        "boutique.example",
        "--create",
        "--timezone",
        "America/New_York",
        "--currency",
        "usd",
        *cli_args(files),
    )
    assert created.exit_code == 0, created.output
    shop = db.scalar(select(Shop).where(Shop.domain == "boutique.example"))
    assert (shop.platform, shop.timezone, shop.currency) == ("csv", "America/New_York", "USD")
    claire = db.scalar(
        select(Customer).where(Customer.shop_id == shop.id, Customer.external_id == "C3")
    )
    assert claire.created_at == datetime(2026, 7, 1, 4)  # midnight in New York
    order = db.scalar(select(Order).where(Order.shop_id == shop.id, Order.external_id == "O2"))
    assert order.currency == "USD"  # the shop's currency where the file gives none


def test_import_as_a_job(settings, db, shop, tmp_path):
    files = good_files(tmp_path)
    handle = enqueue(settings, import_files, shop.id, **files)
    assert handle.result["ok"] is True
    assert [f["imported"] for f in handle.result["files"]] == [3, 4, 6]
    assert db.scalar(select(Customer).where(Customer.external_id == "C1")).orders_count == 2

    broken = write(tmp_path / "broken.csv", "email\n")
    result = enqueue(settings, import_files, shop.id, customers=broken).result
    assert result["ok"] is False and "missing required column external_id" in result["error"]


def wide_customers(path: Path, rows: int, first: int = 0) -> int:
    """A customers file of `rows` rows of about 8 KB each; returns its size in bytes."""
    notes = "n" * 8000
    with path.open("w") as out:
        out.write("external_id,email,created_at,notes\n")
        for number in range(first, first + rows):
            out.write(f"K{number},k{number}@example.fr,2026-01-01,{notes}\n")
    return path.stat().st_size


def test_import_job_through_redis_and_a_real_worker(redis_settings, db, shop, tmp_path):
    files = good_files(tmp_path)
    handle = enqueue(redis_settings, import_files, shop.id, job_id=f"csv-{shop.id}", **files)
    assert not handle.inline
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CIBLE_")}
    environment.update(
        CIBLE_DATABASE_URL=redis_settings.database_url,
        CIBLE_REDIS_URL=redis_settings.redis_url,
        CIBLE_QUEUE_NAME=redis_settings.queue_name,
        CIBLE_SECRET_KEY=redis_settings.secret_key,
        CIBLE_INSTANCE_PATH=str(redis_settings.instance_path),
    )
    cible = str(Path(sys.executable).with_name("cible"))
    worker = subprocess.run(
        [cible, "worker", "--burst"], env=environment, capture_output=True, text=True, timeout=120
    )
    assert worker.returncode == 0, worker.stderr
    result = Job.fetch(handle.id, connection=rq_queue(redis_settings).connection).return_value()
    assert result["ok"] and [f["imported"] for f in result["files"]] == [3, 4, 6]
    runs = db.scalars(select(SyncRun).where(SyncRun.shop_id == shop.id)).all()
    assert {(run.status, run.job_id) for run in runs} == {("succeeded", f"csv-{shop.id}")}
    assert db.scalar(select(Customer).where(Customer.external_id == "C1")).orders_count == 2


def test_a_large_file_streams_in_flat_memory(settings, backend, shop, tmp_path):
    """A ~20 MB file is imported with a peak of Python memory far below its size.

    A small import first warms the caches (SQL compilation, imports) so the traced peak
    is what the file itself costs: one batch in flight, whatever the number of rows.
    Streaming is the same code on every database; under tracemalloc PostgreSQL's run
    takes three times as long, so it is measured on SQLite only.
    """
    if backend != "sqlite":
        pytest.skip("streaming is measured on SQLite (same code path, faster under tracing)")
    sessions = session_factory(settings.database_url)
    options = {"batch_size": 50, "report": lambda _message: None}
    wide_customers(tmp_path / "warm.csv", 100, first=1_000_000)
    import_csv(sessions, shop.id, customers=str(tmp_path / "warm.csv"), **options)
    size = wide_customers(tmp_path / "big.csv", 2_500)
    assert size > 20_000_000
    tracemalloc.start()
    try:
        outcome = import_csv(sessions, shop.id, customers=str(tmp_path / "big.csv"), **options)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert outcome.files[0].imported == 2_500
    assert peak < size / 5, f"peak {peak:,} bytes for a {size:,}-byte file"


def test_progress_is_reported_as_rows_go(settings, shop, tmp_path):
    path = tmp_path / "customers.csv"
    wide_customers(path, 5)
    messages: list[str] = []
    outcome = import_csv(
        session_factory(settings.database_url),
        shop.id,
        customers=str(path),
        batch_size=2,
        progress_every=2,
        report=messages.append,
    )
    assert outcome.ok and outcome.files[0].imported == 5
    progress = [m.split(" in ")[0] for m in messages]
    assert progress == [
        f"{path}: 2 rows so far",
        f"{path}: 4 rows so far",
        f"{path}: 5 rows done",
    ]
    assert all(m.endswith(" rows/s)") for m in messages)


def test_a_record_ingest_refuses_is_refused_alone(settings, db, shop, tmp_path, monkeypatch):
    """Should ingest refuse a row the schema let through, that row alone is set aside."""
    from sync import csv_import
    from sync.ingest import IngestError, upsert_customers

    def picky(session, shop, customers, **options):
        customers = list(customers)
        for customer in customers:
            if customer.external_id == "C2":
                raise IngestError(shop.domain, "customer", "C2", "refused by ingest")
        return upsert_customers(session, shop, customers, **options)

    monkeypatch.setitem(csv_import.UPSERTS, "customers", picky)
    files = good_files(tmp_path)
    outcome = import_csv(
        session_factory(settings.database_url),
        shop.id,
        customers=files["customers"],
        report=lambda _message: None,
    )
    assert outcome.refusals == [f"{files['customers']}:3: refused by ingest"]
    assert (outcome.files[0].imported, outcome.files[0].refused) == (2, 1)
    stored = db.scalars(select(Customer.external_id).where(Customer.shop_id == shop.id)).all()
    assert sorted(stored) == ["C1", "C3"]


def test_a_database_failure_fails_the_runs_left(settings, db, shop, tmp_path, monkeypatch):
    from sync import csv_import

    def broken(*_args, **_options):
        raise RuntimeError("database went away")

    monkeypatch.setitem(csv_import.UPSERTS, "orders", broken)
    files = good_files(tmp_path)
    with pytest.raises(RuntimeError, match="database went away"):
        import_csv(session_factory(settings.database_url), shop.id, report=lambda _m: None, **files)
    runs = db.scalars(select(SyncRun).where(SyncRun.shop_id == shop.id).order_by(SyncRun.id)).all()
    assert [(r.stream, r.status) for r in runs] == [
        ("csv:customers", "succeeded"),
        ("csv:orders", "failed"),
        ("csv:lines", "failed"),
    ]
    assert runs[1].last_error == "database went away"
    assert runs[2].last_error == f"not imported: {files['orders']} failed first"
    assert db.scalars(select(Order).where(Order.shop_id == shop.id)).all() == []
    assert len(db.scalars(select(Customer).where(Customer.shop_id == shop.id)).all()) == 3
