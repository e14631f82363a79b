"""Marketing activity in HubSpot: page views, form submissions and marketing email events.

Activity clusters around each person's journey peak with a thinner background over the rest
of their life as a contact. Events are drawn as tuples of epoch milliseconds, sorted, and only
then rendered into the emulator's dicts with ids in time order. The facts scoring needs later
(counts, first URL, last open…) are recorded on the `Person`.
"""

from __future__ import annotations

import uuid
from bisect import bisect_right
from operator import itemgetter
from random import Random
from typing import Any, NamedTuple

from leadsync.sandbox.world import catalog as cat
from leadsync.sandbox.world.catalog import Weighted
from leadsync.sandbox.world.formats import DAY_MS, HOUR_MS, MINUTE_MS, fold, hubspot_time
from leadsync.sandbox.world.people import Person


class Behaviour(NamedTuple):
    page_views: float  # mean number of page views
    pages: dict[str, float]  # page kind -> weight
    forms: tuple[tuple[str, float], ...]  # form key -> expected submissions (fraction = chance)
    paid: float  # chance the first visit came from an ad
    sends: float  # share of marketing emails sent after they joined that they receive
    opens: float  # chance to open a received email
    clicks: float  # chance to click an opened email
    unsubscribe: float  # chance an open ends in an unsubscribe


_BROWSING = {
    "blog": 35, "home": 20, "product": 12, "pricing": 5, "docs": 8, "kb": 5, "company": 5,
    "careers": 5, "case_study": 3, "white_paper": 2,
}  # fmt: skip
_BUYING = {
    "pricing": 18, "product": 24, "docs": 9, "kb": 10, "white_paper": 9, "blog": 10, "home": 8,
    "case_study": 9, "company": 3,
}  # fmt: skip
_QUALIFIED_FORMS = (("white_paper", 1.3), ("ebook", 0.5), ("webinar", 0.8), ("newsletter", 0.4))


# profile -> views, pages, forms, then the rates: paid, sends, opens, clicks, unsubscribe
BEHAVIOURS = {
    "freemail": Behaviour(
        3,
        {"blog": 50, "home": 25, "product": 10, "pricing": 5, "careers": 10},
        (("newsletter", 0.6), ("ebook", 0.3), ("demo", 0.04)),
        *(0.08, 0.1, 0.15, 0.1, 0.03),
    ),
    "student": Behaviour(
        5,
        {"blog": 45, "docs": 20, "kb": 10, "home": 10, "white_paper": 10, "product": 5},
        (("newsletter", 0.4), ("white_paper", 0.6), ("demo", 0.03)),
        *(0.04, 0.1, 0.25, 0.15, 0.02),
    ),
    "competitor": Behaviour(
        12,
        {
            "pricing": 25,
            "product": 25,
            "docs": 20,
            "kb": 5,
            "home": 10,
            "white_paper": 10,
            "case_study": 5,
        },
        (("white_paper", 0.7), ("webinar", 0.5), ("demo", 0.12)),
        *(0.02, 0.15, 0.4, 0.2, 0.0),
    ),
    "jobseeker": Behaviour(4, {"careers": 45, "careers_jobs": 55}, (), *(0.0, 0.0, 0.0, 0.0, 0.0)),
    "weak": Behaviour(
        4,
        _BROWSING,
        (("newsletter", 0.45), ("ebook", 0.3), ("webinar", 0.15), ("demo", 0.01)),
        *(0.12, 0.13, 0.18, 0.08, 0.02),
    ),
    "mql": Behaviour(24, _BUYING, _QUALIFIED_FORMS, *(0.2, 0.25, 0.45, 0.3, 0.005)),
    "sql": Behaviour(28, _BUYING, _QUALIFIED_FORMS, *(0.2, 0.25, 0.5, 0.3, 0.003)),
    "opportunity": Behaviour(30, _BUYING, _QUALIFIED_FORMS, *(0.2, 0.25, 0.5, 0.3, 0.002)),
    "won": Behaviour(32, _BUYING, _QUALIFIED_FORMS, *(0.2, 0.25, 0.5, 0.3, 0.002)),
    # Won and lost deals behave alike until `wins.settle` decides between them.
    "lost": Behaviour(32, _BUYING, _QUALIFIED_FORMS, *(0.2, 0.25, 0.5, 0.3, 0.002)),
}


class Campaign(NamedTuple):
    id: int
    sent: int
    url: str


class Webinar(NamedTuple):
    topic: str
    slug: str
    at: int


def campaigns(rng: Random, start: int, now: int) -> list[Campaign]:
    """About one marketing email a week, oldest first."""
    sent, result = start + 3 * DAY_MS, []
    urls = [
        cat.SITE + page
        for kind in ("blog", "product", "white_paper", "case_study")
        for page in cat.PAGES[kind]
    ]
    while sent < now - HOUR_MS:
        utm = f"?utm_source=hs_email&utm_medium=email&utm_campaign=mail-{len(result) + 1}"
        result.append(Campaign(290_000_000 + 10_007 * len(result), sent, rng.choice(urls) + utm))
        sent += rng.randint(4 * DAY_MS, 9 * DAY_MS)
    return result


