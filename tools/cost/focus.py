"""FOCUS billing exports (CSV or Parquet, files or folders) queried in place with DuckDB.

Each configured path becomes a DuckDB view that normalises the FOCUS 1.0–1.2 columns we use
(cost, currency, charge day, provider, service, category, region, account, tags) without copying
the data: queries run over the files themselves. Real exports are not always compliant, so the
view tolerates the quirks seen in the FinOps Foundation's own samples: ``NULL``/``null`` written as
a string, timestamps with a space instead of ``T`` and no ``Z`` (or no seconds), US short dates
(``4/1/25``, read month first unless a day above 12 comes first), amounts written as ``"$10,000.00 "``,
a UTF-8 BOM, CRLF line endings and blank lines, extra non-FOCUS columns, tag keys with stray
spaces, and a rounded ``EffectiveCost``. Rows whose cost or charge date cannot be parsed are
excluded from sums but counted, with the file and line of the first few, so that every answer can
say what it left out. A missing dimension value is shown as ``(not set)``, never guessed.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

# Columns we need from every export, with the alternatives used by other FOCUS versions.
REQUIRED = {
    "BilledCost": ("BilledCost",),
    "BillingCurrency": ("BillingCurrency", "BilledCurrency"),
    "ChargePeriodStart": ("ChargePeriodStart",),
}
# FOCUS 0.5 names (ChargeType, Provider, Region) and 1.3's ServiceProviderName are accepted too.
OPTIONAL = {
    "EffectiveCost": ("EffectiveCost",),
    "ListCost": ("ListCost",),
    "ChargeCategory": ("ChargeCategory", "ChargeType"),
    "PricingCategory": ("PricingCategory",),
    "ProviderName": ("ProviderName", "ServiceProviderName", "Provider", "PublisherName"),
    "ServiceCategory": ("ServiceCategory",),
    "ServiceName": ("ServiceName",),
    "RegionId": ("RegionId", "Region"),
    "RegionName": ("RegionName",),
    "SubAccountName": ("SubAccountName",),
    "SubAccountId": ("SubAccountId",),
    "ResourceName": ("ResourceName",),
    "ResourceId": ("ResourceId",),
    "ResourceType": ("ResourceType",),
    "AvailabilityZone": ("AvailabilityZone",),
    "BillingAccountName": ("BillingAccountName",),
    "BillingAccountId": ("BillingAccountId",),
    "InvoiceIssuerName": ("InvoiceIssuerName", "InvoiceIssuer"),
    "PublisherName": ("PublisherName", "Publisher"),
    "ChargeDescription": ("ChargeDescription",),
    "ChargeFrequency": ("ChargeFrequency",),
    "CommitmentDiscountType": ("CommitmentDiscountType",),
    "CommitmentDiscountCategory": ("CommitmentDiscountCategory",),
    "SkuId": ("SkuId",),
    "BillingPeriodStart": ("BillingPeriodStart",),
    "Tags": ("Tags",),
}
NULL_STRINGS = ["NULL", "null", "Null", ""]
DATA_SUFFIXES = (".csv", ".csv.gz", ".parquet", ".pq")
MISSING = "(not set)"
# Bumped whenever the normalised schema changes, so stale Parquet caches are not reused.
CACHE_VERSION = "4"


class FocusFormatError(ValueError):
    """A file is not a FOCUS export: the message names the file and the missing columns."""


@dataclass
class BadRows:
    unparseable_cost: int = 0
    unparseable_date: int = 0
    examples: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.unparseable_cost + self.unparseable_date

    def note(self) -> str | None:
        if not self.total:
            return None
        parts = []
        if self.unparseable_cost:
            parts.append(f"{self.unparseable_cost} with an unparseable cost")
        if self.unparseable_date:
            parts.append(f"{self.unparseable_date} with an unparseable charge date")
        ex = f" (e.g. {'; '.join(self.examples[:3])})" if self.examples else ""
        return f"{self.total} billing rows were left out: {', '.join(parts)}{ex}."


@dataclass
class FocusFile:
    path: Path
    kind: str  # csv | parquet
    columns: dict[str, str]  # canonical name -> actual column name (or "" when absent)
    types: dict[str, str]
    scan: Path | None = None  # a Parquet copy of a large CSV, scanned instead of the CSV
    day_first: bool = False  # slash dates are D/M/Y (a first part above 12 was seen), else M/D/Y


def _scan(ff: FocusFile) -> str:
    """The table function that reads this file's raw rows."""
    return _reader(ff.path)[1]


