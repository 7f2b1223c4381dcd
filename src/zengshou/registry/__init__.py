"""The registry: areas, households, members, land, livestock, income, villages, cadres, department feeds."""
