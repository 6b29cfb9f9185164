"""Stage 04's map sections: the figures of :class:`helpers.stages.ward_stage.WardStage`.

Each function returns :class:`~helpers.core.sections.Section` objects whose ``figure`` draws a
map with :mod:`helpers.present.maps` when shown (``helpers.present.sections.show_all``); the
sentences and tables come from the stage. Maps use outlines simplified for drawing only
(:func:`maps.for_display`); every count uses the full boundaries.
"""

from __future__ import annotations

from functools import cached_property

from helpers.core import narrative
from helpers.core.errors import GeographyError
from helpers.core.sections import Section
from helpers.present import charts, maps
from helpers.stages import hotspots

__all__ = ["WardMaps"]


class WardMaps:
    """The maps of one :class:`~helpers.stages.ward_stage.WardStage` run, section by section."""

    def __init__(self, stage):
        self.st = stage

    @cached_property
    def outlines(self):
        return maps.for_display(self.st.wards)

    def count_maps(self) -> list[Section]:
        """Per measure: the number in each ward, and the rate per 1,000 residents."""
        st, out = self.st, []
        pub, n = st.published, len(st.wards)
        for key in st.keys:
            m = st.measures[key]

            def counts(key=key, m=m):
                return maps.choropleth(
                    self.outlines, pub.data[key], title=f"{m.label}: number of {m.noun}, {st.period_text}",
                    legend_title=f"Number of {m.noun}", scheme=st.scheme, k=st.k,
                    suppressed=pub.mask[key], threshold=st.threshold,
                )  # fmt: skip

            out.append(Section(f"map_{key}", figure=counts,
                               alt=f"Map of the {n} wards shaded by {m.label.lower()}: number of {m.noun}"))  # fmt: skip
            if not st.has_population:
                continue

            def rates(key=key, m=m):
                return maps.choropleth(
                    self.outlines, pub.data[f"{key}_rate"],
                    title=f"{m.label}: {m.noun} per 1,000 residents, {st.period_text}",
                    legend_title="Per 1,000 residents", scheme=st.scheme, k=st.k, decimals=1,
                    suppressed=pub.mask[f"{key}_rate"], threshold=st.threshold,
                    missing_label="No population figure (count mapped above)", cmap="YlOrBr",
                )  # fmt: skip

            top = charts.top_names(pub.data[f"{key}_rate"].where(~pub.mask[f"{key}_rate"].astype(bool)),
                                   st.counts.table["ward_name"])  # fmt: skip
            out.append(Section(f"rate_map_{key}", figure=rates,
                               alt=f"Map of the wards shaded by {m.label.lower()} per 1,000 residents; "
                                   f"highest in {top}"))  # fmt: skip
        return out

    def hotspot_maps(self) -> list[Section]:
        """Per measure: the Gi* hot and cold spot map, then its sentence."""
        st, out = self.st, []
        for key in st.keys:
            m = st.measures[key]
            if key in st.gi_errors:
                out.append(Section(f"hotspots_{key}", sentences=[st.gi_errors[key]]))
                continue
            res = st.gi_results[key]
            hot = list(st.counts.table["ward_name"][(res["spot"] == hotspots.HOT).to_numpy()])

            def draw(res=res, m=m):
                return maps.hotspot_map(self.outlines, res["spot"], fdr_alpha=st.fdr_alpha,
                                        title=f"{m.label}: hot and cold spots, {st.period_text}")  # fmt: skip

            alt = f"Map of {m.label.lower()} hot and cold spots: " + (
                f"hot spots in {narrative.join_names(hot)}" if hot else "no ward is a hot spot"
            )
            out.append(Section(f"hotspot_map_{key}", figure=draw, alt=alt))
            out.append(Section(f"hotspots_{key}",
                               sentences=[hotspots.hotspot_sentence(res, m.label, st.fdr_alpha)]))  # fmt: skip
        return out

    def density(self, draw: bool = True) -> list[Section]:
        """The kernel density surface of all crime points (none when ``draw`` is False)."""
        st = self.st
        if not draw or st.counts.totals["all_crime"] < 3:
            return []
        street = st.data.street
        pts = street[hotspots.month_text(street["month"]).isin(st.cur_months)
                     & hotspots.measure_mask(street, "all_crime")]  # fmt: skip
        try:
            surface = hotspots.kernel_density(pts["easting"], pts["northing"], st.wards, cell=100)
        except GeographyError as exc:  # say why, draw nothing
            return [
                Section("density", sentences=[f"The density surface cannot be drawn: {exc.what}"])
            ]
        spread = f", spread {narrative.fmt_int(round(surface.bandwidth))} metres"

        def draw_surface():
            return maps.density_map(surface.grid, surface.extent, self.outlines, bandwidth_text=spread,
                                    title=f"All crime: density of map points, {st.period_text}")  # fmt: skip

        return [
            Section("density_map", figure=draw_surface,
                    alt="Smoothed surface of where crimes were recorded, darkest where most"),
            Section("density", sentences=[
                "The surface above smooths the snapped police.uk map points regardless of ward "
                f"boundaries. {surface.method_text()} It shows where points cluster; because "
                "locations are snapped to street points, its peaks sit on streets and public places "
                "rather than on the exact scene of each crime."]),
        ]  # fmt: skip

    def change_maps(self) -> list[Section]:
        """Per measure: the change map, then the sentence and the wards that rose or changed."""
        st, out = self.st, []
        codes = st.wards["ward_code"]
        for key in st.changes:
            m, pc = st.measures[key], st.published_changes[key]
            # align the published change table with the ward boundaries
            d = pc.data.set_index("ward_code").reindex(codes)
            mk = pc.mask.set_index(pc.data["ward_code"]).reindex(codes)

            def draw(d=d, mk=mk, m=m):
                return maps.change_map(
                    self.outlines, d["pct_change"], d["significant"].fillna(False), d["direction"],
                    title=f"{m.label}: change in {m.noun} by ward, {st.change_text}",
                    legend_title=f"Change in the number of {m.noun}", suppressed=mk["change"].fillna(True),
                    threshold=st.threshold, fdr_alpha=st.fdr_alpha,
                    missing_label=f"No percentage: fewer than {hotspots.SMALL_NUMBER} in a period, or none before",
                )  # fmt: skip

            alt = hotspots.change_map_caption(pc, m.label, st.change_text)
            out += [Section(f"change_map_{key}", figure=draw, alt=alt), st.change_details(key)]
        return out

    def concentration(self) -> list[Section]:
        """The concentration table with the Lorenz curves, then one sentence per measure."""
        st = self.st
        table = st.concentration_table()
        if not st.conc_rows:
            return [table]
        table.figure = lambda: maps.lorenz_chart(st.curves, st.ginis)
        table.alt = "Lorenz curves of crime by ward for each measure against the line of equality"
        bullets = "\n".join(f"- {s}" for s in st.concentration_sentences)
        return [table, Section("concentration_sentences", sentences=[bullets])]