def discover(paths: list[str | Path]) -> list[Path]:
    """Every data file under the given files and folders, sorted, so views are reproducible."""
    out: list[Path] = []
    for raw in paths:
        p = Path(raw).expanduser()
        if p.is_dir():
            out.extend(sorted(f for f in p.rglob("*") if f.is_file() and f.name.lower().endswith(DATA_SUFFIXES)))
        elif p.is_file():
            out.append(p)
        else:
            raise FileNotFoundError(f"FOCUS source {p} does not exist")
    return out


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _reader(f: Path) -> tuple[str, str]:
    name = f.name.lower()
    if name.endswith((".parquet", ".pq")):
        return "parquet", f"read_parquet({_lit(str(f))})"
    nulls = "[" + ", ".join(_lit(s) for s in NULL_STRINGS) + "]"
    return "csv", (
        f"read_csv({_lit(str(f))}, header=true, all_varchar=true, nullstr={nulls}, "
        "quote='\"', escape='\"', strict_mode=false)"
    )


def inspect_file(con: Any, f: Path) -> FocusFile:
    kind, reader = _reader(f)
    try:
        described = con.execute(f"DESCRIBE SELECT * FROM {reader}").fetchall()
    except Exception as exc:
        raise FocusFormatError(f"{f}: cannot be read as {kind.upper()}: {exc}") from exc
    actual = {row[0]: str(row[1]) for row in described}
    lower = {name.strip().lower(): name for name in actual}
    columns: dict[str, str] = {}
    missing = []
    for canonical, options in {**REQUIRED, **OPTIONAL}.items():
        found = next((lower[o.lower()] for o in options if o.lower() in lower), "")
        columns[canonical] = found
        if canonical in REQUIRED and not found:
            missing.append(canonical)
    if missing:
        from tools.cost.native import identify

        found = f"found {len(actual)} columns: {', '.join(list(actual)[:12])}{'…' if len(actual) > 12 else ''}"
        native = identify(list(actual))
        if native is not None:
            raise FocusFormatError(
                f"{f} is {native.name}, not a FOCUS cost and usage export: it has no FOCUS column(s) "
                f"{', '.join(missing)} ({found}). To use it, {native.how}."
            )
        raise FocusFormatError(f"{f} is not a FOCUS billing export: missing column(s) {', '.join(missing)} ({found})")
    ff = FocusFile(f, kind, columns, {c: actual[a] for c, a in columns.items() if a})
    ff.day_first = _day_first(con, ff, reader)
    return ff


def _day_first(con: Any, ff: FocusFile, reader: str) -> bool:
    """Whether the file's slash dates put the day first: only when some first part exceeds 12."""
    if ff.types.get("ChargePeriodStart", "").upper() != "VARCHAR":
        return False
    col = _q(ff.columns["ChargePeriodStart"])
    first = con.execute(
        f"SELECT max(TRY_CAST(split_part(trim({col}), '/', 1) AS INTEGER)) FROM {reader} "
        f"WHERE regexp_matches(trim({col}), '^\\d{{1,2}}/\\d{{1,2}}/\\d{{2,4}}')"
    ).fetchone()[0]
    return bool(first and first > 12)


def _text(ff: FocusFile, canonical: str, default: str = "NULL") -> str:
    col = ff.columns.get(canonical)
    if not col:
        return default
    return f"NULLIF(trim(CAST({_q(col)} AS VARCHAR)), '')"


