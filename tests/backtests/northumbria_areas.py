"""The Northumbria force area and its six Community Safety Partnerships, as the back-tests and
the region benchmark (``benchmarks/bench.py``, phase (f)) configure them: one table, so that a
district code corrected here is corrected everywhere."""

PERIOD = "2023-02"
#: area config name -> (CSP name, its local authority district code, 2019)
CSPS = {
    "newcastle": ("Newcastle upon Tyne", "E08000021"),
    "gateshead": ("Gateshead", "E08000037"),
    "north_tyneside": ("North Tyneside", "E08000022"),
    "south_tyneside": ("South Tyneside", "E08000023"),
    "sunderland": ("Sunderland", "E08000024"),
    "northumberland": ("Northumberland", "E06000057"),
}
FORCE = "northumbria"
ASB = "Anti-social behaviour"
