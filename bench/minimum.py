"""The fewest API calls the batch sizes allow, and the wall time the rate limits allow.

Reads, per stream, for n records the phase had to deliver (full history: everything the CRM
holds; an increment: what changed since the last read, leadsync's own writes included):

    HubSpot contacts          ceil(n / 100) list calls (full history), ceil(n / 200) searches
    page_views                ceil(n / events_page_size)
    email_events              ceil(n / email_events_page_size)
    form_submissions          sum over forms of ceil(n_form / 50), at least 1 per form
                              (the API reads one form at a time) + 1 forms list (overhead);
                              an increment adds 1 search (overhead), and is only that when
                              nobody converted
    meetings, calls, ...      ceil(n / 200) searches + ceil(n / 1000) association reads
    Salesforce objects        ceil(n / 2000) SOQL pages (Bulk API 2.0 when that is fewer)

Every stream costs at least 1 call even when nothing changed. Writes: HubSpot ceil(u / 100)
updates + ceil(c / 100) creates + 2 ceil(b / 100) for b backward lifecycle moves (clear first,
read back); Salesforce ceil(u / 200) + ceil(c / 200) sObject Collections calls (a collection
may mix Leads and Contacts).

Rate-limit floor: HubSpot searches / 5 per s + other calls / 19 per s (190 per 10 s);
Salesforce has no short-window limit (floor 0). The CRMs are read at once, so a phase's floor
is the larger one: HubSpot's (reported as the sum, which is the same while Salesforce's is 0). The first 10 s may burst 190 calls, so a phase of a few hundred calls can
finish under this floor; over thousands of calls the burst is noise.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from math import ceil

from leadsync.connectors.hubspot import HubSpotSettings
from leadsync.connectors.salesforce import SalesforceSettings

FORMULA = (
    "floor = HubSpot searches / {search}/s + other HubSpot calls / {other}/s "
    "+ Salesforce 0 (no short-window limit); the CRMs are read at once"
)


@dataclass(frozen=True)
class Minimum:
    calls: int
    overhead: int = 0  # unavoidable calls that move no records (forms list, provisioning)


@dataclass(frozen=True)
class Limits:
    hubspot: HubSpotSettings
    salesforce: SalesforceSettings
    query_page: int = 2000
    forms: int = 0

    def read(self, system: str, stream: str, needed: int, *, full: bool,
             by_form: Mapping[str, int] | None = None) -> Minimum:  # fmt: skip
        if system == "hubspot":
            return self._hubspot(stream, needed, full, by_form or {})
        sf = self.salesforce
        soql = max(1, ceil(needed / self.query_page))
        bulk = 3 + ceil(needed / sf.bulk_page_size)  # first query, job, one poll, pages
        if needed > sf.bulk_threshold and bulk < soql:
            return Minimum(bulk, overhead=1)  # the describe that types the CSV
        return Minimum(soql)

    def _hubspot(self, stream: str, n: int, full: bool, by_form: Mapping[str, int]) -> Minimum:
        hs = self.hubspot
        if stream == "contacts":
            return Minimum(max(1, ceil(n / (hs.list_page_size if full else hs.search_page_size))))
        if stream == "page_views":
            return Minimum(max(1, ceil(n / hs.events_page_size)))
        if stream == "email_events":
            return Minimum(max(1, ceil(n / hs.email_events_page_size)))
        if stream == "form_submissions":
            # An increment first asks search whether anyone converted (`form_probe`).
            probe = 0 if full or not hs.form_probe else 1
            if probe and not n:
                return Minimum(0, overhead=probe)
            forms = max(self.forms, len(by_form))
            pages = sum(ceil(count / hs.form_page_size) for count in by_form.values())
            listed = 0 if hs.form_ids else 1
            unread = pages + forms - sum(1 for c in by_form.values() if c)
            return Minimum(unread, overhead=listed + probe)
        searches = max(1, ceil(n / hs.search_page_size))
        return Minimum(searches + ceil(n / hs.association_batch_size))

    def writes(self, system: str, updates: int, creates: int, moves: int) -> Minimum:
        if system == "hubspot":
            size = self.hubspot.batch_size
            checks = 2 if self.hubspot.write_lifecycle_readback else 1
            return Minimum(
                ceil(updates / size) + ceil(creates / size) + checks * ceil(moves / size)
            )
        size = self.salesforce.batch_size
        return Minimum(ceil(updates / size) + ceil(creates / size))

    def floor(self, system: str, calls: Counter[str]) -> float:
        """Seconds the rate limits need for these calls (route -> count)."""
        if system != "hubspot":
            return 0.0
        searches = sum(n for route, n in calls.items() if route.endswith("/search"))
        other = sum(calls.values()) - searches
        return searches / self.hubspot.search_per_second + other / self.per_second

    @property
    def per_second(self) -> float:
        return self.hubspot.ten_second_limit / 10

    def formula(self) -> str:
        return FORMULA.format(search=self.hubspot.search_per_second, other=f"{self.per_second:g}")