def _number(ff: FocusFile, canonical: str) -> str:
    col = ff.columns.get(canonical)
    if not col:
        return "NULL::DOUBLE"
    if ff.types.get(canonical, "").upper() in ("DOUBLE", "FLOAT", "REAL", "BIGINT", "INTEGER") or ff.types.get(
        canonical, ""
    ).upper().startswith("DECIMAL"):
        return f"CAST({_q(col)} AS DOUBLE)"
    # '"$10,000.00 "' and '(1.50)' as spreadsheets write them: currency symbols, thousands
    # separators and spaces go, parentheses mean a negative amount.
    text = f"regexp_replace(trim({_q(col)}), '^\\((.*)\\)$', '-\\1')"
    return f"TRY_CAST(regexp_replace({text}, '[$€£¥,\\s]', '', 'g') AS DOUBLE)"


def _timestamp(ff: FocusFile, canonical: str) -> str:
    col = ff.columns[canonical]
    t = ff.types.get(canonical, "").upper()
    if t.startswith("TIMESTAMP") or t == "DATE":
        return f"CAST({_q(col)} AS TIMESTAMP)"
    # ISO 8601 with T and Z, the sample's 'YYYY-MM-DD HH:MM:SS', or slash dates ('4/1/25',
    # '9/2/2023'): DuckDB would read '4/1/25' as the year 4, so slash dates are parsed explicitly,
    # two-digit years first. Only the day is used, so a time after a slash date is ignored.
    v = f"trim({_q(col)})"
    order = "%d/%m" if ff.day_first else "%m/%d"
    return (
        f"CASE WHEN regexp_matches({v}, '^\\d{{1,2}}/\\d{{1,2}}/\\d{{2,4}}') "
        f"THEN try_strptime(split_part({v}, ' ', 1), ['{order}/%y', '{order}/%Y']) "
        f"ELSE TRY_CAST(rtrim(replace({v}, 'T', ' '), 'Z') AS TIMESTAMP) END"
    )


def _tags(ff: FocusFile) -> str:
    col = ff.columns.get("Tags")
    if not col:
        return "NULL::VARCHAR"
    t = ff.types.get("Tags", "").upper()
    if t.startswith("MAP") or t.startswith("STRUCT"):
        return f"CAST(to_json({_q(col)}) AS VARCHAR)"
    return f"CAST({_q(col)} AS VARCHAR)"


# Normalised dimension column -> the FOCUS columns it is read from, first non-empty value wins.
DIMENSION_COLUMNS = {
    "provider": ("ProviderName",),
    "service_name": ("ServiceName",),
    "service_category": ("ServiceCategory",),
    "region": ("RegionId",),
    "region_name": ("RegionName",),
    "account": ("SubAccountName", "SubAccountId"),
    "resource": ("ResourceName", "ResourceId"),
    "resource_type": ("ResourceType",),
    "charge_category": ("ChargeCategory",),
    "pricing_category": ("PricingCategory",),
    "availability_zone": ("AvailabilityZone",),
    "billing_account": ("BillingAccountName", "BillingAccountId"),
    "invoice_issuer": ("InvoiceIssuerName",),
    "publisher": ("PublisherName",),
    "account_id": ("SubAccountId",),
    "charge_description": ("ChargeDescription",),
    "charge_frequency": ("ChargeFrequency",),
    "commitment_discount_type": ("CommitmentDiscountType",),
    "commitment_discount_category": ("CommitmentDiscountCategory",),
    "sku": ("SkuId",),
    "billing_period": ("BillingPeriodStart",),  # as YYYY-MM: the invoice month a charge belongs to
}
# Dimensions read from a timestamp column, shown as the month it falls in.
MONTH_DIMENSIONS = {"billing_period"}
NORMALISED = (
    "day",
    "billed_cost",
    "effective_cost",
    "list_cost",
    "currency",
    *DIMENSION_COLUMNS,
    "tags",
    "bad_cost",
    "bad_date",
)


def _dimension(ff: FocusFile, canonicals: tuple[str, ...]) -> str:
    return f"coalesce({', '.join(_text(ff, c) for c in canonicals)}, {_lit(MISSING)})"


def _month(ff: FocusFile, canonical: str) -> str:
    if not ff.columns.get(canonical):
        return _lit(MISSING)
    return f"coalesce(strftime(CAST({_timestamp(ff, canonical)} AS DATE), '%Y-%m'), {_lit(MISSING)})"