def webinars(rng: Random, start: int, now: int) -> list[Webinar]:
    """A webinar every five to eight weeks, oldest first; the last may lie in the future."""
    at, result = start + 30 * DAY_MS, []
    while at < now + 30 * DAY_MS:
        topic = cat.WEBINAR_TOPICS[len(result) % len(cat.WEBINAR_TOPICS)]
        slug = "-".join(topic.lower().replace(",", "").split())
        result.append(Webinar(topic, slug, at - at % DAY_MS + 16 * HOUR_MS))
        at += rng.randint(35 * DAY_MS, 56 * DAY_MS)
    return result


class Marketing:
    """Draws one person's marketing activity and keeps the raw event tuples."""

    def __init__(self, rng: Random, now: int, mails: list[Campaign], events: list[Webinar]) -> None:
        self.rng, self.now = rng, now
        self.mails, self.mail_times = mails, [c.sent for c in mails]
        self.events, self.event_times = events, [w.at for w in events]
        self.forms = {key: uuid.UUID(int=rng.getrandbits(128), version=4) for key in cat.FORMS}
        self.pages = {name: _pages(b.pages) for name, b in BEHAVIOURS.items()}
        self.sources = Weighted(*zip(*cat.ORGANIC_SOURCES, strict=True))
        self.views: list[tuple[int, str, str]] = []
        self.submissions: list[tuple[int, str, Person, str]] = []
        self.mail_events: list[tuple[int, str, str, int, str | None]] = []

    def person(self, person: Person) -> None:
        behaviour = BEHAVIOURS[person.profile]
        self._source(person, behaviour)
        self._forms(person, behaviour)
        self._browse(person, behaviour)
        if behaviour.sends:
            self._mail(person, behaviour)

    def _source(self, person: Person, behaviour: Behaviour) -> None:
        rng = self.rng
        if person.imported:
            return
        if rng.random() < behaviour.paid:
            person.source = "PAID_SEARCH" if rng.random() < 0.6 else "PAID_SOCIAL"
            landing = cat.SITE + cat.PAID_LANDINGS[person.source]
        elif person.profile == "jobseeker":
            person.source, landing = "ORGANIC_SEARCH", cat.SITE + "/careers"
        else:
            person.source = self.sources.draw(rng)
            landing = rng.choice(self.pages[person.profile][0])
        self._view(person, person.created - rng.randint(6 * MINUTE_MS, 30 * MINUTE_MS), landing)

    def _forms(self, person: Person, behaviour: Behaviour) -> None:
        rng, keys = self.rng, []
        for key, expected in behaviour.forms:
            keys += [key] * (int(expected) + (rng.random() < expected % 1))
        if not person.imported and person.profile != "jobseeker":
            self._submit(person, keys.pop(0) if keys else "newsletter", person.created)
        for key in keys:
            self._submit(person, key, self._when(person))
        if person.hand_raise is not None:
            key = rng.choices(cat.HAND_RAISES, cat.HAND_RAISE_WEIGHTS)[0]
            self._submit(person, key, person.hand_raise)

    def _submit(self, person: Person, key: str, at: int) -> None:
        form = cat.FORMS[key]
        page = cat.SITE + form.page
        if key == "webinar":
            page = self._register(person, at)
        self._view(person, at - self.rng.randint(20_000, 5 * MINUTE_MS), page)
        self.submissions.append((at, key, person, page))
        person.forms += 1
        if person.first_form is None or at < person.first_form[1]:
            person.first_form = (form.name, at)
        if person.last_form is None or at >= person.last_form[1]:
            person.last_form = (form.name, at)

    def _register(self, person: Person, at: int) -> str:
        index = bisect_right(self.event_times, at)
        if index == len(self.events):  # nothing scheduled: the recording
            webinar = self.events[-1]
            return f"{cat.SITE}/webinars/{webinar.slug}/on-demand"
        webinar = self.events[index]
        attended = webinar.at <= self.now and self.rng.random() < (0.35 if person.junk else 0.55)
        person.webinars.append((index, at, attended))
        if attended:
            joined = fold(
                webinar.at + self.rng.randint(-5 * MINUTE_MS, 10 * MINUTE_MS), 0, self.now
            )
            self._view(person, joined, f"{cat.SITE}/webinars/{webinar.slug}/live")
        return f"{cat.SITE}/webinars/{webinar.slug}"

    def _browse(self, person: Person, behaviour: Behaviour) -> None:
        rng, mean = self.rng, behaviour.page_views
        count = int(rng.gammavariate(2, mean / 2) if mean > 10 else rng.expovariate(1 / mean))
        urls, cum = self.pages[person.profile]
        visited = rng.choices(urls, cum_weights=cum, k=count)
        times = [self._when(person) for _ in range(count)]
        self.views += zip(times, [person.hs_id] * count, visited, strict=True)
        person.page_views += count
        if count:
            self._seen(person, min(times), visited[times.index(min(times))])
            self._seen(person, max(times), visited[times.index(max(times))])

    def _when(self, person: Person) -> int:
        """Mostly inside the journey cluster, sometimes anywhere in the contact's life."""
        random = self.rng.random
        if random() < 0.75:
            at = person.journey + int((random() * 20 - 5) * DAY_MS)
        else:
            at = person.created + int(random() * (self.now - person.created))
        return fold(at, person.created, self.now)

    def _view(self, person: Person, at: int, url: str) -> None:
        self.views.append((at, person.hs_id, url))
        person.page_views += 1
        self._seen(person, at, url)

    @staticmethod
    def _seen(person: Person, at: int, url: str) -> None:
        if person.first_visit is None or at < person.first_visit:
            person.first_visit, person.first_url = at, url
        if person.last_visit is None or at >= person.last_visit:
            person.last_visit, person.last_url = at, url

    def _mail(self, person: Person, behaviour: Behaviour) -> None:
        rng, now = self.rng, self.now
        first = bisect_right(self.mail_times, person.created)
        eligible = len(self.mails) - first
        expected = behaviour.sends * eligible * rng.uniform(0.4, 1.6)
        count = min(eligible, int(expected) + (rng.random() < expected % 1))
        events, email = self.mail_events, person.email
        for index in sorted(rng.sample(range(first, len(self.mails)), count)):
            mail = self.mails[index]
            sent = mail.sent + int(rng.random() * 30 * MINUTE_MS)
            person.emailed = index
            events.append((sent, "SENT", email, mail.id, None))
            if rng.random() >= behaviour.opens:
                continue
            opened = fold(sent + int(rng.expovariate(1 / (8 * HOUR_MS))), sent, now)
            events.append((opened, "OPEN", email, mail.id, None))
            person.opens += 1
            person.last_open = max(person.last_open or 0, opened)
            if rng.random() < behaviour.clicks:
                clicked = fold(opened + 5_000 + int(rng.random() * 10 * MINUTE_MS), opened, now)
                events.append((clicked, "CLICK", email, mail.id, mail.url))
                self._view(person, fold(clicked + 2_000, clicked, now), mail.url)
                person.clicks += 1
                person.last_click = max(person.last_click or 0, clicked)
            if rng.random() < behaviour.unsubscribe:
                events.append(
                    (fold(opened + 30_000, opened, now), "UNSUBSCRIBED", email, mail.id, None)
                )
                break

    def render(self, rng: Random) -> dict[str, list[dict[str, Any]]]:
        """The emulator's lists, each in time order with ids ascending."""
        return {
            "page_views": _render_views(self.views),
            "forms": [
                {"guid": str(self.forms[key]), "name": form.name} for key, form in cat.FORMS.items()
            ],
            "form_submissions": self._render_submissions(rng),
            "email_events": _render_mail(self.mail_events),
        }

    def _render_submissions(self, rng: Random) -> list[dict[str, Any]]:
        self.submissions.sort(key=itemgetter(0))
        result = []
        for at, key, person, page in self.submissions:
            values = [
                {"name": "email", "value": person.email},
                {"name": "firstname", "value": person.first},
                {"name": "lastname", "value": person.last},
            ]
            if person.company is not None and key not in ("newsletter", "webinar"):
                values.append({"name": "company", "value": person.company.name})
            result.append(
                {
                    "conversion_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                    "form_guid": str(self.forms[key]),
                    "contact_id": person.hs_id,
                    "submitted_at": at,
                    "page_url": page,
                    "values": values,
                }
            )
        return result


def _pages(weights: dict[str, float]) -> tuple[list[str], list[float]]:
    urls, cum, total = [], [], 0.0
    for kind, weight in weights.items():
        pages = cat.PAGES[kind]
        for page in pages:
            total += weight / len(pages)
            urls.append(cat.SITE + page)
            cum.append(total)
    return urls, cum


def _render_views(views: list[Any]) -> list[dict[str, Any]]:
    """Sort the raw tuples and replace each by its dict in place, to halve the peak memory."""
    views.sort(key=itemgetter(0))
    for index, (at, contact, url) in enumerate(views):
        views[index] = {
            "id": str(index + 1),
            "contact_id": contact,
            "occurred_at": hubspot_time(at),
            "url": url,
        }
    return views


def _render_mail(events: list[Any]) -> list[dict[str, Any]]:
    events.sort(key=itemgetter(0))
    for index, (at, kind, email, campaign, url) in enumerate(events):
        event = {
            "id": str(index + 1),
            "type": kind,
            "recipient": email,
            "created": at,
            "email_campaign_id": campaign,
        }
        if url is not None:
            event["url"] = url
        events[index] = event
    return events
