"""What sales holds in Salesforce: Leads for part of the contacts, and the converted deals.

Sales sees only part of the funnel and does not agree with marketing about all of it: lead
statuses partly contradict HubSpot's stage, a few people have two Leads or a Lead and a
Contact with one email, and list imports and a data clean-up leave many records with the
same timestamps. Deals are converted Leads with Contact, Account, Opportunity and contact
role, or Contacts sales added by hand.
"""

from __future__ import annotations

from random import Random

from leadsync.sandbox.world import catalog as cat
from leadsync.sandbox.world import salesforce_activity as history
from leadsync.sandbox.world.activity import Campaign, Webinar
from leadsync.sandbox.world.catalog import Weighted
from leadsync.sandbox.world.formats import DAY_MS, HOUR_MS, MINUTE_MS, fold, salesforce_date
from leadsync.sandbox.world.org import Org, Record
from leadsync.sandbox.world.people import DEALS, JUNK, Person
from leadsync.sandbox.world.salesforce_activity import Held

# Chance that sales holds a record for a person of this profile.
PRESENCE = {
    "freemail": 0.08,
    "student": 0.05,
    "competitor": 0.2,
    "jobseeker": 0.02,
    "weak": 0.38,
    "mql": 0.85,
    "sql": 0.95,
}
_JUNK_STATUSES = (("Closed - Not Converted", 60), ("Open - Not Contacted", 40))
# A new org's four Lead Status values (an MQL waits "Open - Not Contacted" for sales).
STATUSES = {
    "junk": _JUNK_STATUSES,
    "weak": (
        ("Open - Not Contacted", 70),
        ("Closed - Not Converted", 25),
        ("Working - Contacted", 5),
    ),
    "worked": (("Working - Contacted", 70), ("Closed - Not Converted", 30)),
    "mql": (
        ("Open - Not Contacted", 75),
        ("Working - Contacted", 10),
        ("Closed - Not Converted", 15),
    ),
    "sql": (
        ("Working - Contacted", 85),
        ("Open - Not Contacted", 10),
        ("Closed - Not Converted", 5),
    ),
}
WEB_SOURCES = (("Web", 85), ("Partner Referral", 8), ("Phone Inquiry", 7))
DIRECT_DEAL_RATE = 0.2  # deals where sales added the Contact without a Lead
CONTACT_ON_KNOWN_ACCOUNT = 0.35  # people at a deal's company held as Contacts, not Leads
COLLEAGUE_ROLE_RATE = 0.25  # such Contacts added to the account's latest deal
DUPLICATE_LEAD_RATE = 0.015
RELAPSED_LEAD_RATE = 0.05  # Contacts who filled a form again and got a second record, a Lead
CLEANUP_DAYS_AGO = 9
_OPEN_STAGE_WEIGHTS = (20, 18, 15, 12, 10, 8, 10, 7)
_PRODUCTS = ("Commerce Platform", "Order Routing", "Catalog Sync", "Enterprise Suite")


def build(
    rng: Random, people: list[Person], now: int, mails: list[Campaign], webinars: list[Webinar]
) -> dict[str, list[Record]]:
    """All sObjects, each list in creation order."""
    sales = Sales(rng, Org(now))
    for person in people:
        if person.profile in DEALS:
            sales.deal(person)
    for person in people:
        chance = PRESENCE.get(person.profile, 0.0)
        # Imported lists go into both systems; people a rep worked are in Salesforce.
        wanted = rng.random() < chance or person.touches or person.imported
        if person.profile not in DEALS and wanted:
            sales.prospect(person)
    sales.duplicates(people)
    history.log_touches(rng, sales.org, sales.held, people)
    history.enrol(rng, sales.org, sales.held, people, mails, webinars)
    sales.clean_up()
    return sales.org.records()


