"""Whether a seeded lead that closed was qualified: drawn from known effects.

The demo's outcomes are not coin flips: each closed lead qualifies with a
probability built from a few of its values, so the lead score has something real
to find, the backtest shows it finding it, and a new user sees scores that mean
something. The effects (EFFECTS below) are odds ratios on a base:

    odds = BASE_ODDS × Π effect of each of the lead's values
    P(qualified) = odds / (1 + odds)

BASE_RATE is the probability of a lead at every reference value (Public Relations,
a phone number given, not talking to the decision maker, first contacted after
its first day, rated warm); a value missing from its field's table has effect 1.

    value                                    × odds   why (the demo's story)
    source Employee Referral                 3.0      a colleague vouches for them
    source Trade Show                        2.2      met in person, asked to be called
    source External Referral, Word of Mouth  2.0      someone recommended us
    source Partner                           1.8      a partner qualified them first
    source Seminar                           1.4      came to learn, some to buy
    source Public Relations                  1.0      (reference)
    source Web                               0.7      many browse, few buy
    source Other                             0.6
    source Advertisement                     0.5      clicks, rarely intent
    no phone number (neither phone)          0.35     cannot be called back
    talking to the decision maker            2.2
    first activity within the first day      1.8      reached while still interested
    rating Hot / Warm / Cold                 1.8 / 1.0 / 0.6

Everything else the score reads (industry, size, value, budget, timeframe,
country, ...) is drawn independently of the outcome: noise the model has to
learn is worth nothing. tests/test_scoring_effects.py checks the model against
effects like these; README "Lead scoring" lists them for users.
"""

from leads.models import LeadRating, LeadSource

BASE_RATE = 0.15
BASE_ODDS = BASE_RATE / (1 - BASE_RATE)

NO_PHONE_SHARE = 0.15  # leads given without any phone number
DECISION_MAKER_SHARE = 0.35
FIRST_DAY_SHARE = 0.45  # worked leads whose first activity came on the first day

EFFECTS = {
    "source": {
        int(LeadSource.EMPLOYEE_REFERRAL): 3.0,
        int(LeadSource.TRADE_SHOW): 2.2,
        int(LeadSource.EXTERNAL_REFERRAL): 2.0,
        int(LeadSource.WORD_OF_MOUTH): 2.0,
        int(LeadSource.PARTNER): 1.8,
        int(LeadSource.SEMINAR): 1.4,
        int(LeadSource.PUBLIC_RELATIONS): 1.0,
        int(LeadSource.WEB): 0.7,
        int(LeadSource.OTHER): 0.6,
        int(LeadSource.ADVERTISEMENT): 0.5,
    },
    "has_phone": {False: 0.35, True: 1.0},
    "decision_maker": {True: 2.2, False: 1.0},
    "first_day": {True: 1.8, False: 1.0},
    "rating": {
        int(LeadRating.HOT): 1.8,
        int(LeadRating.WARM): 1.0,
        int(LeadRating.COLD): 0.6,
    },
}


def qualify_probability(**values) -> float:
    """P(qualified) of a closed lead with `values` (EFFECTS' field names: source,
    has_phone, decision_maker, first_day, rating)."""
    odds = BASE_ODDS
    for name, value in values.items():
        odds *= EFFECTS[name].get(value, 1.0)
    return odds / (1 + odds)
