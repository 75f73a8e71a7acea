"""A deterministic xAPI workload: a social-work leadership programme run across many local authorities.

Statements are generated in blocks of ``BLOCK`` statements, each block from its own ``random.Random`` seeded by
(seed, block number), so ``Workload(seed).statements(start, count)`` returns the same statements whatever the
slicing, and blocks can be generated in any order or in parallel. Same seed, same statements, same ids.

The shape of the data (what the query benchmark relies on):

* ``agents`` participants (default: one per 50 statements), each in one of ~150 local authorities and one
  cohort of 24; ~12% are identified by an ``account`` on their authority's learning portal, the rest by ``mbox``.
* one *heavy* participant (``Workload.heavy_agent``) is the actor of every ``heavy_every``-th statement, so their
  record holds ``HEAVY_RECORD`` (~2,000) statements at any store size (for paging a whole record).
* verbs: attended, completed, experienced, commented, mentored (an Agent object), reflected, progressed, led,
  registered, received-feedback, talked-with, and ~0.5% voiding statements (each voids an earlier statement).
* activity types: residential, seminar, action learning set, coaching session, e-learning, project, discussion.
* context: registration (one per participant's enrolment), parent (the session's residential/seminar series),
  grouping (the cohort and the programme), category (the profile version), instructor (a facilitator or coach),
  platform, language and a local-authority extension.
* results: durations, completion, and reflections of 300–1,500 characters in ``result.response`` or in the
  profile's reflection extension.
* timestamps rise with the statement index over ``span_days`` (default two years) ending at ``END``; the loader
  uses :meth:`Workload.stored_at` as ``stored``, so a one-day window holds about N / span_days statements.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from lrs.learning import vocabulary as v

BLOCK = 1000
HEAVY_RECORD = 2000
#: The last instant of the generated period (fixed, so the data never depends on when the bench runs).
END = datetime(2026, 9, 30, 17, 0, tzinfo=UTC)
NAMESPACE = uuid.UUID("2b0c7f0e-6a57-4c1e-9d2a-5f3e9b8c1a40")

PLATFORM_HOME = "https://learning.swl-programme.example"
PROGRAMME_IRI = f"{PLATFORM_HOME}/programmes/practice-leadership"
EXT_LOCAL_AUTHORITY = f"{PLATFORM_HOME}/extensions/local-authority"
EXT_SESSION_NUMBER = f"{PLATFORM_HOME}/extensions/session-number"
COHORT_SIZE = 24
SET_SIZE = 6

LOCAL_AUTHORITIES = (
    "Barking and Dagenham", "Barnet", "Barnsley", "Bath and North East Somerset", "Bedford", "Bexley",
    "Birmingham", "Blackburn with Darwen", "Blackpool", "Bolton", "Bournemouth Christchurch and Poole",
    "Bracknell Forest", "Bradford", "Brent", "Brighton and Hove", "Bristol", "Bromley", "Buckinghamshire",
    "Bury", "Calderdale", "Cambridgeshire", "Camden", "Central Bedfordshire", "Cheshire East",
    "Cheshire West and Chester", "City of London", "Cornwall", "Coventry", "Croydon", "Cumberland", "Darlington",
    "Derby", "Derbyshire", "Devon", "Doncaster", "Dorset", "Dudley", "Durham", "Ealing", "East Riding of Yorkshire",
    "East Sussex", "Enfield", "Essex", "Gateshead", "Gloucestershire", "Greenwich", "Hackney", "Halton",
    "Hammersmith and Fulham", "Hampshire", "Haringey", "Harrow", "Hartlepool", "Havering", "Herefordshire",
    "Hertfordshire", "Hillingdon", "Hounslow", "Isle of Wight", "Isles of Scilly", "Islington",
    "Kensington and Chelsea", "Kent", "Kingston upon Hull", "Kingston upon Thames", "Kirklees", "Knowsley",
    "Lambeth", "Lancashire", "Leeds", "Leicester", "Leicestershire", "Lewisham", "Lincolnshire", "Liverpool",
    "Luton", "Manchester", "Medway", "Merton", "Middlesbrough", "Milton Keynes", "Newcastle upon Tyne", "Newham",
    "Norfolk", "North East Lincolnshire", "North Lincolnshire", "North Northamptonshire", "North Somerset",
    "North Tyneside", "North Yorkshire", "Northumberland", "Nottingham", "Nottinghamshire", "Oldham",
    "Oxfordshire", "Peterborough", "Plymouth", "Portsmouth", "Reading", "Redbridge", "Redcar and Cleveland",
    "Richmond upon Thames", "Rochdale", "Rotherham", "Rutland", "Salford", "Sandwell", "Sefton", "Sheffield",
    "Shropshire", "Slough", "Solihull", "Somerset", "South Gloucestershire", "South Tyneside", "Southampton",
    "Southend-on-Sea", "Southwark", "St Helens", "Staffordshire", "Stockport", "Stockton-on-Tees",
    "Stoke-on-Trent", "Suffolk", "Sunderland", "Surrey", "Sutton", "Swindon", "Tameside", "Telford and Wrekin",
    "Thurrock", "Torbay", "Tower Hamlets", "Trafford", "Wakefield", "Walsall", "Waltham Forest", "Wandsworth",
    "Warrington", "Warwickshire", "West Berkshire", "West Northamptonshire", "West Sussex", "Westminster",
    "Westmorland and Furness", "Wigan", "Wiltshire", "Windsor and Maidenhead", "Wirral", "Wokingham",
    "Wolverhampton", "Worcestershire", "York",
)
FIRST_NAMES = (
    "Aaliyah", "Abdul", "Adaeze", "Aisha", "Alex", "Amara", "Amir", "Ana", "Andrew", "Anita", "Ben", "Bethan",
    "Bilal", "Bronwen", "Callum", "Carmen", "Catherine", "Chidi", "Chloe", "Ciaran", "Claire", "Daniel", "Deepa",
    "Dev", "Eilidh", "Elena", "Emeka", "Emma", "Erin", "Fatima", "Femi", "Fiona", "Gareth", "Grace", "Hamza",
    "Hannah", "Harpreet", "Helen", "Ifeoma", "Imran", "Isla", "Jack", "Jade", "James", "Jasmine", "Joanne",
    "Jonah", "Kamal", "Karen", "Kate", "Kiran", "Kwame", "Laura", "Leah", "Lena", "Liam", "Lucy", "Mariam",
    "Mark", "Megan", "Michael", "Mohammed", "Nadia", "Naomi", "Nia", "Oliver", "Olu", "Owen", "Paul", "Priya",
    "Rachel", "Rhys", "Rosa", "Ruth", "Sam", "Sana", "Sarah", "Sean", "Shauna", "Simon", "Siobhan", "Sophie",
    "Stephen", "Tariq", "Tom", "Tunde", "Una", "Victoria", "Wei", "Yasmin", "Yusuf", "Zainab", "Zoe",
)
LAST_NAMES = (
    "Adeyemi", "Ahmed", "Ali", "Allen", "Anderson", "Bailey", "Baker", "Begum", "Bell", "Bennett", "Brennan",
    "Brown", "Campbell", "Carter", "Chen", "Choudhury", "Clarke", "Collins", "Cooper", "Davies", "Edwards",
    "Evans", "Fletcher", "Foster", "Gray", "Green", "Hall", "Harris", "Hassan", "Hughes", "Hussain", "Jackson",
    "James", "Jenkins", "Johnson", "Jones", "Kaur", "Kelly", "Khan", "King", "Lee", "Lewis", "Martin", "Mensah",
    "Mitchell", "Moore", "Morgan", "Morris", "Murphy", "Nguyen", "Nwosu", "O'Brien", "Okafor", "Owen", "Parker",
    "Patel", "Phillips", "Price", "Rahman", "Roberts", "Robinson", "Rossi", "Scott", "Shah", "Singh", "Smith",
    "Taylor", "Thomas", "Thompson", "Turner", "Walker", "Ward", "Watson", "White", "Williams", "Wilson", "Wood",
    "Wright", "Young",
)

#: Sentences reflections are made of. Joined at random into 300–1,500 characters.
REFLECTION_SENTENCES = (
    "The session made me look again at how I chair the weekly allocation meeting.",
    "I noticed that I tend to rescue the team when a case becomes complex instead of holding the uncertainty with them.",
    "We worked through a live dilemma about a family where neglect had been drifting for eighteen months.",
    "My action learning set pushed me to name the assumption I was making about the referral threshold.",
    "I want to test a different approach to supervision, starting with the practitioner's own hypothesis.",
    "Hearing how another authority structured its front door helped me see where our handoffs lose information.",
    "The input on systemic practice gave me language for something I had only sensed in team discussions.",
    "I realised that my feedback to the newly qualified workers has been mostly about process and not about practice.",
    "We talked about the tension between performance indicators and the quality of relationships with families.",
    "My coach asked what I would do if I trusted the team more, and I did not have a quick answer.",
    "I will bring the case mapping tool to our next group supervision and see whether it opens the discussion up.",
    "The residential gave me time away from the duty rota to think about the service I want us to become.",
    "I found the session on anti-racist practice uncomfortable in a useful way, and I need to follow it up.",
    "Shadowing the head of service showed me how much of leadership is negotiating with partners outside the room.",
    "The data on re-referrals surprised me; it suggests our step-down plans are not holding.",
    "I am going to ask the team what gets in the way of direct work, rather than assuming it is caseload size.",
    "We compared practice models and I could see strengths in theirs that ours has lost over time.",
    "The expert consultant challenged our chronology and it changed the direction of the plan.",
    "I tried the restorative check-in at the start of the team meeting and the tone was noticeably different.",
    "Reading the serious case review again with fresh eyes, I saw how the professional optimism crept in.",
    "The feedback from my 360 suggests people experience me as calm, but not always as available.",
    "I need to be clearer about decisions and the reasons for them, especially when the answer is no.",
    "Our project on transitions to adult services now has a working group with health and education colleagues.",
    "The e-learning module on the Mental Capacity Act was a useful refresher before the panel next week.",
    "I spent the afternoon with the youth justice team and came away with ideas for joint supervision.",
    "This made me reflect on the impact of the restructure on the most experienced practitioners.",
    "I will share the learning with my manager at our next supervision and agree what to try first.",
    "The discussion about caseload weighting was heated, but it produced a proposal we can take to the senior team.",
    "Listening to the care-experienced speakers reminded me why the detail of our recording matters so much.",
    "I have started keeping a short log of the decisions I delegate and the ones I take back.",
)
COMMENT_SENTENCES = (
    "Thanks for sharing this, it matches what we are seeing in our assessment team.",
    "Has anyone used the graded care profile alongside the new practice model?",
    "We tried something similar last year; the key was getting the partners into the first meeting.",
    "I would be interested in the template you used for the audit.",
    "This is a really helpful summary of the session, especially the point about supervision.",
    "Could we pick this up at the next action learning set?",
    "Our principal social worker ran a workshop on this, I can send the slides.",
    "I agree, and the data from our front door says the same thing.",
)
SEMINAR_TOPICS = (
    "Leading through change", "Systemic practice in supervision", "Anti-racist leadership",
    "Managing risk and uncertainty", "Working with partners", "Using data to lead practice",
    "Leading a learning culture", "Quality assurance and audit", "Wellbeing and resilience in teams",
    "Leading practice with adolescents", "Transitions to adult services", "Courageous conversations",
)
ELEARNING_TOPICS = (
    "Mental Capacity Act refresher", "Domestic abuse and coercive control", "Contextual safeguarding",
    "Working Together to Safeguard Children", "Unconscious bias", "Care Act 2014 essentials",
    "Recording that makes a difference", "Trauma-informed practice", "Neglect: assessment and tools",
    "Deprivation of liberty safeguards", "Leading supervision", "Financial management for team managers",
    "Child exploitation", "Equality, diversity and inclusion", "Information sharing and GDPR",
    "Court skills for managers", "Managing allegations (LADO)", "Safer recruitment",
    "Digital practice", "Restorative practice", "Performance management",
    "Legal literacy", "Strengths-based practice", "Workforce wellbeing", "Family group conferencing",
    "Young carers", "Private fostering", "Leaving care duties", "Adult safeguarding enquiries",
    "Self-neglect and hoarding",
)

ADL_VERB_DISPLAY = {
    v.ADL_ATTENDED: "attended",
    v.ADL_COMPLETED: "completed",
    v.ADL_EXPERIENCED: "experienced",
    v.ADL_PROGRESSED: "progressed",
    v.ADL_REGISTERED: "registered",
    v.TINCAN_MENTORED: "mentored",
    v.TINCAN_TALKED_WITH: "talked with",
    v.VERB_REFLECTED: "reflected",
    v.VERB_LED: "led",
    v.VERB_RECEIVED_FEEDBACK: "received feedback",
    v.ADL_VOIDED: "voided",
}
VERB_COMMENTED = "http://adlnet.gov/expapi/verbs/commented"
ADL_VERB_DISPLAY[VERB_COMMENTED] = "commented"
TYPE_DISCUSSION = v.TINCAN_DISCUSSION

#: (weight, kind) of each statement template; ``_make`` builds each kind.
KINDS = (
    (12, "attended-seminar"),
    (5, "attended-residential"),
    (11, "attended-als"),
    (8, "attended-coaching"),
    (9, "completed-elearning"),
    (7, "experienced-elearning"),
    (12, "commented"),
    (4, "mentored"),
    (14, "reflected"),
    (6, "progressed-project"),
    (3, "led-change"),
    (3, "received-feedback"),
    (5, "talked-with"),
    (1, "registered"),
)
_KIND_NAMES = [k for _, k in KINDS]
_KIND_CUM = []
_total = 0
for _w, _ in KINDS:
    _total += _w
    _KIND_CUM.append(_total)
VOID_EVERY = 200  # statement i with i % VOID_EVERY == VOID_EVERY - 1 voids statement i - VOID_BACK
VOID_BACK = 37


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-").replace("--", "-")


def _lang(text: str) -> dict[str, str]:
    return {"en-GB": text}


class Workload:
    """The statements of one seeded programme of ``total`` statements. See the module docstring."""

    def __init__(self, seed: int = 1, total: int = 1_000_000, *, agents: int | None = None, span_days: int = 730):
        self.seed = seed
        self.total = total
        self.span = timedelta(days=span_days)
        self.start_time = END - self.span
        self.n_agents = agents or max(240, total // 50)
        self.heavy_every = max(1, total // HEAVY_RECORD)
        self.step = self.span / max(total, 1)
        self._agents: dict[int, dict[str, Any]] = {}
        self._registrations: dict[int, str] = {}

    # --- the population -------------------------------------------------------------------------------

    def agent(self, j: int) -> dict[str, Any]:
        """Participant ``j`` (0 <= j < n_agents) as an xAPI Agent. Participant 0 is the heavy one."""
        found = self._agents.get(j)
        if found is not None:
            return found
        rng = random.Random(f"{self.seed}:agent:{j}")
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        la = LOCAL_AUTHORITIES[j % len(LOCAL_AUTHORITIES)]
        domain = f"{_slug(la)}.gov.example"
        if j % 8 == 5:
            agent = {
                "objectType": "Agent",
                "name": f"{first} {last}",
                "account": {"homePage": f"https://learning.{domain}", "name": f"sw{j:07d}"},
            }
        else:
            local = f"{first}.{last}".lower().replace("'", "")
            agent = {"objectType": "Agent", "name": f"{first} {last}", "mbox": f"mailto:{local}.{j}@{domain}"}
        self._agents[j] = agent
        return agent

    def local_authority(self, j: int) -> str:
        return LOCAL_AUTHORITIES[j % len(LOCAL_AUTHORITIES)]

    def registration(self, j: int) -> str:
        reg = self._registrations.get(j)
        if reg is None:
            reg = str(uuid.uuid5(NAMESPACE, f"{self.seed}:registration:{j}"))
            self._registrations[j] = reg
        return reg

    def cohort(self, j: int) -> int:
        return j // COHORT_SIZE

    def cohort_iri(self, c: int) -> str:
        year = 2024 + (c % 3)
        return f"{PROGRAMME_IRI}/cohorts/{year}-{c:04d}"

    @property
    def heavy_agent(self) -> dict[str, Any]:
        return self.agent(0)

    def facilitator(self, n: int) -> dict[str, Any]:
        return {
            "objectType": "Agent",
            "name": f"Facilitator {n}",
            "mbox": f"mailto:facilitator.{n}@swl-programme.example",
        }

    def statement_id(self, i: int) -> str:
        """A random-looking but computed UUID (version 4 layout), so any statement's id is known by index."""
        x = (i * 0x9E3779B97F4A7C15F39CC0605CEDC835 + self.seed * 0x632BE59BD9B4E019 + 0x1234567) % (1 << 128)
        x = (x & ~(0xF << 76) | (0x4 << 76)) & ~(0x3 << 62) | (0x2 << 62)
        h = f"{x:032x}"
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def timestamp_at(self, i: int) -> datetime:
        """When statement ``i`` happened (rises with ``i``; the generator adds up to an hour of jitter back)."""
        return self.start_time + self.step * i

    def stored_at(self, i: int) -> datetime:
        """The ``stored`` the loader gives statement ``i``: a few minutes after it happened, rising with i."""
        return self.start_time + self.step * i + timedelta(minutes=5)

    # --- statements -----------------------------------------------------------------------------------

    def statements(self, start: int = 0, count: int | None = None) -> Iterator[dict[str, Any]]:
        """Statements ``start`` .. ``start + count - 1`` (to ``total`` by default), in order."""
        end = self.total if count is None else start + count
        i = start
        while i < end:
            block = i // BLOCK
            rng = random.Random(f"{self.seed}:block:{block}")
            # Advance the block's generator to i, so any slicing gives the same statements.
            offset = i - block * BLOCK
            block_end = min(end, (block + 1) * BLOCK)
            for k in range(block * BLOCK, block_end):
                stmt = self._make(k, rng)
                if k >= block * BLOCK + offset:
                    yield stmt
            i = block_end

    def _make(self, i: int, rng: random.Random) -> dict[str, Any]:
        # statements() replays a block from its start, so every draw here may depend on the ones before.
        r_agent = rng.randrange(self.n_agents)
        r_kind = rng.random() * _total
        r_jitter = rng.random()
        r_text = rng.random()
        j = 0 if i % self.heavy_every == 0 else (r_agent or 1)
        stamp = self.timestamp_at(i) - timedelta(seconds=int(r_jitter * 3600))
        sid = self.statement_id(i)
        if i % VOID_EVERY == VOID_EVERY - 1 and i >= VOID_BACK:
            return {
                "id": sid,
                "actor": self.agent(j),
                "verb": {"id": v.ADL_VOIDED, "display": _lang("voided")},
                "object": {"objectType": "StatementRef", "id": self.statement_id(i - VOID_BACK)},
                "timestamp": _ts(stamp, i),
            }
        kind = _KIND_NAMES[_bisect(_KIND_CUM, r_kind)]
        return self._build(kind, i, j, sid, stamp, rng, r_text)

    def _context(self, j: int, rng: random.Random, parent: dict[str, Any] | None, instructor: bool) -> dict:
        cohort = self.cohort(j)
        ctx: dict[str, Any] = {
            "registration": self.registration(j),
            "contextActivities": {
                "grouping": [
                    {
                        "id": self.cohort_iri(cohort),
                        "objectType": "Activity",
                        "definition": {
                            "name": _lang(f"Practice Leadership cohort {cohort}"),
                            "type": v.TYPE_PROGRAMME,
                        },
                    },
                    {
                        "id": PROGRAMME_IRI,
                        "objectType": "Activity",
                        "definition": {"name": _lang("Practice Leadership Programme"), "type": v.TYPE_PROGRAMME},
                    },
                ],
                "category": [{"id": v.PROFILE_VERSION, "objectType": "Activity"}],
            },
            "platform": "SWL Learning Platform",
            "language": "en-GB",
            "extensions": {EXT_LOCAL_AUTHORITY: self.local_authority(j)},
        }
        if parent is not None:
            ctx["contextActivities"]["parent"] = [parent]
        if instructor:
            ctx["instructor"] = self.facilitator(cohort % 40 + rng.randrange(3))
        return ctx

    def _project(self, j: int) -> dict[str, Any]:
        return _activity(
            f"{PLATFORM_HOME}/projects/{self.registration(j)}", "Service development project", v.TINCAN_PROJECT
        )

    def _reflection(self, rng: random.Random, r_text: float, sentences: tuple[str, ...] = REFLECTION_SENTENCES) -> str:
        target = 300 + int(r_text * 1200)
        parts: list[str] = []
        length = 0
        while length < target:
            s = sentences[rng.randrange(len(sentences))]
            parts.append(s)
            length += len(s) + 1
        return " ".join(parts)[: max(target, 300)]

    def _build(
        self, kind: str, i: int, j: int, sid: str, stamp: datetime, rng: random.Random, r_text: float
    ) -> dict[str, Any]:
        cohort = self.cohort(j)
        cohort_iri = self.cohort_iri(cohort)
        actor = self.agent(j)
        result: dict[str, Any] | None = None
        parent = None
        instructor = False
        if kind == "attended-seminar":
            n = rng.randrange(len(SEMINAR_TOPICS))
            obj = _seminar(cohort_iri, n)
            parent = _activity(f"{cohort_iri}/seminars", "Monthly seminar series", v.TYPE_SEMINAR)
            verb = v.ADL_ATTENDED
            result = {"duration": f"PT{rng.choice((3, 4, 6))}H", "completion": True}
            instructor = True
        elif kind == "attended-residential":
            n = rng.randrange(3)
            obj = _residential(cohort_iri, n)
            verb = v.ADL_ATTENDED
            result = {"duration": f"P{rng.choice((1, 2))}D", "completion": True}
            instructor = True
        elif kind == "attended-als":
            set_no = (j % COHORT_SIZE) // SET_SIZE + 1
            n = rng.randrange(12)
            obj = _activity(
                f"{cohort_iri}/action-learning-sets/{set_no}/meetings/{n + 1}",
                f"Action learning set {set_no}, meeting {n + 1}",
                v.TYPE_ACTION_LEARNING_SET,
            )
            parent = _activity(
                f"{cohort_iri}/action-learning-sets/{set_no}", f"Action learning set {set_no}",
                v.TYPE_ACTION_LEARNING_SET,
            )
            verb = v.ADL_ATTENDED
            result = {"duration": "PT3H", "completion": True}
            if rng.random() < 0.5:
                result["response"] = self._reflection(rng, r_text)
            instructor = True
        elif kind == "attended-coaching":
            n = rng.randrange(6)
            obj = _activity(
                f"{PLATFORM_HOME}/coaching/{self.registration(j)}/sessions/{n + 1}",
                f"Coaching session {n + 1}",
                v.TYPE_COACHING_SESSION,
            )
            verb = v.ADL_ATTENDED
            result = {"duration": f"PT{rng.choice((60, 75, 90))}M", "completion": True}
            instructor = True
        elif kind in ("completed-elearning", "experienced-elearning"):
            n = rng.randrange(len(ELEARNING_TOPICS))
            obj = _activity(
                f"{PLATFORM_HOME}/e-learning/{_slug(ELEARNING_TOPICS[n])}", ELEARNING_TOPICS[n], v.TYPE_E_LEARNING
            )
            if kind == "completed-elearning":
                verb = v.ADL_COMPLETED
                scaled = round(0.5 + rng.random() / 2, 2)
                result = {
                    "duration": f"PT{rng.randrange(20, 90)}M{rng.randrange(60)}S",
                    "completion": True,
                    "success": scaled >= 0.7,
                    "score": {"scaled": scaled, "raw": round(scaled * 20), "min": 0, "max": 20},
                }
            else:
                verb = v.ADL_EXPERIENCED
                result = {"duration": f"PT{rng.randrange(5, 40)}M"}
        elif kind == "commented":
            topic = rng.randrange(len(SEMINAR_TOPICS))
            obj = _activity(
                f"{cohort_iri}/discussions/{topic + 1}", f"Discussion: {SEMINAR_TOPICS[topic]}", TYPE_DISCUSSION
            )
            parent = _seminar(cohort_iri, topic)
            verb = VERB_COMMENTED
            result = {"response": self._reflection(rng, r_text * 0.4, COMMENT_SENTENCES + REFLECTION_SENTENCES)}
        elif kind == "mentored":
            mentee = (j + 1 + rng.randrange(COHORT_SIZE - 1)) % self.n_agents
            obj = dict(self.agent(mentee or 1))
            verb = v.TINCAN_MENTORED
            result = {"duration": f"PT{rng.choice((30, 45, 60))}M"}
        elif kind == "reflected":
            what = rng.randrange(3)
            if what == 0:
                n = rng.randrange(len(SEMINAR_TOPICS))
                obj = _seminar(cohort_iri, n)
            elif what == 1:
                obj = _residential(cohort_iri, rng.randrange(3))
            else:
                obj = self._project(j)
            verb = v.VERB_REFLECTED
            text = self._reflection(rng, r_text)
            if rng.random() < 0.5:
                result = {"response": text}
            else:
                result = {"extensions": {v.EXT_REFLECTION: text, v.EXT_IMPACT: self._reflection(rng, 0.0)}}
        elif kind in ("progressed-project", "led-change"):
            if kind == "progressed-project":
                obj = self._project(j)
            else:
                obj = _activity(
                    f"{PLATFORM_HOME}/change/{self.registration(j)}", "Leading a change in my service",
                    v.TYPE_CHANGE_LEADERSHIP,
                )
            verb = v.ADL_PROGRESSED if kind == "progressed-project" else v.VERB_LED
            result = {"duration": f"PT{rng.randrange(1, 8)}H", "completion": False}
            if rng.random() < 0.6:
                result["extensions"] = {v.EXT_IMPACT: self._reflection(rng, r_text * 0.6)}
        elif kind == "received-feedback":
            obj = _activity(f"{PLATFORM_HOME}/feedback-360/{self.registration(j)}", "360 feedback", v.TYPE_FEEDBACK_360)
            verb = v.VERB_RECEIVED_FEEDBACK
            result = {"response": self._reflection(rng, r_text * 0.5)}
        elif kind == "talked-with":
            obj = _activity(
                f"{cohort_iri}/peer-reflection/{rng.randrange(40) + 1}", "Peer reflection", v.TYPE_PEER_REFLECTION
            )
            verb = v.TINCAN_TALKED_WITH
            result = {"duration": "PT45M", "response": self._reflection(rng, r_text * 0.5)}
        else:  # registered
            obj = _activity(cohort_iri, f"Practice Leadership cohort {cohort}", v.TYPE_PROGRAMME)
            verb = v.ADL_REGISTERED
        context = self._context(j, rng, parent, instructor)
        if obj.get("objectType") == "Agent":
            del context["platform"]  # platform and revision only go with an Activity object
        stmt: dict[str, Any] = {
            "id": sid,
            "actor": actor,
            "verb": {"id": verb, "display": _lang(ADL_VERB_DISPLAY[verb])},
            "object": obj,
            "context": context,
            "timestamp": _ts(stamp, i),
        }
        if result is not None:
            stmt["result"] = result
        return stmt