class Sales:
    """Puts people into the org the way sales and its integrations would."""

    def __init__(self, rng: Random, org: Org) -> None:
        self.rng, self.org, self.now = rng, org, org.now
        self.add = org.add
        self.held: dict[str, Held] = {}
        self.opportunities: dict[int, list[Record]] = {}  # by id() of the Account
        self.statuses = {
            name: Weighted(*zip(*table, strict=True)) for name, table in STATUSES.items()
        }
        self.web_sources = Weighted(*zip(*WEB_SOURCES, strict=True))

    def deal(self, person: Person) -> None:
        """A converted Lead (or a Contact sales added) with Account, Opportunity and role."""
        rng, converted = self.rng, person.converted
        assert (
            person.company is not None and converted is not None and person.hand_raise is not None
        )
        delay = rng.randint(
            MINUTE_MS, max(MINUTE_MS, min(2 * HOUR_MS, converted - person.hand_raise))
        )
        if rng.random() < DIRECT_DEAL_RATE:
            lead = None
            contact = self._contact(person, person.hand_raise + delay)
        else:
            lead = self._lead(person, person.hand_raise + delay, "Closed - Converted", "Web")
            contact = self._contact(person, converted)
        account = contact["AccountId"]
        opportunity = self._opportunity(person, account, converted)
        self._role(opportunity, contact, converted, primary=True)
        if lead is not None:
            lead.update(
                IsConverted=True,
                ConvertedContactId=contact,
                ConvertedAccountId=account,
                ConvertedOpportunityId=opportunity,
                ConvertedDate=salesforce_date(converted),
                LastModifiedDate=converted,
            )
        self.held[person.hs_id] = Held(lead, contact, opportunity)

    def prospect(self, person: Person) -> None:
        """A non-deal person sales knows: a Lead, or a Contact at a company that is an Account."""
        rng, company = self.rng, person.company
        synced, source = self._arrival(person)
        if (
            company is not None
            and company.account is not None
            and rng.random() < CONTACT_ON_KNOWN_ACCOUNT
        ):
            contact = self._contact(person, synced)
            deals = self.opportunities.get(id(company.account))
            if deals and rng.random() < COLLEAGUE_ROLE_RATE:
                latest = deals[-1]
                self._role(latest, contact, max(synced, latest["CreatedDate"]), primary=False)
            self.held[person.hs_id] = Held(None, contact, None)
            return
        if person.profile in JUNK:
            kind = "junk"
        elif person.profile == "weak":
            kind = "worked" if person.touches else "weak"
        else:
            kind = person.profile
        status = self.statuses[kind].draw(rng)
        lead = self._lead(person, synced, status, source)
        lead["LastModifiedDate"] = self._status_changed(person, status, synced)
        self.held[person.hs_id] = Held(lead, None, None)

    def _arrival(self, person: Person) -> tuple[int, str]:
        """When and how the person reached Salesforce; list imports land in both at once."""
        rng, now = self.rng, self.now
        if person.imported == "list":
            return person.created, "Purchased List"
        if person.imported == "trade_show":
            return person.created, "Other"
        if person.hand_raise is not None:
            at = person.hand_raise
        elif person.profile == "mql":
            at = max(person.created, person.journey - rng.randint(0, 5 * DAY_MS))
        else:
            at = person.created + rng.randint(0, 30 * DAY_MS)
        at = fold(at + rng.randint(MINUTE_MS, 2 * HOUR_MS), person.created, now)
        return at, self.web_sources.draw(rng)

    def _status_changed(self, person: Person, status: str, created: int) -> int:
        rng = self.rng
        if status == "Working - Contacted" and person.touches:
            at = person.touches[0][2]
        elif status == "Open - Not Contacted":
            at = created
        else:
            at = created + rng.randint(DAY_MS, 60 * DAY_MS)
        return fold(at, created, self.now)

    def _lead(
        self, person: Person, created: int, status: str, source: str, email: str = ""
    ) -> Record:
        company = person.company
        return self.add(
            "Lead",
            created,
            created,
            Email=email or person.email,
            FirstName=person.first,
            LastName=person.last,
            Company=company.name if company else "[not provided]",
            Title=person.title,
            Industry=company.industry.salesforce if company else None,
            NumberOfEmployees=company.employees if company else None,
            AnnualRevenue=float(company.revenue) if company else None,
            Country=person.country,
            LeadSource=source,
            Status=status,
            IsConverted=False,
            ConvertedContactId=None,
            ConvertedAccountId=None,
            ConvertedOpportunityId=None,
            ConvertedDate=None,
        )

    def _account(self, person: Person, at: int) -> Record:
        company = person.company
        assert company is not None
        account = company.account
        if account is None:
            account = company.account = self.add(
                "Account",
                at,
                at,
                Name=company.name,
                Industry=company.industry.salesforce,
                NumberOfEmployees=company.employees,
                AnnualRevenue=float(company.revenue),
                BillingCountry=company.country,
                Website=company.website,
            )
        account["CreatedDate"] = min(account["CreatedDate"], at)
        account["LastModifiedDate"] = max(account["LastModifiedDate"], at)
        return account

    def _contact(self, person: Person, at: int) -> Record:
        return self.add(
            "Contact",
            at,
            at,
            AccountId=self._account(person, at),
            Email=person.email,
            FirstName=person.first,
            LastName=person.last,
            Title=person.title,
        )

    def _opportunity(self, person: Person, account: Record, at: int) -> Record:
        rng, company = self.rng, person.company
        assert company is not None
        if person.profile in ("won", "lost"):
            stage = "Closed Won" if person.profile == "won" else "Closed Lost"
            close = modified = person.closed or at
        else:
            stage = rng.choices(cat.OPEN_OPPORTUNITY_STAGES, _OPEN_STAGE_WEIGHTS)[0]
            close = max(self.now + DAY_MS, at + rng.randint(30 * DAY_MS, 120 * DAY_MS))
            done = [touch[1] for touch in person.touches if touch[1] <= self.now]
            modified = max([at, *done])
        amount = (12_000 + company.employees**0.6 * 400) * rng.lognormvariate(0, 0.3)
        opportunity = self.add(
            "Opportunity",
            at,
            modified,
            AccountId=account,
            Name=f"{company.name} - {rng.choice(_PRODUCTS)}",
            StageName=stage,
            IsClosed=stage in ("Closed Won", "Closed Lost"),
            IsWon=stage == "Closed Won",
            Amount=float(round(amount, -2)),
            CloseDate=salesforce_date(close),
        )
        self.opportunities.setdefault(id(account), []).append(opportunity)
        return opportunity

    def _role(self, opportunity: Record, contact: Record, at: int, primary: bool) -> None:
        role = "Decision Maker" if primary else self.rng.choice(cat.OPPORTUNITY_ROLES[1:])
        self.add(
            "OpportunityContactRole",
            at,
            at,
            OpportunityId=opportunity,
            ContactId=contact,
            Role=role,
            IsPrimary=primary,
        )

    def duplicates(self, people: list[Person]) -> None:
        """Same-email records: a second Lead, or a fresh Lead for someone already a Contact."""
        rng, now = self.rng, self.now
        for person in people:
            held = self.held.get(person.hs_id)
            if held is None:
                continue
            if held.contact is not None:
                if rng.random() < RELAPSED_LEAD_RATE:
                    created = held.contact["CreatedDate"]
                    at = fold(created + rng.randint(DAY_MS, 120 * DAY_MS), created, now)
                    self._lead(person, at, "Open - Not Contacted", "Web")
            elif rng.random() < DUPLICATE_LEAD_RATE:
                local, domain = person.email.split("@")
                email = f"{local.title()}@{domain}" if rng.random() < 0.5 else person.email
                created = held.lead["CreatedDate"]
                at = fold(created + rng.randint(DAY_MS, 200 * DAY_MS), created, now)
                self._lead(
                    person, at, "Open - Not Contacted", rng.choice(("Purchased List", "Web")), email
                )

    def clean_up(self) -> None:
        """A data-loader clean-up closed stale untouched Leads at one instant."""
        moment = self.now - CLEANUP_DAYS_AGO * DAY_MS
        moment -= moment % MINUTE_MS
        stale = [
            lead
            for lead in self.org.rows["Lead"]
            if lead["Status"] == "Open - Not Contacted"
            and lead["LastModifiedDate"] < moment
            and lead["CreatedDate"] < moment - 90 * DAY_MS
        ]
        size = max(3, min(300, len(self.org.rows["Lead"]) // 20))
        for lead in self.rng.sample(stale, min(size, len(stale))):
            lead["Status"], lead["LastModifiedDate"] = "Closed - Not Converted", moment
