"""The notebook quickstart as a script (docs/quickstart.md); the tests run it.

Run it from the repository root:  python docs/examples/quickstart.py
"""

from pathlib import Path

import analyzer

SAMPLE = Path(__file__).resolve().parents[2] / "analyzer" / "samples" / "tea-circle"

# A session on a snapshot directory; analyzer.connect() gives the same on Neo4j.
s = analyzer.open_snapshot(SAMPLE)

# How far can p-tea travel from its promoters and sharers?
reach = s.reach("p-tea", roles=["promoters", "sharers"], hops=6)
print(reach.to_frame())

# Does a friend's ♡ move people? The exposure curve, with Wilson intervals.
curve = s.endorsements("p-tea", signals="likes", min_users=1)
print(curve.curve[["k", "users", "adopters", "p", "ci_low", "ci_high", "lift"]])

# Whose endorsements led to purchases?
print(s.influencers("p-tea", window="7d", credit="fractional").to_frame())

# Private versus public, and how the shares cascaded.
print(s.domains("p-tea").public_share)
print(s.cascades("p-tea").to_frame())

# If u01 and u07 push it, how far does it go? And who should promote next?
print(s.simulate(users=["u01", "u07"], model="ic", p=0.3, runs=2000, seed=1).to_dict()["mean"])
print(s.promoters(k=2, product="p-tea", p=0.3, seed=1).to_dict()["seeds"])

# The whole report as a dict (or .render("html") for the offline page).
report = s.report("p-tea", min_users=1)
summary = report.to_dict()["summary"]
print(summary)

# The product's people as a networkx graph, its cascade as a DiGraph.
g = s.to_networkx(product="p-tea")
print(g.number_of_nodes(), "users;", g.graph["cascade"].number_of_edges(), "cascade edges")