def _select_list(ff: FocusFile) -> str:
    billed = _number(ff, "BilledCost")
    ts = _timestamp(ff, "ChargePeriodStart")
    dims = "".join(
        f"\n  {_month(ff, cols[0]) if name in MONTH_DIMENSIONS else _dimension(ff, cols)} AS {name},"
        for name, cols in DIMENSION_COLUMNS.items()
    )
    return f"""
  CAST({ts} AS DATE) AS day,
  {billed} AS billed_cost,
  {_number(ff, "EffectiveCost")} AS effective_cost,
  {_number(ff, "ListCost")} AS list_cost,
  coalesce({_text(ff, "BillingCurrency")}, {_lit(MISSING)}) AS currency,{dims}
  {_tags(ff)} AS tags,
  ({billed} IS NULL AND {_text(ff, "BilledCost")} IS NOT NULL) AS bad_cost,
  ({ts} IS NULL) AS bad_date"""


def normalised_select(ff: FocusFile, index: int) -> str:
    """One file as rows of the normalised schema, with flags for unparseable cost and date."""
    if ff.scan is not None:  # the cache already holds normalised rows
        return f"SELECT {index} AS file_index, {', '.join(NORMALISED)} FROM read_parquet({_lit(str(ff.scan))})"
    return f"SELECT {index} AS file_index, {_select_list(ff)}\nFROM {_reader(ff.path)[1]}"


@dataclass
class FocusDataset:
    """The configured FOCUS exports as one DuckDB view ``focus`` (good rows) plus validation facts."""

    paths: list[str]
    files: list[FocusFile]
    con: Any
    bad: BadRows
    rows: int
    errors: list[str]
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def source(self) -> str:
        names = sorted({str(f.path.parent) if len(self.files) > 3 else str(f.path) for f in self.files})
        return "FOCUS export: " + ", ".join(names)

    def query(self, sql: str, params: list[Any] | None = None) -> list[tuple]:
        with self.lock:  # one DuckDB connection; queries are short, so serialise them
            return self.con.execute(sql, params or []).fetchall()

    def date_range(self) -> tuple[date | None, date | None]:
        row = self.query("SELECT min(day), max(day) FROM focus")[0]
        return row[0], row[1]

    def currencies(self) -> list[str]:
        return [r[0] for r in self.query("SELECT DISTINCT currency FROM focus ORDER BY 1")]


def _cache_csv(con: Any, ff: FocusFile, cache_dir: Path) -> Path:
    """The normalised rows of a big CSV as Parquet, keyed by the CSV's path, size and mtime.

    Parsing a CSV costs seconds per million rows on every query; the columnar copy makes the
    same queries take tens of milliseconds. The copy keeps each row's CSV line and, for rows that
    cannot be used, their raw cost and date, so they are still counted and located.
    """
    import hashlib
    import os

    stat = ff.path.stat()
    key = hashlib.sha256(f"{CACHE_VERSION}|{ff.path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}".encode()).hexdigest()[
        :16
    ]
    target = cache_dir / f"{ff.path.stem}-{key}.parquet"
    if not target.exists():
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
        bad = (
            f"(({_number(ff, 'BilledCost')} IS NULL AND {_text(ff, 'BilledCost')} IS NOT NULL) "
            f"OR {_timestamp(ff, 'ChargePeriodStart')} IS NULL)"
        )
        con.execute(
            f"COPY (SELECT row_number() OVER () + 1 AS _line, {_select_list(ff)}, "
            f"CASE WHEN {bad} THEN {_text(ff, 'BilledCost')} END AS raw_cost, "
            f"CASE WHEN {bad} THEN {_text(ff, 'ChargePeriodStart')} END AS raw_date "
            f"FROM {_reader(ff.path)[1]}) TO {_lit(str(tmp))} (FORMAT parquet)"
        )
        os.replace(tmp, target)
    return target


