"""Filters round-trip through the URL; bad values are reported, not raised."""

from datetime import date

from gridwatch.filters import Filters, parse_query

TOWNS = ["330824001", "330824106", "330824115"]
FIRST, LAST = date(2020, 1, 23), date(2020, 2, 29)


def test_round_trip():
    f = Filters(levels=(1, 2), townships=("330824106",), colours=("red",),
                as_of=date(2020, 2, 1))
    parsed, problems, lang = parse_query(f.to_query(lang="en"), TOWNS, FIRST, LAST)
    assert parsed == f and problems == [] and lang == "en"


def test_empty_query_means_everything():
    parsed, problems, lang = parse_query("", TOWNS, FIRST, LAST)
    assert parsed == Filters() and problems == [] and lang is None


def test_values_are_put_in_canonical_order():
    parsed, _, _ = parse_query("?level=3,1&colour=green,red", TOWNS, FIRST, LAST)
    assert parsed.levels == (1, 3)
    assert parsed.colours == ("red", "green")


def test_unknown_values_are_reported_and_dropped():
    parsed, problems, lang = parse_query(
        "?level=4&township=999&colour=purple&date=2020-13-01&lang=fr&level=2", TOWNS, FIRST,
        LAST)
    assert parsed == Filters(levels=(2,))
    assert {(p.param, p.value, p.reason) for p in problems} == {
        ("level", "4", "problem.level"), ("township", "999", "problem.township"),
        ("colour", "purple", "problem.colour"), ("date", "2020-13-01", "problem.date_format"),
        ("lang", "fr", "problem.lang")}
    assert lang is None


def test_a_date_outside_the_data_is_reported():
    parsed, problems, _ = parse_query("?date=2021-01-01", TOWNS, FIRST, LAST)
    assert parsed.as_of is None
    assert problems[0].reason == "problem.date_range"


def test_dict_round_trip():
    f = Filters(levels=(3,), townships=("330824001",), colours=("blue",), as_of=LAST)
    assert Filters.from_dict(f.to_dict()) == f


def test_the_township_list_follows_the_level_filter_and_keeps_a_chosen_township(snap):
    from gridwatch.metrics import township_levels
    from layouts.analyst import township_options

    levels = township_levels(snap, snap.last_day).to_dict()
    everyone = township_options(snap.region, "en", levels)
    assert [o["value"] for o in everyone] == sorted(levels)
    assert all(" · Level " in o["label"] for o in everyone)
    level2 = sorted(code for code, level in levels.items() if level == 2)
    other = next(code for code, level in sorted(levels.items()) if level != 2)
    assert [o["value"] for o in township_options(snap.region, "en", levels, (2,))] == level2
    # a township chosen before the level filter narrowed the list stays in it
    kept = township_options(snap.region, "zh", levels, (2,), (other,))
    assert {o["value"] for o in kept} == {*level2, other}
    assert all(" · " in o["label"] and "管控" in o["label"] for o in kept)


def test_an_operator_lands_on_its_own_townships_unless_the_url_names_some(source):
    from callbacks.filters import home_townships, landed, sync
    from callbacks.router import render_page
    from gridwatch.auth.policy import Principal, Scope
    from layouts.ids import ID

    region = source.region()
    town, other = sorted(region.townships["code"])[:2]
    village = sorted(region.grid_table.loc[region.grid_table["township_code"] == other,
                                           "village_code"])[0]
    by_town = Principal("user", "operator", Scope("township", frozenset({town})))
    by_village = Principal("user", "operator", Scope("village", frozenset({village})))
    county = Principal("user", "operator")
    assert home_townships(by_town, region) == (town,)
    assert home_townships(by_village, region) == (other,)
    assert home_townships(county, region) == ()
    assert home_townships(Principal("user", "admin"), region) == ()

    assert landed(Filters(), "", (town,)).townships == (town,)
    assert landed(Filters(), "?date=2020-02-10", (town,)).townships == (town,)
    named = Filters(townships=(other,))
    assert landed(named, f"?township={other}", (town,)) == named  # the URL is the truth
    assert landed(Filters(), "", ()) == Filters()

    from callbacks.filters import context_for

    context = context_for(source.snapshot(), "zh")
    filters, _problems, from_url = sync(None, "", (None, None, None, None), {}, context,
                                        (town,))
    assert filters.townships == (town,) and not from_url  # the URL then says so
    filters, _problems, from_url = sync(ID.PAGE_URL, f"?township={other}", (None,) * 4, {},
                                        context, (town,))
    assert filters.townships == (other,) and from_url

    from callbacks.validation import laid_out

    page, _lang = render_page(source, "/", "", by_town)
    assert laid_out(page)[ID.FILTERS].data["townships"] == [town]
    page, _lang = render_page(source, "/", "", county)
    assert laid_out(page)[ID.FILTERS].data["townships"] == []