def _seminar(cohort_iri: str, n: int) -> dict[str, Any]:
    """Seminar ``n`` of a cohort: the same IRI always carries the same definition, as from one LMS."""
    return _activity(f"{cohort_iri}/seminars/{n + 1}", f"Seminar {n + 1}: {SEMINAR_TOPICS[n]}", v.TYPE_SEMINAR)


def _residential(cohort_iri: str, n: int) -> dict[str, Any]:
    return _activity(f"{cohort_iri}/residentials/{n + 1}", f"Residential {n + 1}", v.TYPE_RESIDENTIAL)


def _activity(iri: str, name: str, type_iri: str) -> dict[str, Any]:
    return {"objectType": "Activity", "id": iri, "definition": {"name": _lang(name), "type": type_iri}}


def _ts(stamp: datetime, n: int) -> str:
    """ISO 8601 as clients send it: mostly UTC with Z, some with the UK summer-time offset."""
    if n % 5 == 0:
        local = stamp.astimezone(UTC).replace(tzinfo=None) + timedelta(hours=1)
        return local.isoformat(timespec="milliseconds") + "+01:00"
    return stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _bisect(cum: list[int], x: float) -> int:
    lo, hi = 0, len(cum)
    while lo < hi:
        mid = (lo + hi) // 2
        if cum[mid] <= x:
            lo = mid + 1
        else:
            hi = mid
    return lo


def main() -> None:  # pragma: no cover - a look at the data: python bench/workload.py [count] [seed]
    import json
    import sys

    count = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    for s in Workload(seed, total=max(count, 1000)).statements(0, count):
        print(json.dumps(s, indent=2))


if __name__ == "__main__":
    main()