def open_dataset(
    paths: list[str | Path],
    *,
    memory_limit: str = "1GB",
    threads: int = 2,
    cache_dir: Path | None = None,
    cache_min_bytes: int = 20_000_000,
) -> FocusDataset:
    """Create the DuckDB views over the exports and count the rows that cannot be used.

    Parquet files and small CSVs are queried in place. CSVs of ``cache_min_bytes`` or more get a
    Parquet copy under ``cache_dir`` (when given), refreshed when the CSV changes.
    A file that is not FOCUS is reported in ``errors`` (naming its missing columns) and the
    others still load; if no file at all is usable the error is raised.
    """
    import duckdb

    files = discover(paths)
    con = duckdb.connect(":memory:", config={"memory_limit": memory_limit, "threads": threads})
    inspected: list[FocusFile] = []
    errors: list[str] = []
    for f in files:
        try:
            ff = inspect_file(con, f)
        except FocusFormatError as exc:
            errors.append(str(exc))
            continue
        if cache_dir is not None and ff.kind == "csv" and f.stat().st_size >= cache_min_bytes:
            ff.scan = _cache_csv(con, ff, cache_dir)
        inspected.append(ff)
    if not inspected:
        detail = "; ".join(errors) if errors else f"no CSV or Parquet files under {', '.join(map(str, paths))}"
        raise FocusFormatError(detail)
    union = "\nUNION ALL BY NAME\n".join(normalised_select(ff, i) for i, ff in enumerate(inspected))
    con.execute(f"CREATE VIEW focus_raw AS {union}")
    con.execute(
        "CREATE VIEW focus AS SELECT * EXCLUDE (bad_cost, bad_date) FROM focus_raw "
        "WHERE NOT bad_cost AND NOT bad_date AND billed_cost IS NOT NULL"
    )
    total, bad_cost, bad_date = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE bad_cost), count(*) FILTER (WHERE bad_date AND NOT bad_cost) "
        "FROM focus_raw"
    ).fetchone()
    bad = BadRows(int(bad_cost), int(bad_date))
    if bad.total:
        bad.examples = _bad_examples(con, inspected)
    return FocusDataset([str(p) for p in paths], inspected, con, bad, int(total), errors)


def _bad_examples(con: Any, files: list[FocusFile], limit: int = 3) -> list[str]:
    """File, line and value of the first unusable rows (line = data row + 1 for the CSV header)."""
    out: list[str] = []
    for ff in files:
        if ff.scan is not None:
            rows = con.execute(
                f"SELECT _line - 1, bad_cost, raw_cost, raw_date FROM read_parquet({_lit(str(ff.scan))}) "
                f"WHERE bad_cost OR bad_date ORDER BY _line LIMIT {limit - len(out)}"
            ).fetchall()
            _describe_bad(ff, rows, out)
            if len(out) >= limit:
                break
            continue
        reader = _scan(ff)
        billed, raw_cost = _number(ff, "BilledCost"), _text(ff, "BilledCost")
        ts, raw_date = _timestamp(ff, "ChargePeriodStart"), _text(ff, "ChargePeriodStart")
        rows = con.execute(
            f"SELECT rn, bad_cost, raw_cost, raw_date FROM (SELECT row_number() OVER () AS rn, "
            f"({billed} IS NULL AND {raw_cost} IS NOT NULL) AS bad_cost, ({ts} IS NULL) AS bad_date, "
            f"{raw_cost} AS raw_cost, {raw_date} AS raw_date FROM {reader}) "
            f"WHERE bad_cost OR bad_date ORDER BY rn LIMIT {limit - len(out)}"
        ).fetchall()
        _describe_bad(ff, rows, out)
        if len(out) >= limit:
            break
    return out


def _describe_bad(ff: FocusFile, rows: list[tuple], out: list[str]) -> None:
    for rn, is_cost, raw_cost_value, raw_date_value in rows:
        line = rn + 1 if ff.kind == "csv" else rn
        where = f"{ff.path.name} {'line' if ff.kind == 'csv' else 'row'} {line}"
        out.append(
            f"{where}: BilledCost {raw_cost_value!r}" if is_cost else f"{where}: ChargePeriodStart {raw_date_value!r}"
        )
