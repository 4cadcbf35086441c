"""Recognising billing files that are not FOCUS, so the rejection says what the file is.

Providers' native exports (AWS CUR, Azure cost details, OCI cost reports, the Google Cloud billing
export) carry the same facts under other column names and with other semantics (which cost is
"billed", what a charge period is). They are not converted here: the FinOps Foundation's own
converter maps some of them in ways that disagree with FOCUS (its OCI rules read BilledCost from
``cost/myCostOverage``), and a plausible-looking wrong figure is worse than a clear refusal. The
message names the format, the FOCUS columns that are missing and where a FOCUS export comes from.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NativeFormat:
    name: str
    signature: tuple[str, ...]  # columns (lower-case) that together identify the format
    how: str  # where the same data comes as FOCUS


NATIVE_FORMATS = (
    NativeFormat(
        "an AWS Cost and Usage Report (legacy CUR)",
        ("lineitem/unblendedcost", "lineitem/usagestartdate"),
        "create a FOCUS export in AWS Data Exports (Billing and Cost Management)",
    ),
    NativeFormat(
        "an AWS CUR 2.0 export",
        ("line_item_unblended_cost", "line_item_usage_start_date"),
        "create a FOCUS export in AWS Data Exports (Billing and Cost Management)",
    ),
    NativeFormat(
        "an Azure cost details export (EA/MCA)",
        ("costinbillingcurrency", "metercategory"),
        "export 'Cost and usage details (FOCUS)' from Azure Cost Management",
    ),
    NativeFormat(
        "an Azure cost details export (pay-as-you-go)",
        ("pretaxcost", "metercategory"),
        "export 'Cost and usage details (FOCUS)' from Azure Cost Management",
    ),
    NativeFormat(
        "an OCI cost report",
        ("cost/mycost", "lineitem/intervalusagestart"),
        "use the FOCUS reports OCI writes to the same Object Storage bucket (FOCUS/ prefix)",
    ),
    NativeFormat(
        "a Google Cloud billing export",
        ("usage_start_time", "service.description"),
        "use the FOCUS view of the BigQuery billing export that Google Cloud documents",
    ),
    NativeFormat(
        "a Google Cloud billing report (CSV)",
        ("service description", "usage start date"),
        "use the FOCUS view of the BigQuery billing export that Google Cloud documents",
    ),
    NativeFormat(
        "a FOCUS contract commitment dataset (commitments, not charges)",
        ("contractcommitmentid",),
        "configure the FOCUS cost and usage dataset of the same export",
    ),
)


def identify(columns: list[str]) -> NativeFormat | None:
    """The native format whose signature columns are all present, if any."""
    present = {c.strip().lower() for c in columns}
    return next((f for f in NATIVE_FORMATS if all(s in present for s in f.signature)), None)
