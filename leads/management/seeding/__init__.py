"""Demo data at any size, for `manage.py seed_demo`.

Seed data is the one place rows are built directly rather than through services,
so that a million leads are practical. The package splits by sub-domain:

- tables: Table (COPY on PostgreSQL, executemany elsewhere), deferred_indexes
  and disabled_triggers.
- values: constants, Faker pools, creation times in time order, cheap values.
- context: SeedContext, what the builders share during a run.
- organisation: business units, teams, users (small default or 200 users).
- catalog: products, campaigns, capture form, routing rules, base accounts.
- leads: lead rows and one batch of leads with everything hanging off them.
- outcomes: the known effects a closed lead is qualified by (the lead score's
  signal: referrals and trade shows qualify more, no phone number less, ...).
- qualification, timeline: the rows a qualified lead and its timeline bring.
- routing: owners and the assignment log (one place, to be swapped for the
  routing service).
"""
