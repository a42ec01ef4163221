"""What the row builders share during one seed_demo run."""

import datetime
import random
from collections.abc import Iterator
from dataclasses import dataclass, field

from leads.management.seeding.values import Pools


@dataclass
class SeedContext:
    """The random generator, the seeding time and the ids rows pick from.

    organisation.build_organisation, catalog.build_catalog and prepare_lead_rows fill
    the fields after the first three; the row builders only read them.
    """

    rng: random.Random
    now: datetime.datetime
    pools: Pools
    people: list = field(default_factory=list)  # (username, first, last, role, ...)
    users: dict = field(default_factory=dict)  # username -> User
    units: dict = field(default_factory=dict)  # name -> BusinessUnit
    teams: dict = field(default_factory=dict)  # name -> Team
    # (owner user, owner team, business unit, weight): exactly one owner is set.
    owners: list = field(default_factory=list)
    owner_ids: list = field(default_factory=list)  # (user id, team id, unit id)
    owner_cum: list = field(default_factory=list)
    team_member_ids: dict = field(default_factory=dict)
    admin_id: int | None = None
    products: list = field(default_factory=list)
    product_rows: list = field(default_factory=list)  # (id, price)
    campaigns_by_source: dict = field(default_factory=dict)
    campaign_ids: dict = field(default_factory=dict)  # source -> [campaign id]
    capture_form: object = None
    rules: list = field(default_factory=list)
    base_accounts: list = field(default_factory=list)
    partner_ids: list = field(default_factory=list)
    place_cum: list = field(default_factory=list)
    tables: dict = field(default_factory=dict)  # model -> Table
    # Seeds each batch's own generator (leads.batch_rng).
    batch_seed: int = 0
    # Creation times of the leads still to write, oldest first: an iterator
    # (values.creation_times), never a list of them all.
    created_times: Iterator = field(default_factory=lambda: iter(()))

    def pick_place(self):
        return self.rng.choices(self.pools.places, cum_weights=self.place_cum)[0]

    def pick_name(self):
        return self.rng.choice(self.pools.first_names), self.rng.choice(
            self.pools.last_names
        )
